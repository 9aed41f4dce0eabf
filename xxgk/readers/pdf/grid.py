"""Tables from ruling segments: connected horizontal and vertical rulings make a grid, and the
grid's regions that no ruling separates make one cell (its row and column spans).

The grid lines are the distinct positions of the rulings; the boundary between two neighbouring
regions exists when a ruling covers most of their common side. Each character goes to the cell
holding its centre point (CJK glyph boxes are taller than the rows, so a box test would pull in
the next row). A cell's text is its characters in reading order: lines by their vertical centre,
left to right in a line; lines joined without a space between Chinese characters, so a label
printed one character per line reads as the label, and a label wrapped over lines as one label.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from operator import attrgetter

from xxgk.errors import XxgkError
from xxgk.readers.pdf.page import Char, PageContent

JOIN = 1.5     # rulings this close (across) are one line
GAP = 3.0      # gaps this small along a line are closed (dashed borders, pieces cell by cell)
SNAP = 3.0     # grid positions this close are one grid line (double borders, line widths)
TOUCH = 2.5    # a horizontal and a vertical ruling this close touch
MAX_GRID = 40_000  # regions in one table


@dataclass
class Cell:
    r0: int
    c0: int
    r1: int  # exclusive
    c1: int
    chars: list[Char] = field(default_factory=list)
    text: str = ""
    moved: list[tuple[int, list[Char]]] = field(default_factory=list)  # text taken from a cut part (page, chars)


@dataclass
class Grid:
    page: int
    xs: list[float]
    ys: list[float]
    cells: list[Cell]

    @property
    def top(self) -> float:
        return self.ys[0]

    @property
    def bottom(self) -> float:
        return self.ys[-1]

    @property
    def left(self) -> float:
        return self.xs[0]

    @property
    def right(self) -> float:
        return self.xs[-1]

    def rows(self) -> list[list[Cell]]:
        """Cells by the row they start in, top to bottom, left to right."""
        by: dict[int, list[Cell]] = {}
        for c in self.cells:
            by.setdefault(c.r0, []).append(c)
        return [sorted(by[r], key=lambda c: c.c0) for r in sorted(by)]


def _merge(segs: list[tuple[float, float, float]]) -> list[tuple[float, float, float]]:
    """Collinear pieces joined: (position across, start along, end along)."""
    out: list[tuple[float, float, float]] = []
    segs = sorted(segs)
    groups: list[list[tuple[float, float, float]]] = []
    for s in segs:
        if groups and s[0] - groups[-1][-1][0] <= JOIN:
            groups[-1].append(s)
        else:
            groups.append([s])
    for g in groups:
        pos = sum(s[0] for s in g) / len(g)
        g.sort(key=lambda s: s[1])
        a0, a1 = g[0][1], g[0][2]
        for _, b0, b1 in g[1:]:
            if b0 <= a1 + GAP:
                a1 = max(a1, b1)
            else:
                out.append((pos, a0, a1))
                a0, a1 = b0, b1
        out.append((pos, a0, a1))
    return out


def _snap(values: list[float]) -> list[float]:
    out: list[list[float]] = []
    for v in sorted(values):
        if out and v - out[-1][-1] <= SNAP:
            out[-1].append(v)
        else:
            out.append([v])
    return [sum(g) / len(g) for g in out]


def find_grids(pc: PageContent, name: str) -> list[Grid]:
    hs = _merge(pc.hsegs)
    vs = _merge(pc.vsegs)
    if len(hs) < 2 or len(vs) < 2:
        return []
    parent = list(range(len(hs) + len(vs)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    hs.sort()
    hy = [h[0] for h in hs]
    for j, (x, y0, y1) in enumerate(vs):
        lo, hi = bisect_left(hy, y0 - TOUCH), bisect_right(hy, y1 + TOUCH)
        for i in range(lo, hi):
            _, x0, x1 = hs[i]
            if x0 - TOUCH <= x <= x1 + TOUCH:
                a, b = find(i), find(len(hs) + j)
                if a != b:
                    parent[a] = b
    comps: dict[int, tuple[list[tuple[float, float, float]], list[tuple[float, float, float]]]] = {}
    for i, h in enumerate(hs):
        comps.setdefault(find(i), ([], []))[0].append(h)
    for j, v in enumerate(vs):
        comps.setdefault(find(len(hs) + j), ([], []))[1].append(v)
    grids = []
    for ch, cv in comps.values():
        if len(ch) >= 2 and len(cv) >= 2:
            g = _grid(pc.number, ch, cv, name)
            if g is not None:
                grids.append(g)
    grids.sort(key=lambda g: (g.top, g.left))
    return grids


def _grid(page: int, hs: list[tuple[float, float, float]], vs: list[tuple[float, float, float]],
          name: str) -> Grid | None:
    xs = _snap([v[0] for v in vs] + [min(h[1] for h in hs), max(h[2] for h in hs)])
    ys = _snap([h[0] for h in hs] + [min(v[1] for v in vs), max(v[2] for v in vs)])
    nr, nc = len(ys) - 1, len(xs) - 1
    if nr < 1 or nc < 1 or (nr == 1 and nc == 1):
        return None  # a frame around text is no table
    if nr * nc > MAX_GRID:
        raise XxgkError("too-large", f"PDF 第 {page} 页的表格过大（{nr}×{nc}）：{name}",
                        f"a table on page {page} of the PDF is too large ({nr}x{nc}): {name}")
    # wall[r][c]: a ruling at xs[c] along row r; floor[r][c]: a ruling at ys[r] along column c
    wall = [[False] * (nc + 1) for _ in range(nr)]
    floor = [[False] * nc for _ in range(nr + 1)]
    for x, y0, y1 in vs:
        c = _nearest(xs, x)
        if c is None:
            continue
        for r in range(bisect_right(ys, y0) - 1, min(nr, bisect_left(ys, y1) + 1)):
            if r >= 0 and _covers(y0, y1, ys[r], ys[r + 1]):
                wall[r][c] = True
    for y, x0, x1 in hs:
        r = _nearest(ys, y)
        if r is None:
            continue
        for c in range(bisect_right(xs, x0) - 1, min(nc, bisect_left(xs, x1) + 1)):
            if c >= 0 and _covers(x0, x1, xs[c], xs[c + 1]):
                floor[r][c] = True
    parent = list(range(nr * nc))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for r in range(nr):
        for c in range(nc):
            if c + 1 < nc and not wall[r][c + 1]:
                a, b = find(r * nc + c), find(r * nc + c + 1)
                if a != b:
                    parent[a] = b
            if r + 1 < nr and not floor[r + 1][c]:
                a, b = find(r * nc + c), find((r + 1) * nc + c)
                if a != b:
                    parent[a] = b
    spans: dict[int, list[int]] = {}
    for r in range(nr):
        for c in range(nc):
            k = find(r * nc + c)
            s = spans.get(k)
            if s is None:
                spans[k] = [r, c, r + 1, c + 1]
            else:
                s[0], s[1] = min(s[0], r), min(s[1], c)
                s[2], s[3] = max(s[2], r + 1), max(s[3], c + 1)
    cells = [Cell(*s) for s in spans.values()]
    if len(cells) < 2:
        return None
    return Grid(page, xs, ys, cells)


def _nearest(edges: list[float], v: float) -> int | None:
    i = bisect_left(edges, v)
    best = None
    for k in (i - 1, i):
        if 0 <= k < len(edges) and abs(edges[k] - v) <= SNAP and (best is None or abs(edges[k] - v) < abs(edges[best] - v)):
            best = k
    return best


def _covers(a0: float, a1: float, b0: float, b1: float) -> bool:
    """Does the ruling [a0, a1] cover most of the side [b0, b1]?"""
    return min(a1, b1) - max(a0, b0) >= 0.6 * (b1 - b0)


def place_chars(grids: list[Grid], chars: list[Char]) -> list[Char]:
    """Give each character to the table cell holding its centre; return the others."""
    if not grids:
        return chars
    index = []
    for g in grids:
        nc = len(g.xs) - 1
        at: list[Cell | None] = [None] * ((len(g.ys) - 1) * nc)
        for cell in g.cells:
            for r in range(cell.r0, cell.r1):
                at[r * nc + cell.c0:r * nc + cell.c1] = [cell] * (cell.c1 - cell.c0)
        index.append((g.left, g.right, g.top, g.bottom, g.xs, g.ys, nc, len(g.ys) - 2, at))
    rest = []
    for ch in chars:
        x, y = ch.cx, ch.cy
        for left, right, top, bottom, xs, ys, nc, last_row, at in index:
            if left <= x <= right and top <= y <= bottom:
                r = bisect_right(ys, y) - 1
                c = bisect_right(xs, x) - 1
                if r > last_row:  # on the bottom or right edge itself
                    r = last_row
                if c >= nc:
                    c = nc - 1
                at[r * nc + c].chars.append(ch)  # type: ignore[union-attr]
                break
        else:
            rest.append(ch)
    for g in grids:
        for cell in g.cells:
            cell.text = cell_text(cell.chars)
    return rest


def is_cjk(ch: str) -> bool:
    o = ord(ch)
    return (0x2E80 <= o <= 0x9FFF or 0xF900 <= o <= 0xFAFF or 0xFE30 <= o <= 0xFE4F
            or 0xFF00 <= o <= 0xFFEF or 0x20000 <= o <= 0x3FFFF or 0x2000 <= o <= 0x206F)


def _glue(left: str, right: str) -> str:
    """What goes between two runs of text put side by side: nothing between Chinese (or digits
    continued on the next line), a space between words."""
    a, b = left[-1], right[0]
    if is_cjk(a) or is_cjk(b) or (a.isdigit() and b.isdigit()):
        return ""
    return " "


def lines_of(chars: list[Char]) -> list[list[Char]]:
    """Characters grouped into lines (by vertical centre), each left to right, top to bottom."""
    out: list[list[Char]] = []
    cy = reach = -1e9
    line: list[Char] = []
    for ch in sorted(chars, key=_by_cy):
        d = ch.cy - cy
        if d <= reach or d <= 0.4 * (ch.bottom - ch.top):
            line.append(ch)
        else:
            line = [ch]
            out.append(line)
            cy, reach = ch.cy, 0.4 * (ch.bottom - ch.top)
    for line in out:
        if len(line) > 1:
            line.sort(key=_by_x0)
    return out


_by_cy = attrgetter("cy")
_by_x0 = attrgetter("x0")


def line_text(line: list[Char]) -> str:
    if len(line) == 1:
        return line[0].text
    parts: list[str] = []
    prev: Char | None = None
    for ch in line:
        if prev is not None:
            size = prev.bottom - prev.top
            if ch.text == prev.text and abs(ch.x0 - prev.x0) < 0.3 * size:
                continue  # the same glyph painted twice (fake bold)
            if ch.x0 - prev.x1 > 0.25 * max(size, 1.0) and _glue(prev.text, ch.text):
                parts.append(" ")
        parts.append(ch.text)
        prev = ch
    return "".join(parts)


def cell_text(chars: list[Char]) -> str:
    text = ""
    for line in lines_of(chars):
        t = line_text(line)
        text = t if not text else text + _glue(text, t) + t
    return text
