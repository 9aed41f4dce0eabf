"""The registry of regions and agencies: reading CSV/XLSX with Chinese headers, every bad row with
its reason, writing back (guarded against formulas), merging, and the supervisor's queries."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import openpyxl
import pytest

from xxgk.corpus.registry import AGENCY_HEADERS, REGION_HEADERS, Registry, RowError, split_aliases
from xxgk.corpus.types import AgencyRecord, Region
from xxgk.errors import XxgkError

REGIONS = [
    ["410000", "河南省", "省级", ""],
    ["411200", "三门峡市", "市级", "410000"],
    ["411203", "陕州区", "县级", "411200"],
    ["411202", "湖滨区", "县级", "411200"],
    ["411203201", "张汴乡", "乡镇（街道）", "411203"],
    ["140000", "山西省", "省", ""],
    ["141000", "临汾市", "地级", "140000"],
    ["141026", "安泽县", "县", "141000"],
    ["141026100", "城关镇", "乡镇", "141026"],
    ["410000", "河南省", "省级", ""],  # the same row twice: harmless
    ["411221", "渑池县", "county", "411200"],
    ["411221100", "城关镇", "township", "411221"],
]
AGENCIES = [
    ["G_SMX", "三门峡市人民政府", "人民政府", "411200", "", "", ""],
    ["O_SMX", "三门峡市人民政府办公室", "政府办公室", "411200", "G_SMX", "", "市政府办公室"],
    # the parent and the supervisor may come later in the file
    ["E_SZ", "陕州区教育局", "部门", "411203", "G_SZ", "O_SZ", "区教育局，陕州教育局"],
    ["G_SZ", "三门峡市陕州区人民政府", "本级政府", "411203", "", "O_SMX", "陕州区人民政府、陕县人民政府|区政府"],
    ["O_SZ", "三门峡市陕州区人民政府办公室", "政府办公室（厅）", "411203", "G_SZ", "O_SMX", ""],
    ["G_HB", "三门峡市湖滨区人民政府", "政府", "411202", "", "O_SMX", ""],
    ["E_HB", "湖滨区教育局", "政府部门", "411202", "三门峡市湖滨区人民政府", "O_SMX", ""],  # parent by name
    ["T_ZB", "张汴乡人民政府", "乡镇/街道", "张汴乡", "G_SZ", "O_SZ", ""],  # region by name
    ["X_SZ", "陕州区融媒体中心", "其他", "411203", "", "O_SZ", ""],
    ["G_AZ", "安泽县人民政府", "government", "141026", "", "", ""],
]


def combined_rows() -> list[list[str]]:
    head = list(REGION_HEADERS) + list(AGENCY_HEADERS) + ["备注"]
    return ([head] + [r + [""] * 8 for r in REGIONS] + [[""] * 4 + a + [""] for a in AGENCIES])


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8-sig") -> Path:
    buf = io.StringIO(newline="")
    csv.writer(buf).writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


@pytest.fixture
def registry() -> Registry:
    reg, errors = Registry.load_rows(combined_rows(), file="名录.csv")
    assert errors == []
    return reg


# ----------------------------------------------------------------------------- reading

def test_combined_table_reads_every_good_row(registry: Registry) -> None:
    assert len(registry.regions) == len({r[0] for r in REGIONS})
    assert len(registry) == len(AGENCIES)
    e = registry.agency("E_SZ")
    assert (e.kind, e.region, e.parent, e.supervisor) == ("department", "411203", "G_SZ", "O_SZ")
    assert e.aliases == ("区教育局", "陕州教育局")
    assert registry.agency("G_SZ").aliases == ("陕州区人民政府", "陕县人民政府", "区政府")
    assert registry.agency("E_HB").parent == "G_HB"  # resolved from its name
    assert registry.agency("T_ZB").region == "411203201"
    assert [registry.agency(c).kind for c in ("G_SMX", "O_SZ", "T_ZB", "X_SZ", "G_AZ")] == [
        "government", "office", "township", "other", "government"]
    assert registry.regions["411203201"].level == "township"
    assert registry.regions["141000"].level == "city"


def test_two_files_utf8_without_bom_and_gb18030(tmp_path: Path) -> None:
    regions = write_csv(tmp_path / "地区.csv", [list(REGION_HEADERS)] + REGIONS, "utf-8")
    agencies = write_csv(tmp_path / "机关.csv", [list(AGENCY_HEADERS)] + AGENCIES, "gb18030")
    assert (tmp_path / "机关.csv").read_bytes()[:3] != b"\xef\xbb\xbf"
    reg, errors = Registry.load(agencies, regions)  # the order of the files does not matter
    assert errors == []
    assert reg.agency("G_SZ").name == "三门峡市陕州区人民政府"
    assert len(reg) == len(AGENCIES)


def test_bom_and_tab_separated_utf16(tmp_path: Path) -> None:
    p = write_csv(tmp_path / "a.csv", combined_rows(), "utf-8-sig")
    assert p.read_bytes()[:3] == b"\xef\xbb\xbf"
    reg, errors = Registry.load(p)
    assert errors == [] and len(reg) == len(AGENCIES)
    text = "\n".join("\t".join(r) for r in [list(REGION_HEADERS)] + REGIONS)
    q = tmp_path / "b.txt"
    q.write_bytes(text.encode("utf-16"))
    reg2, errors2 = Registry.load(q)
    assert errors2 == [] and reg2.regions == reg.regions


def test_english_headers_and_header_notes() -> None:
    reg, errors = Registry.load_tables([
        ("r.csv", [["code", "name", "level", "parent"], ["410000", "河南省", "province", ""],
                   ["411200", "三门峡市", "city", "410000"]]),
        ("a.csv", [["Code", "Name", "Kind", "Region", "Parent", "Supervisor", "Aliases"],
                   ["G1", "三门峡市人民政府", "government", "411200", "", "", "市政府;三门峡政府"]]),
        ("c.csv", [["机关代码 code", "机关名称（全称）", "类别*", "所在地区代码", "序号"],
                   ["O1", "三门峡市人民政府办公室", "办公室", "411200", "1"]]),
    ])
    assert errors == []
    assert reg.agency("G1").aliases == ("市政府", "三门峡政府")
    assert reg.agency("O1").kind == "office"


def test_xlsx_with_two_sheets_and_numeric_codes(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "地区"
    ws.append(list(REGION_HEADERS))
    for r in REGIONS:
        ws.append([int(r[0]), r[1], r[2], int(r[3]) if r[3] else None])  # codes typed as numbers
    ws2 = wb.create_sheet("机关")
    ws2.append(list(AGENCY_HEADERS))
    for a in AGENCIES:
        ws2.append([a[0], a[1], a[2], float(a[3]) if a[3].isdigit() else a[3], *a[4:]])
    p = tmp_path / "名录.xlsx"
    wb.save(p)
    reg, errors = Registry.load(p)
    assert errors == []
    assert reg.agency("E_SZ").region == "411203" and reg.regions["411203"].parent == "411200"


# ----------------------------------------------------------------------------- bad rows

BAD_REGIONS = [  # (row, the column and the words its reason must contain)
    (["", "无代码", "县级", "411200"], "地区代码", "缺少地区代码"),
    (["41 12", "空格", "县级", "411200"], "地区代码", "非法字符"),
    (["411299", "", "县级", "411200"], "地区名称", "缺少地区名称"),
    (["411298", "某某区", "副省级", "411200"], "层级", "副省级"),
    (["411200", "三门峡", "市级", "410000"], "地区代码", "重复"),  # same code, other content
    (["411297", "孤儿县", "县级", "999999"], "上级地区代码", "999999"),
    (["411296", "自指县", "县级", "411296"], "上级地区代码", "本地区"),
    (["411295", "甲县", "县级", "411294"], "上级地区代码", "成环"),
    (["411294", "乙县", "县级", "411295"], "上级地区代码", "成环"),
    (["411293", "平级县", "县级", "411203"], "上级地区代码", "须高于"),  # a county under a county
    (["420000", "湖北省", "省级", "411200"], "上级地区代码", "须高于"),  # a province under a city
    (["411297101", "孤儿镇", "乡镇", "411297"], "上级地区代码", "随之无效"),  # under a bad region
    (["411221101", "新镇", "乡镇", "城关镇"], "上级地区代码", "多个地区"),  # two regions so named
]
BAD_AGENCIES = [
    (["", "无代码局", "部门", "411203", "", "", ""], "机关代码", "缺少机关代码"),
    (["B2", "", "部门", "411203", "", "", ""], "机关名称", "缺少机关名称"),
    (["B3", "某局", "事业单位", "411203", "", "", ""], "类别", "事业单位"),
    (["B4", "某局", "部门", "999999", "", "", ""], "所在地区代码", "999999"),
    (["B5", "某局", "部门", "411297", "", "", ""], "所在地区代码", "本身有误"),  # its region is a bad row
    (["B6", "某局", "部门", "城关镇", "", "", ""], "所在地区代码", "多个地区"),
    (["B7", "某局", "部门", "411203", "NOPE", "", ""], "上级机关代码", "NOPE"),
    (["B8", "某局", "部门", "411203", "", "NOPE", ""], "监督机关代码", "NOPE"),
    (["B9", "某局", "部门", "411203", "", "B9", ""], "监督机关代码", "本机关"),
    (["B10", "甲局", "部门", "411203", "B11", "", ""], "上级机关代码", "成环"),
    (["B11", "乙局", "部门", "411203", "B10", "", ""], "上级机关代码", "成环"),
    (["B12", "丙局", "部门", "411203", "", "B13", ""], "监督机关代码", "成环"),
    (["B13", "丁局", "部门", "411203", "", "B12", ""], "监督机关代码", "成环"),
    (["B14", "戊局", "部门", "411203", "B3", "", ""], "上级机关代码", "随之无效"),  # its parent is bad
    (["G_SZ", "别的政府", "政府", "411203", "", "", ""], "机关代码", "重复"),
    (["B15", "陕州区教育局", "部门", "411203", "", "", ""], None, None),  # good: same name, other code
    (["B16", "某局", "部门", "411203", "陕州区教育局", "", ""], "上级机关代码", "多个机关"),
]


def test_every_bad_row_listed_with_its_reason_and_good_rows_kept() -> None:
    rows = combined_rows()
    table = rows + [r + [""] * 8 for r, _, _ in BAD_REGIONS] + [[""] * 4 + a + [""] for a, _, _ in BAD_AGENCIES]
    expected = {len(rows) + 1 + i: (col, words) for i, (_, col, words) in enumerate(BAD_REGIONS + BAD_AGENCIES)
                if col}
    reg, errors = Registry.load_rows(table, file="坏.csv")
    got = {e.row: e for e in errors}
    assert set(got) == set(expected), sorted(got)
    assert len(errors) == len(expected)  # one reason a row here
    for row, (col, words) in expected.items():
        e = got[row]
        assert e.file == "坏.csv" and e.column == col and words in e.reason_zh, (row, e)
        assert e.reason_en and f"第{row}行" in str(e)
    # every good row is kept
    assert set(reg.agencies) == {a[0] for a in AGENCIES} | {"B15"}
    assert set(reg.regions) == {r[0] for r in REGIONS}
    assert reg.regions["411200"].name == "三门峡市"  # the first row of a duplicated code wins


def test_header_problems() -> None:
    _, errors = Registry.load_rows([["机关代码", "机关名称", "所在地区代码", "颜色"], ["A", "某局", "411200", "红"]],
                                   file="h.csv")
    reasons = {(e.row, e.column): e.reason_zh for e in errors}
    assert "已忽略" in reasons[(1, "颜色")]
    assert "类别" in reasons[(1, None)] and "缺少列" in reasons[(1, None)]
    _, errors = Registry.load_rows([["甲", "乙"], ["1", "2"]], file="x.csv")
    assert any("表头无法识别" in e.reason_zh for e in errors)
    _, errors = Registry.load_rows([["code", "name", "层级", "类别", "所在地区代码"], ["1", "x", "县级", "", ""]])
    assert any(e.column == "code" and "含义不明" in e.reason_zh for e in errors)


def test_a_title_above_the_header_is_skipped(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["三门峡市政务公开机关名录"])
    ws.append([])
    ws.append(["（2024年12月更新）"])
    ws.append(list(REGION_HEADERS))
    for r in REGIONS[:3]:
        ws.append(r)
    wb.save(tmp_path / "t.xlsx")
    reg, errors = Registry.load(tmp_path / "t.xlsx")
    assert errors == [] and set(reg.regions) == {"410000", "411200", "411203"}


def test_a_row_cannot_be_both() -> None:
    rows = combined_rows()
    rows.append(["411209", "某区", "县级", "411200", "Z1", "某局", "部门", "411203", "", "", "", ""])
    reg, errors = Registry.load_rows(rows, file="c.csv")
    assert [(e.row, e.reason_zh) for e in errors] == [(len(rows), "一行只能填写地区或机关之一")]
    assert "411209" not in reg.regions and "Z1" not in reg.agencies


def test_unreadable_files_raise_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(XxgkError) as e:
        Registry.load(tmp_path / "无此文件.csv")
    assert e.value.code == "registry-file" and "无法读取" in e.value.message
    old = tmp_path / "old.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)
    with pytest.raises(XxgkError, match="xlsx"):
        Registry.load(old)
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04" + b"\0" * 100)
    with pytest.raises(XxgkError, match="XLSX"):
        Registry.load(broken)


def test_records_checked_too() -> None:
    regions = [Region("410000", "河南省", "province"), Region("411200", "三门峡市", "city", "410000")]
    bad = AgencyRecord("A", "某局", "department", "999")
    with pytest.raises(XxgkError) as e:
        Registry(regions, [bad])
    assert "999" in e.value.message
    reg, errors = Registry.build(regions, [bad, AgencyRecord("B", "三门峡市人民政府", "government", "411200")])
    assert [e.row for e in errors] == [1] and set(reg.agencies) == {"B"}


def test_split_aliases() -> None:
    assert split_aliases("甲、乙,丙，丁;戊；己|庚 、 甲") == ("甲", "乙", "丙", "丁", "戊", "己", "庚")
    assert split_aliases("") == ()


# ----------------------------------------------------------------------------- writing and merging

def tricky(registry: Registry) -> Registry:
    """The sample with names a spreadsheet would take for formulas."""
    extra = [AgencyRecord("F1", "=HYPERLINK(\"http://x\",\"点我\")", "other", "411203", aliases=("+1局", "@局")),
             AgencyRecord("F2", "-2局", "other", "411203", supervisor="F1")]
    reg, errors = Registry.build(list(registry.regions.values()), [*registry.agencies.values(), *extra])
    assert errors == []
    return reg


def test_csv_round_trip_with_bom_and_formula_guard(registry: Registry, tmp_path: Path) -> None:
    reg = tricky(registry)
    reg.dump_csv(tmp_path / "地区.csv", tmp_path / "机关.csv")
    raw = (tmp_path / "机关.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    assert text.splitlines()[0] == ",".join(AGENCY_HEADERS)
    assert "'=HYPERLINK" in text and "'-2局" in text and "'+1局" in text
    assert "\n=" not in text and ",=" not in text
    back, errors = Registry.load(tmp_path / "地区.csv", tmp_path / "机关.csv")
    assert errors == []
    assert dict(back.regions) == dict(reg.regions) and dict(back.agencies) == dict(reg.agencies)


def test_xlsx_round_trip_and_formula_guard(registry: Registry, tmp_path: Path) -> None:
    reg = tricky(registry)
    reg.dump_xlsx(tmp_path / "名录.xlsx")
    wb = openpyxl.load_workbook(tmp_path / "名录.xlsx")
    assert wb.sheetnames == ["地区", "机关"]
    cells = [c for row in wb["机关"].iter_rows() for c in row if c.value]
    assert not any(c.data_type == "f" for c in cells)
    assert all(isinstance(c.value, str) for c in cells)  # codes stay text
    assert [c.value for c in wb["机关"][1]] == list(AGENCY_HEADERS)
    # regions are written parents first
    codes = [r[0].value for r in wb["地区"].iter_rows(min_row=2)]
    assert all(codes.index(reg.regions[c].parent) < codes.index(c) for c in codes if reg.regions[c].parent)
    back, errors = Registry.load(tmp_path / "名录.xlsx")
    assert errors == []
    assert dict(back.regions) == dict(reg.regions) and dict(back.agencies) == dict(reg.agencies)


def test_merge_and_load_onto_a_base(registry: Registry, tmp_path: Path) -> None:
    regions_only, _ = Registry.load_rows([list(REGION_HEADERS)] + REGIONS)
    more = write_csv(tmp_path / "新增.csv", [list(AGENCY_HEADERS), ["N1", "陕州区财政局", "部门", "陕州区", "G_SZ", "O_SZ", ""],
                                           ["N2", "某局", "部门", "411203", "NOPE", "", ""]])
    reg, errors = Registry.load(more, base=registry)
    assert set(reg.agencies) == set(registry.agencies) | {"N1"}
    assert [(e.file, e.row) for e in errors] == [("新增.csv", 3)]
    agencies_only = Registry.build(list(registry.regions.values()), [registry.agency("G_AZ")])[0]
    merged, errors = regions_only.merge(agencies_only)
    assert errors == [] and set(merged.agencies) == {"G_AZ"}
    other = Registry.build(list(registry.regions.values()),
                           [AgencyRecord("G_SZ", "陕州区政府（改）", "government", "411203")])[0]
    merged, errors = registry.merge(other)
    assert merged.agency("G_SZ").name == "三门峡市陕州区人民政府"
    assert errors and all(e.file == "<合并名录>" for e in errors) and "内容不同" in errors[0].reason_zh


# ----------------------------------------------------------------------------- queries

def test_region_queries(registry: Registry) -> None:
    assert [r.name for r in registry.region_path("411203201")] == ["河南省", "三门峡市", "陕州区", "张汴乡"]
    assert [r.code for r in registry.descendants("411200")] == ["411200", "411203", "411203201", "411202",
                                                                "411221", "411221100"]
    assert [r.code for r in registry.descendants("411203201")] == ["411203201"]
    assert [r.code for r in registry.find_region("城关镇")] == ["141026100", "411221100"]
    assert [r.code for r in registry.find_region("渑池县城关镇")] == ["411221100"]
    assert [r.code for r in registry.find_region("三门峡陕州区")] == ["411203"]
    assert [r.code for r in registry.find_region("411202")] == ["411202"]
    assert [r.code for r in registry.find_region("陕州县")] == ["411203"]  # 县 and 区 exchanged
    assert registry.find_region("北京市") == [] and registry.find_region("陕州区教育局") == []
    with pytest.raises(XxgkError):
        registry.region_path("000000")


def test_agency_queries(registry: Registry) -> None:
    assert {a.code for a in registry.agencies_in("411203")} == {"E_SZ", "G_SZ", "O_SZ", "T_ZB", "X_SZ"}
    assert {a.code for a in registry.agencies_in("411200", kinds=["部门"])} == {"E_SZ", "E_HB"}
    assert {a.code for a in registry.agencies_in("411200", kinds=["government", "政府办公室"])} == {
        "G_SMX", "O_SMX", "G_SZ", "O_SZ", "G_HB"}
    assert {a.code for a in registry.expected_reporters("O_SMX")} == {"G_SZ", "O_SZ", "G_HB", "E_HB"}
    assert {a.code for a in registry.expected_reporters("O_SMX", transitive=True)} == {
        "G_SZ", "O_SZ", "G_HB", "E_HB", "E_SZ", "T_ZB", "X_SZ"}
    assert {a.code for a in registry.expected_reporters("411202")} == {"G_HB", "E_HB"}
    assert registry.expected_reporters("E_SZ") == []
    with pytest.raises(XxgkError):
        registry.expected_reporters("NOPE")


def test_deadlines_follow_the_kind(registry: Registry) -> None:
    assert registry.deadline("G_SZ", 2024) == dt.date(2025, 3, 31)
    assert registry.deadline("O_SZ", 2024) == dt.date(2025, 1, 31)
    assert registry.deadline("E_SZ", 2023) == dt.date(2024, 1, 31)
    assert registry.deadline("T_ZB", 2024) == dt.date(2025, 1, 31)
    with pytest.raises(XxgkError):
        registry.deadline("NOPE", 2024)


def test_row_error_is_plain_data() -> None:
    e = RowError("a.csv", 3, "层级", "层级“x”无法识别", "level 'x' unknown")
    assert str(e) == "a.csv 第3行【层级】：层级“x”无法识别"
