"""The XLSX workbook, for colleagues who live in Excel or WPS, written one report at a time.

Sheets, in order:

* ``汇总``: one row per file (every report, and every file that could not be read, with the
  reason), with its agency, year, template and how many cells have each status;
* ``单元格``: the long form, one row per cell with its labels, value, status and evidence (the
  columns of the long CSV), the status cell filled in the status's colour;
* ``数值-2021模板`` (one per template met): one row per report, one column per cell;
* one sheet per table of the template (``主动公开政府信息情况`` …), each report's table laid out as
  the template prints it (merged cells included) one below the other; every data cell is filled
  in its status's colour, and a cell the arithmetic placed, computed, the prose resolved or the
  text left ambiguous carries a comment saying how;
* ``说明``: the legend (statuses, their Chinese names, colours and meaning).

With ``summary=False`` only the laid-out tables are written, without colours: the official layout
``xxgk render --to xlsx`` uses. XlsxWriter writes rows as they come (``constant_memory``), so a
batch's memory stays flat; the long form fills one sheet, hence :data:`MAX_REPORTS`.
Every text cell is written as text, made safe against formula injection and for XML
(:func:`xxgk.safetext.sheet_text`), in :meth:`Workbook._write_row` and :func:`_text`.
"""

from __future__ import annotations

import os
from typing import IO, TYPE_CHECKING, Any

import xlsxwriter

from xxgk.export import (
    LONG_FIELDS,
    LONG_HEADER,
    STATUS_MEANING,
    STATUS_ZH,
    cell_labels,
    long_rows,
)
from xxgk.layout import Grid, LCell, placed, table_grid, title
from xxgk.model import CELL_STATUSES, CellInfo, Report
from xxgk.safetext import sheet_text, xml_text
from xxgk.template import load_template

if TYPE_CHECKING:
    from xxgk.batch import Item

# A sheet holds 1,048,576 rows and the long form takes one per cell (about 200 a report).
MAX_REPORTS = 5000
MAX_TEXT = 32767  # Excel's longest cell text
FILLS = {"read": None, "placed": "#DDEBF7", "blank": "#EDEDED", "computed": "#E2EFDA",
         "resolved": "#E4DFEC", "ambiguous": "#FFE699", "missing": "#F8CBAD"}
OVERVIEW = [("序号", "no"), ("来源文件", "source_path"), ("结果", "result"), ("机关", "agency"),
            ("年度", "report_year"), ("模板", "template"), ("发布日期", "published_date"), ("标题", "title")]


def too_many(n: int) -> str | None:
    """Why ``n`` files cannot go into one workbook (one line, Chinese / English), or None."""
    if n <= MAX_REPORTS:
        return None
    return (f"XLSX 最多容纳 {MAX_REPORTS} 份报告（“单元格”表每份约 200 行，Excel 每表上限 1048576 行），"
            f"本次有 {n} 个文件；请用 --format csv 或 jsonl，或分批导出 / an XLSX workbook holds at most "
            f"{MAX_REPORTS} reports (the long sheet takes ~200 rows each; a sheet holds 1,048,576); "
            f"this batch has {n} files: use --format csv or jsonl, or export in parts")


def _text(v: str) -> str:
    """A text cell's content: safe (:func:`xxgk.safetext.sheet_text`) and within Excel's length."""
    return sheet_text(v)[:MAX_TEXT]


def _comment(info: CellInfo) -> str | None:
    cands = "、".join("空" if c is None else str(c) for c in info.candidates)
    if info.status == "placed":
        return f"定位 placed：{info.note or ''}"
    if info.status == "computed":
        return f"计算 computed（{info.relation or ''}）：{info.note or ''}"
    if info.status == "resolved":
        sentence = info.evidence.text if info.evidence else ""
        return f"正文确定 resolved：表格读法 {cands}；正文：{sentence}"
    if info.status == "ambiguous":
        return f"待定 ambiguous：候选值 {cands}" + ("" if info.complete else f"（未能列全：{info.note or ''}）")
    return None


class Workbook:
    """Add items (reports or failures) one by one, then ``close()`` to finish the file."""

    def __init__(self, target: str | os.PathLike[str] | IO[bytes], *, summary: bool = True) -> None:
        self.wb = xlsxwriter.Workbook(os.fspath(target) if isinstance(target, (str, os.PathLike)) else target,
                                      {"constant_memory": True, "strings_to_formulas": False,
                                       "strings_to_urls": False, "strings_to_numbers": False})
        self.summary = summary
        wb = self.wb
        self.bold = wb.add_format({"bold": True})
        self.head = wb.add_format({"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#F2F2F2",
                                   "border": 1})
        base = {"border": 1, "align": "center", "valign": "vcenter", "text_wrap": True}
        self.cell_fmt = {s: wb.add_format({**base, **({"bg_color": c} if c and summary else {})})
                         for s, c in FILLS.items()}
        self.plain = self.cell_fmt["read"]
        self.status_fmt = {s: wb.add_format({"bg_color": c} if c else {}) for s, c in FILLS.items()}
        self.n = 0
        self.rows: dict[str, int] = {}
        self.sheets: dict[str, Any] = {}
        if summary:
            self.overview = self._sheet("汇总", [f"{zh} {en}" for zh, en in OVERVIEW]
                                        + [f"{STATUS_ZH[s]} {s}" for s in CELL_STATUSES] + ["失败原因 failure"])
            self.overview.set_column(1, 1, 40)
            self.overview.set_column(3, 3, 30)
            self.long = self._sheet("单元格", LONG_HEADER)
            self.long.set_column(0, 0, 30)
            self.long.set_column(5, 7, 24)
            self.long.set_column(8, 8, 36)

    def _sheet(self, name: str, header: list[str] | None = None) -> Any:
        ws = self.wb.add_worksheet(name[:31])
        self.sheets[name] = ws
        self.rows[name] = 0
        if header:
            for c, h in enumerate(header):
                ws.write_string(0, c, _text(h), self.head)
            ws.freeze_panes(1, 0)
            self.rows[name] = 1
        return ws

    def _next(self, name: str, n: int = 1) -> int:
        r = self.rows[name]
        self.rows[name] = r + n
        return r

    def add(self, item: Item) -> None:
        self.n += 1
        if self.summary:
            self._overview(item)
        r = item.report
        if r is None:
            return
        if self.summary:
            self._long(r)
            self._values(r)
        for table in load_template(r.template).tables:
            self._layout(r, table)

    def _overview(self, item: Item) -> None:
        ws = self.overview
        row = self._next("汇总")
        r = item.report
        values: list[Any] = [self.n, item.path, "已读取" if r else "失败"]
        if r is not None:
            counts = dict.fromkeys(CELL_STATUSES, 0)
            for info in r.provenance.values():
                counts[info.status] = counts.get(info.status, 0) + 1
            values += [r.agency or "", r.report_year, r.template,
                       r.published_date.isoformat() if r.published_date else None, r.title or ""]
            values += [counts[s] for s in CELL_STATUSES] + [None]
        else:
            f = item.failure
            values += [None] * (len(OVERVIEW) - 3 + len(CELL_STATUSES))
            values.append(f"{f.message} / {f.message_en}" if f else "")
        self._write_row(ws, row, values)

    def _write_row(self, ws: Any, row: int, values: list[Any], fmts: dict[int, Any] | None = None) -> None:
        for c, v in enumerate(values):
            fmt = fmts.get(c) if fmts else None
            if v is None or v == "":
                if fmt is not None:
                    ws.write_blank(row, c, None, fmt)
            elif isinstance(v, str):
                ws.write_string(row, c, _text(v), fmt)
            else:
                ws.write_number(row, c, v, fmt)

    def _long(self, r: Report) -> None:
        status_col = [en for _, en in LONG_FIELDS].index("status")
        for values in long_rows(r):
            fmt = self.status_fmt.get(values[status_col])
            self._write_row(self.long, self._next("单元格"), values, {status_col: fmt, status_col + 1: fmt})

    def _values(self, r: Report) -> None:
        name = f"数值-{r.template}模板"
        if name not in self.sheets:
            ids = load_template(r.template).cell_ids
            labels = cell_labels(r.template)
            ws = self._sheet(name)
            lead = ["来源文件 source_path", "机关 agency", "年度 report_year"]
            self._write_row(ws, 0, lead + ids, dict.fromkeys(range(len(lead) + len(ids)), self.head))
            self._write_row(ws, 1, ["", "", ""] + [" / ".join(labels[i]) for i in ids],
                            dict.fromkeys(range(3, 3 + len(ids)), self.head))
            ws.freeze_panes(2, 3)
            ws.set_column(0, 1, 30)
            self.rows[name] = 2
        ws = self.sheets[name]
        ids = list(r.cells)
        fmts = {3 + k: self.status_fmt[r.provenance[c].status] for k, c in enumerate(ids) if c in r.provenance}
        self._write_row(ws, self._next(name), [r.source_path or "", r.agency or "", r.report_year]
                        + [r.cells[c] for c in ids], fmts)

    def _layout(self, r: Report, table: Any) -> None:
        name = table.title
        if name not in self.sheets:
            ws = self._sheet(name)
            ws.set_column(0, 0, 16)
            ws.set_column(1, 1, 20)
            ws.set_column(2, 2, 30)
        ws = self.sheets[name]
        grid = table_grid(table, r.cells)
        top = self._next(name, len(grid) + 3)
        ws.write_string(top, 0, _text(f"{title(r)} {table.title}"), self.bold)
        if self.summary and r.source_path:
            ws.write_string(top + 1, 0, _text(r.source_path))
        self._grid(ws, top + 2, grid, r)

    def _grid(self, ws: Any, top: int, grid: Grid, r: Report) -> None:
        """The grid in row order (XlsxWriter's constant-memory mode writes rows as they come):
        each cell at its place, the places a merged cell covers written blank with its format."""
        at: dict[tuple[int, int], tuple[LCell, bool]] = {}
        for ri, col, c in placed(grid):
            for dr in range(c.rowspan):
                for dc in range(c.colspan):
                    at[(ri + dr, col + dc)] = (c, dr == 0 and dc == 0)
        for (ri, col) in sorted(at):
            c, origin = at[(ri, col)]
            info = r.provenance.get(c.cell_id) if c.cell_id else None
            fmt = self.cell_fmt[info.status] if info is not None else self.plain
            row = top + ri
            if not origin:
                ws.write_blank(row, col, None, fmt)
                continue
            if c.rowspan > 1 or c.colspan > 1:
                # The merge range alone (XlsxWriter's merge_range writes the covered cells at
                # once, which constant-memory mode cannot do for rows below); pinned version.
                ws.merge.append([row, col, row + c.rowspan - 1, col + c.colspan - 1])
            if c.cell_id is None:
                ws.write_string(row, col, _text(c.text), fmt)
                continue
            v = r.cells.get(c.cell_id)
            if v is None:
                ws.write_blank(row, col, None, fmt)
            else:
                ws.write_number(row, col, v, fmt)
            note = _comment(info) if info is not None and self.summary else None
            if note:
                ws.write_comment(row, col, xml_text(note)[:MAX_TEXT], {"x_scale": 2, "y_scale": 2})

    def _legend(self) -> None:
        ws = self._sheet("说明", ["状态 status", "中文", "颜色 colour", "含义 meaning"])
        ws.set_column(0, 2, 14)
        ws.set_column(3, 3, 90)
        for k, s in enumerate(CELL_STATUSES, 1):
            self._write_row(ws, k, [s, STATUS_ZH[s], "无 none" if FILLS[s] is None else FILLS[s],
                                    STATUS_MEANING[s]], {2: self.cell_fmt[s]})
        notes = [
            "“单元格”表每行一个单元格：数值、状态及其依据（原文行、列、文字；正文确定的依据句）/ one row per cell",
            "表格页中，定位、计算、正文确定、待定的单元格有批注说明依据 / cells carry comments saying how",
            "以 = + - @ 开头的文字前加了 ' ，以免被当作公式 / text starting with = + - @ is prefixed with '",
        ]
        for k, text in enumerate(notes, len(CELL_STATUSES) + 2):
            ws.write_string(k, 0, _text(text))

    def close(self) -> None:
        if self.summary:
            self._legend()
        self.wb.close()
