"""Aligning printed numbers to template columns, using the arithmetic.

A printed row is a list of slots (numbers, possibly with several cells' digits run together, and
empty cells). Reading it means assigning slots to the row's columns. When the slots fit the
columns one to one, the row is read as printed. Otherwise alignments are enumerated with as few
*edits* as possible:

* a column with no slot (the report dropped a cell): 1 edit, its value computed by arithmetic;
* a number slot left over (a doubled cell, an added subtotal column): 1 edit;
* an empty slot in the middle of a row of a table that writes zeros as blanks: 1 edit to drop;
  an empty slot taken as a cell in a table that prints its zeros: 1 edit;
* cutting run-together digits ("221148") into cells, and dropping empty slots at a row's edges
  (layout residue): free, but a cut never makes a number with a leading zero.

Each row keeps its candidate alignments with the fewest edits that satisfy the row's own
equations (or, if none does, the fewest edits). Then the rows of a table are chosen jointly,
minimising (violated equations, edits) over the table's equations (column totals, 勾稽关系).
When several choices are equally good and give a cell different values, the cell is ambiguous:
its candidates are reported and no value is picked.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from xxgk.extract.align import (
    EPS,
    MAX_COMBINATIONS,
    MAX_EXTRA_EDITS,
    UNKNOWN,
    ColumnSpec,
    Number,
    Placement,
    PrintedRow,
    RowCandidate,
    Value,
    evaluate,
    row_candidates,
)
from xxgk.extract.slots import Slot
from xxgk.template import Equation

__all__ = ["UNKNOWN", "CellResult", "ColumnSpec", "Figure", "Placement", "PrintedRow", "RowCandidate",
           "evaluate", "row_candidates", "solve_table"]


@dataclass
class CellResult:
    value: Value
    status: str  # read | placed | blank | computed | resolved | ambiguous
    candidates: list[Number | None]
    slot: Slot | None
    note: str | None = None
    relation: str | None = None
    complete: bool = True
    evidence: object | None = None  # resolved: the prose figure that decided it


@dataclass(frozen=True)
class Figure:
    """A figure stated in the prose that may decide cells the table leaves open: ``value`` must
    equal one of ``sums`` (each a list of cell ids added together)."""

    sums: tuple[tuple[str, ...], ...]
    value: Number
    source: object  # where it was read (passed back in CellResult.evidence)


_ZERO_BLANK = "未印出；按勾稽关系为0，本表以空白表示0 / not printed; the arithmetic gives 0, which this table leaves empty"


def label_padding(rows: list[PrintedRow]) -> bool:
    """Layout residue: a row whose leading empty slots were taken off, or a row printing all its
    numbers after an empty slot (the tabs of label columns), means empty slots before numbers are
    layout in this table, not cells."""
    return any(
        r.residue or (sum(1 for x in r.slots if x.is_num) == len(r.columns) and r.slots and not r.slots[0].is_num)
        for r in rows
    )


def solve_table(
    rows: list[PrintedRow], equations: Sequence[Equation], blank_style: bool | Sequence[bool],
    figures: Sequence[Figure] = (),
) -> dict[str, CellResult]:
    """Read every printed row of one table, choosing alignments jointly.

    ``blank_style``: whether zeros are written as empty cells, for the whole table or per row
    (:func:`xxgk.extract.shape.blank_rows`).
    Where the best alignments disagree on a cell, a figure stated in the prose may decide it:
    the alignments that agree with the figure are kept when some, but not all, do; a cell they
    then determine is ``resolved``. A figure never overrides a cell the table determines.
    """
    blanks = [blank_style] * len(rows) if isinstance(blank_style, bool) else list(blank_style)
    signed = {c.cell_id for r in rows for c in r.columns if c.signed}
    table_cells = {c.cell_id for r in rows for c in r.columns}
    table_eqs = [eq for eq in equations if set(eq.cells) <= table_cells]
    residue = label_padding(rows)
    for r, bs in zip(rows, blanks, strict=True):
        if r.opaque:
            r.candidates = [_empty_candidate(r)]
            continue
        r.candidates = row_candidates(r, equations, bs, slack=False, exact_blanks=not residue)
    best, options, too_many = _joint(rows, table_eqs, signed)
    if best and best[0][0][0] > 0 and any(min(c.edits for c in o) > 0 for o in options):
        # The fewest edits leave the table's arithmetic broken: let the malformed rows take one
        # more edit each, and let the arithmetic choose.
        for r, o, bs in zip(rows, options, blanks, strict=True):
            if min(c.edits for c in o) > 0 and not r.opaque:
                r.candidates = row_candidates(r, equations, bs, slack=True, exact_blanks=not residue)
        best2, options2, too_many2 = _joint(rows, table_eqs, signed)
        if best2 and best2[0][0] < best[0][0]:
            best, options, too_many = best2, options2, too_many2

    prints_zeros = any(sl.is_num and sl.text.strip("0") == "" for r in rows for sl in r.slots)
    open_before = _open_cells(rows, best, options, too_many)
    # A row no relation checks (table 二's): a reading that is not the print as it stands is a
    # guess unless no other reading comes close — every reading within one edit of the best
    # stands, and a cell they disagree on is open.
    eq_cells = {c for eq in table_eqs for c in eq.cells}
    for ri, r in enumerate(rows):
        chosen = best[0][1][ri]
        if chosen.edits == 0 or r.opaque or any(c.cell_id in eq_cells for c in r.columns):
            continue
        near = [c for c in row_candidates(r, equations, blanks[ri], slack=True, exact_blanks=not residue)
                if c.edits <= chosen.edits + 1]
        for ci, col in enumerate(r.columns):
            seen: list[Value] = []
            for cand in [chosen, *near]:
                v = cand.values[ci]
                if not any(_same(v, x) for x in seen):
                    seen.append(v)
            if len(seen) > 1:
                prev = open_before.get(col.cell_id, [])
                open_before[col.cell_id] = prev + [v for v in seen if not any(_same(v, x) for x in prev)]
    deciding: dict[str, Figure] = {}
    if open_before and len(best) > 1 and not too_many:
        for fig in figures:
            if not any(c in open_before for s in fig.sums for c in s):
                continue
            agree = [b for b in best if any(_sum_is(b[2], s, fig.value) for s in fig.sums)]
            if agree and len(agree) < len(best):
                best = agree
                for s in fig.sums:
                    for c in s:
                        deciding.setdefault(c, fig)
    open_after = _open_cells(rows, best, options, too_many) if deciding else open_before

    results: dict[str, CellResult] = {}
    final = best[0][2]
    for ri, r in enumerate(rows):
        chosen = best[0][1][ri]
        r.chosen = chosen
        row_slot = _row_slot(r)
        for ci, col in enumerate(r.columns):
            cid = col.cell_id
            place = chosen.placements[ci]
            slot = r.slots[place.slot] if place.slot is not None else None
            if r.opaque:
                results[cid] = CellResult(None, "ambiguous", [], row_slot, r.opaque, complete=False)
                continue
            if cid in open_after:
                seen_vals = open_after[cid]
                known = [v for v in seen_vals if v is not UNKNOWN]
                cands: list[Number | None] = sorted(
                    known, key=lambda v: (v is None, v if isinstance(v, (int, float)) else 0))  # type: ignore[arg-type, return-value]
                complete = not any(v is UNKNOWN for v in seen_vals)
                if r.truncated:
                    note = ("读法过多，无法全部列出：本行数字的切分方式超过枚举上限 / too many readings to list: "
                            "the row's digits can be cut in more ways than the enumeration limit")
                    complete = False
                elif not complete:
                    note = ("本行少印了数字，勾稽关系不能确定此格，其值无法列举 / a cell of this row is not printed "
                            "and the arithmetic does not determine this one: its value cannot be listed")
                else:
                    note = "原文与勾稽关系允许多种读法 / the text and the arithmetic allow several readings"
                results[cid] = CellResult(None, "ambiguous", cands, slot or row_slot, note, complete=complete)
                continue
            v = final[cid]
            if cid in open_before:
                fig = deciding.get(cid) or next(iter(deciding.values()))
                was = [x for x in open_before[cid] if x is not UNKNOWN]
                results[cid] = CellResult(
                    None if v is UNKNOWN else v, "resolved", was, slot or row_slot,  # type: ignore[arg-type]
                    "表格本身不能确定，正文所述数字确定了此格 / the table leaves it open; a figure in the prose decides it",
                    evidence=fig.source,
                )
                continue
            if place.slot is None:
                if place.empty_row and prints_zeros and not blanks[ri] and len(r.slots) < len(r.columns):
                    # nothing at all after the label, in a table that prints its zeros: the row's
                    # numbers were moved elsewhere (a converter, the page's reading order)
                    results[cid] = CellResult(
                        None, "ambiguous", [], row_slot,
                        "此行标签后没有数字，而本表的0都印出：数字可能被转换工具或版面移到别处，无法确定 / "
                        "nothing follows this row's label although the table prints its zeros: its "
                        "numbers may have been moved elsewhere by a converter or the layout", complete=False)
                    continue
                if place.empty_row:
                    results[cid] = CellResult(None, "blank", [], row_slot,
                                              "整行未印数字 / the row prints no number")
                    continue
                relation = _relation(cid, final, equations)
                note = "未印出，由勾稽关系计算 / not printed; computed from the arithmetic"
                if (v == 0 and blanks[ri]) or v is None:
                    v = None
                    note = _ZERO_BLANK
                results[cid] = CellResult(v, "computed", [], row_slot, note, relation=relation)
            elif place.split:
                results[cid] = CellResult(
                    v, "placed", [], slot,
                    f"由连写数字“{slot.text}”按列数和勾稽关系切分 / cut from run-together digits {slot.text!r}"
                    if slot else None,
                )
            elif v is None:
                results[cid] = CellResult(None, "blank", [], slot, "空白单元格 / empty cell")
            elif len(options[ri]) > 1 or chosen.edits > 0:
                results[cid] = CellResult(v, "placed", [], slot,
                                          "所在列由勾稽关系确定 / column placed by the arithmetic")
            else:
                results[cid] = CellResult(v, "read", [], slot)
    return results


def _sum_is(vals: dict[str, Value], cells: Sequence[str], target: Number) -> bool:
    total = 0.0
    for c in cells:
        v = vals.get(c)
        if v is UNKNOWN:
            return False
        total += v or 0  # type: ignore[operator]
    return abs(total - target) < EPS


def _open_cells(
    rows: list[PrintedRow], best: list[tuple[tuple[int, int], list[RowCandidate], dict[str, Value]]],
    options: list[list[RowCandidate]], too_many: bool,
) -> dict[str, list[Value]]:
    """Cells the best alignments leave open, with every value they take (UNKNOWN: not listed)."""
    out: dict[str, list[Value]] = {}
    if len(best) == 1 and not too_many and not any(r.truncated for r in rows) \
            and not any(v is UNKNOWN for v in best[0][2].values()):
        return out  # one reading, every cell determined
    for ri, r in enumerate(rows):
        for ci, col in enumerate(r.columns):
            cid = col.cell_id
            seen: list[Value] = []
            for _score, _combo, vals in best:
                v = vals[cid]
                if not any(_same(v, s) for s in seen):
                    seen.append(v)
            if too_many or r.truncated:
                for cand in options[ri]:
                    v = cand.values[ci]
                    if not any(_same(v, s) for s in seen):
                        seen.append(v)
            if r.truncated and not any(v is UNKNOWN for v in seen):
                seen.append(UNKNOWN)  # readings beyond the enumeration's limit: never taken as read
            if len(seen) > 1 or seen[0] is UNKNOWN:
                out[cid] = seen
    return out


def _row_slot(r: PrintedRow) -> Slot | None:
    """A slot spanning the row's printed values (the row itself when nothing was printed)."""
    if not r.slots:
        return Slot("blank", "", *r.span) if r.span else None
    a, b = r.slots[0].start, r.slots[-1].end
    return Slot("blank", "", a, b)


def _relation(cid: str, vals: dict[str, Value], equations: Sequence[Equation]) -> str | None:
    """The first equation holding ``cid`` whose other cells are all known: the one that gives it."""
    fallback = None
    for eq in equations:
        if cid not in eq.cells:
            continue
        if all(c == cid or isinstance(vals.get(c), (int, float)) or vals.get(c) is None for c in eq.cells) \
                and all(c in vals for c in eq.cells):
            return f"{eq.rule}@{eq.where}"
        fallback = fallback or f"{eq.rule}@{eq.where}"
    return fallback


def _joint(
    rows: list[PrintedRow], table_eqs: Sequence[Equation], signed: set[str]
) -> tuple[list[tuple[tuple[int, int], list[RowCandidate], dict[str, Value]]], list[list[RowCandidate]], bool]:
    """The best choices of one candidate per row, by (violated equations, edits)."""
    # Distinct value vectors per row. Candidates the equations cannot tell apart (an empty cell
    # counts as 0) are dominated by the one with the fewest edits.
    options: list[list[RowCandidate]] = []
    for r in rows:
        if len(r.candidates) == 1:
            options.append(r.candidates)
            continue
        seen: dict[tuple[object, ...], RowCandidate] = {}
        for c in r.candidates:
            seen.setdefault(tuple(repr(v) for v in c.values), c)
        groups: dict[tuple[object, ...], list[RowCandidate]] = {}
        for c in seen.values():
            sig = tuple(repr(0 if v is None else v) for v in c.values)
            groups.setdefault(sig, []).append(c)
        kept: list[RowCandidate] = []
        for g in groups.values():
            least = min(c.edits for c in g)
            kept += [c for c in g if c.edits == least]
        options.append(kept or [_empty_candidate(r)])

    best: list[tuple[tuple[int, int], list[RowCandidate], dict[str, Value]]] = []
    best_score: tuple[int, int] | None = None
    explored = 0
    base = [min(c.edits for c in o) for o in options]
    for extra in range(0, MAX_EXTRA_EDITS + 1):
        for combo in _combos(options, base, extra):
            explored += 1
            vals: dict[str, Value] = {}
            for r, cand in zip(rows, combo, strict=True):
                for col, v in zip(r.columns, cand.values, strict=True):
                    vals[col.cell_id] = v
            viol = evaluate(vals, table_eqs, signed)
            score = (viol, sum(c.edits for c in combo))
            if best_score is None or score < best_score:
                best_score = score
                best = [(score, list(combo), vals)]
            elif score == best_score:
                best.append((score, list(combo), vals))
            if explored >= MAX_COMBINATIONS:
                break
        if explored >= MAX_COMBINATIONS or (best_score is not None and best_score[0] == 0):
            break
    too_many = explored >= MAX_COMBINATIONS

    return best, options, too_many


def _combos(
    options: list[list[RowCandidate]], base: list[int], extra: int
) -> Iterator[tuple[RowCandidate, ...]]:
    """Every choice of one candidate per row whose edits exceed the rows' minimum by ``extra``."""
    n = len(options)
    chosen: list[RowCandidate] = []

    def rec(i: int, left: int) -> Iterator[tuple[RowCandidate, ...]]:
        if i == n:
            if left == 0:
                yield tuple(chosen)
            return
        for c in options[i]:
            over = c.edits - base[i]
            if over <= left:
                chosen.append(c)
                yield from rec(i + 1, left - over)
                chosen.pop()

    yield from rec(0, extra)


def _same(a: Value, b: Value) -> bool:
    if a is UNKNOWN or b is UNKNOWN:
        return a is b
    if a is None or b is None:
        return a is b
    assert isinstance(a, (int, float)) and isinstance(b, (int, float))
    return abs(a - b) < EPS


def _empty_candidate(r: PrintedRow) -> RowCandidate:
    n = len(r.columns)
    return RowCandidate((UNKNOWN,) * n, (Placement(None),) * n, n)
