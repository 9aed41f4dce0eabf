"""PDFs with a text layer (exported from Word or WPS) into the intermediate Document.

Tables are rebuilt from their ruling lines (pdfplumber's table finder) and the characters'
positions: the grid's rows and columns are the distinct cell edges, a cell's spans are the grid
lines it crosses, and each character goes to the cell that holds its **centre point** (CJK glyph
boxes are taller than the rows, so cropping a cell pulls in the next row's text). Text outside
tables becomes paragraphs, in reading order with the tables; page numbers ("-3-", "— 3 —") are
dropped. A table that continues on the next page needs no joining: the extractor reads rows in
order. A PDF with no text layer (a scan) is refused with a clear message: OCR is not supported.
"""

from __future__ import annotations

import io
import re
from bisect import bisect_right

from xxgk.document import Document, TableCell
from xxgk.errors import XxgkError

_PAGE_NUMBER = re.compile(r"^[\s\-—–－]*(?:第\s*)?\d{1,4}(?:\s*页)?[\s\-—–－]*$")
MAX_PAGES = 200


def read_pdf(data: bytes, name: str = "<bytes>") -> Document:
    import pdfplumber
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
    from pdfminer.pdfparser import PDFSyntaxError

    try:
        pdf = pdfplumber.open(io.BytesIO(data))
        pages = pdf.pages
    except (PDFPasswordIncorrect, PDFEncryptionError):
        raise XxgkError("pdf-encrypted", f"PDF 已加密，无法读取：{name}", f"the PDF is encrypted: {name}") from None
    except (PDFSyntaxError, Exception) as e:  # pdfminer raises many kinds on broken files
        if _encrypted(e):
            raise XxgkError("pdf-encrypted", f"PDF 已加密，无法读取：{name}", f"the PDF is encrypted: {name}") from None
        raise XxgkError("bad-pdf", f"PDF 文件已损坏：{name}", f"corrupted PDF: {name}") from None
    items: list[str | list[list[TableCell]]] = []
    chars_seen = 0
    try:
        with pdf:
            if len(pages) > MAX_PAGES:
                raise XxgkError("too-large", f"PDF 页数过多（{len(pages)} 页）：{name}",
                                f"too many pages ({len(pages)}): {name}")
            for page in pages:
                chars_seen += len(page.chars)
                items.extend(_page_items(page))
    except XxgkError:
        raise
    except Exception as e:
        if _encrypted(e):
            raise XxgkError("pdf-encrypted", f"PDF 已加密，无法读取：{name}", f"the PDF is encrypted: {name}") from None
        raise XxgkError("bad-pdf", f"PDF 文件已损坏：{name}（{type(e).__name__}）",
                        f"corrupted PDF: {name} ({type(e).__name__})") from None
    if chars_seen == 0:
        raise XxgkError(
            "pdf-no-text",
            f"PDF 没有文字层（疑为扫描件），暂不支持文字识别（OCR）：{name}",
            f"the PDF has no text layer (a scan?); OCR is not supported yet: {name}",
        )
    return Document.from_blocks(items, "pdf")


def _encrypted(e: BaseException) -> bool:
    """pdfplumber wraps pdfminer's password errors; look through the wrapping."""
    seen: list[BaseException] = [e, *[a for a in e.args if isinstance(a, BaseException)]]
    if e.__cause__ is not None:
        seen.append(e.__cause__)
    return any("password" in type(x).__name__.lower() or "encrypt" in type(x).__name__.lower()
               or "password" in str(x).lower() for x in seen)


def _page_items(page: object) -> list[str | list[list[TableCell]]]:
    tables = page.find_tables()  # type: ignore[attr-defined]
    boxes = [t.bbox for t in tables]
    placed: list[tuple[float, str | list[list[TableCell]]]] = []
    for t in tables:
        grid = _grid(t, page.chars)  # type: ignore[attr-defined]
        if grid:
            placed.append((t.bbox[1], grid))

    def outside(obj: dict) -> bool:
        cx = (obj["x0"] + obj["x1"]) / 2
        cy = (obj["top"] + obj["bottom"]) / 2
        return not any(b[0] <= cx <= b[2] and b[1] <= cy <= b[3] for b in boxes)

    rest = page.filter(lambda o: o.get("object_type") != "char" or outside(o))  # type: ignore[attr-defined]
    lines = [ln for ln in rest.extract_text_lines(layout=False, strip=True)
             if ln["text"] and not _PAGE_NUMBER.match(ln["text"])]
    if lines:
        right = max(ln["x1"] for ln in lines)
        left = min(ln["x0"] for ln in lines)
        em = max(8.0, min(ln["bottom"] - ln["top"] for ln in lines))
        prev = None
        for ln in lines:
            # a line that ran to the right margin continues on the next, unless that one is indented
            if (prev is not None and prev["x1"] >= right - 1.5 * em and ln["x0"] <= left + 0.5 * em
                    and isinstance(placed[-1][1], str)):
                placed[-1] = (placed[-1][0], placed[-1][1] + ln["text"])
            else:
                placed.append((ln["top"], ln["text"]))
            prev = ln
    placed.sort(key=lambda x: x[0])
    return [p for _, p in placed]


def _edges(values: list[float], tol: float = 2.0) -> list[float]:
    out: list[float] = []
    for v in sorted(values):
        if not out or v - out[-1] > tol:
            out.append(v)
    return out


def _index(edges: list[float], v: float, tol: float = 2.0) -> int:
    i = bisect_right(edges, v + tol) - 1
    return max(0, i)


def _grid(table: object, chars: list[dict]) -> list[list[TableCell]]:
    cells = [c for c in table.cells if c is not None]  # type: ignore[attr-defined]
    if not cells:
        return []
    xs = _edges([c[0] for c in cells] + [c[2] for c in cells])
    ys = _edges([c[1] for c in cells] + [c[3] for c in cells])
    spec: list[tuple[int, int, int, int]] = []
    at: dict[tuple[int, int], int] = {}
    for k, (x0, top, x1, bottom) in enumerate(cells):
        c0, c1 = _index(xs, x0), _index(xs, x1)
        r0, r1 = _index(ys, top), _index(ys, bottom)
        spec.append((r0, c0, max(1, r1 - r0), max(1, c1 - c0)))
        for r in range(r0, max(r0 + 1, r1)):
            for c in range(c0, max(c0 + 1, c1)):
                at[(r, c)] = k
    texts: list[list[tuple[float, float, str]]] = [[] for _ in cells]
    bx0, btop, bx1, bbottom = table.bbox  # type: ignore[attr-defined]
    for ch in chars:
        cx = (ch["x0"] + ch["x1"]) / 2
        cy = (ch["top"] + ch["bottom"]) / 2
        if not (bx0 <= cx <= bx1 and btop <= cy <= bbottom):
            continue
        col = bisect_right(xs, cx) - 1
        row = bisect_right(ys, cy) - 1
        k = at.get((row, col))
        if k is not None:
            texts[k].append((ch["top"], ch["x0"], ch["text"]))
    rows: dict[int, list[TableCell]] = {}
    for k, (r0, c0, rs, cs) in enumerate(spec):
        text = _cell_text(texts[k])
        rows.setdefault(r0, []).append(TableCell(text, r0, c0, rs, cs))
    return [sorted(rows[r], key=lambda c: c.col) for r in sorted(rows)]


def _cell_text(chars: list[tuple[float, float, str]]) -> str:
    """Characters in reading order: lines by their top, left to right within a line."""
    if not chars:
        return ""
    chars.sort()
    lines: list[list[tuple[float, float, str]]] = []
    for ch in chars:
        if lines and abs(ch[0] - lines[-1][0][0]) < 3:
            lines[-1].append(ch)
        else:
            lines.append([ch])
    out = []
    for line in lines:
        line.sort(key=lambda c: c[1])
        out.append("".join(c[2] for c in line))
    return " ".join(" ".join(out).split())
