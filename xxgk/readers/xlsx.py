"""Excel workbooks (XLSX), e.g. a report's tables kept in Excel/WPS: every sheet becomes a table
(merged cells become spans; the cells they cover are not repeated), sheets in order."""

from __future__ import annotations

import io
import re
import zipfile

from xxgk.document import Document, TableCell
from xxgk.errors import XxgkError
from xxgk.readers.docx import ZIP_ERRORS, open_zip, read_member, zip_names

EXCEL = ("Excel 文件", "Excel file")
# Bounds on work: a report's tables fill a few hundred cells; a sheet's used range (cells and
# merged ranges) past MAX_CELLS is refused rather than walked (a stray cell at XFD1048576 would
# otherwise mean seventeen billion empty cells).
MAX_CELLS = 500_000
MAX_SHEETS = 50


def is_xlsx(data: bytes) -> bool:
    return "xl/workbook.xml" in (zip_names(data) or [])


def _too_large(name: str, what: str, what_en: str) -> XxgkError:
    return XxgkError("too-complex", f"Excel 文件过大（{what}），不像年度报告，已拒绝：{name}",
                     f"refused: the workbook is too large for an annual report ({what_en}): {name}")


# A DTD or an entity declaration, in the encodings an XML part may use (UTF-8, UTF-16).
_DTD = [w.encode(enc) for w in ("<!DOCTYPE", "<!ENTITY") for enc in ("utf-8", "utf-16-le", "utf-16-be")]


def refuse_dtd(z: zipfile.ZipFile, name: str, code: str = "bad-xlsx") -> None:
    """Refuse an Office ZIP any of whose XML parts declares a DTD or entities (entity expansion:
    a billion laughs; external entities), wherever in the part: openpyxl parses parts lazily
    (read-only mode), so this is checked before it sees any. Real workbooks declare none."""
    for member in z.namelist():
        if not member.endswith((".xml", ".rels", ".vml")):
            continue
        tail = b""
        try:
            with z.open(member) as fh:
                while chunk := fh.read(1 << 20):  # streamed: a large sheet is never held whole
                    window = tail + chunk
                    if any(w in window for w in _DTD):
                        raise XxgkError("xml-entities", f"表格文件含有 DTD/实体声明，已拒绝：{name}",
                                        f"refused: the workbook declares a DTD or entities: {name}")
                    tail = window[-32:]
        except ZIP_ERRORS as e:
            raise XxgkError(code, f"{EXCEL[0]}已损坏或不完整：{name}（{type(e).__name__}）",
                            f"corrupted or truncated {EXCEL[1]}: {name} ({type(e).__name__})") from None


def read_xlsx(data: bytes, name: str = "<bytes>") -> Document:
    import openpyxl

    with open_zip(data, name, EXCEL, "bad-xlsx") as z:
        refuse_dtd(z, name)
        merged = 0
        for member in z.namelist():
            if member.startswith("xl/worksheets/") and member.endswith(".xml"):
                # openpyxl makes an object for every cell a merged range covers: count them first
                merged += _merged_area(read_member(z, member, name, EXCEL, "bad-xlsx"))
                if merged > MAX_CELLS:
                    raise _too_large(name, f"合并单元格超过 {MAX_CELLS} 格", f"merged cells over {MAX_CELLS}")
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    except MemoryError:
        raise
    except Exception as e:  # openpyxl raises many kinds on a damaged workbook
        raise XxgkError("bad-xlsx", f"Excel 文件已损坏：{name}（{type(e).__name__}）",
                        f"corrupted Excel file: {name} ({type(e).__name__})") from None
    if len(wb.worksheets) > MAX_SHEETS:
        raise _too_large(name, f"{len(wb.worksheets)} 个工作表", f"{len(wb.worksheets)} sheets")
    items: list[str | list[list[TableCell]]] = []
    budget = MAX_CELLS
    for ws in wb.worksheets:
        budget -= ws.max_row * ws.max_column
        if budget < 0:
            raise _too_large(name, f"超过 {MAX_CELLS} 格", f"over {MAX_CELLS} cells")
        spans: dict[tuple[int, int], tuple[int, int]] = {}
        covered: set[tuple[int, int]] = set()
        for rng in ws.merged_cells.ranges:
            # the part of a merged range inside the used range (the rest holds nothing to read)
            r1, c1 = min(rng.max_row, ws.max_row), min(rng.max_col, ws.max_column)
            spans[(rng.min_row, rng.min_col)] = (rng.max_row - rng.min_row + 1, rng.max_col - rng.min_col + 1)
            for r in range(rng.min_row, r1 + 1):
                for c in range(rng.min_col, c1 + 1):
                    if (r, c) != (rng.min_row, rng.min_col):
                        covered.add((r, c))
            if len(covered) > MAX_CELLS:
                raise _too_large(name, f"合并单元格超过 {MAX_CELLS} 格", f"merged cells over {MAX_CELLS}")
        rows: list[list[TableCell]] = []
        last_col = max((c.column for row in ws.iter_rows() for c in row if c.value not in (None, "")), default=0)
        for r, row in enumerate(ws.iter_rows(), 1):
            cells: list[TableCell] = []
            for cell in row:
                if (r, cell.column) in covered:
                    continue
                rs, cs = spans.get((r, cell.column), (1, 1))
                cells.append(TableCell(_text(cell.value), r - 1, cell.column - 1, rs, cs))
            # empty cells past the table's last used column are not cells of the table; empty
            # cells within it are (a row whose cells are all empty is a blank row, not a label alone)
            while cells and not cells[-1].text and cells[-1].colspan == 1 and cells[-1].col >= last_col:
                cells.pop()
            if cells:
                rows.append(cells)
        if rows:
            items.append(rows)
    return Document.from_blocks(items, "xlsx")


_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\b[^>]*\bref="\$?([A-Za-z]{1,3})\$?(\d{1,7})(?::\$?([A-Za-z]{1,3})\$?(\d{1,7}))?"')


def _column(letters: bytes) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ch - 64
    return n


def _merged_area(xml: bytes) -> int:
    """Cells covered by the merged ranges a sheet's XML declares."""
    total = 0
    for m in _MERGE.finditer(xml):
        if m.group(3) is None:
            continue
        rows = abs(int(m.group(4)) - int(m.group(2))) + 1
        cols = abs(_column(m.group(3)) - _column(m.group(1))) + 1
        total += rows * cols
    return total


def _text(v: object) -> str:
    """A cell's value as text: whole numbers without .0; errors, dates and the rest as printed."""
    if v is None:
        return ""
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else str(v)
    return str(v)
