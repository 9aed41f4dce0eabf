"""The checker finds what each seed's ground truth says is wrong with it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import SEEDS

import xxgk

EXPECTED = {
    "000_623b78143b223035": [
        ("prose-contradicts-table", "22", {"requests.new.total"}),
        ("prose-contradicts-table", "规范性文件1件", {"proactive.normative.issued"}),
        ("row-width", "6个数，应为7个", None),
    ],
    "001_319638bbe0944d0f": [
        ("cell-ambiguous", "proactive.normative.issued", {"proactive.normative.issued"}),
        ("cell-ambiguous", "proactive.normative.repealed", {"proactive.normative.repealed"}),
        ("cell-ambiguous", "proactive.normative.in_force", {"proactive.normative.in_force"}),
    ],
    "002_951f206c009c1905": [
        ("prose-number-missing", "公开信息共条", None),
        ("prose-contradicts-table", "规范性文件9篇", {"proactive.normative.made"}),
        ("agency-unnamed", "", None),
    ],
    "003_7097c5c10f7e9ea9": [
        # signed 安泽县人民政府, speaks of 我县: the county government's own report, due 31 March
        ("deadline-applied", "期限2022-03-31", None),
        ("part-heading-missing", "第三部分", None),
        ("part-heading-missing", "第四部分", None),
        ("label-variant", "现行冇效件数", None),
    ],
    "004_6e673f84b28b10ac": [
        ("row-width", "8个数，应为7个", None),
        ("label-variant", "社会组织", None),
    ],
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_expected_findings(name: str) -> None:
    findings = xxgk.check(xxgk.parse(SEEDS / f"{name}.txt"))
    for rule, text, cells in EXPECTED[name]:
        hits = [f for f in findings if f.rule == rule and text in f.message]
        assert hits, (rule, text, [(f.rule, f.message) for f in findings])
        if cells:
            assert cells <= set(hits[0].cells)


def test_clean_seed_has_no_arithmetic_errors() -> None:
    for p in sorted(SEEDS.glob("*.txt")):
        findings = xxgk.check(xxgk.parse(p))
        assert not [f for f in findings if f.rule.startswith(("requests-", "appeals-"))], p.name


def _mutate(text: str, old_row_label: str, new_digit: str) -> str:
    """Change the natural-person cell of a tab-separated row of seed 004."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if old_row_label in line:
            parts = line.split("\t")
            for k, p in enumerate(parts):
                if re.fullmatch(r"\d+", p):
                    parts[k] = new_digit
                    break
            lines[i] = "\t".join(parts)
            return "\n".join(lines)
    raise AssertionError(old_row_label)


def test_changing_one_number_points_at_that_cell(tmp_path: Path) -> None:
    text = (SEEDS / "004_6e673f84b28b10ac.txt").read_text("utf-8")
    changed = _mutate(text, "二、上年结转政府信息公开申请数量", "3")
    p = tmp_path / "changed.txt"
    p.write_text(changed, "utf-8")
    report = xxgk.parse(p)
    assert report.cells["requests.carried_in.natural"] == 3
    findings = xxgk.check(report)
    arithmetic = [f for f in findings if f.rule.startswith("requests-")]
    assert arithmetic
    assert all("requests.carried_in.natural" in f.cells for f in arithmetic)
    assert {f.rule for f in arithmetic} == {"requests-row-total", "requests-balance"}
    assert all(f.severity == "error" for f in arithmetic)


def test_period_other_than_calendar_year(tmp_path: Path) -> None:
    text = (SEEDS / "000_623b78143b223035.txt").read_text("utf-8")
    text = text.replace("2021年1月1日起至2021年12月31日", "2020年12月1日起至2021年11月30日")
    p = tmp_path / "period.txt"
    p.write_text(text, "utf-8")
    findings = xxgk.check(xxgk.parse(p))
    assert any(f.rule == "period-not-calendar-year" for f in findings)


def test_government_report_deadline_is_31_march(tmp_path: Path) -> None:
    text = (SEEDS / "003_7097c5c10f7e9ea9.txt").read_text("utf-8")
    p = tmp_path / "gov.txt"
    p.write_text(text, "utf-8")
    report = xxgk.parse(p)
    assert report.agency_kind == "government"
    assert any("安泽县人民政府" in r for r in report.agency_kind_reasons)
    assert any("我县" in r for r in report.agency_kind_reasons)
    assert not any(f.rule == "late-publication" for f in xxgk.check(report))
    # --agency-kind overrides the report's own evidence
    late = [f for f in xxgk.check(report, agency_kind="department") if f.rule == "late-publication"]
    assert late and "--agency-kind" in late[0].message and "2022-01-31" in late[0].message
    assert not any(f.rule == "late-publication" for f in xxgk.check(report, agency_kind="government"))


@pytest.mark.parametrize(("title", "signature", "body", "kind"), [
    ("安泽县人民政府", None, "", "government"),
    ("安泽县", None, "", "government"),  # the region's own report
    (None, "安泽县人民政府", "我县深入贯彻……推动我县政务公开", "government"),
    ("三门峡市陕州区人民政府办公室", None, "全区各部门……全区", "office"),
    ("某市发展和改革委员会", None, "我委", "department"),
    ("洛阳市洛龙区翠云路街道办事处", None, "", "township"),
    ("某某镇人民政府", None, "我镇", "township"),
    (None, None, "我局认真贯彻……我局", "department"),
    (None, "某市生态环境局", "全市生态环境系统……全市……全市", "department"),
])
def test_agency_kind_from_title_signature_and_body(title, signature, body, kind) -> None:  # type: ignore[no-untyped-def]
    from xxgk.agency import decide

    d = decide(title, signature, body)
    assert d.kind == kind, d.reasons
    assert d.reasons


def test_deadline_said_with_its_reason_for_a_department() -> None:
    findings = xxgk.check(xxgk.parse(SEEDS / "001_319638bbe0944d0f.txt"), agency_kind="auto")
    applied = [f for f in findings if f.rule in ("deadline-applied", "late-publication")]
    assert applied and "2022-01-31" in applied[0].message and "廊坊市人民政府办公室" in applied[0].message


def test_wrong_template_for_year(tmp_path: Path) -> None:
    text = (SEEDS / "002_951f206c009c1905.txt").read_text("utf-8").replace("2020", "2022")
    p = tmp_path / "t.txt"
    p.write_text(text, "utf-8")
    report = xxgk.parse(p)
    assert report.template == "2019" and report.report_year == 2022
    assert any(f.rule == "template-year-mismatch" and f.severity == "error" for f in xxgk.check(report))


def test_missing_part(tmp_path: Path) -> None:
    text = (SEEDS / "004_6e673f84b28b10ac.txt").read_text("utf-8")
    cut = text[: text.index("五、存在的主要问题及改进情况")]
    p = tmp_path / "cut.txt"
    p.write_text(cut, "utf-8")
    findings = xxgk.check(xxgk.parse(p))
    missing = {f.message for f in findings if f.rule == "part-missing"}
    assert any("第五部分" in m for m in missing) and any("第六部分" in m for m in missing)


def test_missing_table(tmp_path: Path) -> None:
    text = (SEEDS / "004_6e673f84b28b10ac.txt").read_text("utf-8")
    a = text.index("三、收到和处理政府信息公开申请情况")
    b = text.index("四、政府信息公开行政复议")
    p = tmp_path / "notable.txt"
    p.write_text(text[:a] + text[b:], "utf-8")
    report = xxgk.parse(p)
    findings = xxgk.check(report)
    assert any(f.rule == "table-missing" and "requests.new.total" in f.cells for f in findings)
    assert report.cells["requests.new.total"] is None
    assert report.provenance["requests.new.total"].status == "missing"
