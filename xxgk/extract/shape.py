"""The shape of a table's printed rows, decided before they are aligned: where lines start, which
empty cells are the label's (layout residue) rather than values, whether the table writes its
zeros as blanks, and, in text laid out by position, which column each number stands under."""

from __future__ import annotations

import re
from bisect import bisect_right

from xxgk.extract.slots import Slot
from xxgk.extract.solve import PrintedRow, label_padding
from xxgk.model import Location, location


class Lines:
    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def loc(self, start: int, end: int) -> Location:
        k = bisect_right(self.starts, start) - 1
        return location(start, end - start, k + 1, start - self.starts[k] + 1, self.text[start:end])


GRID_FORMATS = ("html", "docx", "doc", "pdf", "xlsx", "markdown")


def strip_label_residue(rows: list[PrintedRow], grid: bool = False) -> None:
    """Empty cells between a row's label and its values that the table's layout puts there (a
    label merged over three columns that a converter wrote as the label and two empty cells):
    when several rows print exactly their columns' count plus the same k empty cells first, those
    k cells are the label's, not values. In a document whose tables are grids (a web page, Word,
    PDF, Markdown), a cell is never dropped or doubled, so any row's extra leading empty cells are
    its label's."""
    def extra(r: PrintedRow) -> int:
        hard = [x for x in r.slots if x.is_num or x.hard]
        k = len(hard) - len(r.columns)
        if k <= 0 or not hard[-1].is_num:
            return 0  # empty cells after the values: padding, trimmed when read
        return k if all(not x.is_num and x.hard for x in r.slots[:k]) else 0

    if grid:
        for r in rows:
            if (k := extra(r)) > 0:
                r.slots = r.slots[k:]
                r.residue = True
        return
    counts: dict[int, int] = {}
    for r in rows:
        if (k := extra(r)) > 0:
            counts[k] = counts.get(k, 0) + 1
    if not counts:
        return
    k, seen = max(counts.items(), key=lambda kv: kv[1])
    if seen < 2:
        return
    for r in rows:
        if extra(r) == k:
            r.slots = r.slots[k:]
            r.residue = True  # the table shows layout residue: leading empty slots are not cells


def blank_style(rows: list[PrintedRow]) -> bool:
    """Does the table write its zeros as empty cells? Yes when a row has an empty cell between two
    numbers, or when the table prints no zero at all but has empty cells, and no row shows the
    empty slots of label columns before a full set of numbers (layout residue)."""
    if any(_interior_blank(r.slots) for r in rows):
        return True
    nums = [s for r in rows for s in r.slots if s.is_num]
    if not nums or any(s.text.strip("0") == "" for s in nums):
        return False
    if not any(not s.is_num for r in rows for s in r.slots):
        return False
    return not any(
        sum(1 for x in r.slots if x.is_num) == len(r.columns) and r.slots and not r.slots[0].is_num
        for r in rows
    )


def blank_rows(rows: list[PrintedRow]) -> list[bool]:
    """Which rows write a zero as an empty cell, decided per row.

    A table that writes its zeros as blanks (:func:`blank_style`) does so in every row, unless it
    also prints zeros and its rows show label padding (empty slots before a full set of numbers):
    there an empty cell between two numbers is that row's own (a zero left blank, or a number
    lost), and the other rows' leading empty slots stay the label's. One damaged row no longer
    turns the label padding of every other row into empty cells (which read its printed zeros as
    blanks and shifted its numbers by a column)."""
    if not blank_style(rows):
        return [False] * len(rows)
    prints_zeros = any(s.is_num and s.text.strip("0") == "" for r in rows for s in r.slots)
    if not (prints_zeros and label_padding(rows)):
        return [True] * len(rows)
    return [_interior_blank(r.slots) for r in rows]


def _interior_blank(sl: list[Slot]) -> bool:
    nums = [i for i, s in enumerate(sl) if s.is_num]
    if len(nums) < 2:
        return False
    return any(not s.is_num for s in sl[nums[0]:nums[-1]])


_WIDE_CHARS = re.compile("[\u2e80-\uffef]")


def _display_x(text: str, line_start: int, pos: int) -> int:
    """Display column of ``text[pos]`` on its line (a Chinese character takes two columns)."""
    seg = text[line_start:pos]
    if "\t" not in seg:
        return len(seg) + len(_WIDE_CHARS.findall(seg))
    x = 0
    for ch in seg:
        x += 2 if "\u2e80" <= ch <= "\uffef" else (8 - x % 8 if ch == "\t" else 1)
    return x


_WIDE_GAP = re.compile(r"\d {3,}\d")


def place_by_position(rows: list[PrintedRow], text: str, lines: Lines) -> None:
    """Text laid out by position (``pdftotext -layout``, a fixed-width copy): an empty cell is only
    spaces, so a row printing fewer numbers than columns is placed by where its numbers stand,
    under the columns the table's complete rows show. Rows are rewritten with explicit empty
    cells only where every number falls clearly in a distinct column."""
    if not any(_WIDE_GAP.search(text, r.slots[0].start, r.slots[-1].end) for r in rows if r.slots):
        return  # nothing is laid out by position here
    by_shape: dict[tuple[str, ...], list[PrintedRow]] = {}
    for r in rows:
        by_shape.setdefault(tuple(c.cell_id.rsplit(".", 1)[-1] for c in r.columns), []).append(r)
    for shape, group in by_shape.items():
        n = len(shape)
        if n < 2:
            continue
        laid_out = any(_WIDE_GAP.search(text, x[0].start, x[-1].end)
                       for x in ([s for s in r.slots if s.is_num] for r in group) if len(x) > 1)
        placed: dict[int, list[tuple[int, Slot]]] = {}  # row index -> (x centre, slot)
        for k, r in enumerate(group):
            nums = [x for x in r.slots if x.is_num]
            if not nums:
                continue
            line_no = {bisect_right(lines.starts, x.start) for x in nums}
            if len(line_no) != 1:
                continue
            ls = lines.starts[line_no.pop() - 1]
            if not _WIDE_GAP.search(text, nums[0].start, nums[-1].end) and len(nums) < n:
                continue
            placed[k] = [(_display_x(text, ls, x.start) + (x.end - x.start) // 2, x) for x in nums]
        full = [p for k, p in placed.items() if len(p) == n]
        if len(full) < 2:
            centres: list[int] = []
        else:
            centres = [sorted(p[i][0] for p in full)[len(full) // 2] for i in range(n)]
        gaps = [b - a for a, b in zip(centres, centres[1:], strict=False)]
        if not centres or min(gaps, default=0) < 3:
            if laid_out:
                _opaque_short_rows(group, n)
            continue
        tol = min(gaps) / 2
        for k, p in placed.items():
            r = group[k]
            if len(p) >= n:
                continue
            cols: list[int] = []
            for x, _slot in p:
                d, i = min((abs(x - c), i) for i, c in enumerate(centres))
                if d >= tol:
                    break
                cols.append(i)
            else:
                if len(set(cols)) == len(cols) and cols == sorted(cols):
                    at = dict(zip(cols, (slot for _x, slot in p), strict=True))
                    a = p[0][1].start
                    r.slots = [at.get(i) or Slot("blank", "", a, a) for i in range(n)]
                    continue
            if laid_out:
                _opaque_short_rows([r], n)


_OPAQUE = ("按位置排版的文本中，此行印出的数字少于列数，其所在列无法从位置确定 / in text laid out by "
           "position, this row prints fewer numbers than columns and where they stand does not place them")


def _opaque_short_rows(rows: list[PrintedRow], n: int) -> None:
    """Rows of a table laid out by position whose numbers could not be placed by position: their
    empty cells left no trace, so no arithmetic may guess where the numbers go."""
    for r in rows:
        nums = [x for x in r.slots if x.is_num]
        if nums and len(nums) < n and not any(not x.is_num for x in r.slots):
            r.opaque = _OPAQUE
