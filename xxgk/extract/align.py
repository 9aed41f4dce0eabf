"""One printed row aligned to its columns (the first half of the aligner; ``solve`` chooses rows
jointly): what a reading is, the search for readings with the fewest edits under a bound on
work, and a row's candidate readings. See ``xxgk.extract.solve`` for the edit model.
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

    # A printed number is thrown away only when every column has a number of its own: a reading
    # that drops one *and* leaves a column unprinted or empty explains the row twice over, since
    # the number thrown away may be that column's own (a total printed wrong, next to a page
    # number). Such readings are not offered; the row's other readings stand or it stays open.
    # Likewise cutting a run of digits (a row with too few numbers) and dropping a number (a row
    # with too many) in one reading.
    num_set = set(nums)
    for cand in rec(0, 0, 0, 0):
        if num_set and any(p.slot is None or p.slot not in num_set or p.split for p in cand.placements):
            used = {p.slot for p in cand.placements}
            if num_set - used:
                continue
        yield cand


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
    """Candidate alignments of one printed row (see the module docstring). Memoised on the row's
    shape: a table repeats its rows ("⇥0⇥0⇥0⇥0⇥0⇥0⇥"), and reports repeat each other's; the
    readings do not depend on the cells' names, only on the slots, the columns' kinds and where
    the row's own equations put them."""
    ids = [c.cell_id for c in row.columns]
    local = _local_equations(equations, tuple(ids))
    at = {c: k for k, c in enumerate(ids)}
    key = (
        tuple((x.kind, x.text, x.hard) for x in row.slots),
        tuple((c.signed, c.decimal) for c in row.columns),
        tuple((tuple(at[c] for c in eq.lhs), tuple(at[c] for c in eq.rhs)) for eq in local),
        blank_style, slack, exact_blanks,
    )
    hit = _ROWS.get(key)
    if hit is not None:
        row.truncated = row.truncated or hit[1]
        return hit[0]
    found = _row_candidates(row, ids, local, blank_style, slack, exact_blanks)
    if len(found) <= CACHE_READINGS:
        if len(_ROWS) >= CACHE_ROWS:
            _ROWS.pop(next(iter(_ROWS)))
        _ROWS[key] = (found, row.truncated)
    return found


_ROWS: dict[tuple[object, ...], tuple[list[RowCandidate], bool]] = {}


def _row_candidates(
    row: PrintedRow, ids: list[str], local: list[Equation], blank_style: bool, slack: bool,
    exact_blanks: bool,
) -> list[RowCandidate]:
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
