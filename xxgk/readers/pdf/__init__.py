"""PDFs with a text layer (exported from Word or WPS) into the intermediate Document.

Read with PDFium (pypdfium2): each page's characters with their boxes and its path objects.
Tables are rebuilt from the ruling lines (``grid``): the grid's regions bounded by rulings are the
cells, a missing ruling makes a span, and each character goes to the cell holding its centre
point. Text outside tables becomes lines, ordered with the tables by position (``layout``);
paragraphs wrapped at the right margin are joined; page numbers and running headers and footers
are dropped; a table cut by a page break is mended (repeated header, broken row, cut vertical
label). A PDF with no text layer (a scan) is refused with a clear message: OCR is not supported.

Untrusted input: the streams are looked at before PDFium inflates them (``guard``: no
decompression bombs), and pages, characters, objects and table sizes are bounded, so no file
takes more than a few seconds or a few hundred MB; any failure is one line, never a traceback.
"""

from __future__ import annotations

import ctypes
import threading

from xxgk.document import Document
from xxgk.errors import XxgkError
from xxgk.readers.pdf.boxes import Layout
from xxgk.readers.pdf.grid import find_grids, place_chars
from xxgk.readers.pdf.guard import check_streams
from xxgk.readers.pdf.layout import (
    Page,
    drop_furniture,
    join_paragraphs,
    page_blocks,
    page_number_chars,
    repair_splits,
    to_items,
)
from xxgk.readers.pdf.page import read_page

MAX_PAGES = 200
MAX_CHARS = 400_000  # in the whole document
_LOCK = threading.Lock()  # PDFium is not thread-safe


def _encrypted(name: str) -> XxgkError:
    return XxgkError("pdf-encrypted", f"PDF 已加密，无法读取：{name}", f"the PDF is encrypted: {name}")


def _corrupted(name: str, why: str = "") -> XxgkError:
    return XxgkError("bad-pdf", f"PDF 文件已损坏：{name}{f'（{why}）' if why else ''}",
                     f"corrupted PDF: {name}{f' ({why})' if why else ''}")


def read_pdf(data: bytes, name: str = "<bytes>") -> Document:
    check_streams(data, name)
    try:
        with _LOCK:
            pages, chars = _read_pages(data, name)
        if chars == 0:
            raise XxgkError(
                "pdf-no-text",
                f"PDF 没有文字层（疑为扫描件），暂不支持文字识别（OCR）：{name}",
                f"the PDF has no text layer (a scan?); OCR is not supported yet: {name}",
            )
        drop_furniture(pages)
        blocks = join_paragraphs(pages)
        repair_splits(blocks)
        doc = Document.from_blocks(to_items(blocks), "pdf")
        doc.layout = Layout(blocks)  # where the text is drawn, computed when asked (source view)
        doc.page_sizes = [(p.width, p.height) for p in pages]
        return doc
    except XxgkError:
        raise
    except Exception as e:  # a bug's or PDFium's surprise on a broken file: still one line
        raise _corrupted(name, type(e).__name__) from None


def _read_pages(data: bytes, name: str) -> tuple[list[Page], int]:
    import pypdfium2.raw as pdfium_c

    buf = ctypes.create_string_buffer(data, len(data))
    doc = pdfium_c.FPDF_LoadMemDocument64(buf, len(data), None)
    if not doc:
        if pdfium_c.FPDF_GetLastError() == pdfium_c.FPDF_ERR_PASSWORD:
            raise _encrypted(name)
        raise _corrupted(name)
    try:
        n = pdfium_c.FPDF_GetPageCount(doc)
        if n > MAX_PAGES:
            raise XxgkError("too-large", f"PDF 页数过多（{n} 页）：{name}", f"too many pages ({n}): {name}")
        if n <= 0:
            raise _corrupted(name, "没有页面 / no pages")
        read = []
        chars = 0
        for i in range(n):
            pc = read_page(doc, i, name)
            chars += len(pc.chars)
            if chars > MAX_CHARS:
                raise XxgkError("too-large", f"PDF 文字过多（超过 {MAX_CHARS} 个字符）：{name}",
                                f"too much text in the PDF (over {MAX_CHARS} characters): {name}")
            read.append((pc, find_grids(pc, name)))
        numbers = page_number_chars([(pc.chars, pc.width, pc.height) for pc, _ in read])
        pages = []
        for pc, grids in read:
            rest = place_chars(grids, [c for c in pc.chars if id(c) not in numbers])
            pages.append(page_blocks(pc.number, pc.width, pc.height, grids, rest))
        return pages, chars
    finally:
        pdfium_c.FPDF_CloseDocument(doc)
        del buf
