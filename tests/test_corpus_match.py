"""Matching a report to its agency: the real seeds, the ways a name is printed, confusable
neighbours, doubtful and unknown agencies (never attached without a person)."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from conftest import SEEDS

from xxgk.api import parse
from xxgk.corpus.match import ACCEPT, MARGIN, Matcher, canon
from xxgk.corpus.registry import Registry
from xxgk.corpus.types import AgencyRecord as A
from xxgk.corpus.types import Match
from xxgk.corpus.types import Region as R
from xxgk.model import Report

REGIONS = [
    R("410000", "河南省", "province"), R("411200", "三门峡市", "city", "410000"),
    R("411203", "陕州区", "county", "411200"), R("411202", "湖滨区", "county", "411200"),
    R("411203201", "张汴乡", "township", "411203"),
    R("410300", "洛阳市", "city", "410000"), R("410311", "洛龙区", "county", "410300"),
    R("410305", "涧西区", "county", "410300"),
    R("410311010", "翠云路街道", "township", "410311"), R("410305099", "翠云路街道", "township", "410305"),
    R("130000", "河北省", "province"), R("131000", "廊坊市", "city", "130000"),
    R("131002", "安次区", "county", "131000"),
    R("140000", "山西省", "province"), R("141000", "临汾市", "city", "140000"),
    R("141026", "安泽县", "county", "141000"), R("141025", "古县", "county", "141000"),
]
AGENCIES = [
    A("G_SMX", "三门峡市人民政府", "government", "411200"),
    A("O_SMX", "三门峡市人民政府办公室", "office", "411200", "G_SMX"),
    A("G_SZ", "三门峡市陕州区人民政府", "government", "411203", None, "O_SMX", ("陕州区人民政府", "陕县人民政府")),
    A("O_SZ", "三门峡市陕州区人民政府办公室", "office", "411203", "G_SZ", "O_SMX"),
    A("E_SZ", "陕州区教育局", "department", "411203", "G_SZ", "O_SZ"),
    A("G_HB", "三门峡市湖滨区人民政府", "government", "411202", None, "O_SMX"),
    A("O_HB", "三门峡市湖滨区人民政府办公室", "office", "411202", "G_HB", "O_SMX"),
    A("E_HB", "湖滨区教育局", "department", "411202", "G_HB", "O_HB"),
    A("T_ZB", "张汴乡人民政府", "township", "411203201", "G_SZ", "O_SZ"),
    A("G_LF", "廊坊市人民政府", "government", "131000"),
    A("O_LF", "廊坊市人民政府办公室", "office", "131000", "G_LF"),
    A("O_AC", "廊坊市安次区人民政府办公室", "office", "131002"),
    A("G_AZ", "安泽县人民政府", "government", "141026"),
    A("O_AZ", "安泽县人民政府办公室", "office", "141026", "G_AZ"),
    A("G_GX", "古县人民政府", "government", "141025"),
    A("S_CYL", "洛阳市洛龙区翠云路街道办事处", "township", "410311010"),
    A("S_JX", "洛阳市涧西区翠云路街道办事处", "township", "410305099"),
    A("V_SZ", "国家税务总局三门峡市陕州区税务局", "other", "411203"),
]


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(Registry(REGIONS, AGENCIES))


def report(agency: str | None = None, *, signature: str | None = None, title: str | None = None,
           source: str | None = None) -> Report:
    return Report(template="2021", report_year=2024, agency=agency or signature,
                  agency_source="title" if agency else "signature" if signature else None,
                  published_date=None, content_hash="0" * 64, cells={}, signature_agency=signature, title=title,
                  source_path=source)


def accepted(m: Match, code: str) -> None:
    assert m.accepted and m.agency == code, m
    assert m.confidence >= ACCEPT and m.candidates[0][0] == code
    assert len(m.candidates) == 1 or m.candidates[0][1] - m.candidates[1][1] >= MARGIN
    assert m.reasons and "已归属" in m.reasons[-1]


def waits(m: Match, *codes: str) -> None:
    """Doubtful or unmatched: not attached, every listed candidate shown."""
    assert not m.accepted and m.agency is None, m
    assert "待人工确认" in m.reasons[-1]
    assert {c for c, _ in m.candidates} >= set(codes)
    assert [s for _, s in m.candidates] == sorted((s for _, s in m.candidates), reverse=True)


# ----------------------------------------------------------------------------- the real seeds

SEED_AGENCY = {  # the seed -> the agency it is from (its printed name is in the registry above)
    "000_623b78143b223035": "O_SZ", "001_319638bbe0944d0f": "O_LF", "003_7097c5c10f7e9ea9": "G_AZ",
    "004_6e673f84b28b10ac": "S_CYL",
}


@pytest.mark.parametrize("seed", sorted(p.stem for p in SEEDS.glob("*.txt")))
def test_seeds(matcher: Matcher, seed: str) -> None:
    path = SEEDS / f"{seed}.txt"
    rep = parse(path)
    m = matcher.match(rep, body=path.read_text("utf-8"))
    if seed in SEED_AGENCY:
        code = SEED_AGENCY[seed]
        printed = rep.agency or rep.signature_agency
        assert printed and canon(printed).endswith(canon(matcher.reg.agency(code).name)[-3:])
        accepted(m, code)
        assert m.method == rep.agency_source
        assert any(printed in r for r in m.reasons)
    else:  # 002 prints only 政府办公室: every office is a candidate, none is chosen
        assert rep.agency is None and rep.title and rep.title.startswith("政府办公室")
        waits(m, "O_SZ", "O_HB", "O_LF", "O_AZ", "O_SMX", "O_AC")
        assert "无地区可以确定" in " ".join(m.reasons)
        # the folder it came from names the district: now it is clear
        m = matcher.match(rep, body=path.read_text("utf-8"), source_path="报告/三门峡市/陕州区/政府办公室2020.pdf")
        accepted(m, "O_SZ")
        assert any("陕州区" in r for r in m.reasons)


# ----------------------------------------------------------------------------- printed names

@pytest.mark.parametrize("printed, code", [
    ("三门峡市陕州区人民政府", "G_SZ"),
    ("河南省三门峡市陕州区人民政府", "G_SZ"),
    ("陕州区人民政府", "G_SZ"),  # without the city
    ("陕州区政府", "G_SZ"),  # 人民政府 → 政府
    ("三门峡陕州区政府", "G_SZ"),  # the city without 市
    ("陕县人民政府", "G_SZ"),  # an older name, listed as an alias
    ("三门峡市陕县人民政府", "G_SZ"),
    ("三门峡市 陕州区 人民政府（本级）", "G_SZ"),  # spaces, a bracketed note
    ("陕州区人民政府办公室", "O_SZ"),
    ("陕州区政府办", "O_SZ"),
    ("三门峡市陕州区教育局", "E_SZ"),
    ("湖滨区教育局", "E_HB"),
    ("湖滨教育局", "E_HB"),
    ("张汴乡人民政府", "T_ZB"),
    ("陕州区张汴乡政府", "T_ZB"),
    ("洛龙区翠云路街道办事处", "S_CYL"),
    ("洛龙区翠云路街道办", "S_CYL"),
    ("安泽县", "G_AZ"),  # a title that names only its place is the place's government
    ("古县政府", "G_GX"),
    ("国家税务总局三门峡市陕州区税务局", "V_SZ"),
    ("三门峡市人民政府办公室", "O_SMX"),
])
def test_printed_forms(matcher: Matcher, printed: str, code: str) -> None:
    accepted(matcher.match(report(printed)), code)


@pytest.mark.parametrize("printed", ["区政府", "教育局", "政府办公室", "翠云路街道办事处", "县政府"])
def test_short_or_ambiguous_names_alone_wait(matcher: Matcher, printed: str) -> None:
    m = matcher.match(report(printed))
    waits(m)
    assert len(m.candidates) >= 2


def test_same_department_in_two_counties(matcher: Matcher) -> None:
    waits(matcher.match(report("教育局")), "E_SZ", "E_HB")
    accepted(matcher.match(report("教育局"), source_path="三门峡市/陕州区/2024年报.pdf"), "E_SZ")
    accepted(matcher.match(report("教育局"), source_path=r"D:\年报\三门峡市\湖滨区\教育局.docx"), "E_HB")
    # the path names only the city: both stay candidates
    m = matcher.match(report("教育局"), source_path="三门峡市/教育局2024.pdf")
    waits(m, "E_SZ", "E_HB")
    # a body speaking of one district leans that way, but not enough to attach
    m = matcher.match(report("教育局"), source_path="三门峡市/教育局2024.pdf",
                      body="2024年，我局……全陕州区……陕州区各学校")
    waits(m, "E_SZ", "E_HB")
    assert m.candidates[0][0] == "E_SZ"
    # a body naming the agency in full settles it
    m = matcher.match(report("教育局"), source_path="三门峡市/教育局2024.pdf",
                      body="2024年，陕州区教育局……全陕州区……陕州区各学校")
    accepted(m, "E_SZ")
    assert "正文出现“陕州区教育局”" in m.reasons


def test_short_name_with_the_region_from_the_path_or_the_title(matcher: Matcher) -> None:
    accepted(matcher.match(report("区政府"), source_path="三门峡市/陕州区/区政府2024.pdf"), "G_SZ")
    # the signature's short form gets its region from the title
    accepted(matcher.match(report("三门峡市湖滨区人民政府", signature="区政府")), "G_HB")
    # a file name alone, short, in its district's folder: likely, but it waits for the body
    m = matcher.match(report(None), source_path="三门峡市/陕州区/区政府2024.pdf")
    waits(m, "G_SZ")
    assert m.candidates[0][0] == "G_SZ"
    m = matcher.match(report(None), source_path="三门峡市/陕州区/区政府2024.pdf",
                      body="2024年，我区在区委领导下，陕州区政务公开……全面推进陕州区")
    accepted(m, "G_SZ")
    assert m.method == "path"


def test_a_folder_named_after_a_district_is_not_its_government(matcher: Matcher) -> None:
    m = matcher.match(report("陕州区教育局"), source_path="三门峡市/陕州区/2024.pdf")
    accepted(m, "E_SZ")
    assert [c for c, _ in m.candidates] == ["E_SZ"]


def test_evidence_that_disagrees_waits(matcher: Matcher) -> None:
    # the title and the signature name two agencies
    waits(matcher.match(report("陕州区教育局", signature="湖滨区教育局")), "E_SZ", "E_HB")
    # the title names an agency outside the folder it came from
    m = matcher.match(report("湖滨区教育局"), source_path="三门峡市/陕州区/教育局.pdf")
    waits(m, "E_HB")
    assert any("不符" in r for r in m.reasons)


def test_unknown_agency_is_unmatched(matcher: Matcher) -> None:
    for printed in ("三门峡市财政局", "某某县人民政府", "灵宝市教育局"):
        m = matcher.match(report(printed))
        assert (m.agency, m.accepted, m.candidates, m.method, m.confidence) == (None, False, (), "none", 0.0)
        assert printed in m.reasons[0] and "待人工确认" in m.reasons[-1]
    m = matcher.match(report(None))
    assert m.candidates == () and "未写明机关" in m.reasons[0]


def test_body_alone_names_but_does_not_attach(matcher: Matcher) -> None:
    body = "一、总体情况\n2024年，三门峡市陕州区人民政府办公室坚持……经过排查，陕州区人民政府办公室无政务新媒体。"
    m = matcher.match(report(None, title="2024年政府信息公开工作年度报告"), body=body)
    waits(m, "O_SZ")
    assert m.candidates[0][0] == "O_SZ" and m.method == "body"
    # the body's name confirms a short signature
    accepted(matcher.match(report(None, signature="政府办公室"), body=body,
                           source_path="三门峡市/陕州区/x.pdf"), "O_SZ")


def test_title_text_is_read_when_the_reader_found_no_agency(matcher: Matcher) -> None:
    m = matcher.match(report(None, title="三门峡市湖滨区人民政府办公室2024年政府信息公开工作年度报告"))
    accepted(m, "O_HB")


def test_find_for_a_person(matcher: Matcher) -> None:
    assert [a.code for a, _ in matcher.find("区政府")] == ["G_HB", "G_SZ"]
    assert [(a.code, s) for a, s in matcher.find("区政府", region="陕州区")] == [("G_SZ", 0.9)]
    assert matcher.find("财政局") == []


def test_canon() -> None:
    assert canon("人民政府办公室") == canon("政府办公厅") == canon("政府办") == "政府办"
    assert canon("街道办事处") == "街道办" and canon("人民政府") == "政府"


def test_a_registry_of_ten_thousand_agencies() -> None:
    """Names repeat across cities (as 城关镇 and 新华区 do): a full name whose places are unique is
    attached; a department name alone is not; with its county's folder it is."""
    chars = "安宁平和东西南北新江山河湖海青白金银长永兴华阳明光德福康泰丰庆"
    names = ["".join(p) for p in itertools.permutations(chars, 2)]
    regions, agencies = [], []
    depts = ("教育局", "财政局", "公安局", "民政局", "卫生健康委员会", "交通运输局", "自然资源局")
    for p in range(10):
        pc = f"{p + 11}0000"
        regions.append(R(pc, names[p] + "省", "province"))
        for c in range(8):
            cc, cn = f"{p + 11}{c + 1:02d}00", names[10 + p * 8 + c] + "市"
            regions.append(R(cc, cn, "city", pc))
            agencies += [A("G" + cc, cn + "人民政府", "government", cc), A("O" + cc, cn + "人民政府办公室", "office", cc)]
            for k in range(12):
                kc, kn = f"{p + 11}{c + 1:02d}{k + 1:02d}", names[100 + (c * 12 + k) % 60] + "区县"[k % 2]
                regions.append(R(kc, kn, "county", cc))
                agencies += [A("G" + kc, cn + kn + "人民政府", "government", kc),
                             A("O" + kc, cn + kn + "人民政府办公室", "office", kc)]
                agencies += [A(f"D{kc}{i}", kn + d, "department", kc) for i, d in enumerate(depts)]
                for t in range(2):
                    tc, tn = f"{kc}{t + 1:03d}", names[200 + t] + "镇"  # the same two names in every county
                    regions.append(R(tc, tn, "township", kc))
                    agencies.append(A("T" + tc, tn + "人民政府", "township", tc))
    reg = Registry(regions, agencies)
    assert len(reg) > 10_000
    m = Matcher(reg)
    by_code = reg.agencies
    for code in ("G110101", "O110203", "G200812", "O130500"):
        accepted(m.match(report(by_code[code].name)), code)
    dept = by_code["D1101023"]  # its county's name is used by a county in every province
    waits(m.match(report(dept.name)), "D1101023")
    folder = "/".join(r.name for r in reg.region_path(dept.region))
    accepted(m.match(report(dept.name), source_path=f"{folder}/{dept.name}.pdf"), "D1101023")
    accepted(m.match(report("民政局"), source_path=f"{folder}/2024.pdf"), "D1101023")
    town = by_code["T110101002"]
    waits(m.match(report(town.name)), "T110101002")
    county = "/".join(r.name for r in reg.region_path(town.region)[:-1])
    accepted(m.match(report(town.name), source_path=str(Path(county, "镇政府.pdf"))), "T110101002")
    # in the folder of the county next door, it is that county's town of the same name
    accepted(m.match(report(town.name), source_path=f"{folder}/镇政府.pdf"), f"T{dept.region}002")


def test_a_short_name_unique_in_the_registry_still_needs_its_region(matcher: Matcher) -> None:
    m = matcher.match(report("乡政府"))  # the registry has one township government only
    waits(m, "T_ZB")
    assert [c for c, _ in m.candidates] == ["T_ZB"]
    waits(matcher.match(report("乡政府"), source_path="三门峡市/陕州区/乡政府.pdf"), "T_ZB")  # only above it
    accepted(matcher.match(report("乡政府"), source_path="三门峡市/陕州区/张汴乡/乡政府.pdf"), "T_ZB")
