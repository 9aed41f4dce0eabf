"""Unit tests of the synthetic report generator (``xxgk.synth``)."""

from __future__ import annotations

import random
import re

import pytest

from xxgk import synth
from xxgk.normalize import compact
from xxgk.template import load_template


@pytest.mark.parametrize("blank", [False, True])
@pytest.mark.parametrize("tid", ["2019", "2021"])
def test_random_cells_satisfy_every_equation(tid: str, blank: bool) -> None:
    t = load_template(tid)
    for seed in range(50):
        cells = synth.random_cells(tid, random.Random(seed), blank_zeros=blank)
        assert list(cells) == t.cell_ids
        assert synth.check_cells(tid, cells) == []
        assert all(v is None or v >= 0 for c, v in cells.items() if not c.endswith(".change"))
        assert (0 in cells.values()) is not blank


def test_random_cells_are_mostly_zero_with_decimals_and_signs() -> None:
    values = [v for s in range(200) for v in synth.random_cells("2019", random.Random(s)).values()]
    assert sum(1 for v in values if v == 0) > len(values) / 2
    assert any(isinstance(v, float) for v in values)
    assert any(isinstance(v, int) and v < 0 for v in values)


def test_blank_tables_limits_blanks() -> None:
    cells = synth.random_cells("2021", random.Random(1), blank_zeros=True, blank_tables=("requests",))
    assert all(v is not None for c, v in cells.items() if not c.startswith("requests."))
    assert any(v is None for c, v in cells.items() if c.startswith("requests."))


@pytest.mark.parametrize("layout", synth.LAYOUTS)
@pytest.mark.parametrize("tid", ["2019", "2021"])
def test_render_prints_headings_and_every_label(tid: str, layout: str) -> None:
    cells = synth.random_cells(tid, random.Random(3))
    text = synth.render(tid, cells, layout=layout, year=2022, rng=random.Random(3), agency="某县某局")
    c = compact(text)
    assert "某县某局2022年政府信息公开工作年度报告" in c
    assert "2022年1月1日起至2022年12月31日" in c
    for part in load_template(tid).parts:
        assert part.numeral + "、" + part.title in c
    for table in load_template(tid).tables:
        for block in table.blocks:
            for row in block.rows:
                assert compact(row.label.forms()[-1][0]) in c or compact(row.label.text) in c
    if layout == "flat":
        assert "\n" not in text.strip() and "\t" not in text
    if layout == "labelline":
        assert synth.NBSP in text


def test_tabs_layout_imitates_the_seeds() -> None:
    cells = dict.fromkeys(load_template("2021").cell_ids, 0)
    text = synth.render("2021", cells, layout="tabs", rng=random.Random(0))
    assert "\t（三）不予公开\t1.属于国家秘密\t" in text or "\t(三) 不予公开\t1.属于国家秘密\t" in text
    assert "\t".join(["0"] * 15) in text  # the appeals row: 15 cells on one line


def test_blank_cells_print_empty() -> None:
    tid = "2021"
    cells = dict.fromkeys(load_template(tid).cell_ids, 0) | {"requests.new.natural": None}
    tabs = synth.render(tid, cells, layout="tabs", rng=random.Random(0))
    assert "一、本年新收政府信息公开申请数量\t\t0\t0" in tabs
    lines = synth.render(tid, cells, layout="lines", rng=random.Random(0))
    assert "\t一、本年新收政府信息公开申请数量\n\t\n\t0\n" in lines.replace("政府 信息", "政府信息")


def test_labelline_row_shape() -> None:
    assert synth._labelline_row("规章", ["3", "0", "8"], 7) == "规章\u00a03\u00a00\u00a08"
    assert synth._labelline_row("X", ["99", "1", "", "100"], 2) == "X\u00a099\u00a01\n\n100"
    assert synth._labelline_row("X", ["", "", "5"], 2) == "X\n\n5"
    assert synth._labelline_row("规章", "308", 2) == "规章308"


def test_damage_changes_the_printed_row() -> None:
    tid = "2021"
    cells = dict.fromkeys(load_template(tid).cell_ids, 0) | {
        "proactive.rules.issued": 3, "proactive.rules.in_force": 8,
    }
    damage = synth.Damage(drop=(("requests.new", 0),), double=(("requests.total", 6),),
                          run_together=("proactive.rules",))
    text = synth.render(tid, cells, layout="tabs", rng=random.Random(0), damage=damage)
    assert "规章\t308\n" in text
    # (the tab layout may put empty residue cells between a label and its values, as seed 004)
    assert re.search("一、本年新收政府信息公开申请数量\t+" + "\t".join(["0"] * 6) + "\n", text)
    assert re.search("总计\t+" + "\t".join(["0"] * 8) + "\n", text)
    assert synth.damaged_cells(tid, damage) == {
        "requests.new.natural", "requests.total.total",
        "proactive.rules.issued", "proactive.rules.repealed", "proactive.rules.in_force",
    }


def test_random_damage_kinds() -> None:
    for seed in range(100):
        d = synth.random_damage("2019", random.Random(seed))
        assert not d.is_empty()
        assert all(r.startswith("requests.") for r, _ in d.drop + d.double)
        assert all(not r.startswith("requests.") for r in d.run_together)


@pytest.mark.parametrize("kind", synth.TEXT_DAMAGES)
def test_damage_text_round_trips(kind: str) -> None:
    text = synth.render("2021", synth.random_cells("2021", random.Random(0)), layout="tabs",
                        rng=random.Random(0))
    data = synth.damage_text(text, kind)
    assert isinstance(data, bytes)
    if kind == "utf8-bom":
        assert data.startswith(b"\xef\xbb\xbf")
    if kind == "gbk":
        assert data.decode("gbk") == text
    if kind == "fullwidth":
        assert "０" in data.decode() and not any(ch.isascii() and ch.isdigit() for ch in data.decode())
    if kind == "traditional":
        assert "報告" in data.decode()
    if kind == "web":
        assert "浏览量" in data.decode() and "[bookmark: _GoBack]" in data.decode()


def test_corpus_is_reproducible_and_valid() -> None:
    a = synth.corpus(12, seed=7)
    assert a == synth.corpus(12, seed=7)
    assert len(a) == 12
    assert {t["layout"] for _, t in a} == set(synth.LAYOUTS)
    for text, truth in a:
        assert isinstance(text, str) and text
        assert synth.check_cells(str(truth["template"]), truth["cells"]) == []  # type: ignore[arg-type]
    assert any(truth["damaged"] for _, truth in a)


def test_unknown_layout_and_damage_are_refused() -> None:
    with pytest.raises(ValueError):
        synth.render("2021", {}, layout="columns")
    with pytest.raises(ValueError):
        synth.damage_text("x", "rot13")
