"""Pages of text lines and tables into the document's blocks, in reading order.

On a page, blocks are ordered by their top; a line printed beside a table (a part heading set to
its left or right) goes just before the table it sits beside, never past it. Across the document:
page numbers ("- 3 -", "— 3 —", "第 3 页", "3/7") and running headers and footers (the same
line at the top or bottom of several pages) are dropped; lines of a paragraph wrapped at the
right margin are joined, also over a page break; a table continued on the next page is repaired
where the page cut it: a repeated header is dropped, a row broken over the page is put back
together, and a merged cell cut in two (a vertical label) keeps its whole text in its first part.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from xxgk.document import TableCell
from xxgk.readers.pdf.grid import Cell, Grid, cell_text, is_cjk, line_text, lines_of
from xxgk.readers.pdf.page import Char

_PAGE_NUMBER = re.compile(
    r"^[\s\-—–－_~·•]*(?:第\s*)?\d{1,4}(?:\s*页)?(?:\s*[/／]\s*\d{1,4}|\s*[,，]?\s*共\s*\d{1,4}\s*页)?[\s\-—–－_~·•]*$"
    r"|^(?:page\s*)?\d{1,4}\s*(?:of|/)\s*\d{1,4}$", re.IGNORECASE)
# a line that starts a heading or a numbered row: never the continuation of the line before
_MARKER = re.compile(r"^\s*(?:[（(]\s*[一二三四五六七八九十\d]+\s*[)）]|[一二三四五六七八九十]+\s*[、.．]"
                     r"|\d+\s*[、.．](?!\d))")
_NUMBER = re.compile(r"^[\s\d,，.．%-]+$")
_ZONE = 0.14  # top and bottom share of a page where headers, footers and page numbers live


@dataclass
class Line:
    page: int
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    parts: list[tuple[int, list[Char]]] = field(default_factory=list)  # (page, characters) per printed line


@dataclass
class Page:
    number: int
    width: float
    height: float
    blocks: list[Line | Grid]


def page_blocks(number: int, width: float, height: float, grids: list[Grid], rest: list[Char]) -> Page:
    keyed: list[tuple[tuple[float, int, float], Line | Grid]] = [((g.top, 1, 0.0), g) for g in grids]
    for chars in lines_of(rest):
        text = line_text(chars)
        if not text.strip():
            continue
        line = Line(number, text, chars[0].x0, max(c.x1 for c in chars), min(c.top for c in chars),
                    max(c.bottom for c in chars), max(c.size for c in chars), [(number, chars)])
        cy = (line.top + line.bottom) / 2
        beside = next((g for g in grids if g.top <= cy <= g.bottom
                       and (line.x1 <= g.left + 2 or line.x0 >= g.right - 2)), None)
        key = (beside.top, 0, line.top) if beside is not None else (line.top, 0, 0.0)
        keyed.append((key, line))
    keyed.sort(key=lambda kb: kb[0])
    return Page(number, width, height, [b for _, b in keyed])


def page_number_chars(pages: list[tuple[list[Char], float, float]]) -> set[int]:
    """The characters (by id) of the page numbers printed in the margins, centred ("- 4 -", "4"),
    found as what they are: a number near the centre of the top or bottom margin at the same
    height on several pages, counting up with them. Taken out before characters go to table
    cells, so that a number a table running to the foot of the page overlaps does not join the
    text of a cell."""
    found: list[tuple[int, float, int, list[Char]]] = []  # page, top, number, chars
    for k, (chars, width, height) in enumerate(pages):
        zone = [c for c in chars if c.cy >= height * (1 - _ZONE) or c.cy <= height * _ZONE]
        for line in lines_of(zone):
            run: list[Char] = []
            for ch in [*sorted(line, key=lambda c: c.x0), None]:
                size = max(1.0, run[-1].bottom - run[-1].top) if run else 1.0
                if ch is not None and (not run or ch.x0 - run[-1].x1 < 2 * size):
                    run.append(ch)
                    continue
                text = "".join(c.text for c in run)
                digits = re.sub(r"\D", " ", text).split()
                mid = (run[0].x0 + run[-1].x1) / 2 if run else 0.0
                if digits and _PAGE_NUMBER.match(text) and abs(mid / width - 0.5) <= 0.2:
                    found.append((k, run[0].top, int(digits[0]), run))
                run = [ch] if ch is not None else []
    out: set[int] = set()
    for k, top, num, run in found:
        # the same place on other pages, the number moving with the page
        if sum(1 for k2, top2, num2, _ in found
               if k2 != k and abs(top2 - top) < 3 and num2 - num == k2 - k) >= 1:
            out.update(id(c) for c in run)
    return out


def drop_furniture(pages: list[Page]) -> None:
    """Page numbers, running headers and footers out; what remains is the document's body."""
    def edges(p: Page) -> list[bool]:
        """Lines among the first or last two blocks of the page, in its top or bottom margin."""
        n = len(p.blocks)
        return [isinstance(b, Line) and (i < 2 or i >= n - 2)
                and (b.bottom <= p.height * _ZONE or b.top >= p.height * (1 - _ZONE))
                for i, b in enumerate(p.blocks)]

    marks = [edges(p) for p in pages]
    seen: Counter[str] = Counter()
    for p, edge in zip(pages, marks, strict=True):
        seen.update({_furniture_key(b.text) for b, e in zip(p.blocks, edge, strict=True) if e})  # type: ignore[union-attr]
    for p, edge in zip(pages, marks, strict=True):
        keep: list[Line | Grid] = []
        for i, (b, e) in enumerate(zip(p.blocks, edge, strict=True)):
            if isinstance(b, Line):
                first_last = i == 0 or i == len(p.blocks) - 1
                if _PAGE_NUMBER.match(b.text) and (first_last or e):
                    continue
                if e and seen[_furniture_key(b.text)] >= 2 and "单位" not in b.text:
                    continue
            keep.append(b)
        p.blocks = keep


def _furniture_key(text: str) -> str:
    return re.sub(r"\d+", "#", "".join(text.split()))


def join_paragraphs(pages: list[Page]) -> list[Line | Grid]:
    """Blocks of all pages in order, a line that ran to the right margin joined with the next
    line when that one starts at the left margin (and is no heading or numbered item)."""
    margins: dict[int, tuple[float, float]] = {}
    by_width: dict[int, list[Line]] = {}
    for p in pages:
        by_width.setdefault(round(p.width), []).extend(
            b for b in p.blocks if isinstance(b, Line) and len(b.text) >= 6)
    for w, lines in by_width.items():
        if lines:
            margins[w] = (min(ln.x0 for ln in lines), max(ln.x1 for ln in lines))
    # the usual distance from one line to the next (line spacing differs from report to report)
    steps = sorted(b.top - a.top for p in pages for a, b in zip(p.blocks, p.blocks[1:], strict=False)
                   if isinstance(a, Line) and isinstance(b, Line) and b.top > a.bottom)
    pitch = steps[len(steps) // 2] if steps else 0.0
    out: list[Line | Grid] = []
    prev_page: Page | None = None
    for p in pages:
        left, right = margins.get(round(p.width), (0.0, p.width))
        for i, b in enumerate(p.blocks):
            last = out[-1] if out else None
            if (isinstance(b, Line) and isinstance(last, Line)
                    and _continues(last, b, left, right, pitch, i == 0, prev_page)):
                glue = "" if is_cjk(last.text[-1]) or is_cjk(b.text[0]) or not last.text[-1].isalpha() else " "
                last.text = last.text + glue + b.text
                last.x1, last.top, last.bottom, last.page = b.x1, b.top, b.bottom, b.page
                last.parts.extend(b.parts)
                continue
            out.append(b)
        prev_page = p
    return out


def _continues(a: Line, b: Line, left: float, right: float, pitch: float, first_on_page: bool,
               prev: Page | None) -> bool:
    em = max(a.size, 6.0)
    if a.x1 < right - 1.5 * em or b.x0 > left + 0.5 * em or _MARKER.match(b.text):
        return False
    if a.x1 - left < 12 * em:  # too short a line to have wrapped (a page of short lines only)
        return False
    if a.page == b.page:
        return b.top - a.bottom >= -0.3 * em and (b.top - a.bottom <= 1.5 * em or b.top - a.top <= 1.25 * pitch)
    # over a page break: the line ended the page before (its last block), this one begins its page
    return first_on_page and prev is not None and prev.number == a.page


def repair_splits(blocks: list[Line | Grid]) -> None:
    """A table cut by a page break: the part on the next page follows directly (nothing but
    page furniture between) and has the same outer edges."""
    head: Grid | None = None
    for a, b in zip(blocks, blocks[1:], strict=False):
        if not (isinstance(a, Grid) and isinstance(b, Grid)):
            head = None
            continue
        if b.page != a.page + 1 or abs(a.left - b.left) > 3 or abs(a.right - b.right) > 3:
            head = None
            continue
        if head is None:
            head = a
        # the header repeated is the table's own: the chain's first part, or the part just before
        # (when that part began a new table at the top of its page)
        if not _drop_repeated_header(head, b) and a is not head and _drop_repeated_header(a, b):
            head = a
        _mend(a, b)


def _key(g: Grid, c: Cell, common: list[float]) -> tuple[int, int]:
    return (_index(common, g.xs[c.c0]), _index(common, g.xs[c.c1]))


def _index(edges: list[float], x: float) -> int:
    return min(range(len(edges)), key=lambda i: abs(edges[i] - x))


def _common(a: Grid, b: Grid) -> list[float]:
    out: list[float] = []
    for v in sorted(a.xs + b.xs):
        if not out or v - out[-1] > 3.0:
            out.append(v)
    return out


def _squash(t: str) -> str:
    return "".join(t.split())


def _drop_repeated_header(head: Grid, b: Grid) -> bool:
    """The first rows of ``b`` repeat the header of the table's first part: drop them. A header
    cell whose text did not fit when repeated (LibreOffice prints the rest over the rows below)
    matches by its beginning, and the rest is taken back out of the rows below it."""
    common = _common(head, b)
    n = min(len(head.ys), len(b.ys)) - 2
    for k in range(n, 0, -1):
        top_h = sorted((c for c in head.cells if c.r0 < k), key=lambda c: (c.r0, c.c0))
        top_b = sorted((c for c in b.cells if c.r0 < k), key=lambda c: (c.r0, c.c0))
        if len(top_h) != len(top_b) or any(c.r1 > k for c in top_h + top_b):
            continue
        cut: list[tuple[Cell, str]] = []
        for ch, cb in zip(top_h, top_b, strict=True):
            th, tb = _squash(ch.text), _squash(cb.text)
            same_place = (ch.r0, ch.r1, *_key(head, ch, common)) == (cb.r0, cb.r1, *_key(b, cb, common))
            if not same_place or not (th == tb or (len(tb) >= 4 and th.startswith(tb))):
                break
            if th != tb:
                cut.append((cb, th[len(tb):]))
        else:
            if any(c.text for c in top_h):
                x0s = [(b.xs[c.c0], b.xs[c.c1]) for c, _ in cut]
                _drop_rows(b, k)
                for (c, rest), (x0, x1) in zip(cut, x0s, strict=True):
                    _take_back(b, c, x0, x1, rest)
                return True
    return False


def _take_back(g: Grid, header: Cell, x0: float, x1: float, rest: str) -> None:
    """Take the characters of ``rest`` (in reading order) out of the lines that continue the
    header cell's text below it, within its columns: text that ran out of the cell."""
    lines = lines_of(header.chars)
    if not lines:
        return
    size = max(c.bottom - c.top for c in header.chars)
    last = lines[-1][0].cy
    pitch = (last - lines[0][0].cy) / (len(lines) - 1) if len(lines) > 1 else 1.5 * size
    per_line = max(len(line) for line in lines)
    reach = last + (-(-len(rest) // per_line) + 1) * max(pitch, size)  # the lines it needs, and one
    owner: dict[int, Cell] = {}
    band = []
    for cell in g.cells:
        for c in cell.chars:
            if x0 <= c.cx <= x1 and last < c.cy <= reach:
                owner[id(c)] = cell
                band.append(c)
    want = list(rest)
    taken: list[Char] = []
    for c in (c for line in lines_of(band) for c in line):
        if want and c.text == want[0]:
            want.pop(0)
            taken.append(c)
    if want:
        return
    for c in taken:
        cell = owner[id(c)]
        cell.chars = [x for x in cell.chars if x is not c]
        cell.text = cell_text(cell.chars)


def _drop_rows(g: Grid, k: int) -> None:
    kept = []
    for c in g.cells:
        if c.r1 <= k:
            continue
        c.r0, c.r1 = max(0, c.r0 - k), c.r1 - k
        kept.append(c)
    g.cells = kept
    g.ys = g.ys[k:]


def _mend(a: Grid, b: Grid) -> None:
    if not a.cells or not b.cells:
        return
    common = _common(a, b)
    n_a = len(a.ys) - 1
    ends = {_key(a, c, common): c for c in a.cells if c.r1 == n_a}
    starts = [(c, ends.get(_key(b, c, common))) for c in b.cells if c.r0 == 0]
    pairs = [(x, y) for x, y in starts if y is not None]
    if not pairs:
        return
    labels = [c.text for c, _ in starts if c.text and not _NUMBER.match(c.text)]
    both = any(_NUMBER.match(x.text) and _NUMBER.match(y.text) for x, y in pairs if x.text and y.text)
    one = any(bool(x.text and _NUMBER.match(x.text)) != bool(y.text and _NUMBER.match(y.text))
              and not (x.text and y.text) for x, y in pairs)
    # a row broken by the page: numbers on one side only, and no label of the next part
    # starts a numbered row of its own; a row left blank: its numbered label goes on unnumbered
    blank = not any(_NUMBER.match(c.text) for x, y in pairs for c in (x, y) if c.text)
    goes_on = any(x.r1 - x.r0 == 1 and x.text and _MARKER.match(y.text) for x, y in pairs)
    row_split = (not both and (one or (blank and goes_on))
                 and not any(_MARKER.match(t) for t in labels))
    for x, y in pairs:
        # a merged label cell cut by the page (a vertical label): its text goes to its first part
        words = not _NUMBER.match(x.text) and not (y.text and _NUMBER.match(y.text))
        spanning = (x.r1 - x.r0 > 1 or y.r1 - y.r0 > 1) and words and not _MARKER.match(x.text)
        numbers = bool(x.text and _NUMBER.match(x.text) and y.text and _NUMBER.match(y.text))
        if (row_split or spanning) and not numbers and x.text:
            y.text = y.text + _glue_text(y.text, x.text) + x.text if y.text else x.text
            x.text = ""
            y.moved += [(b.page, x.chars), *x.moved]  # where the text moved is drawn (source view)
            x.moved = []
    if row_split and all(not c.text for c in b.cells if c.r0 == 0 and c.r1 == 1):
        _drop_rows(b, 1)


def _glue_text(a: str, b: str) -> str:
    if not a or not b or is_cjk(a[-1]) or is_cjk(b[0]) or (a[-1].isdigit() and b[0].isdigit()):
        return ""
    return " "


def to_items(blocks: list[Line | Grid]) -> list[str | list[list[TableCell]]]:
    items: list[str | list[list[TableCell]]] = []
    for b in blocks:
        if isinstance(b, Line):
            items.append(b.text)
            continue
        rows = [[TableCell(c.text, c.r0, c.c0, c.r1 - c.r0, c.c1 - c.c0) for c in row] for row in b.rows()]
        if rows:
            items.append(rows)
    return items
