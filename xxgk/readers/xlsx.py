"""Excel workbooks (XLSX), e.g. a report's tables kept in Excel/WPS: every sheet becomes a table
(merged cells become spans; the cells they cover are not repeated), sheets in order."""

from __future__ import annotations

import io
import zipfile

from xxgk.document import Document, TableCell
from xxgk.errors import XxgkError
from xxgk.readers.docx import MAX_RATIO, MAX_UNCOMPRESSED


def is_xlsx(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return "xl/workbook.xml" in z.namelist()
    except zipfile.BadZipFile:
        return False


def read_xlsx(data: bytes, name: str = "<bytes>") -> Document:
    import openpyxl

    with zipfile.ZipFile(io.BytesIO(data)) as z:
        infos = z.infolist()
        total = sum(i.file_size for i in infos)
        packed = sum(i.compress_size for i in infos) or 1
        if total > MAX_UNCOMPRESSED or total / packed > MAX_RATIO:
            raise XxgkError("zip-bomb", f"文件解压后过大，疑为压缩炸弹，已拒绝：{name}",
                            f"refused: the file would inflate too much (a zip bomb): {name}")
        for i in infos:
            if i.filename.endswith(".xml"):
                head = z.open(i).read(2048)
                if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                    raise XxgkError("xml-entities", f"表格文件含有 DTD/实体声明，已拒绝：{name}",
                                    f"refused: the workbook declares a DTD or entities: {name}")
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    except Exception as e:
        raise XxgkError("bad-xlsx", f"Excel 文件已损坏：{name}（{type(e).__name__}）",
                        f"corrupted Excel file: {name} ({type(e).__name__})") from None
    items: list[str | list[list[TableCell]]] = []
    for ws in wb.worksheets:
        spans: dict[tuple[int, int], tuple[int, int]] = {}
        covered: set[tuple[int, int]] = set()
        for rng in ws.merged_cells.ranges:
            spans[(rng.min_row, rng.min_col)] = (rng.max_row - rng.min_row + 1, rng.max_col - rng.min_col + 1)
            for r in range(rng.min_row, rng.max_row + 1):
                for c in range(rng.min_col, rng.max_col + 1):
                    if (r, c) != (rng.min_row, rng.min_col):
                        covered.add((r, c))
        rows: list[list[TableCell]] = []
        last_col = max((c.column for row in ws.iter_rows() for c in row if c.value not in (None, "")), default=0)
        for r, row in enumerate(ws.iter_rows(), 1):
            cells: list[TableCell] = []
            for cell in row:
                if (r, cell.column) in covered:
                    continue
                rs, cs = spans.get((r, cell.column), (1, 1))
                v = cell.value
                text = "" if v is None else (str(int(v)) if isinstance(v, float) and v.is_integer() else str(v))
                cells.append(TableCell(text, r - 1, cell.column - 1, rs, cs))
            # empty cells past the table's last used column are not cells of the table; empty
            # cells within it are (a row whose cells are all empty is a blank row, not a label alone)
            while cells and not cells[-1].text and cells[-1].colspan == 1 and cells[-1].col >= last_col:
                cells.pop()
            if cells:
                rows.append(cells)
        if rows:
            items.append(rows)
    return Document.from_blocks(items, "xlsx")
