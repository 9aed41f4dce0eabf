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
    "pingtan-2019": "row 三(三)8.属于行政查询事项 '0000000' (followed by a repeated 三、本年度办理结果) read as "
                    "blank: requests.denied.admin_query.* None / 0",
    "pingtan-2020": "行政事业性收费35-15 split as 3 / 5 (truth 35 / -15); row 三(三)8. '0000000' read as blank "
                    "(requests.denied.admin_query.* None / 0)",
    "pingtan-2021": "行政强制42 (single cell followed by 第二十条第（八）项) not read: proactive.coercion.decisions None / 42",
    "pingtan-2022": "single cells followed by the next 第二十条 heading not read (行政许可10690 None, 行政强制0 None); "
                    "行政规范性文件8855698 left ambiguous although the narrative gives 88 制发 and 698 现行有效",
    "pingtan-2023": "行政许可2629 and 行政强制54 not read (None); 本年制发 77, fixed by the narrative, left ambiguous",
    "pingtan-2024": "行政许可4529 and 行政强制65 not read (None); 本年制发 62, fixed by the narrative, left ambiguous",
    "shanghai-bangongting-2025": "55 cells missing: all of table 二 (two-line cells pulled out of the Markdown rows: "
                                 "规章 22/22/235, 行政规范性文件 34/55/189; 行政许可 0 …), 三(二)部分公开 2/0, "
                                 "三(五)4.–5. and 三(六)1.–2. (loose labels, e.g. overdue_correction 40/1/0/0/2/0/43), "
                                 "and the whole appeals row 40 0 10 5 55 2 0 4 6 12 6 0 9 7 22 under a 6-cell header",
    "shanghai-kewei-2024": "120 cells missing: table 二 (rows after loose headings: 规范性文件 13/0/55, 行政许可 97 …) "
                           "and most of table 三 once labels are detached from their rows (予以公开 9 ambiguous 0/9, "
                           "本机关不掌握 4, 另行制作 6, 逾期不补正 8/2/…/10 all None)",
    "shuyang-2025": "44 cells missing: rows under the header 数据1…数据6 read as 13 numbers (the header digits count), "
                    "so 本年新收 705/3/0/0/5/0/713, 上年结转, 予以公开, 部分公开 are None; the three 5-cell appeals "
                    "tables (27 10 9 15 61 | 3 0 0 0 3 | 8 0 1 1 10) are not read; 三(五)5. total None / 0",
}
XFAIL_META: dict[str, str] = {
    "pingtan-2019": "unit 元 printed after 政府集中采购's amount not kept (None / 元)",
    "pingtan-2020": "unit 元 printed after 政府集中采购's amount not kept (None / 元)",
    "shanghai-bangongting-2019": "title '2019年上海市人民政府办公厅…年度报告' in a <p> gives neither report_year (None) nor "
                                 "agency (None); unit 元 of 采购总金额 '251000元' not kept",
    "shanghai-bangongting-2025": "report_year None / 2025 and agency None (title split over two lines after '正文'); "
                                 "published_date 2025-01-01 taken from the statistics period (none is printed); "
                                 "unit 万元 of 收费金额 not kept",
    "shanghai-kewei-2024": "agency read as '市科委编制了' (truth 上海市科委, from the title); unit 万元 of 收费金额 not kept",
}


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
