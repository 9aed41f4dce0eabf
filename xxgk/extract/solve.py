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
from dataclasses import dataclass, field

from xxgk.extract.slots import Slot, splits, to_number, valid_number
from xxgk.template import Equation

Number = int | float


class _Unknown:
    __slots__ = ()

    def __repr__(self) -> str:
        return "?"


UNKNOWN = _Unknown()
Value = Number | None | _Unknown

MAX_EDITS = 7
MAX_ROW_CANDIDATES = 4000
# A bound on the search for one row at one edit budget (recursion steps): a row of 40–300 digits or
# random inserted digits could otherwise take minutes. Past it the row is truncated: its cells are
# ambiguous, with a note saying the readings are too many to list.
MAX_STEPS = 40_000
MAX_COMBINATIONS = 3000
MAX_EXTRA_EDITS = 4
EPS = 1e-6


@dataclass(frozen=True)
class ColumnSpec:
    cell_id: str
    signed: bool = False
    decimal: bool = False


@dataclass(frozen=True, slots=True)
class Placement:
    slot: int | None  # index of the slot the value came from; None: not printed
    split: bool = False  # the slot's digits were cut into several cells
    empty_row: bool = False  # the whole row prints nothing: the cell is blank, not computed


@dataclass(slots=True)
class RowCandidate:
    values: tuple[Value, ...]
    placements: tuple[Placement, ...]
    edits: int
    violations: int = 0


@dataclass
class PrintedRow:
    """One printed row: the cells it should hold, in order, and its slots."""

    columns: list[ColumnSpec]
    slots: list[Slot]
    label: str = ""
    span: tuple[int, int] | None = None  # the row as printed: its label and value region
    candidates: list[RowCandidate] = field(default_factory=list)
    chosen: RowCandidate | None = None
    truncated: bool = False  # too many readings to enumerate: its cells are never taken as read
    opaque: str | None = None  # why the print cannot place this row's numbers: its cells are open
    residue: bool = False  # empty slots of the label's columns were taken off this row


def _enumerate(
    slots: Sequence[Slot], cols: Sequence[ColumnSpec], blank_style: bool, budget: int,
    stats: dict[str, bool] | None = None,
) -> Iterator[RowCandidate]:
    n_slots, n_cols = len(slots), len(cols)
    nums = [i for i, s in enumerate(slots) if s.is_num]
    first_num = nums[0] if nums else n_slots
    last_num = nums[-1] if nums else -1
    count = 0

    def drop_cost(i: int) -> int:
        s = slots[i]
        if s.is_num:
            return 1
        if i > last_num:
            return 0  # trailing: the separation from the next row
        if i < first_num:
            # leading: layout residue in a table that prints zeros; in a table that writes zeros
            # as blanks, the label's line and the empty lines after it are cells
            return 1 if blank_style and nums else 0
        return 1 if blank_style else 0

    # In a table that prints its zeros, an empty slot is layout, not a cell: taking it as a
    # cell is less plausible than a dropped cell.
    blank_cost = 0 if blank_style else 2

    def missing_cost(i: int) -> int:
        # A cell is lost where the layout is loose (at a line or tab break, next to an empty
        # cell, at the row's end), hardly ever between two numbers printed on one line.
        if i == n_slots or slots[i].hard or (i > 0 and not slots[i - 1].is_num):
            return 1
        return 2
    values: list[Value] = []
    places: list[Placement] = []
    # suffix bounds: the most columns the slots from i on can fill, and how many numbers remain
    cap = [0] * (n_slots + 1)
    nums_left = [0] * (n_slots + 1)
    for k in range(n_slots - 1, -1, -1):
        s = slots[k]
        cap[k] = cap[k + 1] + (len(s.text) if s.is_num and s.text.isdigit() else 1)
        nums_left[k] = nums_left[k + 1] + (1 if s.is_num else 0)

    steps = 0
    # Cutting digits is free where the print forces it (a leading zero, or a row printed as one
    # run of digits); elsewhere each cut is an edit, like a dropped cell.
    single_run = len(nums) == 1 and n_slots == 1  # the whole row printed as one run of digits

    def rec(i: int, off: int, j: int, edits: int) -> Iterator[RowCandidate]:
        """Slots from ``slots[i]`` (its text from ``off``: inside a run of digits being cut)
        for columns from ``j``."""
        nonlocal count, steps
        steps += 1
        if count >= MAX_ROW_CANDIDATES or steps > MAX_STEPS:
            if stats is not None:
                stats["truncated"] = True
            return
        if edits > budget:
            return
        left = n_cols - j
        if off:
            rest = len(slots[i].text) - off
            room, nums_after = cap[i + 1] + rest, nums_left[i + 1] + 1
        else:
            room, nums_after = cap[i], nums_left[i]
        if edits + max(0, left - room) + max(0, nums_after - left) > budget:
            return
        if off:
            yield from take_digits(i, off, j, edits)
            return
        if j == n_cols:
            extra = sum(drop_cost(k) for k in range(i, n_slots))
            if edits + extra <= budget:
                count += 1
                yield RowCandidate(tuple(values), tuple(places), edits + extra)
            return
        if i == n_slots:
            missing = n_cols - j
            if edits + missing <= budget:
                count += 1
                yield RowCandidate(
                    tuple(values) + (UNKNOWN,) * missing,
                    tuple(places) + (Placement(None),) * missing,
                    edits + missing,
                )
            return
        slot = slots[i]
        # use the slot
        if slot.is_num:
            text = slot.text
            if text.isdigit():
                yield from take_digits(i, 0, j, edits)
            else:
                max_k = min(len(text), n_cols - j) if len(text) <= 40 else 1
                for k in range(1, max_k + 1):
                    for parts in _signed_or_decimal_splits(text, k):
                        if not all(valid_number(p, cols[j + q].signed, cols[j + q].decimal)
                                   for q, p in enumerate(parts)):
                            continue
                        for p in parts:
                            values.append(to_number(p))
                            places.append(Placement(i, k > 1))
                        split_cost = 0 if single_run else 1
                        yield from rec(i + 1, 0, j + k, edits + split_cost * (k - 1))
                        del values[-k:]
                        del places[-k:]
        else:
            values.append(None)
            places.append(Placement(i))
            # an empty line after the row's last value is a cell only when the arithmetic wants it
            yield from rec(i + 1, 0, j + 1, edits + (blank_cost if slot.hard else max(1, blank_cost)))
            values.pop()
            places.pop()
        # drop the slot
        yield from rec(i + 1, 0, j, edits + drop_cost(i))
        # the column has no slot
        values.append(UNKNOWN)
        places.append(Placement(None))
        yield from rec(i, 0, j + 1, edits + missing_cost(i))
        values.pop()
        places.pop()

    def take_digits(i: int, off: int, j: int, edits: int) -> Iterator[RowCandidate]:
        """The next number cut from the run of digits ``slots[i].text[off:]`` into column ``j``."""
        if j == n_cols:
            return  # digits left over inside a run: not a reading
        text = slots[i].text
        split_cost = 0 if (single_run or (len(text) > 1 and text[0] == "0")) else 1
        col = cols[j]
        for length in range(1, len(text) - off + 1):
            piece = text[off:off + length]
            if length > 1 and piece[0] == "0":
                break  # no number is printed with a leading zero
            if not valid_number(piece, col.signed, col.decimal):
                continue
            end = off + length
            values.append(to_number(piece))
            places.append(Placement(i, off > 0 or end < len(text)))
            if end < len(text):
                yield from rec(i, end, j + 1, edits + split_cost)
            else:
                yield from rec(i + 1, 0, j + 1, edits)
            values.pop()
            places.pop()

    yield from rec(0, 0, 0, 0)


def _signed_or_decimal_splits(text: str, k: int) -> list[list[str]]:
    """Cuts of a signed or decimal token: the sign stays with the first number ("696-102" is
    read as "696" and "-102", which may be "-10" and "2"), the decimal part with the last
    ("1256.836" may be "1" and "256.836")."""
    if k == 1:
        return [[text]]
    sign = text[0] if text[0] in "+-" else ""
    body = text[len(sign):]
    whole, dot, frac = body.partition(".")
    if not whole.isdigit() or (frac and not frac.isdigit()):
        return []
    out = []
    for parts in splits(whole, k) if not dot else []:
        out.append([sign + parts[0], *parts[1:]])
    if dot:
        for parts in splits(whole, k):
            out.append([sign + parts[0], *parts[1:-1], parts[-1] + "." + frac] if k > 1 else [text])
    return out


def _enumerate_cached(
    slots: Sequence[Slot], cols: Sequence[ColumnSpec], blank_style: bool, budget: int
) -> tuple[list[RowCandidate], bool]:
    """``_enumerate`` memoised on the row's shape: tables repeat the same rows ("0 0 0 0 0 0")
    many times, and reports repeat each other's."""
    shape = (
        tuple((s.kind, s.text, s.hard) for s in slots),
        tuple((c.signed, c.decimal) for c in cols),
        blank_style, budget,
    )
    hit = _ENUM_CACHE.get(shape)
    if hit is None:
        stats: dict[str, bool] = {}
        found = [(c.values, c.placements, c.edits) for c in _enumerate(slots, cols, blank_style, budget, stats)]
        hit = (found, bool(stats.get("truncated")))
        # Bounded memory: common shapes ("0 0 0 0 0 0 0") are worth keeping, a damaged row's long
        # list of readings is not; the memo never holds more than CACHE_ROWS shapes.
        if len(found) <= CACHE_READINGS:
            if len(_ENUM_CACHE) >= CACHE_ROWS:
                _ENUM_CACHE.pop(next(iter(_ENUM_CACHE)))
            _ENUM_CACHE[shape] = hit
    found, truncated = hit
    return [RowCandidate(v, p, e) for v, p, e in found], truncated


CACHE_ROWS = 4096
CACHE_READINGS = 64
_ENUM_CACHE: dict[tuple[object, ...],
                  tuple[list[tuple[tuple[Value, ...], tuple[Placement, ...], int]], bool]] = {}


def evaluate(
    values: dict[str, Value], equations: Sequence[Equation], signed: set[str]
) -> int:
    """Fill in unknown cells the equations determine (in place); return the violations."""
    if UNKNOWN not in values.values():
        # the common case: every cell known (an empty cell counts as 0)
        violations = 0
        for eq in equations:
            d = sum(values[c] or 0 for c in eq.lhs) - sum(values[c] or 0 for c in eq.rhs)  # type: ignore[misc]
            if d > EPS or d < -EPS:
                violations += 1
        return violations
    changed = True
    while changed:
        changed = False
        for eq in equations:
            unknown = [c for c in eq.cells if values.get(c) is UNKNOWN]
            if not unknown:
                continue
            d = _known_sum(values, eq.lhs) - _known_sum(values, eq.rhs)
            ul = [c for c in eq.lhs if values.get(c) is UNKNOWN]
            ur = [c for c in eq.rhs if values.get(c) is UNKNOWN]
            if len(unknown) == 1:
                x = -d if ul else d
                if x < -EPS and unknown[0] not in signed:
                    continue  # infeasible; counted below
                values[unknown[0]] = _clean(x)
                changed = True
            elif abs(d) < EPS and (not ul or not ur) and not (set(unknown) & signed):
                for c in unknown:
                    values[c] = 0
                changed = True
    violations = 0
    for eq in equations:
        unknown = [c for c in eq.cells if values.get(c) is UNKNOWN]
        d = _known_sum(values, eq.lhs) - _known_sum(values, eq.rhs)
        if not unknown:
            if abs(d) > EPS:
                violations += 1
            continue
        if set(unknown) & signed:
            continue
        ul = any(values.get(c) is UNKNOWN for c in eq.lhs)
        ur = any(values.get(c) is UNKNOWN for c in eq.rhs)
        if (d > EPS and not ur) or (d < -EPS and not ul):
            violations += 1
    return violations


def _known_sum(values: dict[str, Value], cells: Sequence[str]) -> float:
    total = 0.0
    for c in cells:
        v = values.get(c)
        if isinstance(v, (int, float)):
            total += v
    return total


def _clean(x: float) -> Number:
    r = round(x, 6)
    return int(r) if float(r).is_integer() else r


def row_candidates(
    row: PrintedRow, equations: Sequence[Equation], blank_style: bool, slack: bool = True,
    exact_blanks: bool = False,
) -> list[RowCandidate]:
    """Candidate alignments of one printed row (see the module docstring)."""
    ids = [c.cell_id for c in row.columns]
    local = _local_equations(equations, tuple(ids))
    signed = {c.cell_id for c in row.columns if c.signed}
    direct = _direct(row, blank_style, exact_blanks)
    if direct is not None:
        vals0: dict[str, Value] = dict(zip(ids, direct.values, strict=True))
        direct.violations = evaluate(vals0, local, signed)
        if direct.violations == 0:
            return [direct]  # fits its columns and its own arithmetic: read as printed
    found: dict[tuple[object, ...], RowCandidate] = {}
    stop_level: int | None = None
    for budget in range(0, MAX_EDITS + 1):
        if stop_level is not None and budget > stop_level:
            break
        level_new: list[RowCandidate] = []
        enumerated, truncated = _enumerate_cached(row.slots, row.columns, blank_style, budget)
        row.truncated = row.truncated or truncated
        if truncated:
            stop_level = budget  # more edits only widen a search already past its bound
        for cand in enumerated:
            vals: dict[str, Value] = dict(zip(ids, cand.values, strict=True))
            cand.violations = evaluate(vals, local, signed)
            # What a layout loses is mostly empty or zero cells: a lost cell that must hold a
            # number (never printed anywhere) is less likely. In a table that writes zeros as
            # blanks, a lost zero cell reads as empty.
            for k, place in enumerate(cand.placements):
                v = vals[ids[k]]
                if place.slot is None and isinstance(v, (int, float)):
                    if v != 0:
                        cand.edits += 1
                    elif blank_style:
                        vals[ids[k]] = None
            cand.values = tuple(vals[i] for i in ids)
            key = (tuple(repr(v) for v in cand.values), cand.edits)
            if key not in found:
                found[key] = cand
                level_new.append(cand)
        if budget == 0 and found:
            exact = [c for c in found.values() if c.edits == 0]
            good = [c for c in exact if c.violations == 0]
            if good:
                return good  # fits its columns and its own arithmetic: read as printed
            as_printed = [c for c in exact if not any(p.split for p in c.placements)]
            if as_printed:
                return as_printed  # fits its columns as printed: an arithmetic error, not a layout one
        if stop_level is None and any(c.violations == 0 for c in found.values()):
            # with slack, one more level: the table's arithmetic may prefer a reading with one
            # more edit over one that contradicts the other rows
            stop_level = budget + 1 if slack else budget
    cands = list(found.values())
    if not cands:
        return []
    best_v = min(c.violations for c in cands)
    return [c for c in cands if c.violations == best_v]


_LOCAL: dict[tuple[int, tuple[str, ...]], list[Equation]] = {}


def _local_equations(equations: Sequence[Equation], ids: tuple[str, ...]) -> list[Equation]:
    """The equations among one row's own cells (memoised: templates are few, rows repeat)."""
    key = (id(equations), ids)
    found = _LOCAL.get(key)
    if found is None:
        idset = set(ids)
        found = [eq for eq in equations if eq.cells[0] in idset and set(eq.cells) <= idset]
        if len(_LOCAL) > 5000:
            _LOCAL.clear()
        _LOCAL[key] = found
    return found


def _direct(row: PrintedRow, blank_style: bool, exact_blanks: bool = False) -> RowCandidate | None:
    """The reading that takes the slots as printed, one per column, if there is exactly one.

    In a table that writes zeros as blanks (``blank_style``), empty slots up to the last number are
    cells, and empty slots after it fill the row's last columns. Otherwise numbers alone are read,
    unless ``exact_blanks`` (nothing in the table suggests layout residue) and the row's explicit
    cells, empty ones included, fit its columns exactly.
    """
    sl = row.slots
    if not any(s.is_num for s in sl):
        # no number printed after the label (empty cells, or none at all in a report flattened
        # onto one line): the row is blank
        n = len(row.columns)
        return RowCandidate((None,) * n, (Placement(None, empty_row=True),) * n, 0)
    n = len(row.columns)
    last = max(i for i, s in enumerate(sl) if s.is_num)
    if blank_style:
        picked = list(enumerate(sl[: last + 1]))
        if len(picked) < n:
            picked += list(enumerate(sl))[last + 1: last + 1 + n - len(picked)]
    else:
        picked = [(i, s) for i, s in enumerate(sl) if s.is_num]
        if len(picked) != n and exact_blanks:
            hard = [(i, s) for i, s in enumerate(sl) if s.is_num or s.hard]
            while len(hard) > n and not hard[-1][1].is_num:
                hard.pop()  # empty cells after the last number beyond the row's width: padding
            if len(hard) == n:
                picked = hard
    if len(picked) != n:
        return None
    values: list[Value] = []
    for (_, s), col in zip(picked, row.columns, strict=True):
        if s.is_num:
            if not valid_number(s.text, col.signed, col.decimal):
                return None
            values.append(to_number(s.text))
        else:
            values.append(None)
    return RowCandidate(tuple(values), tuple(_placed(i) for i, _ in picked), 0)


_PLACED = tuple(Placement(i) for i in range(64))


def _placed(i: int) -> Placement:
    """The placement of a value read from slot ``i`` (shared: a frozen dataclass is slow to make)."""
    return _PLACED[i] if i < 64 else Placement(i)


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


def solve_table(
    rows: list[PrintedRow], equations: Sequence[Equation], blank_style: bool,
    figures: Sequence[Figure] = (),
) -> dict[str, CellResult]:
    """Read every printed row of one table, choosing alignments jointly.

    Where the best alignments disagree on a cell, a figure stated in the prose may decide it:
    the alignments that agree with the figure are kept when some, but not all, do; a cell they
    then determine is ``resolved``. A figure never overrides a cell the table determines.
    """
    signed = {c.cell_id for r in rows for c in r.columns if c.signed}
    table_cells = {c.cell_id for r in rows for c in r.columns}
    table_eqs = [eq for eq in equations if set(eq.cells) <= table_cells]
    # Layout residue: a row printing all its numbers after empty slots (the tabs of label columns)
    # means empty slots before numbers are layout here, not cells.
    residue = any(
        r.residue or (sum(1 for x in r.slots if x.is_num) == len(r.columns) and r.slots and not r.slots[0].is_num)
        for r in rows
    )
    for r in rows:
        if r.opaque:
            r.candidates = [_empty_candidate(r)]
            continue
        r.candidates = row_candidates(r, equations, blank_style, slack=False, exact_blanks=not residue)
    best, options, too_many = _joint(rows, table_eqs, signed)
    if best and best[0][0][0] > 0 and any(min(c.edits for c in o) > 0 for o in options):
        # The fewest edits leave the table's arithmetic broken: let the malformed rows take one
        # more edit each, and let the arithmetic choose.
        for r, o in zip(rows, options, strict=True):
            if min(c.edits for c in o) > 0 and not r.opaque:
                r.candidates = row_candidates(r, equations, blank_style, slack=True,
                                              exact_blanks=not residue)
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
        near = [c for c in row_candidates(r, equations, blank_style, slack=True, exact_blanks=not residue)
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
                if place.empty_row and prints_zeros and not blank_style and len(r.slots) < len(r.columns):
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
                if (v == 0 and blank_style) or v is None:
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
