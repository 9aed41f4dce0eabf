"""Unit tests of slot cutting, digit splitting and row alignment."""

from __future__ import annotations

import pytest

from xxgk.extract.slots import slots, splits, valid_number
from xxgk.extract.solve import ColumnSpec, PrintedRow, solve_table
from xxgk.template import Equation, load_template


def kinds(text: str) -> list[str]:
    """Slots as text: "_" an empty cell, "~" an empty line after the row's last value that may be
    an empty cell or the separation from the next row (the aligner decides)."""
    return [s.text or ("_" if s.hard or s.is_num else "~") for s in slots(text, 0, len(text))]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("\t\t0\t0\t0", ["_", "0", "0", "0"]),  # tab row after a label cell: one empty label column
        (" 99 1\n\n\n\n100\n", ["99", "1", "_", "_", "_", "100"]),  # first cells on the label's line
        ("\n\t1\n\t0\n\n", ["1", "0", "~"]),  # one tab-indented cell per line; the empty line may be a cell
        ("\n\t1\n\t0\n", ["1", "0"]),  # the line break ends the row
        ("\n\n\n0", ["_", "_", "_", "0"]),  # label line left empty, then empty lines
        ("308", ["308"]),
        ("0\t—\t5", ["0", "—", "5"]),  # a dash is an explicit empty cell
        ("0\t第二十条第（五）项\t保留4位小数\t", ["0", "_"]),  # text after the last value ends the row
        ("0\t0\t", ["0", "0", "_"]),  # a trailing empty cell
        ("12 万元", ["12"]),
    ],
)
def test_slots(text: str, expected: list[str]) -> None:
    assert kinds(text) == expected


def test_slots_record_offsets() -> None:
    text = "规章\t3\t12"
    s = slots(text, 2, len(text))
    assert [(x.text, text[x.start:x.end]) for x in s if x.is_num] == [("3", "3"), ("12", "12")]


def test_splits_never_make_leading_zeros() -> None:
    assert splits("308", 3) == [["3", "0", "8"]]
    assert ["0", "2", "2", "0"] in splits("0220", 4)
    assert splits("0220", 1) == []
    assert splits("05", 2) == [["0", "5"]]
    assert len(splits("221148", 3)) == 10


def test_valid_number() -> None:
    assert valid_number("12", False, False)
    assert not valid_number("012", False, False)
    assert not valid_number("-3", False, False)
    assert valid_number("-3", True, False)
    assert valid_number("15996.59", False, True)
    assert not valid_number("1.5", False, False)


def _requests_rows(lines: dict[str, str]) -> tuple[list[PrintedRow], list[Equation]]:
    t = load_template("2021")
    block = t.table("requests").blocks[0]
    rows = []
    for row in block.data_rows():
        text = lines.get(row.key, "\t0\t0\t0\t0\t0\t0\t0")
        rows.append(PrintedRow([ColumnSpec(c) for c in block.cell_ids(row)], slots(text, 0, len(text)), row.key))
    return rows, t.equations


def test_dropped_cell_is_placed_by_the_column_totals() -> None:
    # 2 0 0 0 0 2 — six numbers for seven columns; the total row says who the 2 belongs to
    rows, eqs = _requests_rows({
        "new": "\t2\t0\t0\t0\t0\t0\t2",
        "unable.not_held": "\t2\t0\t0\t0\t0\t2",
        "total": "\t2\t0\t0\t0\t0\t0\t2",
    })
    res = solve_table(rows, eqs, blank_style=False)
    got = [res[f"requests.unable.not_held.{c}"].value for c in
           ["natural", "commercial", "research", "social", "legal", "other_org", "total"]]
    assert got == [2, 0, 0, 0, 0, 0, 2]
    assert res["requests.unable.not_held.natural"].status == "placed"


def test_run_together_row_is_split_by_the_arithmetic() -> None:
    # "5200007": 5,2,0,0,0,0,7 — the only split whose row total holds
    rows, eqs = _requests_rows({
        "new": "\t5200007",
        "granted": "\t5\t2\t0\t0\t0\t0\t7",
        "total": "\t5\t2\t0\t0\t0\t0\t7",
    })
    res = solve_table(rows, eqs, blank_style=False)
    assert [res[f"requests.new.{c}"].value for c in
            ["natural", "commercial", "research", "social", "legal", "other_org", "total"]] == [5, 2, 0, 0, 0, 0, 7]


def test_undetermined_split_is_ambiguous_not_guessed() -> None:
    t = load_template("2021")
    block = t.table("proactive").blocks[0]
    row = block.data_rows()[1]
    text = "221148"
    res = solve_table([PrintedRow([ColumnSpec(c) for c in block.cell_ids(row)], slots(text, 0, 6))], [], False)
    for cid in block.cell_ids(row):
        assert res[cid].status == "ambiguous" and res[cid].value is None
    assert set(res["proactive.normative.issued"].candidates) == {2, 22, 221, 2211}


def test_row_with_genuine_arithmetic_error_is_read_as_printed() -> None:
    rows, eqs = _requests_rows({"new": "\t1\t0\t0\t0\t0\t0\t2"})
    res = solve_table(rows, eqs, blank_style=False)
    assert res["requests.new.total"].value == 2 and res["requests.new.natural"].value == 1
    assert res["requests.new.total"].status == "read"


def test_doubled_cell_is_dropped() -> None:
    rows, eqs = _requests_rows({
        "new": "\t3\t3\t1\t0\t0\t0\t0\t4",
        "granted": "\t3\t1\t0\t0\t0\t0\t4",
        "total": "\t3\t1\t0\t0\t0\t0\t4",
    })
    res = solve_table(rows, eqs, blank_style=False)
    assert [res[f"requests.new.{c}"].value for c in
            ["natural", "commercial", "research", "social", "legal", "other_org", "total"]] == [3, 1, 0, 0, 0, 0, 4]
