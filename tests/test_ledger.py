"""Importing an agency's request ledger (台账) from XLSX/CSV, and exporting requests to XLSX/CSV.

The database tests take the ``office`` fixture, so each runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from xxgk.errors import XxgkError
from xxgk.office.db import Applicant, AuditEntry, Request, RequestEvent
from xxgk.office.ledger import export_requests, import_ledger, parse_date, read_ledger

TODAY = dt.date(2025, 6, 30)
HEADER = ["申请编号", "申请人", "申请人类型", "申请方式", "收到日期", "申请内容", "获取方式", "答复日期", "办理结果"]


def write_xlsx(path: Path, rows: list[list[Any]], title: str | None = None) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "台账"
    if title:
        ws.append([title])
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def write_csv(path: Path, rows: list[list[Any]], encoding: str) -> Path:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def counts(office) -> dict[str, int]:  # type: ignore[no-untyped-def]
    with office.session() as s:
        return {m.__name__: s.scalar(select(func.count()).select_from(m)) or 0
                for m in (Request, Applicant, RequestEvent, AuditEntry)}


CLEAN = [
    HEADER,
    ["2024-0001", "张三", "自然人", "当面", dt.datetime(2024, 9, 27), "申请公开某路段改造批复", "纸质",
     dt.datetime(2024, 10, 15), "予以公开"],
    ["2024-0002", "某某科技有限公司", "商业企业", "网上申请", "2024/10/8", "申请公开2023年财政预算", "电子",
     "2024年10月30日", "部分公开"],
    ["2024-0003", "李四", "natural", "挂号信", 45600, "申请公开征收补偿方案", None, None, None],
    ["2024-0004", "某律师事务所", "法律服务机构", "电子邮件", "2024.12.2", "申请公开执法检查记录", "电子",
     "2025-01-10", "本机关不掌握相关政府信息"],
    ["2020-0007", "王五", "自然人", "平信", "2020-05-06", "申请公开会议纪要", None, "2020-05-20", "（六）其他处理"],
]


@pytest.fixture
def agency(office):  # type: ignore[no-untyped-def]
    office.add_agency("A1", "某市住房和城乡建设局")
    return "A1"


# ---------------------------------------------------------------- a clean ledger


def test_clean_xlsx_imports_every_row_with_the_fields_the_tally_counts(office, agency, tmp_path):
    path = write_xlsx(tmp_path / "台账.xlsx", CLEAN, title="2024年政府信息公开申请办理台账")
    result = import_ledger(office, agency, path, today=TODAY)
    assert result.rejected == []
    assert result.taken == ["2024-0001", "2024-0002", "2024-0003", "2024-0004", "2020-0007"]
    assert result.written == 5 and not result.dry_run
    got = {v.tracking_no: v for v in office.requests(agency)}
    want = {  # tracking: (kind, channel, received, closed, outcome, status)
        "2024-0001": ("natural", "in_person", dt.date(2024, 9, 27), dt.date(2024, 10, 15), "granted", "closed"),
        "2024-0002": ("commercial", "online", dt.date(2024, 10, 8), dt.date(2024, 10, 30), "partial", "closed"),
        "2024-0003": ("natural", "registered_post", dt.date(2024, 11, 4), None, None, "open"),
        "2024-0004": ("legal", "email", dt.date(2024, 12, 2), dt.date(2025, 1, 10), "unable.not_held", "closed"),
        "2020-0007": ("natural", "ordinary_letter", dt.date(2020, 5, 6), dt.date(2020, 5, 20), "other", "closed"),
    }
    assert {k: (v.applicant_kind, v.channel, v.received_on, v.closed_on, v.outcome, v.status)
            for k, v in got.items()} == want
    assert got["2024-0001"].on_time is True and got["2024-0003"].due_on is not None
    assert got["2024-0001"].applicant_name == "张三" and got["2024-0002"].description == "申请公开2023年财政预算"

    cells = office.tally(agency, 2024).cells
    assert cells["requests.new.natural"] == 2
    assert cells["requests.new.commercial"] == 1 and cells["requests.new.legal"] == 1
    assert cells["requests.granted.natural"] == 1 and cells["requests.partial.commercial"] == 1
    assert cells["requests.carried_out.natural"] == 1 and cells["requests.carried_out.legal"] == 1
    assert office.tally(agency, 2025).cells["requests.unable.not_held.legal"] == 1
    assert office.tally(agency, 2020).cells["requests.other.natural"] == 1  # the 2019 template's row


def test_read_ledger_returns_row_numbers_as_excel_shows_them(tmp_path):
    path = write_xlsx(tmp_path / "l.xlsx", [HEADER, [], CLEAN[1], CLEAN[3]], title="台账")
    rows = read_ledger(path)
    assert [r.row for r in rows] == [4, 5]  # title row 1, header row 2, blank row 3
    assert all(r.ok for r in rows)
    assert rows[0].data["applicant"] == {"kind": "natural", "name": "张三", "id_type": None, "id_number": None,
                                         "phone": None, "email": None, "address": None}
    assert rows[0].data["decided_on"] == dt.date(2024, 10, 15) and rows[0].data["outcome"] == "granted"


@pytest.mark.parametrize("value, want", [
    (dt.datetime(2024, 9, 27, 0, 0), dt.date(2024, 9, 27)), (dt.date(2024, 9, 27), dt.date(2024, 9, 27)),
    ("2024-09-27", dt.date(2024, 9, 27)), ("2024/9/27", dt.date(2024, 9, 27)), ("2024.9.27", dt.date(2024, 9, 27)),
    ("2024年9月27日", dt.date(2024, 9, 27)), (" 2024 年 9 月 27 日 ", dt.date(2024, 9, 27)),
    (45562, dt.date(2024, 9, 27)), (45562.0, dt.date(2024, 9, 27)), ("45562", dt.date(2024, 9, 27)),
    ("2024-09-27 00:00:00", dt.date(2024, 9, 27)),
    ("2024-13-45", None), ("2024-02-30", None), ("2024-9/27", None), ("九月", None), ("", None), (0, None),
    (True, None),
])
def test_dates(value, want):
    assert parse_date(value) == want


def test_a_bad_date_is_reported_with_its_row_and_text(tmp_path):
    rows = [HEADER, CLEAN[1], ["X-1", "甲", "自然人", "当面", "2024-13-45", "某文件", None, None, None]]
    got = read_ledger(write_csv(tmp_path / "l.csv", rows, "utf-8"))
    assert got[0].ok and not got[1].ok and got[1].data is None
    assert got[1].error == ("第3行：收到日期“2024-13-45”无法识别", "row 3: received date '2024-13-45' is not a date")


# ---------------------------------------------------------------- a ledger with bad rows

BAD = [
    HEADER,
    ["2024-0001", "张三", "自然人", "当面", "2024-09-02", "申请公开甲文件", None, "2024-09-20", "予以公开"],  # 2 good
    ["2024-0002", "李四", "自然人", "当面", "2024-13-45", "申请公开乙文件", None, None, None],  # 3 bad date
    ["2024-0003", "外星人协会", "外星人", "网上", "2024-09-03", "申请公开丙文件", None, None, None],  # 4 unknown kind
    ["2024-0001", "王五", "自然人", "网上", "2024-09-04", "申请公开丁文件", None, None, None],  # 5 repeats row 2
    ["2024-0005", "赵六", "商业企业", "网上", "2024-09-10", "申请公开戊文件", None, "2024-09-01", "予以公开"],  # 6
    ["2024-0006", "钱七", "科研机构", "传真", "2024-09-11", "申请公开己文件", None, None, None],  # 7 good
    [None, "孙八", "自然人", "邮寄", "2024-09-12", "申请公开庚文件", None, None, None],  # 8 good, no number
    ["OLD-9", "周九", "自然人", "当面", "2024-09-13", "申请公开辛文件", None, None, None],  # 9 number in the db
    ["2024-0010", "吴十", "自然人", "当面", "2024-09-14", "申请公开壬文件", None, "2024-09-30", "不予公开"],  # 10
    ["2024-0011", "郑十一", "自然人", "飞鸽传书", "2024-09-15", "申请公开癸文件", None, None, None],  # 11 channel
    ["2024-0012", "冯十二", "自然人", "当面", "2024-09-16", "申请公开子文件", "纸" * 41, None, None],  # 12 form
    ["2024-0013", "陈十三", "自然人", "当面", "2025-07-01", "申请公开丑文件", None, None, None],  # 13 future
    ["2024-0014", "褚十四", "自然人", "当面", "2024-09-17", "申请公开寅文件", None, "2024-10-08",
     "申请人无正当理由逾期不补正"],  # 14: no correction was ever asked for
    ["2024-0015", "卫十五", "自然人", "当面", "2024-09-18", "", None, None, None],  # 15 no description
    ["2024-0016", "蒋十六", "自然人", "当面", "2024-09-19", "申请公开卯文件", None, "2024-10-09", "other"],  # 16
]
BAD_REASONS = {  # row: (in the Chinese message, in the English one)
    3: ("收到日期“2024-13-45”无法识别", "received date '2024-13-45' is not a date"),
    4: ("未知的申请人类型：'外星人'", "unknown applicant kind: '外星人'"),
    5: ("申请编号“2024-0001”与第2行重复", "tracking number '2024-0001' repeats row 2"),
    6: ("答复日期 2024-09-01 早于收到日期 2024-09-10", "decided on 2024-09-01, before it was received"),
    9: ("申请编号已存在：OLD-9", "tracking number already exists: OLD-9"),
    10: ("未知的办理结果：'不予公开'", "unknown outcome: '不予公开'"),
    11: ("未知的申请方式：'飞鸽传书'", "unknown channel: '飞鸽传书'"),
    12: ("获取方式超过40个字符", "form is longer than 40 characters"),
    13: ("收到日期 2025-07-01 晚于今天（2025-06-30）", "after today (2025-06-30)"),
    14: ("没有待补正的告知", "no correction is outstanding"),
    15: ("缺少申请内容", "description is missing"),
    16: ("属于2019年版报告格式", "belongs to the 2019 template"),
}


@pytest.fixture
def bad_ledger(office, agency, tmp_path):  # type: ignore[no-untyped-def]
    office.add_request(agency, {"applicant": {"kind": "natural", "name": "旧申请人"}, "channel": "in_person",
                                "received_on": dt.date(2024, 3, 1), "description": "早先登记的申请",
                                "tracking_no": "OLD-9"}, today=TODAY)
    return write_xlsx(tmp_path / "bad.xlsx", BAD)


def assert_bad_rows_reported(result) -> None:  # type: ignore[no-untyped-def]
    assert [r for r, _, _ in result.rejected] == sorted(BAD_REASONS)
    for row, zh, en in result.rejected:
        want_zh, want_en = BAD_REASONS[row]
        assert zh.startswith(f"第{row}行：") and want_zh in zh, (row, zh)
        assert en.startswith(f"row {row}: ") and want_en in en, (row, en)


def test_not_strict_takes_the_good_rows_and_reports_each_bad_one(office, agency, bad_ledger):
    before = counts(office)
    result = import_ledger(office, agency, bad_ledger, today=TODAY)
    assert_bad_rows_reported(result)
    assert result.taken[:2] == ["2024-0001", "2024-0006"]
    generated = result.taken[2]  # row 8 had no number: the service gave it one, clear of the ledger's
    assert generated.startswith("2024-") and generated not in ("2024-0001", "2024-0006", "OLD-9")
    views = {v.tracking_no: v for v in office.requests(agency)}
    assert set(views) == {"OLD-9", "2024-0001", "2024-0006", generated}
    assert views[generated].applicant_name == "孙八" and views[generated].channel == "registered_post"
    assert views["OLD-9"].applicant_name == "旧申请人"  # the row that repeated it did not touch it
    assert views["2024-0001"].applicant_name == "张三" and views["2024-0001"].outcome == "granted"
    assert counts(office)["Request"] == before["Request"] + 3


def test_strict_takes_none_when_any_row_is_bad(office, agency, bad_ledger):
    before = counts(office)
    result = import_ledger(office, agency, bad_ledger, strict=True, today=TODAY)
    assert result.strict and result.taken == [] and result.written == 0
    assert_bad_rows_reported(result)
    assert counts(office) == before


def test_strict_takes_all_when_every_row_is_good(office, agency, tmp_path):
    result = import_ledger(office, agency, write_xlsx(tmp_path / "l.xlsx", CLEAN), strict=True, today=TODAY)
    assert len(result.taken) == 5 and len(office.requests(agency)) == 5


def test_dry_run_writes_nothing_and_reports_what_the_import_does(office, agency, bad_ledger):
    before = counts(office)
    dry = import_ledger(office, agency, bad_ledger, dry_run=True, today=TODAY)
    assert dry.dry_run and dry.written == 0
    assert counts(office) == before  # no request, applicant, event or audit entry
    assert_bad_rows_reported(dry)
    real = import_ledger(office, agency, bad_ledger, today=TODAY)
    assert (dry.taken, dry.rejected) == (real.taken, real.rejected)
    assert len(real.taken) == 3 and counts(office)["Request"] == before["Request"] + 3


def test_a_second_import_of_the_same_ledger_takes_nothing(office, agency, tmp_path):
    path = write_xlsx(tmp_path / "l.xlsx", CLEAN)
    import_ledger(office, agency, path, today=TODAY)
    again = import_ledger(office, agency, path, today=TODAY)
    assert again.taken == [] and [r for r, _, _ in again.rejected] == [2, 3, 4, 5, 6]
    assert all("申请编号已存在" in zh for _, zh, _ in again.rejected)
    assert len(office.requests(agency)) == 5


def test_a_database_failure_leaves_nothing_half_written(office, agency, tmp_path, monkeypatch):
    from xxgk.office import service

    path = write_xlsx(tmp_path / "l.xlsx", CLEAN)
    before = counts(office)
    real = service.Office._add_request
    calls = {"n": 0}

    def failing(self, s, a, req, today, *rest):  # type: ignore[no-untyped-def]
        if req.tracking_no == "2024-0004":
            calls["n"] += 1
            if calls["n"] == 2:  # the check passes; the write of the 4th row fails
                raise RuntimeError("disk full")
        return real(self, s, a, req, today, *rest)

    monkeypatch.setattr(service.Office, "_add_request", failing)
    with pytest.raises(RuntimeError, match="disk full"):
        import_ledger(office, agency, path, today=TODAY)
    assert counts(office) == before


# ---------------------------------------------------------------- CSV, encodings, mappings


def test_gbk_csv_with_chinese_headers(office, agency, tmp_path):
    rows = [
        ["序号", "编号", "申请人姓名", "申请人类别", "申请渠道", "受理日期", "申请公开内容", "办结日期", "处理结果", "备注"],
        ["1", "2024-0101", "欧阳娜娜", "自然人", "现场", "2024/9/2", "申请公开老旧小区改造名单", "2024/9/13", "予以公开", ""],
        ["2", "2024-0102", "某环保公益基金会", "社会公益组织", "信函", "2024年9月3日", "申请公开排污许可信息", "", "", "待办"],
        ["3", "2024-0103", "某研究院", "科研机构", "传真", "2024.9.4", "申请公开监测数据", "2024.9.20",
         "属于国家秘密", ""],
    ]
    path = write_csv(tmp_path / "台账.csv", rows, "gbk")
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")  # really GBK, as Excel in China saves it
    result = import_ledger(office, agency, path, today=TODAY)
    assert result.rejected == [] and result.taken == ["2024-0101", "2024-0102", "2024-0103"]
    got = {v.tracking_no: (v.applicant_name, v.applicant_kind, v.channel, v.received_on, v.outcome)
           for v in office.requests(agency)}
    assert got == {
        "2024-0101": ("欧阳娜娜", "natural", "in_person", dt.date(2024, 9, 2), "granted"),
        "2024-0102": ("某环保公益基金会", "social", "ordinary_letter", dt.date(2024, 9, 3), None),
        "2024-0103": ("某研究院", "research", "fax", dt.date(2024, 9, 4), "denied.state_secret"),
    }


def test_utf8_bom_csv(tmp_path):
    path = write_csv(tmp_path / "l.csv", [HEADER, CLEAN[2]], "utf-8-sig")
    assert path.read_bytes().startswith(codecs.BOM_UTF8)
    [row] = read_ledger(path)
    assert row.ok and row.data["applicant"]["name"] == "某某科技有限公司" and row.data["channel"] == "online"


def test_custom_mapping(office, agency, tmp_path):
    header = ["流水号", "来件人", "身份", "途径", "登记日", "诉求", "结办日", "结论", "手机"]
    rows = [header,
            ["Z-1", "刘一", "自然人", "网上", "2024-10-09", "申请公开规划图", "2024-10-25", "予以公开", "13800138000"],
            ["Z-2", "刘二", "其他", "email", "2024-10-10", "申请公开会议记录", None, None, None]]
    path = write_xlsx(tmp_path / "自定义.xlsx", rows)
    with pytest.raises(XxgkError) as e:
        read_ledger(path)  # the headers are not the usual ones
    assert e.value.code == "not-ledger" and "申请人" in e.value.message and "流水号" in e.value.message
    mapping = {"tracking_no": "流水号", "applicant_name": "来件人", "applicant_kind": "身份", "channel": "途径",
               "received_on": "登记日", "description": "诉求", "decided_on": "结办日", "outcome": "结论",
               "phone": "手机"}
    assert read_ledger(path, mapping)[0].data["applicant"]["phone"] == "13800138000"
    result = import_ledger(office, agency, path, mapping=mapping, today=TODAY)
    assert result.taken == ["Z-1", "Z-2"] and result.rejected == []
    got = {v.tracking_no: (v.applicant_name, v.applicant_kind, v.channel, v.outcome) for v in office.requests(agency)}
    assert got == {"Z-1": ("刘一", "natural", "online", "granted"), "Z-2": ("刘二", "other_org", "email", None)}


def test_a_mapping_naming_a_missing_column_or_an_unknown_field_is_an_error(tmp_path):
    path = write_xlsx(tmp_path / "l.xlsx", CLEAN)
    with pytest.raises(XxgkError) as e:
        read_ledger(path, {"received_on": "登记日"})
    assert e.value.code == "bad-mapping" and "登记日" in e.value.message and "收到日期" in e.value.message
    with pytest.raises(XxgkError) as e:
        read_ledger(path, {"birthday": "生日"})
    assert e.value.code == "bad-mapping" and "birthday" in e.value.message_en


def test_sheet_is_chosen_by_name_or_by_its_header(tmp_path):
    wb = Workbook()
    wb.active.title = "说明"
    wb.active.append(["本表为", "申请台账"])
    ws = wb.create_sheet("台账")
    for r in CLEAN[:3]:
        ws.append(r)
    path = tmp_path / "two.xlsx"
    wb.save(path)
    assert [r.tracking_no for r in read_ledger(path)] == ["2024-0001", "2024-0002"]
    assert len(read_ledger(path, sheet="台账")) == 2
    with pytest.raises(XxgkError) as e:
        read_ledger(path, sheet="说明")
    assert e.value.code == "not-ledger"
    with pytest.raises(XxgkError) as e:
        read_ledger(path, sheet="Sheet9")
    assert e.value.code == "unknown-sheet" and "台账" in e.value.message


# ---------------------------------------------------------------- export and round trip


def seed_requests(office, agency):  # type: ignore[no-untyped-def]
    office.add_requests(agency, [
        {"applicant": {"kind": "natural", "name": "张三"}, "channel": "in_person", "received_on": dt.date(2024, 9, 2),
         "description": "申请公开某路段改造批复", "decided_on": dt.date(2024, 9, 20), "outcome": "granted"},
        {"applicant": {"kind": "commercial", "name": "某某科技有限公司"}, "channel": "online",
         "received_on": dt.date(2024, 10, 8), "description": "=HYPERLINK(\"http://evil\",\"点击\")",
         "decided_on": dt.date(2024, 10, 30), "outcome": "denied.third_party"},
        {"applicant": {"kind": "legal", "name": "某律师事务所"}, "channel": "registered_post",
         "received_on": dt.date(2024, 12, 20), "description": "申请公开执法案卷目录"},
        {"applicant": {"kind": "research", "name": "某研究院"}, "channel": "ordinary_letter",
         "received_on": dt.date(2020, 5, 6), "description": "申请公开监测数据", "decided_on": dt.date(2020, 6, 1),
         "outcome": "other"},
        {"applicant": {"kind": "other_org", "name": "某协会"}, "channel": "fax", "received_on": dt.date(2024, 12, 2),
         "description": "申请公开会议纪要", "decided_on": dt.date(2025, 1, 10), "outcome": "not_processed.duplicate"},
    ], today=TODAY)
    return office.requests(agency)


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
def test_export_then_import_round_trip(office, agency, tmp_path, suffix):
    views = seed_requests(office, agency)
    path = export_requests(views, tmp_path / f"导出.{suffix}")
    office.add_agency("B2", "另一机关")
    result = import_ledger(office, "B2", path, today=TODAY)
    assert result.rejected == [] and result.taken == [v.tracking_no for v in views]
    assert office.requests("B2") == views  # every field of every request, the clock's included


def test_xlsx_export_layout(office, agency, tmp_path):
    views = seed_requests(office, agency)
    path = export_requests(views, tmp_path / "out.xlsx")
    wb = load_workbook(path)
    ws = wb.active
    assert [c.value for c in ws[1]][:7] == ["申请编号", "年度", "申请人", "申请人类型", "申请方式", "收到日期", "申请内容"]
    assert ws.freeze_panes == "A2"
    assert ws.column_dimensions["G"].width > ws.column_dimensions["B"].width  # 申请内容 wider than 年度
    first = {h.value: c for h, c in zip(ws[1], ws[2], strict=True)}
    assert isinstance(first["收到日期"].value, dt.datetime) and first["收到日期"].value.date() == views[0].received_on
    assert views[0].received_on == dt.date(2020, 5, 6)  # requests() sorts by receipt: the 2020 one first
    assert first["申请人类型"].value == "科研机构" and first["申请方式"].value == "平常信函"
    assert first["办理结果"].value == "（六）其他处理"  # the label of the 2019 template, the decision's year
    assert first["状态"].value == "已办结" and first["是否按期办结"].value in ("是", "否")
    evil = next(r for r in range(2, ws.max_row + 1) if str(ws.cell(r, 7).value).startswith("'=HYPERLINK"))
    assert ws.cell(evil, 7).data_type == "s"  # text, neutralised as every export's (xxgk.safetext): never a formula
    assert [ws.cell(r, 1).value for r in range(2, ws.max_row + 1)] == [v.tracking_no for v in views]


def test_csv_export_is_utf8_with_bom_and_neutralises_formulas(office, agency, tmp_path):
    views = seed_requests(office, agency)
    path = export_requests(views, tmp_path / "out.dat", fmt="csv")
    data = path.read_bytes()
    assert data.startswith(codecs.BOM_UTF8)
    rows = list(csv.reader(io.StringIO(data[3:].decode("utf-8"))))
    assert rows[0][:3] == ["申请编号", "年度", "申请人"]
    by_no = {r[0]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    first = by_no[views[0].tracking_no]
    assert first["收到日期"] == views[0].received_on.isoformat() and first["办理结果"] == "（六）其他处理"
    assert any(r["申请内容"] == "'=HYPERLINK(\"http://evil\",\"点击\")" for r in by_no.values())
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.dat.")]  # no temporary file left


def test_export_refuses_an_unknown_format(tmp_path):
    with pytest.raises(XxgkError) as e:
        export_requests([], tmp_path / "out.pdf")
    assert e.value.code == "bad-format"
    assert not (tmp_path / "out.pdf").exists()


def test_export_replaces_a_file_whole(office, agency, tmp_path):
    views = seed_requests(office, agency)
    path = tmp_path / "out.csv"
    path.write_text("旧内容\n" * 1000, encoding="utf-8")
    export_requests(views[:1], path)
    rows = list(csv.reader(io.StringIO(path.read_bytes()[3:].decode("utf-8"))))
    assert len(rows) == 2 and rows[1][0] == views[0].tracking_no


# ---------------------------------------------------------------- not a ledger


PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82")


@pytest.mark.parametrize("name, content, code, says", [
    ("scan.png", PNG, "not-ledger", "不是台账文件"),
    ("台账.csv", PNG, "not-ledger", "不是台账文件"),
    ("台账.xlsx", PNG, "not-ledger", "内容却不是 XLSX"),
    ("empty.csv", b"", "not-ledger", "空的"),
    ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "not-ledger", ".xls"),
    ("notes.csv", "会议记录,时间\n讨论了预算,上午\n".encode(), "not-ledger", "缺少必需的列"),
    ("blank.csv", b"\r\n,,\r\n", "not-ledger", "没有表头行"),
])
def test_a_file_that_is_not_a_ledger_is_a_clear_error(tmp_path, name, content, code, says):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(XxgkError) as e:
        read_ledger(path)
    assert e.value.code == code and says in e.value.message and name in e.value.message
    assert e.value.message_en


def test_a_zip_that_is_not_a_workbook(tmp_path):
    import zipfile

    path = tmp_path / "archive.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("readme.txt", "hello")
    with pytest.raises(XxgkError) as e:
        read_ledger(path)
    assert e.value.code == "not-ledger" and "archive.xlsx" in e.value.message


def test_a_workbook_without_a_ledger_header(tmp_path):
    path = write_xlsx(tmp_path / "成绩.xlsx", [["姓名", "分数"], ["张三", 90]])
    with pytest.raises(XxgkError) as e:
        read_ledger(path)
    assert e.value.code == "not-ledger" and "申请内容" in e.value.message and "姓名、分数" in e.value.message


def test_a_file_over_20_mb_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "huge.xlsx"
    with path.open("wb") as f:
        f.truncate(20 * 1024 * 1024 + 1)
    with pytest.raises(XxgkError) as e:
        read_ledger(path)
    assert e.value.code == "too-large" and "20 MB" in e.value.message


def test_a_missing_file_and_an_unknown_agency(office, agency, tmp_path):
    with pytest.raises(XxgkError) as e:
        read_ledger(tmp_path / "nope.xlsx")
    assert e.value.code == "not-found"
    path = write_xlsx(tmp_path / "l.xlsx", CLEAN)
    with pytest.raises(XxgkError) as e:
        import_ledger(office, "NO-SUCH", path, today=TODAY)
    assert e.value.code == "unknown-agency"


def test_a_generated_number_never_takes_one_a_later_row_uses(office, agency, tmp_path):
    rows = [HEADER,
            [None, "甲", "自然人", "当面", "2024-09-02", "申请公开甲文件", None, None, None],  # would get 2024-0001
            ["2024-0001", "乙", "自然人", "当面", "2024-09-03", "申请公开乙文件", None, None, None]]
    result = import_ledger(office, agency, write_xlsx(tmp_path / "l.xlsx", rows), today=TODAY)
    assert result.rejected == [] and result.taken[1] == "2024-0001" and result.taken[0] != "2024-0001"
    assert {v.tracking_no: v.applicant_name for v in office.requests(agency)} == {
        "2024-0001": "乙", result.taken[0]: "甲"}


def test_importing_a_ledger_without_numbers_twice_takes_nothing_twice(office, agency, tmp_path):
    from xxgk.office.ledger import import_ledger as imp

    path = tmp_path / "n.csv"
    path.write_text("申请人,申请人类型,申请方式,收到日期,申请内容\n张三,自然人,网上,2024-03-05,某文件\n"
                    "李四,自然人,当面,2024-03-06,另一文件\n", encoding="utf-8")
    first = imp(office, agency, path, today=TODAY)
    assert len(first.taken) == 2 and not first.rejected
    again = imp(office, agency, path, today=TODAY)
    assert again.taken == [] and len(again.rejected) == 2 and "2024-0001" in again.rejected[0][1]
