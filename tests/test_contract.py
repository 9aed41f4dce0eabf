"""The output contract: every cell of every report has exactly one status with its evidence
(xxgk/contract.py, docs/cells.md). Walks every fixture, every seed and 10,000 generated reports
(a quarter of them damaged: dropped, doubled and run-together cells)."""

from __future__ import annotations

from pathlib import Path

import pytest

import xxgk
from xxgk import synth
from xxgk.contract import violations
from xxgk.errors import XxgkError

FIXTURES = Path(__file__).parent / "fixtures"
GENERATED = 10_000
CHUNK = 500


def _fixture_files() -> list[Path]:
    return sorted(p for p in FIXTURES.rglob("*") if p.is_file() and p.suffix not in (".json", ".py", ".md"))


@pytest.mark.parametrize("path", _fixture_files(), ids=lambda p: str(p.relative_to(FIXTURES)))
def test_contract_holds_on_every_fixture(path: Path) -> None:
    try:
        report = xxgk.parse(path)
    except XxgkError as e:
        assert "bad" in path.parts or e.code in ("needs-libreoffice",), e  # refused files say why
        return
    assert violations(report) == []


@pytest.mark.parametrize("chunk", range(GENERATED // CHUNK))
def test_contract_holds_on_generated_reports(chunk: int) -> None:
    bad: dict[int, list[str]] = {}
    for i, (text, _truth) in enumerate(synth.corpus(CHUNK, seed=1000 + chunk)):
        v = violations(xxgk.parse_bytes(text.encode("utf-8")))
        if v:
            bad[i] = v[:3]
    assert not bad, f"{len(bad)} reports break the contract, e.g. {list(bad.items())[:3]}"


def test_contract_catches_a_null_without_a_status() -> None:
    report = xxgk.parse(FIXTURES / "seeds" / "000_623b78143b223035.txt")
    cid = "requests.new.total"
    broken = report.model_copy(update={
        "cells": {**report.cells, cid: None},
    })
    assert any(cid in v for v in violations(broken))
    info = report.provenance[cid].model_copy(update={"status": "ambiguous", "candidates": [3]})
    broken = report.model_copy(update={"cells": {**report.cells, cid: None},
                                       "provenance": {**report.provenance, cid: info}})
    assert any("fewer than two" in v for v in violations(broken))


def test_prose_resolves_what_the_table_leaves_open() -> None:
    """Seed 001 prints 行政规范性文件221148: ten readings. A sentence stating the documents issued
    keeps the readings that agree (22|1|148, 22|11|48, 22|114|8): 制发 is resolved, citing the
    sentence, the other two stay open with fewer candidates; a second figure decides them all.
    Prose never overrides a cell the table determines (规章308 stays 3, 0, 8)."""
    text = (FIXTURES / "seeds" / "001_319638bbe0944d0f.txt").read_text("utf-8")
    one = text.replace("一、总体情况\n", "一、总体情况\n本年制发规范性文件22件，规章8件。\n", 1)
    report = xxgk.parse_bytes(one.encode())
    issued = report.provenance["proactive.normative.issued"]
    assert report.cells["proactive.normative.issued"] == 22 and issued.status == "resolved"
    assert issued.evidence is not None and "制发规范性文件22件" in issued.evidence.text
    assert {2, 22, 221, 2211} <= set(issued.candidates)
    assert report.provenance["proactive.normative.in_force"].status == "ambiguous"
    assert {148, 48, 8} <= set(report.ambiguous["proactive.normative.in_force"])
    assert 1148 not in report.ambiguous["proactive.normative.in_force"]
    assert [report.cells[f"proactive.rules.{c}"] for c in ("issued", "repealed", "in_force")] == [3, 0, 8]
    assert violations(report) == []

    two = one.replace("规章8件。", "规章8件，现行有效规范性文件148件。", 1)
    report = xxgk.parse_bytes(two.encode())
    got = [report.cells[f"proactive.normative.{c}"] for c in ("issued", "repealed", "in_force")]
    assert got == [22, 1, 148]
    assert all(report.provenance[f"proactive.normative.{c}"].status == "resolved"
               for c in ("issued", "repealed", "in_force"))
    assert violations(report) == []
