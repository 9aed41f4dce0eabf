"""Property tests: synthetic reports (``xxgk.synth``) read back to the cells they were made from.

* Undamaged reports, in every layout and both templates, read exactly.
* Damaged reports (a cell dropped or doubled, digits run together) are read soundly: every cell
  is either right and certain, or ambiguous with the truth among its candidates; a single dropped
  cell that the arithmetic determines is recovered.
* Encodings, full-width digits, Traditional characters and web residue change nothing.

Defects these properties found are pinned by minimal reproducers at the end: fixed ones as plain
regression tests, open ones (``test_known_*``) as strict xfails that fail loudly once fixed.
"""

from __future__ import annotations

import os
import random

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import xxgk
from xxgk import synth
from xxgk.model import Report
from xxgk.template import load_template

TEMPLATES = ("2019", "2021")
SEEDS = st.integers(min_value=0, max_value=2**32 - 1)


# XXGK_PROPERTY_SCALE=10 runs ten times as many examples (the default keeps the file under ~60 s).
_SCALE = float(os.environ.get("XXGK_PROPERTY_SCALE", "1"))


def _settings(n: int) -> settings:
    return settings(
        # random exploration on a developer's machine; in CI (CI set) the same examples every run,
        # so that a run does not fail on a defect it happened to find today (add it as an example)
        max_examples=max(1, int(n * _SCALE)), deadline=None, derandomize=bool(os.environ.get("CI") or os.environ.get("XXGK_DERANDOMIZE")),
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )


def _year(tid: str, rng: random.Random) -> int:
    return rng.choice([2019, 2020]) if tid == "2019" else rng.choice([2021, 2022, 2023])


def _make(
    seed: int, tid: str, layout: str, *, blank_tables: tuple[str, ...] = (),
    damage: synth.Damage | None = None, random_damage: bool = False,
) -> tuple[str, synth.Cells, int, synth.Damage]:
    rng = random.Random(seed)
    cells = synth.random_cells(
        tid, rng, zero_rate=rng.choice([0.4, 0.6, 0.8]),
        blank_zeros=bool(blank_tables), blank_tables=blank_tables,
    )
    year = _year(tid, rng)
    dmg = damage or (synth.random_damage(tid, rng) if random_damage else synth.NO_DAMAGE)
    text = synth.render(tid, cells, layout=layout, year=year, rng=rng, damage=dmg)
    return text, cells, year, dmg


def _same(got: object, truth: object) -> bool:
    """Exact equality, never 0 == None (a printed zero is not a blank)."""
    if got is None or truth is None:
        return got is truth
    return got == truth


def assert_exact(report: Report, truth: synth.Cells, tid: str, year: int) -> None:
    assert report.template == tid
    assert report.report_year == year
    wrong = {c: (truth[c], report.cells[c]) for c in truth if not _same(report.cells[c], truth[c])}
    assert not wrong, f"cells read wrong (truth, got): {wrong}"
    assert report.ambiguous == {}, f"ambiguous cells: {report.ambiguous}"


def unsound_cells(report: Report, truth: synth.Cells, printed_blank: set[str] = frozenset()) -> dict:
    """Cells read wrong with certainty, or ambiguous without the truth among the candidates.

    An incomplete candidate list (``complete`` false) admits anything. A cell printed blank may
    read as None or 0; a printed 0 must not read as None.
    """
    bad = {}
    for cid, t in truth.items():
        got = report.cells[cid]
        if cid in report.ambiguous:
            cands = report.ambiguous[cid]
            if not report.provenance[cid].complete or any(_same(c, t) for c in cands):
                continue
            bad[cid] = ("ambiguous", t, cands)
        elif not (_same(got, t) or (cid in printed_blank and got == 0)):
            bad[cid] = ("wrong", t, got)
    return bad


def _parse(text: str) -> Report:
    return xxgk.parse_bytes(text.encode("utf-8"))


# ----------------------------------------------------------------------------- undamaged


@pytest.mark.parametrize("layout", synth.LAYOUTS)
@pytest.mark.parametrize("tid", TEMPLATES)
@_settings(6)
@given(seed=SEEDS)
def test_undamaged_report_reads_exactly(tid: str, layout: str, seed: int) -> None:
    text, cells, year, _ = _make(seed, tid, layout)
    report = _parse(text)
    assert_exact(report, cells, tid, year)
    assert report.agency == "某某市某某局"


@pytest.mark.parametrize("layout", ["tabs", "lines", "labelline"])
@pytest.mark.parametrize("tid", TEMPLATES)
@_settings(5)
@given(seed=SEEDS)
def test_blank_zeros_in_table_three_read_exactly(tid: str, layout: str, seed: int) -> None:
    """Seed 001's style: the zeros of table 三 are left blank. Read exactly when the table shows
    that it writes zeros as blanks (a blank between two numbers in some row); always soundly."""
    text, cells, year, _ = _make(seed, tid, layout, blank_tables=("requests",))
    report = _parse(text)
    blank = {c for c, v in cells.items() if v is None}
    assert not unsound_cells(report, cells, blank)
    block = synth.requests_block(load_template(tid))
    shows_blanks = any(
        _interior_blank([cells[c] for c in block.cell_ids(row)]) for row in block.data_rows()
    )
    if shows_blanks:
        assert_exact(report, cells, tid, year)


def _interior_blank(vals: list) -> bool:
    nums = [i for i, v in enumerate(vals) if v is not None]
    return len(nums) >= 2 and any(v is None for v in vals[nums[0]:nums[-1]])


@pytest.mark.parametrize("layout", ["tabs", "lines", "labelline"])
@_settings(5)
@given(seed=SEEDS, tid=st.sampled_from(TEMPLATES))
@example(seed=10, tid="2019")  # 行政许可⇥2008⇥⇥ read as 20, 0, 8
@example(seed=20, tid="2021")  # 规章⇥⇥⇥2604 read as in_force = 4
@example(seed=336, tid="2019")  # appeals values on the line below the header: the line break read as a cell
def test_blank_zeros_everywhere_read_soundly(layout: str, seed: int, tid: str) -> None:
    text, cells, _year_, _ = _make(seed, tid, layout, blank_tables=("proactive", "requests", "appeals"))
    report = _parse(text)
    blank = {c for c, v in cells.items() if v is None}
    assert not unsound_cells(report, cells, blank)


# ----------------------------------------------------------------------------- damaged


@_settings(40)
@given(seed=SEEDS, tid=st.sampled_from(TEMPLATES), layout=st.sampled_from(synth.LAYOUTS),
       blank=st.booleans())
# all 15 appeals cells run together into 22 digits: more readings than the enumeration's limit,
# once read as the first ones found; now every cell of the row is ambiguous
@example(seed=203, tid="2021", layout="tabs", blank=False)
def test_damaged_report_reads_soundly(seed: int, tid: str, layout: str, blank: bool) -> None:
    # Blanks for zeros as in seed 001, the one seed that writes them (labelline); in the tab
    # layouts a damaged blank table trips test_next_row_indent_is_not_a_cell.
    blank_tables = ("requests",) if blank and layout == "labelline" else ()
    text, cells, _, dmg = _make(seed, tid, layout, blank_tables=blank_tables, random_damage=True)
    if blank_tables and any(r == "requests.carried_out" for r, _ in dmg.drop):
        return  # the blank line after the table is taken as a cell: test_known_trailing_gap_*
    if any(_signed_or_decimal_run(tid, cells, r) for r in dmg.run_together):
        return  # a sign or decimal point inside run-together digits: test_known_run_together_*
    report = _parse(text)
    blank_cells = {c for c, v in cells.items() if v is None}
    assert not unsound_cells(report, cells, blank_cells), dmg


def _signed_or_decimal_run(tid: str, cells: synth.Cells, row: str) -> bool:
    return any((cells[c] or 0) < 0 or isinstance(cells[c], float) for c in synth.printed_rows(tid)[row])


@_settings(30)
@given(seed=SEEDS, tid=st.sampled_from(TEMPLATES), layout=st.sampled_from(synth.LAYOUTS),
       data=st.data())
def test_single_dropped_cell_is_recovered(
    seed: int, tid: str, layout: str, data: st.DataObject
) -> None:
    """One requests row prints 6 numbers for 7 columns, every other row intact: the row total
    and the column equations determine the lost cell, and every cell reads exactly."""
    rows = [r for r in synth.printed_rows(tid) if r.startswith("requests.")]
    row = data.draw(st.sampled_from(rows), label="row")
    col = data.draw(st.integers(0, 6), label="column")
    text, cells, year, _ = _make(seed, tid, layout, damage=synth.Damage(drop=((row, col),)))
    report = _parse(text)
    assert_exact(report, cells, tid, year)


# ----------------------------------------------------------------------------- text damage


@pytest.mark.parametrize("kind", synth.TEXT_DAMAGES)
@_settings(5)
@given(seed=SEEDS, tid=st.sampled_from(TEMPLATES), layout=st.sampled_from(synth.LAYOUTS))
def test_text_damage_changes_nothing(kind: str, seed: int, tid: str, layout: str) -> None:
    text, cells, year, _ = _make(seed, tid, layout)
    report = xxgk.parse_bytes(synth.damage_text(text, kind))
    assert_exact(report, cells, tid, year)


# ----------------------------------------------------------------------------- known defects
#
# Minimal reproducers of extractor defects the properties found. Each report is all zeros except
# the cells named; the comment shows the printed snippet.


def _zeros(tid: str) -> synth.Cells:
    return dict.fromkeys(load_template(tid).cell_ids, 0)


def _read(tid: str, layout: str, changes: synth.Cells, snippet: str,
          damage: synth.Damage = synth.NO_DAMAGE) -> tuple[Report, synth.Cells]:
    cells = _zeros(tid) | changes
    year = 2020 if tid == "2019" else 2021
    text = synth.render(tid, cells, layout=layout, year=year, rng=random.Random(0), damage=damage)
    assert snippet in text
    return _parse(text), cells


def test_lone_number_among_blank_cells_is_not_cut() -> None:
    changes: synth.Cells = {"proactive.licensing.previous": 2008, "proactive.licensing.change": None,
                            "proactive.licensing.decisions": None}
    report, cells = _read("2019", "tabs", changes, "行政许可\t2008\t\t\n")
    assert not unsound_cells(report, cells, {"proactive.licensing.change", "proactive.licensing.decisions"})


def test_leading_blank_cells_are_cells() -> None:
    changes: synth.Cells = {"proactive.rules.issued": None, "proactive.rules.repealed": None,
                            "proactive.rules.in_force": 2604}
    report, cells = _read("2021", "tabs", changes, "规章\t\t\t2604\n")
    assert not unsound_cells(report, cells, {"proactive.rules.issued", "proactive.rules.repealed"})


_APPEALS_SHIFT = [None, None, None, 1, 1, 2, None, None, None, 2, 2, None, None, None, 2]


def test_appeals_row_starting_blank_keeps_its_place() -> None:
    ids = synth.printed_rows("2021")[synth.APPEALS]
    changes = dict(zip(ids, _APPEALS_SHIFT, strict=True))
    report, cells = _read("2021", "tabs", changes, "总计\n\t\t\t1\t1\t2\t\t\t\t2\t2\t\t\t\t2")
    assert not unsound_cells(report, cells, {c for c, v in changes.items() if v is None})


def test_run_together_signed_number_is_cut() -> None:
    changes: synth.Cells = {"proactive.penalty.previous": 696, "proactive.penalty.change": -10,
                            "proactive.penalty.decisions": 2}
    report, cells = _read("2019", "tabs", changes, "行政处罚\t696-102\n",
                          damage=synth.Damage(run_together=("proactive.penalty",)))
    assert not unsound_cells(report, cells)


def test_run_together_decimal_number_is_cut() -> None:
    changes: synth.Cells = {"proactive.procurement.count": 1, "proactive.procurement.amount": 256.836}
    report, cells = _read("2019", "tabs", changes, "政府集中采购\t1256.836\n",
                          damage=synth.Damage(run_together=("proactive.procurement",)))
    assert not unsound_cells(report, cells)


def test_blank_table_without_interior_blank_reads_exactly() -> None:
    """Table 三 with blanks for zeros but no blank between two numbers in any row: the row's
    explicit cells fit its columns exactly ('…数量⇥⇥⇥⇥⇥⇥1⇥1'); once ambiguous, now read."""
    t = load_template("2021")
    changes: synth.Cells = {c: None for c in t.cell_ids if c.startswith("requests.")}
    for row in ("new", "granted", "total"):
        changes[f"requests.{row}.other_org"] = 1
        changes[f"requests.{row}.total"] = 1
    report, cells = _read("2021", "tabs", changes, "一、本年新收政府信息公开申请数量\t\t\t\t\t\t1\t1\n")
    assert_exact(report, cells, "2021", 2021)


@pytest.mark.parametrize("layout", ["tabs", "lines"])
def test_next_row_indent_is_not_a_cell(layout: str) -> None:
    t = load_template("2019")
    changes: synth.Cells = {c: None for c in t.cell_ids if c.startswith("requests.")}
    row = dict(zip(["commercial", "research", "social", "legal", "other_org", "total"],
                   [2, 2, 3, None, 1, 8], strict=True))
    for r in ("new", "granted", "total"):
        changes |= {f"requests.{r}.{c}": v for c, v in row.items()}
    snippet = "予以公开\t\t2\t2\t3\t\t1\n\t（二）" if layout == "tabs" else "予以公开\n\t\n\t2"
    report, cells = _read("2019", layout, changes, snippet,
                          damage=synth.Damage(drop=(("requests.granted", 6),)))
    assert not unsound_cells(report, cells, {c for c, v in changes.items() if v is None})


def test_trailing_gap_is_not_a_cell() -> None:
    t = load_template("2021")
    changes: synth.Cells = {c: None for c in t.cell_ids if c.startswith("requests.")}
    for r in ("new", "granted", "total"):
        changes |= {f"requests.{r}.natural": 1, f"requests.{r}.commercial": 1,
                    f"requests.{r}.total": 2}
    changes |= {"requests.carried_out.research": 5, "requests.carried_out.total": 5,
                "requests.new.research": 5, "requests.new.total": 7}
    report, cells = _read("2021", "labelline", changes, "年度继续办理\n\n5\n\n\n5\n\n四、",
                          damage=synth.Damage(drop=(("requests.carried_out", 4),)))
    assert not unsound_cells(report, cells, {c for c, v in changes.items() if v is None})
