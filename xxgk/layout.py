"""The official layout of a report's tables, derived from the template declaration.

One grid per printed table (the template prints 二 as one table of four blocks, 三 and 四 as
one table each), with the merged cells the official template has: block headings across the
table, the 勾稽关系 note over three header rows, vertical group labels (三、本年度办理结果,
（三）不予公开 …) whose row spans follow from the rows' numbering levels, and the appeals table
printed as one row of fifteen cells. Every writer (HTML, DOCX, PDF, XLSX, Markdown) renders these
grids; nothing here lists rows or columns of its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from xxgk.model import Report
from xxgk.template import Block, Row, Table, Template, load_template


@dataclass(frozen=True)
class LCell:
    text: str
    rowspan: int = 1
    colspan: int = 1
    header: bool = False
    cell_id: str | None = None  # a data cell


Grid = list[list[LCell]]


def fmt(v: int | float | None) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def placed(grid: Grid) -> list[tuple[int, int, LCell]]:
    """(row, column, cell) for every cell of a grid, columns counted past cells spanning down
    from the rows above: what a writer needs to put each cell at its place."""
    out: list[tuple[int, int, LCell]] = []
    taken: set[tuple[int, int]] = set()
    for r, row in enumerate(grid):
        col = 0
        for c in row:
            while (r, col) in taken:
                col += 1
            out.append((r, col, c))
            taken.update((r + dr, col + dc) for dr in range(c.rowspan) for dc in range(c.colspan))
            col += c.colspan
    return out


def _level(row: Row) -> int:
    n = row.numbering
    if re.match(r"^[一二三四五六七八九十]+、", n):
        return 0
    if n.startswith(("（", "(")):
        return 1
    if n[:1].isdigit():
        return 2
    return 0


def table_grid(table: Table, values: dict[str, int | float | None]) -> Grid:
    if table.blocks and table.blocks[0].layout == "flat":
        return _flat_grid(table.blocks[0], values)
    if len(table.blocks) == 1 and any(r.group for r in table.blocks[0].rows):
        return _grouped_grid(table.blocks[0], values)
    return _blocks_grid(table, values)


def _blocks_grid(table: Table, values: dict[str, int | float | None]) -> Grid:
    width = max(len(b.columns) for b in table.blocks)
    grid: Grid = []
    for block in table.blocks:
        spans = _spread(len(block.columns), width)
        if block.heading is not None:
            grid.append([LCell(block.heading.text, colspan=1 + width, header=True)])
        grid.append([LCell(block.corner.text if block.corner else "", header=True)]
                    + [LCell(c.label.text, colspan=s, header=True) for c, s in zip(block.columns, spans, strict=True)])
        for row in block.data_rows():
            cols = {c.key for c in block.row_columns(row)}
            cells = [LCell(row.label.text, header=True)]
            for c, s in zip(block.columns, spans, strict=True):
                cid = f"{block.table}.{row.key}.{c.key}"
                cells.append(LCell(fmt(values.get(cid)) if c.key in cols else "", colspan=s,
                                   cell_id=cid if c.key in cols else None))
            grid.append(cells)
    return grid


def _spread(n: int, width: int) -> list[int]:
    base = [width // n] * n
    base[-1] += width - sum(base)
    return base


def _grouped_grid(block: Block, values: dict[str, int | float | None]) -> Grid:
    label_cols = 1 + max(_level(r) for r in block.rows)
    grid: Grid = []
    # header: corner note, 申请人情况, then the applicant columns (法人或其他组织 over its five)
    n = len(block.columns)
    sub = next((g for g in block.column_groups if len(g.get("columns", [])) < n - 1), None)
    top = next((g for g in block.column_groups if g is not sub), None)
    corner = LCell(block.corner.text if block.corner else "", rowspan=3 if sub else 2, colspan=label_cols, header=True)
    if top is not None:
        grid.append([corner, LCell(top["label"], colspan=n, header=True)])
    row2: list[LCell] = [] if top is not None else [corner]
    row3: list[LCell] = []
    k = 0
    cols = list(block.columns)
    while k < n:
        c = cols[k]
        if sub is not None and c.key == sub["columns"][0]:
            row2.append(LCell(sub["label"], colspan=len(sub["columns"]), header=True))
            row3 += [LCell(block.columns[k + j].label.text, header=True) for j in range(len(sub["columns"]))]
            k += len(sub["columns"])
            continue
        row2.append(LCell(c.label.text, rowspan=2 if sub else 1, header=True))
        k += 1
    grid.append(row2)
    if row3:
        grid.append(row3)
    rows = list(block.rows)
    spans: dict[int, int] = {}
    for i, row in enumerate(rows):
        if row.group:  # a merged label down the rows it groups: until a row of its level or higher
            lv, n = _level(row), 0
            for later in rows[i + 1:]:
                if _level(later) <= lv:
                    break
                n += 0 if later.group else 1
            spans[i] = n
    active: list[int] = []
    pending: list[LCell] = []
    for i, row in enumerate(rows):
        if row.group:
            pending.append(LCell(f"{row.numbering}{row.label.text}", rowspan=spans[i], header=True))
            active.append(spans[i])
            continue
        cells = pending + [LCell(f"{row.numbering}{row.label.text}", colspan=label_cols - len(active), header=True)]
        pending = []
        for c in block.row_columns(row):
            cid = f"{block.table}.{row.key}.{c.key}"
            cells.append(LCell(fmt(values.get(cid)), cell_id=cid))
        grid.append(cells)
        active = [n - 1 for n in active if n - 1 > 0]
    return grid


def _flat_grid(block: Block, values: dict[str, int | float | None]) -> Grid:
    ncol = len(block.columns)
    data_rows = block.data_rows()
    row1 = [LCell(g["label"], colspan=ncol * len(g["rows"]), header=True) for g in block.column_groups]
    row2: list[LCell] = []
    row3: list[LCell] = []
    for g in block.column_groups:
        if len(g["rows"]) == 1:
            row2 += [LCell(c.label.text, rowspan=2, header=True) for c in block.columns]
        else:
            for rk in g["rows"]:
                row = next(r for r in data_rows if r.key == rk)
                row2.append(LCell(row.label.text, colspan=ncol, header=True))
                row3 += [LCell(c.label.text, header=True) for c in block.columns]
    values_row = [
        LCell(fmt(values.get(f"{block.table}.{r.key}.{c.key}")), cell_id=f"{block.table}.{r.key}.{c.key}")
        for r in data_rows for c in block.row_columns(r)
    ]
    return [row1, row2, row3, values_row]


@dataclass(frozen=True)
class Section:
    numeral: str
    title: str
    paragraphs: list[str]
    grid: Grid | None


def sections(report: Report) -> list[Section]:
    """The six parts in order: heading, text, and the part's table if it has one."""
    t: Template = load_template(report.template)
    out = []
    for part in t.parts:
        table = next((tb for tb in t.tables if tb.part == part.key), None)
        text = report.parts[part.key].text if part.key in report.parts else ""
        paras = [] if table is not None else [p.strip() for p in text.split("\n") if p.strip()]
        if table is None and not paras:
            paras = ["无。"]
        grid = table_grid(table, report.cells) if table is not None else None
        out.append(Section(part.numeral, f"{part.numeral}、{part.title}", paras, grid))
    return out


def title(report: Report) -> str:
    return f"{report.agency or ''}{report.report_year or ''}年政府信息公开工作年度报告"
