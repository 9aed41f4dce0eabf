"""A supervisor's answers (xxgk.corpus.answers): the status per agency, its sheet, two years compared."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import sys
from pathlib import Path

import openpyxl

from xxgk.corpus.answers import (
    STATUS_HEADER,
    compare,
    diff_runs,
    status,
    status_csv,
    status_xlsx,
    summarize,
)
from xxgk.corpus.types import AgencyRecord, ReportEntry
from xxgk.synth import random_cells
from xxgk.template import load_template

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from bench_copies import copy_of, independent_text  # noqa: E402

YEAR = 2024


def rep(id: str, agency: str | None, year: int | None, **kw: object) -> ReportEntry:
    """A report on the 2021 template unless ``template`` says otherwise."""
    kw.setdefault("template", "2021")
    return ReportEntry(id=id, agency=agency, year=year, **kw)  # type: ignore[arg-type]
AS_OF = dt.date(2025, 2, 20)  # after the departments' deadline, before the governments'


def spring() -> tuple[list[AgencyRecord], list[ReportEntry]]:
    rng = random.Random(1)
    agencies = [
        AgencyRecord("A", "某县财政局", "department", "411221"),
        AgencyRecord("B", "某县教育局", "department", "411221"),
        AgencyRecord("C", "某县民政局", "department", "411221"),
        AgencyRecord("D", "某县人民政府", "government", "411221"),
        AgencyRecord("E", "某县人民政府办公室", "office", "411221"),
        AgencyRecord("F", "某县水利局", "department", "411221"),
        AgencyRecord("A", "某县财政局（重复行）", "department", "411221"),
    ]
    text = independent_text(rng)

    def e(id: str, agency: str, published: dt.date | None, **kw: object) -> ReportEntry:
        return rep(id, agency, YEAR, published=published, **kw)  # type: ignore[arg-type]

    entries = [
        e("ra", "A", dt.date(2025, 1, 20), errors=2, warnings=1, parts={"overview": text}),
        e("rb", "B", dt.date(2025, 2, 10), parts={"overview": copy_of(text, rng)}),  # 10 days late, copied
        e("re", "E", None, parts={"overview": independent_text(rng)}),
        e("rf1", "F", dt.date(2025, 1, 25), parts={"overview": independent_text(rng)}),
        e("rf2", "F", dt.date(2025, 2, 5)),  # a corrected re-publication
        e("stranger", "Z", dt.date(2025, 1, 2)),
    ]
    return agencies, entries


def test_status_rows_known_answer() -> None:
    agencies, entries = spring()
    rows = status(agencies, entries, YEAR, AS_OF)
    got = {r.agency: (r.on_time, r.days_late, r.errors, r.warnings) for r in rows}
    assert [r.agency for r in rows] == ["A", "B", "C", "D", "E", "F"]
    assert got == {
        "A": ("是", None, 2, 2),  # own 2 errors, 1 warning; + copied (warning)
        "B": ("否", 10, 1, 1),  # late (error) + copied (warning)
        "C": ("未发布", 20, 1, 0),
        "D": ("未到期", None, 0, 0),
        "E": ("不详", None, 0, 0),
        "F": ("是", None, 0, 0),
    }
    by = {r.agency: r for r in rows}
    assert by["B"].problems[0] == "逾期10天发布" and "雷同" in by["B"].problems_zh
    assert "；" in by["A"].problems_zh and "报告自身核查：错误2项、警告1项" in by["A"].problems
    assert by["C"].problems == ["逾期未发布（已过期限20天）"] and by["C"].reports == []
    assert by["E"].problems == ["发布日期不详"]
    assert by["F"].reports == ["rf1", "rf2"] and by["F"].published == dt.date(2025, 1, 25)
    assert by["D"].deadline == dt.date(2025, 3, 31) and by["A"].deadline == dt.date(2025, 1, 31)
    assert by["D"].kind_zh == "人民政府（本级政府）"
    s = summarize(rows, YEAR, AS_OF)
    assert (s.expected, s.received, s.on_time, s.late, s.missing, s.not_due, s.date_unknown, s.with_errors) == (
        6, 4, 2, 1, 1, 1, 1, 2)
    assert "应报6家，已报4家，按时2家，逾期1家，未发布1家" in s.zh()
    # the findings given are the ones counted: none given, only the reports' own
    quiet = {r.agency: (r.errors, r.warnings, r.problems) for r in status(agencies, entries, YEAR, AS_OF, findings=[])}
    assert quiet["B"] == (0, 0, []) and quiet["A"] == (2, 1, ["报告自身核查：错误2项、警告1项"])
    assert status(agencies, entries, YEAR, AS_OF, findings=[])[1].on_time == "否"  # timeliness is not a finding


def test_status_xlsx_sheet() -> None:
    agencies, entries = spring()
    agencies[0] = AgencyRecord("A", '=HYPERLINK("http://evil","点我")', "department", "411221")
    rows = status(agencies, entries, YEAR, AS_OF)
    data = status_xlsx(rows, summarize(rows, YEAR, AS_OF))
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["报送情况"]
    ws = wb["报送情况"]
    assert [c.value for c in ws[1]] == [h for h, _ in STATUS_HEADER]
    assert ws.freeze_panes == "A2"
    assert ws.column_dimensions["C"].width >= 30 and ws.column_dimensions["L"].width >= 60
    assert ws["C2"].value.startswith("'=HYPERLINK") and ws["C2"].data_type == "s"
    assert [ws.cell(r, 2).value for r in range(2, 8)] == ["A", "B", "C", "D", "E", "F"]
    assert [ws.cell(r, 8).value for r in range(2, 8)] == ["是", "否", "未发布", "未到期", "不详", "是"]
    assert ws.cell(3, 9).value == 10 and ws.cell(3, 10).value == 1
    assert ws.cell(9, 1).value == "合计" and "应报6家" in ws.cell(9, 2).value
    assert ws.auto_filter.ref.startswith("A1:L")


def test_status_csv() -> None:
    agencies, entries = spring()
    agencies[1] = AgencyRecord("B", "+cmd|' /C calc'!A0", "department", "411221")
    data = status_csv(status(agencies, entries, YEAR, AS_OF))
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == [h for h, _ in STATUS_HEADER] and len(rows) == 7
    assert rows[2][2] == "'+cmd|' /C calc'!A0" and rows[2][7] == "否" and rows[2][8] == "10"


# ---------------------------------------------------------------- compare


def test_compare_cells_known_answer() -> None:
    rng = random.Random(2)
    cells_a = random_cells("2021", rng)
    cells_b = dict(cells_a)
    cells_b["requests.new.natural"] = (cells_a["requests.new.natural"] or 0) + 7
    cells_b["proactive.fees.amount"] = None
    cells_a["appeals.reconsideration.upheld"] = None
    cells_b["appeals.reconsideration.upheld"] = 3
    a = rep("a", "x", 2023, cells=cells_a)
    b = rep("b", "x", 2024, cells=cells_b, statuses={"proactive.fees.amount": "blank"})
    c = compare(a, b)
    got = {ch.cell: (ch.state, ch.change) for ch in c.cells}
    assert got == {"requests.new.natural": ("changed", 7), "proactive.fees.amount": ("b-empty", None),
                   "appeals.reconsideration.upheld": ("a-empty", None)}
    order = load_template("2021").cell_ids
    assert [ch.cell for ch in c.cells] == sorted(got, key=order.index)
    new = next(ch for ch in c.cells if ch.cell == "requests.new.natural")
    assert new.row_zh.endswith("一、本年新收政府信息公开申请数量") and new.column_zh == "自然人" and new.state_zh == "有变化"
    fees = next(ch for ch in c.cells if ch.cell == "proactive.fees.amount")
    assert fees.status_b == "blank"
    everything = compare(a, b, all_cells=True)
    assert len(everything.cells) == len(order) and c.unchanged == len(order) - 3 == everything.unchanged
    assert (c.year_a, c.year_b, c.agency) == (2023, 2024, "x")


def test_compare_across_templates() -> None:
    rng = random.Random(3)
    a = ReportEntry(id="a", agency="x", year=2020, template="2019", cells=random_cells("2019", rng))
    b = rep("b", "x", 2021, cells=random_cells("2021", rng))
    c = compare(a, b)
    states = {ch.cell: ch.state for ch in c.cells}
    assert states["proactive.normative.in_force"] == "absent-a"
    assert states["proactive.normative.total"] == "absent-b"
    assert states["requests.other.overdue_fee.total"] == "absent-a" and states["requests.other.total"] == "absent-b"
    only_2019 = [ch for ch in c.cells if ch.state == "absent-b"]
    assert only_2019 and all(ch.row_zh and ch.column_zh for ch in only_2019)
    shared = set(load_template("2019").cell_ids) & set(load_template("2021").cell_ids)
    assert all(states.get(cid) not in ("absent-a", "absent-b") for cid in shared)


def test_part_diffs() -> None:
    rng = random.Random(4)
    old = independent_text(rng)
    new = old.replace("。", "。另外，我们还开展了<培训>。", 1).replace(old[5:12], "")
    a = rep("a", "x", 2023, parts={"overview": old, "problems": "无。"})
    b = ReportEntry(id="b", agency="x", year=2024, template="2021",
                    parts={"overview": new, "problems": "无。", "other": "本年度未收取信息处理费。"})
    c = compare(a, b)
    parts = {p.part: p for p in c.parts}
    assert list(parts) == ["overview", "problems", "other"]
    ov = parts["overview"]
    assert ov.changed and 0.5 < ov.similarity < 1
    assert "".join(t for op, t in ov.runs if op != "+") == old
    assert "".join(t for op, t in ov.runs if op != "-") == new
    assert "{+另外，我们还开展了<培训>。+}" in ov.terminal() and "[-" in ov.terminal()
    assert "<ins>另外，我们还开展了&lt;培训&gt;。</ins>" in ov.html() and "<del>" in ov.html()
    assert len(ov.terminal(context=5)) < len(ov.terminal(context=50))
    assert not parts["problems"].changed and parts["problems"].similarity == 1
    assert parts["other"].runs == (("+", "本年度未收取信息处理费。"),) and parts["other"].title == "其他需要报告的事项"


def test_diff_runs_unrelated_sentences_are_replaced_whole() -> None:
    runs = diff_runs("我局全年公开信息三百条。", "区政府召开专题会议两次。")
    assert runs == [("-", "我局全年公开信息三百条。"), ("+", "区政府召开专题会议两次。")]
    assert diff_runs("", "") == [] and diff_runs("甲。", "甲。") == [("=", "甲。")]
