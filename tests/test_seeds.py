"""The five real reports parse to their ground truth, cell for cell."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import SEEDS, SHARED_SEEDS, seed_names

import xxgk


def test_seed_cells_match_ground_truth(seed: tuple[Path, dict]) -> None:
    path, truth = seed
    report = xxgk.parse(path)
    assert report.template == truth["template"]
    assert set(report.cells) == set(truth["cells"])
    ambiguous = truth.get("ambiguous", {})
    for cid, value in truth["cells"].items():
        if cid in ambiguous:
            assert report.cells[cid] is None, cid
            assert cid in report.ambiguous, cid
            continue
        assert report.cells[cid] == value, (cid, report.cells[cid], value, report.provenance[cid])
        assert cid not in report.ambiguous


def test_seed_metadata(seed: tuple[Path, dict]) -> None:
    path, truth = seed
    report = xxgk.parse(path)
    assert report.report_year == truth["report_year"]
    assert report.agency == truth["agency"]
    if "published_date" in truth:
        assert report.published_date is not None
        assert report.published_date.isoformat() == truth["published_date"]


def test_seed_001_ambiguous_candidates_include_every_reading() -> None:
    """行政规范性文件221148: ten readings, none chosen; each listed reading is a candidate."""
    name = "001_319638bbe0944d0f"
    report = xxgk.parse(SEEDS / f"{name}.txt")
    readings = [(22, 1, 148), (22, 11, 48), (2, 21, 148), (2, 2, 1148), (2, 211, 48), (221, 1, 48),
                (221, 14, 8), (22, 114, 8), (2, 2114, 8), (2211, 4, 8)]
    cols = ["issued", "repealed", "in_force"]
    for reading in readings:
        for col, v in zip(cols, reading, strict=True):
            assert v in report.ambiguous[f"proactive.normative.{col}"]
    # and nothing else in the report is ambiguous
    assert set(report.ambiguous) == {f"proactive.normative.{c}" for c in cols}
    # 规章308 splits only one way
    assert [report.cells[f"proactive.rules.{c}"] for c in cols] == [3, 0, 8]


@pytest.mark.parametrize("name", seed_names())
def test_seed_narrative_figures(name: str) -> None:
    truth = json.loads((SEEDS / f"{name}.json").read_text("utf-8"))
    report = xxgk.parse(SEEDS / f"{name}.txt")
    found = {h.key: h.value for h in report.headlines}
    for key, value in (truth.get("narrative") or {}).items():
        if isinstance(value, dict) or key not in {
            "proactive_items_total", "requests_received", "requests_handled", "normative_documents",
            "policy_interpretations", "gazette_issues", "portal_items_updated", "hotline_12345_cases",
        }:
            continue
        assert found.get(key) == value, (key, found.get(key), value)


def test_provenance_points_at_the_printed_number() -> None:
    report = xxgk.parse(SEEDS / "003_7097c5c10f7e9ea9.txt")
    info = report.provenance["proactive.licensing.decisions"]
    assert info.status == "read"
    assert info.source is not None and info.source.text == "1878"
    raw = (SEEDS / "003_7097c5c10f7e9ea9.txt").read_text("utf-8")
    assert raw[info.source.offset:info.source.offset + info.source.length] == "1878"
    assert raw.splitlines()[info.source.line - 1][info.source.column - 1:].startswith("1878")


def test_fixture_copies_match_shared_seeds() -> None:
    if not SHARED_SEEDS.exists():
        pytest.skip("../shared/seeds is not beside this checkout; the fixture copies are used")
    for p in SHARED_SEEDS.iterdir():
        assert (SEEDS / p.name).read_bytes() == p.read_bytes(), p.name
