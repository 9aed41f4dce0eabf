"""The source view: click a cell and the source opens where it was read, highlighted.

Every format is shown as the text the reader made of it (``Document.text``, the text provenance
offsets refer to), split into numbered lines, with the spans to highlight (:class:`Mark`): a
cell's printed number, its row, the run of digits an ambiguous cell's candidates come from, the
prose that decided it. Uploaded HTML is never rendered (scripts): its linear text is shown.

A PDF can also be shown as itself: the page rendered to PNG with the boxes drawn
(:func:`render_pdf_page`), the boxes found through the reader's side map (``Document.boxes``), so
an offset maps exactly to the characters on the page it was read from.

Two sides of a failed relation get two roles (``first``, ``second``), so a page can colour them
differently; everything else has the role ``cell``. Pure functions over bytes and reports; all
work bounded (pages, pixels); errors are :class:`~xxgk.errors.XxgkError`, one line, Chinese first.
"""

from __future__ import annotations

import io
import math
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from xxgk.document import Document, TextBox
from xxgk.errors import XxgkError
from xxgk.model import Finding, Location, Report
from xxgk.readers import DEFAULT_MAX_BYTES, read_document

Role = Literal["cell", "first", "second"]
Target = str | Location | Finding

# what a highlighted span is, by the cell's status (see CellInfo.source) or by its origin
KIND_OF_STATUS: dict[str, str] = {
    "read": "number", "placed": "number", "blank": "blank", "computed": "row", "resolved": "row",
    "ambiguous": "candidates", "missing": "searched",
}

MAX_RENDER_PAGES = 200          # as many as the reader reads
MAX_SCALE = 4.0                 # 288 dpi
MIN_SCALE = 0.1
MAX_PIXELS = 12_000_000         # one rendered page: an A4 page at scale 4 is 8 million
# outline colours (RGB) of the boxes drawn on a rendered page, by role
ROLE_COLOURS: dict[str, tuple[int, int, int]] = {
    "cell": (234, 88, 12), "first": (220, 38, 38), "second": (37, 99, 235),
}


@dataclass(frozen=True)
class SourceText:
    """The document's linear text, split into lines on ``\\n`` (a trailing ``\\r`` dropped)."""

    format: str
    text: str
    lines: list[str]
    starts: list[int]  # the offset of each line's first character

    def position(self, offset: int) -> tuple[int, int]:
        """The 1-based line and 0-based column of an offset in the text."""
        i = bisect_right(self.starts, offset) - 1
        return i + 1, offset - self.starts[max(i, 0)]


@dataclass(frozen=True)
class Mark:
    """A span to highlight: ``line`` 1-based, columns ``[start, end)`` 0-based in that line
    (``start == end``: an empty cell, shown as a caret)."""

    line: int
    start: int
    end: int
    kind: str  # number, blank, row, candidates, searched, evidence, finding, location
    role: Role = "cell"
    cell: str | None = None


@dataclass(frozen=True)
class PdfBox:
    """Where located text is drawn: the page (0-based), the box in PDF points from the page's
    top-left corner as displayed (x0, top, x1, bottom), the page's size (width, height)."""

    page_index: int
    bbox: tuple[float, float, float, float]
    page_size: tuple[float, float]
    kind: str = "location"
    role: Role = "cell"
    cell: str | None = None


@dataclass(frozen=True)
class _Located:
    location: Location
    kind: str
    role: Role
    cell: str | None


# ---------------------------------------------------------------- the text


def read_source(data: bytes, name: str = "<bytes>") -> Document:
    """The document the report was read from: the same reader, the same text and offsets."""
    if len(data) > DEFAULT_MAX_BYTES:
        raise XxgkError("too-large", f"文件过大（{len(data) / 1048576:.1f} MB）：{name}",
                        f"file too large ({len(data) / 1048576:.1f} MB): {name}")
    return read_document(data, name)


def source_text(data: bytes, name: str = "<bytes>") -> SourceText:
    """A file's linear text in numbered lines, the text the report's offsets refer to."""
    return text_of(read_source(data, name))


def text_of(doc: Document) -> SourceText:
    lines, starts, pos = [], [], 0
    for line in doc.text.split("\n"):
        starts.append(pos)
        pos += len(line) + 1
        lines.append(line[:-1] if line.endswith("\r") else line)
    return SourceText(doc.format, doc.text, lines, starts)


# ---------------------------------------------------------------- what to highlight


def finding_sides(report: Report, finding: Finding) -> list[tuple[str, Role]]:
    """The cells of a finding with their side: a failed arithmetic relation's left-hand cells
    ``first``, its right-hand cells ``second``; the table cells a prose figure contradicts
    ``second`` (the prose, the finding's source, is ``first``); other findings' cells ``cell``."""
    from xxgk.template import load_template

    cells = list(finding.cells)
    for eq in load_template(report.template).equations:
        if eq.rule == finding.rule and list(eq.cells) == cells:
            return [(c, "first") for c in eq.lhs] + [(c, "second") for c in eq.rhs]
    if finding.rule == "prose-contradicts-table":
        return [(c, "second") for c in cells]
    return [(c, "cell") for c in cells]


def _cell(report: Report, cell: str, role: Role) -> list[_Located]:
    info = report.provenance.get(cell)
    if info is None:
        raise XxgkError("unknown-cell", f"报告中没有此单元格：{cell}", f"no such cell in the report: {cell}")
    out = []
    if info.source is not None:
        out.append(_Located(info.source, KIND_OF_STATUS.get(info.status, "location"), role, cell))
    if info.evidence is not None:
        out.append(_Located(info.evidence, "evidence", role, cell))
    return out


def _located(report: Report, targets: Target | Iterable[Target]) -> list[_Located]:
    if isinstance(targets, str | Location | Finding):
        targets = [targets]
    out: list[_Located] = []
    for t in targets:
        if isinstance(t, str):
            out += _cell(report, t, "cell")
        elif isinstance(t, Location):
            out.append(_Located(t, "location", "cell", None))
        else:
            sides = finding_sides(report, t)
            if t.source is not None:
                out.append(_Located(t.source, "finding", "first" if t.rule == "prose-contradicts-table"
                                    else "cell", None))
            for c, role in sides:
                if c in report.provenance:
                    out += _cell(report, c, role)
    return out


def _marks(text: SourceText, loc: Location, kind: str, role: Role, cell: str | None) -> list[Mark]:
    start, end = loc.offset, loc.offset + loc.length
    if not 0 <= start <= end <= len(text.text) or text.text[start:end] != loc.text:
        shown = " ".join(loc.text[:20].split())
        raise XxgkError("source-mismatch", f"原文与报告不一致（第 {loc.line} 行“{shown}”），报告不是从这份文件读出的",
                        f"the source does not match the report (line {loc.line}); it was not read from this file")
    line, col = text.position(start)
    if start == end:
        return [Mark(line, col, col, kind, role, cell)]
    out = []
    for i in range(line - 1, len(text.lines)):
        lo = max(start, text.starts[i]) - text.starts[i]
        hi = min(end - text.starts[i], len(text.lines[i]))
        if text.starts[i] >= end:
            break
        if hi > lo:
            out.append(Mark(i + 1, lo, hi, kind, role, cell))
    return out


def highlights(report: Report, targets: Target | Iterable[Target], text: SourceText) -> list[Mark]:
    """The spans of ``text`` to highlight for cells (ids), locations or findings: each cell's
    source (its number, its row, or the digits its candidates come from) and evidence (the prose
    that decided it), a finding's own source, with roles for the two sides of a relation.
    Sorted by position; a span named twice is kept once."""
    seen: set[tuple[int, int, int, str, str]] = set()
    out: list[Mark] = []
    for t in _located(report, targets):
        for m in _marks(text, t.location, t.kind, t.role, t.cell):
            key = (m.line, m.start, m.end, m.kind, m.role)
            if key not in seen:
                seen.add(key)
                out.append(m)
    return sorted(out, key=lambda m: (m.line, m.start, m.end))


# ---------------------------------------------------------------- PDF: boxes on the page


def pdf_boxes(doc: Document, location: Location, *, kind: str = "location", role: Role = "cell",
              cell: str | None = None) -> list[PdfBox]:
    """Where the located text is drawn on its page(s): one box per printed line it covers (cells
    of one table row together); an empty cell's own rectangle. Empty for a document that is no
    PDF, or text the page does not print (a reader's space)."""
    boxes, sizes = doc.boxes, doc.page_sizes
    if not boxes or not sizes:
        return []
    start, end = location.offset, location.offset + location.length
    starts = [b.start for b in boxes]
    chars = [b for b in boxes[bisect_left(starts, start):bisect_left(starts, end)] if b.kind == "char"]
    if not chars:  # an empty cell (at its place, or at the tab before it), or text with no glyph
        cells = [b for b in boxes if b.kind == "cell" and b.start <= start + 1 and start <= b.end]
        cells.sort(key=lambda b: (b.start != start, b.start != start + 1))
        chars = cells[:1]
    out: list[list[float]] = []
    pages: list[int] = []
    for b in _by_group(chars):
        x0, t, x1, bt = b.bbox
        last = out[-1] if out else None
        if last is not None and pages[-1] == b.page and min(bt, last[3]) - max(t, last[1]) > 0.5 * (bt - t):
            last[0], last[1], last[2], last[3] = min(last[0], x0), min(last[1], t), max(last[2], x1), max(last[3], bt)
        else:
            out.append([x0, t, x1, bt])
            pages.append(b.page)
    return [PdfBox(p, (r[0], r[1], r[2], r[3]), sizes[p], kind, role, cell)
            for p, r in zip(pages, out, strict=True) if 0 <= p < len(sizes)]


def _by_group(boxes: list[TextBox]) -> list[TextBox]:
    """Character boxes united by printed line or table cell (``group``), in order."""
    out: list[TextBox] = []
    for b in boxes:
        if out and out[-1].group == b.group and out[-1].page == b.page:
            a = out[-1]
            box = (min(a.bbox[0], b.bbox[0]), min(a.bbox[1], b.bbox[1]),
                   max(a.bbox[2], b.bbox[2]), max(a.bbox[3], b.bbox[3]))
            out[-1] = TextBox(a.start, b.end, a.page, box, a.kind, a.group)
        else:
            out.append(b)
    return out


def pdf_box(data: bytes, location: Location, name: str = "<bytes>") -> PdfBox | None:
    """The first box of the located text in a PDF (None if it prints no glyph there)."""
    doc = read_source(data, name)
    if doc.format != "pdf":
        raise XxgkError("not-pdf", f"不是 PDF 文件：{name}", f"not a PDF file: {name}")
    found = pdf_boxes(doc, location)
    return found[0] if found else None


def pdf_highlights(doc: Document, report: Report, targets: Target | Iterable[Target]) -> list[PdfBox]:
    """:func:`highlights` on the PDF's pages: the boxes to draw, with their kinds and roles."""
    out: list[PdfBox] = []
    for t in _located(report, targets):
        for b in pdf_boxes(doc, t.location, kind=t.kind, role=t.role, cell=t.cell):
            if b not in out:
                out.append(b)
    return out


# ---------------------------------------------------------------- PDF: the page as an image


def render_pdf_page(data: bytes, page_index: int, boxes: Sequence[PdfBox] = (), scale: float = 1.5,
                    name: str = "<bytes>") -> bytes:
    """One page of a PDF as PNG, the boxes of that page drawn on it (outline and a light fill,
    coloured by role). ``scale`` is pixels per point, kept within [0.1, 4] and lowered so the
    page has at most MAX_PIXELS; a file with more than 200 pages, a damaged or encrypted one, or
    a page that does not exist is refused."""
    import pypdfium2 as pdfium
    from PIL import Image, ImageDraw

    from xxgk.readers.pdf import _LOCK as PDFIUM_LOCK  # PDFium is not thread-safe
    from xxgk.readers.pdf.guard import check_streams

    if b"%PDF-" not in data[:1024]:
        raise XxgkError("not-pdf", f"不是 PDF 文件：{name}", f"not a PDF file: {name}")
    if len(data) > DEFAULT_MAX_BYTES:
        raise XxgkError("too-large", f"文件过大（{len(data) / 1048576:.1f} MB）：{name}",
                        f"file too large ({len(data) / 1048576:.1f} MB): {name}")
    if not math.isfinite(scale):
        scale = 1.5
    scale = min(max(scale, MIN_SCALE), MAX_SCALE)
    check_streams(data, name)  # no decompression bomb reaches PDFium
    with PDFIUM_LOCK:
        try:
            pdf = pdfium.PdfDocument(data)
        except pdfium.PdfiumError as e:
            if "password" in str(e).lower():
                raise XxgkError("pdf-encrypted", f"PDF 已加密，无法读取：{name}", f"the PDF is encrypted: {name}") from None
            raise XxgkError("bad-pdf", f"PDF 文件已损坏：{name}", f"corrupted PDF: {name}") from None
        try:
            n = len(pdf)
            if n > MAX_RENDER_PAGES:
                raise XxgkError("too-large", f"PDF 页数过多（{n} 页）：{name}", f"too many pages ({n}): {name}")
            if not 0 <= page_index < n:
                raise XxgkError("bad-page", f"PDF 没有第 {page_index + 1} 页（共 {n} 页）：{name}",
                                f"the PDF has no page {page_index + 1} ({n} pages): {name}")
            page = pdf[page_index]
            try:
                w, h = page.get_size()
                if not (w > 0 and h > 0 and math.isfinite(w * h)):
                    raise XxgkError("bad-pdf", f"PDF 第 {page_index + 1} 页尺寸无效：{name}",
                                    f"page {page_index + 1} of the PDF has an invalid size: {name}")
                scale = min(scale, 0.999 * math.sqrt(MAX_PIXELS / (w * h)))  # pixels are rounded up
                dx, dy = _crop_offset(page)
                image = page.render(scale=scale, may_draw_forms=False).to_pil().convert("RGB")
            finally:
                page.close()
        except XxgkError:
            raise
        except Exception as e:  # PDFium's surprise on a broken file: still one line
            raise XxgkError("bad-pdf", f"PDF 文件已损坏：{name}（{type(e).__name__}）",
                            f"corrupted PDF: {name} ({type(e).__name__})") from None
        finally:
            pdf.close()
    overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    width = max(2, round(scale * 1.5))
    for b in boxes:
        if b.page_index != page_index:
            continue
        r, g, bl = ROLE_COLOURS.get(b.role, ROLE_COLOURS["cell"])
        x0, t, x1, bt = b.bbox
        pad = 1.0
        rect = [round((x0 - dx - pad) * scale) - width, round((t - dy - pad) * scale) - width,
                round((x1 - dx + pad) * scale) + width, round((bt - dy + pad) * scale) + width]
        draw.rectangle(rect, fill=(r, g, bl, 48), outline=(r, g, bl, 255), width=width)
    out = Image.alpha_composite(image.convert("RGBA"), overlay).convert("RGB")
    buf = io.BytesIO()
    out.save(buf, "PNG", optimize=False)
    return buf.getvalue()


def _crop_offset(page: object) -> tuple[float, float]:
    """The reader's x is the page's own, its top measured down from the media box's top; the
    rendering shows the crop box: where the crop box starts (a rotated page: taken as uncropped)."""
    try:
        if page.get_rotation() % 360:  # type: ignore[attr-defined]
            return 0.0, 0.0
        _ml, _mb, _mr, mt = page.get_mediabox()  # type: ignore[attr-defined]
        cl, _cb, _cr, ct = page.get_cropbox()  # type: ignore[attr-defined]
    except Exception:
        return 0.0, 0.0
    return cl, mt - ct
