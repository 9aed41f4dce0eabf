"""Real published annual reports (tests/fixtures/real/*.json + their source) against hand-labelled truth.

Each truth file names its ``source`` (the report as found: a saved page, page text, a Markdown
conversion), its template, every cell of that template (a number, or null for a cell printed
empty), the cells the print leaves undetermined (``undetermined``: xxgk must return null for
them, never a value) and the relations the agency printed wrong (``arithmetic_exceptions``,
``rule@where``). Where SOURCES.md and the truth files come from is described in SOURCES.md.

A fixture xxgk reads wrongly today is marked ``xfail(strict=True)`` with the wrong cells as the
reason: the suite stays green, and the mark must be removed the day the reader gets it right.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pytest

import xxgk
from xxgk.model import Report
from xxgk.template import load_template

REAL = Path(__file__).parent / "fixtures" / "real"


def _truths() -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text("utf-8")) for p in sorted(REAL.glob("*.json"))}


TRUTHS = _truths()

# What xxgk gets wrong today (read / truth), per fixture: the cells, and the metadata (year, date,
# agency, units). Remove an entry the day the reader gets it right (strict xfail then fails).
XFAIL_CELLS: dict[str, str] = {
    "shanghai-bangongting-2025": "a PDF-to-Markdown conversion that pulled two-line cells out of table 二's rows "
                                 "(规章 22/22/235, 行政规范性文件 34/55/189 print two numbers each in the table), "
                                 "loose labels in 三(五)4.–5. and 三(六)1.–2., and the appeals row under a 6-cell "
                                 "header: those cells come back ambiguous or missing (never a wrong value)",
    "shanghai-kewei-2024": "a PDF-to-Markdown conversion that detached most of table 三's labels from their rows "
                           "(予以公开 9, 本机关不掌握 4, 另行制作 6, 逾期不补正 8/2/…/10): those cells come back "
                           "ambiguous or missing (never a wrong value)",
}
XFAIL_META: dict[str, str] = {}


def _params(xfail: dict[str, str]) -> list:
    out = []
    for slug in TRUTHS:
        marks = [pytest.mark.xfail(strict=True, reason=xfail[slug])] if slug in xfail else []
        out.append(pytest.param(slug, id=slug, marks=marks))
    return out


@functools.cache
def _read(slug: str) -> Report:
    return xxgk.parse(REAL / TRUTHS[slug]["source"])


def cell_differences(slug: str) -> list[str]:
    """Every cell where xxgk's reading of the fixture differs from its truth (read / truth)."""
    truth = TRUTHS[slug]
    report = _read(slug)
    if report.template != truth["template"]:
        return [f"template {report.template} / {truth['template']}"]
    diffs: list[str] = []
    if set(report.cells) != set(truth["cells"]):
        diffs.append(f"cell ids differ: {sorted(set(report.cells) ^ set(truth['cells']))}")
    undetermined = set(truth.get("undetermined", []))
    for cid, want in truth["cells"].items():
        got = report.cells.get(cid)
        if cid in undetermined:
            if got is not None:
                diffs.append(f"{cid}: {got} / undetermined (must be null)")
            continue
        # a printed 0 is not a blank: compare None-ness as well as the value
        if (got is None) != (want is None) or (want is not None and got != want):
            diffs.append(f"{cid}: {got} / {want}")
    return diffs


def meta_differences(slug: str) -> list[str]:
    """Report year, publication date, agency (as printed) and units that differ (read / truth)."""
    truth = TRUTHS[slug]
    report = _read(slug)
    diffs = []
    if report.report_year != truth["report_year"]:
        diffs.append(f"report_year: {report.report_year} / {truth['report_year']}")
    date = report.published_date.isoformat() if report.published_date else None
    if date != truth["published_date"]:
        diffs.append(f"published_date: {date} / {truth['published_date']}")
    if report.agency != truth["agency"]:
        diffs.append(f"agency: {report.agency} / {truth['agency']}")
    for cid, unit in truth.get("units", {}).items():
        if report.units.get(cid) != unit:
            diffs.append(f"unit of {cid}: {report.units.get(cid)} / {unit}")
    return diffs


@pytest.mark.parametrize("slug", _params(XFAIL_CELLS))
def test_real_report_cells_read_exactly(slug: str) -> None:
    diffs = cell_differences(slug)
    assert not diffs, f"{len(diffs)} cells differ (read / truth):\n" + "\n".join(diffs)


@pytest.mark.parametrize("slug", _params(XFAIL_META))
def test_real_report_metadata(slug: str) -> None:
    diffs = meta_differences(slug)
    assert not diffs, "\n".join(diffs)


@pytest.mark.parametrize("slug", list(TRUTHS))
def test_truth_is_complete_and_satisfies_the_arithmetic(slug: str) -> None:
    """The truth lists every cell of its template and breaks no relation its notes do not name."""
    truth = TRUTHS[slug]
    t = load_template(truth["template"])
    assert list(truth["cells"]) == list(t.cell_ids)
    assert (REAL / truth["source"]).is_file()
    undetermined = set(truth.get("undetermined", []))
    assert undetermined <= set(truth["cells"])
    assert all(truth["cells"][c] is None for c in undetermined)
    exceptions = set(truth.get("arithmetic_exceptions", []))
    failing = set()
    for eq in t.equations:
        if undetermined & set(eq.cells):
            continue  # a relation through an undetermined cell cannot be checked
        lhs = sum(truth["cells"][c] or 0 for c in eq.lhs)
        rhs = sum(truth["cells"][c] or 0 for c in eq.rhs)
        if abs(lhs - rhs) > 1e-9:
            failing.add(f"{eq.rule}@{eq.where}")
    assert failing <= exceptions, f"relations broken but not explained in notes: {sorted(failing - exceptions)}"
    assert exceptions <= failing, f"exceptions listed that actually hold: {sorted(exceptions - failing)}"
    if exceptions or undetermined:
        assert truth.get("notes"), "undetermined cells and broken relations must be explained in notes"


def test_every_fixture_is_described_in_sources_md() -> None:
    sources = (REAL / "SOURCES.md").read_text("utf-8")
    for slug, truth in TRUTHS.items():
        assert truth["source"] in sources, slug


def test_xfail_lists_name_only_existing_fixtures() -> None:
    assert set(XFAIL_CELLS) <= set(TRUTHS)
    assert set(XFAIL_META) <= set(TRUTHS)


@pytest.mark.parametrize("slug", list(TRUTHS))
def test_real_report_never_a_wrong_value(slug: str) -> None:
    """Even where a fixture is not read exactly, no cell is taken silently: a cell comes back with
    the true value, or null with a status that says it is open (ambiguous) or not found (missing);
    never a wrong number, and never 'blank' where the report prints a number."""
    from xxgk.contract import violations

    truth = TRUTHS[slug]
    report = _read(slug)
    assert violations(report) == []
    wrong = []
    for cid, value in truth["cells"].items():
        got = report.cells[cid]
        status = report.provenance[cid].status
        if got is not None and got != value:
            wrong.append((cid, value, got, status))
        elif got is None and value is not None and status not in ("ambiguous", "missing"):
            wrong.append((cid, value, got, status))
    assert not wrong, wrong[:10]
