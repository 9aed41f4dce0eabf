"""Operations on layout grids (``xxgk.layout.Grid``) that publishing tools perform on tables:
cut a table in two where a page ends, spread merged cells into a dense matrix (text repeated in
every covered position, or left in the first one only)."""

from __future__ import annotations

import dataclasses

from xxgk.layout import Grid, LCell, placed


def header_rows(grid: Grid) -> int:
    """The number of rows before the first row holding a data cell."""
    return next((i for i, row in enumerate(grid) if any(x.cell_id for x in row)), 0)


def width(grid: Grid) -> int:
    return max((c + x.colspan for _, c, x in placed(grid)), default=0)


def split(grid: Grid, at: int, *, continued: str = "empty") -> tuple[Grid, Grid]:
    """The grid cut before row ``at``. A cell spanning the cut is shortened in the first part;
    in the second part it continues as a cell covering the remaining rows, empty
    (``continued="empty"``, as Word exports a continued vertical merge) or with its text again
    (``"repeat"``)."""
    cells = placed(grid)
    first: Grid = [[] for _ in range(at)]
    second: Grid = [[] for _ in range(len(grid) - at)]
    # place cells row by row, in column order
    for r, c, x in sorted(cells, key=lambda t: (t[0], t[1])):
        if r < at:
            span = min(x.rowspan, at - r)
            first[r].append((c, dataclasses.replace(x, rowspan=span)))  # type: ignore[arg-type]
            if r + x.rowspan > at:
                rest = r + x.rowspan - at
                text = x.text if continued == "repeat" else ""
                second[0].append((c, LCell(text, rowspan=rest, colspan=x.colspan, header=x.header)))  # type: ignore[arg-type]
        else:
            second[r - at].append((c, x))  # type: ignore[arg-type]
    a = [[x for _, x in sorted(row, key=lambda t: t[0])] for row in first]  # type: ignore[index]
    b = [[x for _, x in sorted(row, key=lambda t: t[0])] for row in second]  # type: ignore[index]
    return a, b


def dense(grid: Grid, *, fill: str = "empty") -> list[list[tuple[str, str | None]]]:
    """The grid as a full matrix of (text, cell_id): a merged cell's text in its first position
    and ``""`` in the others (``fill="empty"``), or in every position it covers (``"repeat"``)."""
    n = width(grid)
    out: list[list[tuple[str, str | None]]] = [[("", None)] * n for _ in grid]
    for r, c, x in placed(grid):
        for dr in range(x.rowspan):
            for dc in range(x.colspan):
                if r + dr >= len(out):
                    continue
                first = dr == 0 and dc == 0
                text = x.text if first or fill == "repeat" else ""
                out[r + dr][c + dc] = (text, x.cell_id if first else None)
    return out
