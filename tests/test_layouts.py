"""Each seed, damaged the way real reports are, still reads to its ground truth."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import opencc
import pytest
from conftest import seed_names

import xxgk

SEEDS = Path(__file__).parent / "fixtures" / "seeds"
_S2T = opencc.OpenCC("s2t")

VARIANTS: dict[str, Callable[[str], bytes]] = {
    "traditional": lambda t: _S2T.convert(t).encode("utf-8"),
    "fullwidth-digits": lambda t: t.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"}).encode(),
    "gb18030": lambda t: t.encode("gb18030"),
    "utf8-bom": lambda t: t.encode("utf-8-sig"),
    "crlf": lambda t: t.replace("\n", "\r\n").encode(),
    "web-residue": lambda t: ("首页 > 政务公开 > 年度报告\n**" + t.replace("二、主动公开", "[bookmark: _GoBack]二、主动公开")
                              + "\n浏览量：1024\n【打印】【关闭】").encode(),
    "one-line": lambda t: re.sub(r"\s+", " ", t).encode(),
}


def _truth(name: str) -> dict:
    import json

    return json.loads((SEEDS / f"{name}.json").read_text("utf-8"))


@pytest.mark.parametrize("variant", sorted(VARIANTS))
@pytest.mark.parametrize("name", seed_names())
def test_variant_reads_like_the_original(name: str, variant: str) -> None:
    truth = _truth(name)
    text = (SEEDS / f"{name}.txt").read_text("utf-8")
    report = xxgk.parse_bytes(VARIANTS[variant](text))
    assert report.template == truth["template"]
    assert report.report_year == truth["report_year"]
    blank_style = name.startswith("001")
    for cid, value in truth["cells"].items():
        if cid in truth.get("ambiguous", {}):
            assert cid in report.ambiguous
            continue
        got = report.cells[cid]
        if variant == "one-line" and blank_style:
            # On one line the empty cells of a table that writes zeros as blanks are gone:
            # what is left must never be wrong, only undetermined or 0 for a blank.
            if cid in report.ambiguous:
                assert value in report.ambiguous[cid] or (value is None and 0 in report.ambiguous[cid]) \
                    or not report.provenance[cid].complete, cid
            else:
                assert got == value or (value is None and got == 0), (cid, got, value)
            continue
        assert got == value, (cid, got, value, report.provenance[cid])
    if variant != "one-line" or not blank_style:
        assert set(report.ambiguous) == set(truth.get("ambiguous", {}))
    assert report.agency == truth["agency"]


def test_title_wrapped_after_the_agency() -> None:
    """PDFs and narrow pages wrap a long title after the agency's name."""
    import xxgk

    path = sorted(SEEDS.glob("*.txt"))[0]
    whole = xxgk.parse(path)
    assert whole.agency and whole.title and whole.title.startswith(whole.agency)
    text = path.read_text("utf-8").replace(whole.title, whole.agency + "\n" + whole.title[len(whole.agency):], 1)
    wrapped = xxgk.parse_bytes(text.encode())
    assert (wrapped.agency, wrapped.title, wrapped.agency_source) == (whole.agency, whole.title, "title")
    # a navigation line above a title with no agency is not taken for one
    nav = "首页 > 政务公开 > 年度报告\n2021年政府信息公开工作年度报告\n"
    text = path.read_text("utf-8").replace(whole.title, nav, 1)
    assert xxgk.parse_bytes(text.encode()).agency != "首页 > 政务公开 > 年度报告"


def test_part_heading_printed_before_the_table_it_follows() -> None:
    """A PDF's reading order puts the heading of part 五 right after the heading of part 四, before
    the appeals table (a real district report): the table is still read, and part 五's prose (which
    begins with a year, "2021年以来…") gives it no number."""
    import xxgk

    text = (SEEDS / "004_6e673f84b28b10ac.txt").read_text("utf-8")
    i, j = text.index("四、政府信息公开行政复议"), text.index("五、存在的主要问题")
    end4, end5 = text.index("\n", i), text.index("\n", j)
    moved = text[:end4 + 1] + text[j:end5] + "\n" + text[end4 + 1:j] + text[end5 + 1:]
    base, report = xxgk.parse_bytes(text.encode()), xxgk.parse_bytes(moved.encode())
    assert {c: report.cells[c] for c in base.cells if c.startswith("appeals.")} == \
        {c: v for c, v in base.cells.items() if c.startswith("appeals.")}
    assert all(report.provenance[c].status == "read" for c in base.cells if c.startswith("appeals."))


@pytest.mark.parametrize("seed", [3, 11, 29])
def test_2019_report_printing_the_2021_rows_of_six(seed: int) -> None:
    """A 2019-format report whose （六）其他处理 is printed as the 2021 template's three rows: each
    cell of the 2019 row is their sum (computed, the relation named), everything else exact."""
    import random

    import xxgk
    from xxgk import synth
    from xxgk.contract import violations

    rng = random.Random(seed)
    cells = synth.random_cells("2019", rng, zero_rate=0.3)
    text = synth.render("2019", cells, layout="tabs", year=2020, rng=rng)
    i = text.index("其他处理")
    start, end = text.rindex("\n", 0, i) + 1, text.index("\n", i)
    cols = ["natural", "commercial", "research", "social", "legal", "other_org"]
    total = [cells[f"requests.other.{c}"] or 0 for c in cols]
    a = [v // 2 for v in total]
    c = [v - x for v, x in zip(total, a, strict=True)]

    def row(label: str, vals: list[int]) -> str:
        return "\t".join([label, *map(str, vals), str(sum(vals))])

    rows = ("\t（六）其他处理\t" + row("1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请", a)
            + "\n\t\t" + row("2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请", [0] * 6)
            + "\n\t\t" + row("3.其他", c))
    report = xxgk.parse_bytes((text[:start] + rows + text[end:]).encode())
    assert report.template == "2019"
    assert {k: report.cells[k] for k in cells} == {k: (v if v is not None else 0) if k.startswith("requests.other.") else v
                                                  for k, v in cells.items()}
    info = report.provenance["requests.other.total"]
    assert info.status == "computed" and info.relation == "sum-of-2021-rows@other"
    assert violations(report) == []
