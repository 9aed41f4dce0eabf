"""The source view (xxgk.web.source): the text a report was read from, the spans to highlight for
a cell or a finding, and for PDFs the boxes on the page and the page rendered with them drawn.

Real files throughout: a seed report (text), a web page (HTML), a Word file (DOCX), the official
template exported by LibreOffice and a PDF written by ``xxgk render`` (WeasyPrint). What is
highlighted is checked against what is printed: the cell's digits lie in the highlighted text,
and on a PDF page (read back with pdfplumber, another reader) inside the box.
"""

from __future__ import annotations

import io
import re
import sys
from pathlib import Path

import pytest
from PIL import Image

import xxgk
from xxgk.errors import XxgkError
from xxgk.model import Location, Report
from xxgk.web.source import (
    MAX_PIXELS,
    ROLE_COLOURS,
    Mark,
    PdfBox,
    SourceText,
    finding_sides,
    highlights,
    pdf_box,
    pdf_boxes,
    pdf_highlights,
    read_source,
    render_pdf_page,
    source_text,
    text_of,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from fuzz_mutators import assemble_pdf  # noqa: E402  (the smallest PDF writer)

FIX = Path(__file__).parent / "fixtures"
SEED0 = FIX / "seeds" / "000_623b78143b223035.txt"
SEED1 = FIX / "seeds" / "001_319638bbe0944d0f.txt"  # 行政规范性文件 run together: ambiguous
HTML = FIX / "real" / "shuyang-fgj-2023.html"  # with <script> elements
DOCX = FIX / "real" / "official-template-filled.docx"
LO_PDF = FIX / "real" / "official-template-filled-libreoffice.pdf"


def digits(v: object) -> str:
    return re.sub(r"\D", "", str(v))


def marked(text: SourceText, marks: list[Mark]) -> str:
    return "\n".join(text.lines[m.line - 1][m.start:m.end] for m in marks)


@pytest.fixture(scope="module")
def generated_pdf() -> bytes:
    """Seed 000 written as a PDF by xxgk itself (WeasyPrint, the bundled fonts)."""
    from xxgk.writers import render

    return render(xxgk.parse(SEED0), "pdf", force=True)


@pytest.fixture(scope="module")
def generated_pdf_blanks() -> bytes:
    """Seed 001 as a PDF: its ambiguous cells and empty cells print nothing."""
    from xxgk.writers import render

    return render(xxgk.parse(SEED1), "pdf", force=True)


def parsed(data: bytes, name: str) -> tuple[Report, SourceText]:
    return xxgk.parse_bytes(data, name), source_text(data, name)


# ---------------------------------------------------------------- the text


def test_source_text_is_the_text_the_offsets_refer_to() -> None:
    data = SEED1.read_bytes()
    text = source_text(data, SEED1.name)
    assert text.format == "text"
    assert text.text == data.decode("utf-8") and "\n".join(text.lines) == text.text.replace("\r\n", "\n")
    report = xxgk.parse_bytes(data, SEED1.name)
    n = 0
    for info in report.provenance.values():
        if info.source is not None:
            assert text.position(info.source.offset) == (info.source.line, info.source.column - 1)
            n += 1
    assert n > 150


def test_html_is_shown_as_its_text_never_as_markup() -> None:
    data = HTML.read_bytes()
    assert b"<script" in data
    text = source_text(data, HTML.name)
    assert text.format == "html"
    assert "<script" not in text.text and "<td" not in text.text
    assert "本年新收政府信息公开申请数量" in text.text


# ---------------------------------------------------------------- highlights


@pytest.mark.parametrize("path", [SEED0, SEED1, HTML, DOCX, LO_PDF], ids=lambda p: p.suffix)
def test_highlighted_text_holds_the_printed_number(path: Path) -> None:
    report, text = parsed(path.read_bytes(), path.name)
    checked = 0
    for cell, info in report.provenance.items():
        value = report.cells[cell]
        if info.status not in ("read", "placed") or value is None:
            continue
        marks = highlights(report, cell, text)
        assert marks and all(m.kind == "number" and m.cell == cell and m.role == "cell" for m in marks)
        shown = marked(text, marks)
        assert shown == info.source.text  # type: ignore[union-attr]
        assert digits(value) in digits(shown), (cell, value, shown)
        checked += 1
    assert checked >= 20


def test_highlights_from_the_generated_pdf(generated_pdf: bytes) -> None:
    report, text = parsed(generated_pdf, "report.pdf")
    assert text.format == "pdf"
    cells = [c for c, i in report.provenance.items() if i.status == "read" and report.cells[c] is not None]
    assert len(cells) >= 10
    for cell in cells:
        assert digits(report.cells[cell]) in digits(marked(text, highlights(report, cell, text)))


def test_blank_cell_is_a_caret() -> None:
    report, text = parsed(SEED1.read_bytes(), SEED1.name)
    marks = highlights(report, "requests.new.research", text)
    assert [(m.kind, m.start == m.end) for m in marks] == [("blank", True)]
    assert "本年新收" in text.lines[marks[0].line - 1]


def test_ambiguous_cell_marks_the_digits_its_candidates_come_from() -> None:
    report, text = parsed(SEED1.read_bytes(), SEED1.name)
    cell = "proactive.normative.issued"
    assert report.provenance[cell].status == "ambiguous"
    marks = highlights(report, cell, text)
    assert [m.kind for m in marks] == ["candidates"]
    shown = marked(text, marks)
    assert shown == "221148" and "行政规范性文件" in text.lines[marks[0].line - 1]
    for c in report.ambiguous[cell]:
        if c is not None:
            assert digits(c) in shown
    # the three cells of the row share the run: one mark, not three
    row = ["proactive.normative.issued", "proactive.normative.repealed", "proactive.normative.in_force"]
    assert len(highlights(report, row, text)) == 1


def test_computed_cell_marks_its_row_over_lines() -> None:
    report, text = parsed(SEED1.read_bytes(), SEED1.name)
    info = report.provenance["requests.new.other_org"]
    assert info.status == "computed" and "\n" in info.source.text  # type: ignore[union-attr]
    marks = highlights(report, "requests.new.other_org", text)
    assert {m.kind for m in marks} == {"row"} and len({m.line for m in marks}) == len(marks) >= 2
    assert "".join(marked(text, marks).split()) == "".join(info.source.text.split())  # type: ignore[union-attr]


def test_evidence_is_highlighted_too() -> None:
    report, text = parsed(SEED0.read_bytes(), SEED0.name)
    h = next(h for h in report.headlines if h.key == "proactive_items_total")
    info = report.provenance["requests.new.total"].model_copy(update={"status": "resolved", "evidence": h.source})
    report = report.model_copy(update={"provenance": {**report.provenance, "requests.new.total": info}})
    marks = highlights(report, "requests.new.total", text)
    assert sorted(m.kind for m in marks) == ["evidence", "row"]
    ev = next(m for m in marks if m.kind == "evidence")
    assert marked(text, [ev]) == "主动公开政务信息2926条"


def test_a_failed_relation_gets_two_sides() -> None:
    report, text = parsed(SEED0.read_bytes(), SEED0.name)
    cells = dict(report.cells)
    cells["requests.new.total"] = (cells["requests.new.total"] or 0) + 1
    broken = report.model_copy(update={"cells": cells})
    finding = next(f for f in xxgk.check(broken) if f.rule == "requests-row-total")
    sides = dict(finding_sides(broken, finding))
    assert sides["requests.new.total"] == "first" and sides["requests.new.natural"] == "second"
    marks = highlights(broken, finding, text)
    first = [m for m in marks if m.role == "first"]
    second = [m for m in marks if m.role == "second"]
    assert first and second
    assert digits(report.cells["requests.new.total"]) in digits(marked(text, [m for m in first if m.kind == "number"]))
    assert all(m.cell != "requests.new.total" for m in second)


def test_prose_against_table_the_prose_is_the_first_side() -> None:
    report, text = parsed(SEED0.read_bytes(), SEED0.name)
    finding = next(f for f in xxgk.check(report) if f.rule == "prose-contradicts-table" and len(f.cells) == 1)
    marks = highlights(report, finding, text)
    prose = [m for m in marks if m.kind == "finding"]
    assert [m.role for m in prose] == ["first"] and marked(text, prose) == finding.source.text  # type: ignore[union-attr]
    assert {m.role for m in marks if m.cell == finding.cells[0]} == {"second"}


def test_a_report_from_another_file_or_an_unknown_cell_is_refused() -> None:
    report = xxgk.parse(SEED0)
    other = source_text(SEED1.read_bytes(), SEED1.name)
    with pytest.raises(XxgkError) as e:
        highlights(report, list(report.provenance), other)
    assert e.value.code == "source-mismatch" and "原文" in e.value.message
    text = source_text(SEED0.read_bytes(), SEED0.name)
    with pytest.raises(XxgkError) as e:  # in range, but not the text the report read there
        highlights(report, Location(offset=0, length=3, line=1, column=1, text="xyz"), text)
    assert e.value.code == "source-mismatch"
    with pytest.raises(XxgkError) as e:
        highlights(report, "no.such.cell", source_text(SEED0.read_bytes(), SEED0.name))
    assert e.value.code == "unknown-cell"


# ---------------------------------------------------------------- PDF: boxes


def chars_in(page: object, bbox: tuple[float, float, float, float]) -> str:
    x0, top, x1, bottom = bbox
    return "".join(c["text"] for c in page.chars  # type: ignore[attr-defined]
                   if x0 <= (c["x0"] + c["x1"]) / 2 <= x1 and top <= (c["top"] + c["bottom"]) / 2 <= bottom)


@pytest.mark.parametrize("which", ["generated", "libreoffice"])
def test_pdf_box_holds_the_number_on_its_page(which: str, generated_pdf: bytes) -> None:
    import pdfplumber

    data = generated_pdf if which == "generated" else LO_PDF.read_bytes()
    report = xxgk.parse_bytes(data, "r.pdf")
    doc = read_source(data, "r.pdf")
    cells = [c for c, i in report.provenance.items() if i.status == "read" and report.cells[c] is not None]
    assert len(cells) >= 10
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        pages = set()
        for cell in cells:
            boxes = pdf_boxes(doc, report.provenance[cell].source)  # type: ignore[arg-type]
            assert len(boxes) == 1, cell
            b = boxes[0]
            page = pdf.pages[b.page_index]
            assert b.page_size == pytest.approx((page.width, page.height), abs=0.5)
            inside = chars_in(page, b.bbox)
            assert digits(inside) == digits(report.cells[cell]), (cell, inside)
            pages.add(b.page_index)
        assert len(pages) >= 2  # the tables run over pages
        # a figure in the prose: its sentence on the page
        for h in report.headlines:
            if h.value is None:
                continue
            found = pdf_boxes(doc, h.source)
            assert found
            inside = "".join(chars_in(pdf.pages[b.page_index], b.bbox) for b in found)
            assert digits(h.value) in digits(inside), (h.key, inside)


def test_pdf_blank_cell_is_the_empty_cell(generated_pdf_blanks: bytes) -> None:
    import pdfplumber

    data = generated_pdf_blanks
    report = xxgk.parse_bytes(data, "r.pdf")
    doc = read_source(data, "r.pdf")
    # an empty cell (a blank whose source is the whole row that prints nothing is another case)
    blanks = [c for c, i in report.provenance.items() if i.status == "blank" and i.source and not i.source.length]
    assert len(blanks) > 20
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for cell in blanks:
            [b] = pdf_boxes(doc, report.provenance[cell].source)  # type: ignore[arg-type]
            assert b.bbox[2] - b.bbox[0] > 5 and b.bbox[3] - b.bbox[1] > 5
            assert chars_in(pdf.pages[b.page_index], b.bbox) == ""


def test_pdf_side_map_covers_every_character(generated_pdf: bytes) -> None:
    doc = read_source(generated_pdf, "r.pdf")
    boxes = doc.boxes
    assert boxes is not None and doc.page_sizes
    covered = {b.start for b in boxes if b.kind == "char"}
    printed = [i for i, ch in enumerate(doc.text) if not ch.isspace()]
    assert len(printed) > 1000 and all(i in covered for i in printed)
    assert read_source(SEED0.read_bytes(), SEED0.name).boxes is None


def test_pdf_text_moved_over_a_page_break_is_found_where_it_is_printed() -> None:
    """A row broken by the page: the reader puts the label's end (国家秘密, printed on page 2) back
    into the cell on page 1; the side map still finds it on page 2."""
    from test_pdf import _split_pages

    data = _split_pages(False, "broken")
    doc = read_source(data, "split.pdf")
    whole = "（三）不予公开，属于国家秘密"
    at = doc.text.index(whole)
    line, col = text_of(doc).position(at)

    def box(start: int, n: int) -> PdfBox:
        [b] = pdf_boxes(doc, Location(offset=start, length=n, line=line, column=col + 1,
                                      text=doc.text[start:start + n]))
        return b

    head, moved = box(at, len("（三）不予公开，属于")), box(at + len("（三）不予公开，属于"), 4)
    assert head.page_index == 0 and head.bbox[1] > 600  # the table on page 1 begins at 600 pt
    assert moved.page_index == 1 and 70 < moved.bbox[1] < 110  # the first row on page 2
    assert moved.bbox[2] - moved.bbox[0] == pytest.approx(4 * 10.5, abs=2)  # four characters


def test_pdf_box_from_bytes(generated_pdf: bytes) -> None:
    report = xxgk.parse_bytes(generated_pdf, "r.pdf")
    b = pdf_box(generated_pdf, report.provenance["requests.new.natural"].source)  # type: ignore[arg-type]
    assert isinstance(b, PdfBox) and 0 <= b.page_index < len(read_source(generated_pdf).page_sizes or [])
    with pytest.raises(XxgkError):
        pdf_box(SEED0.read_bytes(), Location(offset=0, length=1, line=1, column=1, text="x"))


# ---------------------------------------------------------------- PDF: the page rendered


def test_rendered_page_has_the_boxes_in_their_colours(generated_pdf: bytes) -> None:
    report = xxgk.parse_bytes(generated_pdf, "r.pdf")
    doc = read_source(generated_pdf, "r.pdf")
    cells = dict(report.cells)
    cells["requests.new.total"] = (cells["requests.new.total"] or 0) + 1
    broken = report.model_copy(update={"cells": cells})
    finding = next(f for f in xxgk.check(broken) if f.rule == "requests-row-total")
    boxes = pdf_highlights(doc, broken, finding)
    assert {b.role for b in boxes} == {"first", "second"}
    first = next(b for b in boxes if b.role == "first")
    second = next(b for b in boxes if b.role == "second" and b.page_index == first.page_index)
    scale = 2.0
    png = render_pdf_page(generated_pdf, first.page_index, boxes, scale)
    plain = Image.open(io.BytesIO(render_pdf_page(generated_pdf, first.page_index, [], scale)))
    img = Image.open(io.BytesIO(png))
    assert img.format == "PNG"
    w, h = first.page_size
    assert abs(img.width - w * scale) <= 1 and abs(img.height - h * scale) <= 1
    rgb = img.convert("RGB")
    for b in (first, second):
        # the middle of the box's left edge, on the outline
        x = round((b.bbox[0] - 1) * scale) - 2
        y = round((b.bbox[1] + b.bbox[3]) / 2 * scale)
        assert rgb.getpixel((x, y)) == ROLE_COLOURS[b.role], b
        assert plain.convert("RGB").getpixel((x, y)) != ROLE_COLOURS[b.role]
    assert rgb.getpixel((5, 5)) == (255, 255, 255)  # the margin untouched


def _blank_pdf(n_pages: int, size: tuple[int, int] = (595, 842)) -> bytes:
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] >>" % size
    kids = b" ".join(b"%d 0 R" % (3 + i) for i in range(n_pages))
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, n_pages)]
    return assemble_pdf(objs + [page] * n_pages)


def test_hostile_pdfs_are_refused_in_one_line() -> None:
    many = _blank_pdf(260)
    with pytest.raises(XxgkError) as e:
        render_pdf_page(many, 0, [], 1.0)
    assert e.value.code == "too-large" and "页数过多" in e.value.message
    for junk in (b"%PDF-1.7\n" + bytes(range(256)) * 40, b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF"):
        with pytest.raises(XxgkError):
            render_pdf_page(junk, 0, [], 1.0)
        with pytest.raises(XxgkError):
            pdf_box(junk, Location(offset=0, length=1, line=1, column=1, text="x"))
    with pytest.raises(XxgkError) as e:
        render_pdf_page(b"\x89PNG\r\n\x1a\n" + b"\0" * 100, 0)
    assert e.value.code == "not-pdf"
    with pytest.raises(XxgkError) as e:
        render_pdf_page(_blank_pdf(2), 5)
    assert e.value.code == "bad-page" and "第 6 页" in e.value.message
    with pytest.raises(XxgkError):
        render_pdf_page(_blank_pdf(2), -1)
    with pytest.raises(XxgkError):
        source_text(b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "x.png")


def test_a_huge_page_or_scale_is_bounded() -> None:
    huge = _blank_pdf(1, (14400, 14400))  # the largest page PDF allows: 200 inches square
    img = Image.open(io.BytesIO(render_pdf_page(huge, 0, [], 4.0)))
    assert img.width * img.height <= MAX_PIXELS and img.width > 100
    a4 = _blank_pdf(1)
    assert abs(Image.open(io.BytesIO(render_pdf_page(a4, 0, [], 1e9))).width - 595 * 4) <= 1
    assert abs(Image.open(io.BytesIO(render_pdf_page(a4, 0, [], float("nan")))).width - 595 * 1.5) <= 1


def test_text_of_a_document_matches_source_text(generated_pdf: bytes) -> None:
    doc = read_source(generated_pdf, "r.pdf")
    assert text_of(doc) == source_text(generated_pdf, "r.pdf")
