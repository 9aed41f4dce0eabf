"""The PDF reader (PDFium): tables rebuilt from rulings, reading order, tables cut by page
breaks, page furniture, and hostile files refused in bounded time and memory.

Most PDFs here are written by a small PDF writer below, so every case is laid out exactly as
wanted: CJK text in the non-embedded STSong-Light font (Adobe-GB1, UniGB-UCS2-H: PDFium maps the
codes to Unicode itself), ruling lines stroked or drawn as thin filled rectangles.
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest

import xxgk
from xxgk.document import Paragraph, Table
from xxgk.errors import XxgkError
from xxgk.readers import read_document
from xxgk.readers.pdf import read_pdf

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from fuzz_mutators import assemble_pdf  # noqa: E402  (the smallest PDF writer, shared with the fuzz campaign)

FIX = Path(__file__).parent / "fixtures"
REAL_PDF = FIX / "real" / "official-template-filled-libreoffice.pdf"

# ---------------------------------------------------------------- a small PDF writer


class Page:
    def __init__(self, w: float = 595, h: float = 842) -> None:
        self.w, self.h, self.ops = w, h, []

    def text(self, x: float, top: float, s: str, size: float = 10.5) -> None:
        y = self.h - top - size * 0.88
        hexs = "".join(f"{ord(c):04X}" for c in s)
        self.ops.append(f"BT /F1 {size} Tf {x:.2f} {y:.2f} Td <{hexs}> Tj ET")

    def hline(self, x0: float, x1: float, top: float) -> None:
        self.ops.append(f"0.5 w {x0:.2f} {self.h - top:.2f} m {x1:.2f} {self.h - top:.2f} l S")

    def vline(self, x: float, top0: float, top1: float) -> None:
        self.ops.append(f"0.5 w {x:.2f} {self.h - top0:.2f} m {x:.2f} {self.h - top1:.2f} l S")

    def bar(self, x0: float, top0: float, x1: float, top1: float) -> None:
        """A filled rectangle: Word's way of drawing a border."""
        self.ops.append(f"{x0:.2f} {self.h - top1:.2f} {x1 - x0:.2f} {top1 - top0:.2f} re f")

    def pieces(self, x0: float, top0: float, x1: float, top1: float) -> None:
        """A dotted border drawn as separate short strokes (2 on, 3 off)."""
        n = int(max(x1 - x0, top1 - top0) // 5) + 1
        for k in range(n):
            a, b = k / n, (k + 0.4) / n
            self.ops.append(f"0.5 w {x0 + (x1 - x0) * a:.2f} {self.h - top0 - (top1 - top0) * a:.2f} m "
                            f"{x0 + (x1 - x0) * b:.2f} {self.h - top0 - (top1 - top0) * b:.2f} l S")

    def table(self, x0: float, top: float, widths: list[float], heights: list[float],
              cells: list[tuple[int, int, int, int, list[str]]], style: str = "lines") -> float:
        """Cells (row, col, rowspan, colspan, lines); borders drawn around each cell, so spans
        come from missing rulings; ``style``: stroked lines, filled bars (Word) or dotted
        pieces. Returns the table's bottom."""
        xs = [x0]
        for w in widths:
            xs.append(xs[-1] + w)
        ys = [top]
        for h in heights:
            ys.append(ys[-1] + h)
        for r, c, rs, cs, lines in cells:
            a, b, t, u = xs[c], xs[c + cs], ys[r], ys[r + rs]
            if style == "bars":
                for x in (a, b):
                    self.bar(x - 0.25, t, x + 0.25, u)
                for y in (t, u):
                    self.bar(a, y - 0.25, b, y + 0.25)
            elif style == "pieces":
                for x in (a, b):
                    self.pieces(x, t, x, u)
                for y in (t, u):
                    self.pieces(a, y, b, y)
            else:
                self.hline(a, b, t)
                self.hline(a, b, u)
                self.vline(a, t, u)
                self.vline(b, t, u)
            size = 10.5
            y = (t + u) / 2 - len(lines) * size * 1.2 / 2
            for ln in lines:
                self.text(a + 3, y, ln, size)
                y += size * 1.2
        return ys[-1]


def build(pages: list[Page], *, streams: dict[int, bytes] | None = None, encrypt: bool = False,
          rotate: int = 0) -> bytes:
    """A whole PDF; ``streams`` replaces a page's (already encoded, FlateDecode) content;
    ``rotate`` 90: pages stored upright-turned (/Rotate 90, the content drawn turned back)."""
    objs: list[bytes] = [b"", b"",
                         b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H "
                         b"/DescendantFonts [ 4 0 R ] >>",
                         b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light /CIDSystemInfo "
                         b"<< /Registry (Adobe) /Ordering (GB1) /Supplement 2 >> /FontDescriptor 5 0 R /DW 1000 >>",
                         b"<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [-25 -254 1000 880] "
                         b"/ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >>"]
    kids = []
    for i, p in enumerate(pages):
        z = (streams or {}).get(i)
        w, h, ops = p.w, p.h, "\n".join(p.ops)
        if rotate == 90:  # shown turned clockwise: store the page turned the other way
            w, h, ops = p.h, p.w, f"q 0 1 -1 0 {p.h} 0 cm\n{ops}\nQ"
        if z is None:
            z = zlib.compress(ops.encode())
        objs.append(b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(z) + z + b"\nendstream")
        objs.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Rotate %d /Contents %d 0 R "
                    b"/Resources << /Font << /F1 3 0 R >> >> >>" % (w, h, rotate, len(objs)))
        kids.append(len(objs))
    objs[0] = b"<< /Type /Catalog /Pages 2 0 R >>"
    objs[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % k for k in kids), len(kids))
    trailer_extra = b""
    if encrypt:  # a standard security handler entry with a user password nobody knows
        objs.append(b"<< /Filter /Standard /V 1 /R 2 /O <" + b"00" * 32 + b"> /U <" + b"11" * 32 + b"> /P -4 >>")
        trailer_extra = b" /Encrypt %d 0 R /ID [<%s> <%s>]" % (len(objs), b"ab" * 16, b"ab" * 16)
    return assemble_pdf(objs, trailer_extra, head=b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")


def tables(doc: object) -> list[Table]:
    return [b for b in doc.blocks if isinstance(b, Table)]  # type: ignore[attr-defined]


def cell(t: Table, text: str):
    return next(c for c in t.cells if "".join(c.text.split()) == text)


# ---------------------------------------------------------------- tables and text


RESULTS = ["三", "、", "本", "年", "度", "办", "理", "结", "果"]


def _results_table(p: Page, top: float, style: str = "lines") -> float:
    cells = [(0, 0, 1, 2, ["申请人情况"]), (0, 2, 1, 1, ["总 计"]),
             (1, 0, 1, 1, ["一、本年新收政府信息"]), (1, 1, 1, 1, ["3"]), (1, 2, 1, 1, ["3"]),
             (2, 0, 1, 1, ["二、上年结转政府信息", "公开申请数量"]), (2, 1, 1, 1, ["1"]), (2, 2, 1, 1, ["1"])]
    bottom = p.table(72, top, [150, 60, 60], [24, 24, 34], cells, style)
    # a vertical label, one character per line, in a cell spanning four rows
    cells2 = [(0, 0, 4, 1, RESULTS), (0, 1, 1, 1, ["（一）予以公开"]), (0, 2, 1, 1, ["2"]),
              (1, 1, 1, 1, ["（二）部分公开"]), (1, 2, 1, 1, ["0"]),
              (2, 1, 1, 1, ["（三）不予公开"]), (2, 2, 1, 1, ["1"]),
              (3, 1, 1, 1, ["（四）无法提供"]), (3, 2, 1, 1, ["0"])]
    return p.table(72, bottom + 20, [30, 180, 60], [30, 30, 30, 30], cells2, style)


@pytest.mark.parametrize("style", ["lines", "bars", "pieces"])
def test_grid_spans_vertical_and_wrapped_labels(style: str) -> None:
    p = Page()
    p.text(72, 60, "三、收到和处理政府信息公开申请情况", 14)
    _results_table(p, 100, style)
    doc = read_pdf(build([p]))
    ts = tables(doc)
    assert len(ts) == 2
    assert cell(ts[0], "申请人情况").colspan == 2
    assert cell(ts[0], "总计").col == 2  # spaced-out header keeps its characters
    assert cell(ts[0], "二、上年结转政府信息公开申请数量").row == 2  # a label wrapped over two lines
    label = next(c for c in ts[1].cells if c.col == 0)
    assert label.text == "三、本年度办理结果" and label.rowspan == 4
    assert [c.text for c in ts[1].cells if c.col == 2] == ["2", "0", "1", "0"]
    assert doc.text.index("三、收到和处理") < doc.text.index("申请人情况")


def test_page_shown_turned_reads_as_displayed() -> None:
    p = Page(842, 595)  # landscape as displayed
    p.text(72, 60, "三、收到和处理政府信息公开申请情况", 14)
    _results_table(p, 100)
    upright, turned = read_pdf(build([p])), read_pdf(build([p], rotate=90))
    assert turned.text == upright.text
    assert [(c.text, c.row, c.col, c.rowspan, c.colspan) for t in tables(turned) for c in t.cells] == [
        (c.text, c.row, c.col, c.rowspan, c.colspan) for t in tables(upright) for c in t.cells]


def test_heading_before_beside_and_after_a_table_keeps_its_place() -> None:
    p = Page()
    p.text(72, 60, "甲、表前的标题")
    bottom = p.table(200, 100, [80, 80], [24, 24], [(0, 0, 1, 1, ["左上"]), (0, 1, 1, 1, ["右上"]),
                                                    (1, 0, 1, 1, ["左下"]), (1, 1, 1, 1, ["右下"])])
    p.text(72, 110, "乙、表旁的标题")  # to the left of the table, level with its second row
    p.text(72, bottom + 20, "丙、表后的标题")
    doc = read_pdf(build([p]))
    kinds = [("T" if isinstance(b, Table) else b.text) for b in doc.blocks]
    assert kinds == ["甲、表前的标题", "乙、表旁的标题", "T", "丙、表后的标题"]


def test_paragraph_wrapped_at_the_margin_is_joined() -> None:
    p = Page()
    line = "本机关认真贯彻落实政府信息公开条例，" * 2
    p.text(72, 100, "一、总体情况")
    p.text(93, 120, line[:20])           # first line, indented, runs to the right margin
    p.text(72, 135, line[:22])           # continues at the left margin
    p.text(72, 150, "完毕。")             # last line of the paragraph
    p.text(93, 165, line[:20])           # a new paragraph: indented, not joined to the last
    p.text(72, 180, line[:22])
    p.text(72, 195, "（一）下一级标题")     # at the left margin, but a heading
    p.text(93, 210, line[:20])           # a paragraph running over the page break
    p.text(72, 225, line[:22])
    p.text(280, 800, "- 1 -")
    p2 = Page()
    p2.text(72, 60, "续完。")
    doc = read_pdf(build([p, p2]))
    paras = [b.text for b in doc.blocks if isinstance(b, Paragraph)]
    assert paras == ["一、总体情况", line[:20] + line[:22] + "完毕。", line[:20] + line[:22], "（一）下一级标题",
                     line[:20] + line[:22] + "续完。"]


def _split_pages(repeat_header: bool, split_row: str) -> bytes:
    """Table 三 style rows cut by a page break, with a running header, a page number, a vertical
    label cut in two, and (optionally) the header row repeated and a row broken over the page
    (``broken``; ``blank``: a broken row whose cells are all left blank)."""
    one = "" if split_row == "blank" else "1"
    p1, p2 = Page(), Page()
    for i, p in enumerate((p1, p2), 1):
        p.text(200, 40, "某县人民政府办公室政府信息公开工作年度报告")  # running header
        p.text(280, 800, f"- {i} -")                                       # page number
    p1.text(72, 80, "三、收到和处理政府信息公开申请情况")
    head = [(0, 0, 1, 2, ["项目"]), (0, 2, 1, 1, ["自然人"]), (0, 3, 1, 1, ["总计"])]
    widths = [30, 170, 60, 60]
    body1 = [(1, 0, 3, 1, ["三", "、", "本", "年"]),
             (1, 1, 1, 1, ["（一）予以公开"]), (1, 2, 1, 1, ["5"]), (1, 3, 1, 1, ["5"]),
             (2, 1, 1, 1, ["（二）部分公开"]), (2, 2, 1, 1, ["2"]), (2, 3, 1, 1, ["2"]),
             (3, 1, 1, 1, ["（三）不予公开，属于"] if split_row != "clean" else ["（三）不予公开"]),
             (3, 2, 1, 1, [one]), (3, 3, 1, 1, [one])]
    p1.table(72, 600, widths, [24, 40, 40, 40], head + body1)
    h2 = head if repeat_header else []
    shift = 1 if repeat_header else 0
    body2: list[tuple[int, int, int, int, list[str]]] = []
    if split_row != "clean":
        body2.append((shift, 0, 3, 1, ["度", "办", "理"]))
        body2 += [(shift, 1, 1, 1, ["国家秘密"]), (shift, 2, 1, 1, [""]), (shift, 3, 1, 1, [""])]
        body2 += [(shift + 1, 1, 1, 1, ["（四）无法提供"]), (shift + 1, 2, 1, 1, ["0"]), (shift + 1, 3, 1, 1, ["0"]),
                  (shift + 2, 1, 1, 1, ["（五）不予处理"]), (shift + 2, 2, 1, 1, ["4"]), (shift + 2, 3, 1, 1, ["4"])]
    else:
        body2.append((shift, 0, 3, 1, ["度", "办", "理"]))
        body2 += [(shift, 1, 1, 1, ["（四）无法提供"]), (shift, 2, 1, 1, ["0"]), (shift, 3, 1, 1, ["0"]),
                  (shift + 1, 1, 1, 1, ["（五）不予处理"]), (shift + 1, 2, 1, 1, ["4"]), (shift + 1, 3, 1, 1, ["4"]),
                  (shift + 2, 1, 1, 1, ["（六）其他处理"]), (shift + 2, 2, 1, 1, ["3"]), (shift + 2, 3, 1, 1, ["3"])]
    heights = ([24] if repeat_header else []) + [40, 40, 40]
    bottom = p2.table(72, 70, widths, heights, h2 + body2)
    p2.text(72, bottom + 30, "四、结转下年度继续办理")
    return build([p1, p2])


@pytest.mark.parametrize("repeat_header", [False, True], ids=["no-repeat", "header-repeated"])
@pytest.mark.parametrize("split_row", ["clean", "broken", "blank"])
def test_table_cut_by_a_page_break(repeat_header: bool, split_row: str) -> None:
    doc = read_pdf(_split_pages(repeat_header, split_row))
    text = doc.text
    assert "- 1 -" not in text and "- 2 -" not in text
    assert "年度报告" not in text  # the running header, printed on both pages
    assert text.count("项目") == 1 and text.count("自然人") == 1  # a repeated header read once
    ts = tables(doc)
    assert len(ts) == 2  # the two parts, nothing between them
    between = text[ts[0].span.end:ts[1].span.start].strip()  # type: ignore[union-attr]
    assert between == ""
    label = next(c for c in ts[0].cells if c.col == 0 and c.row > 0)
    assert label.text == "三、本年度办理"  # the vertical label cut by the page keeps its text whole
    if split_row != "clean":
        assert cell(ts[0], "（三）不予公开，属于国家秘密").row == 3
        assert "国家秘密" not in "".join(c.text for c in ts[1].cells)
    labels = ["（一）予以公开", "（二）部分公开", "（三）不予公开", "（四）无法提供", "（五）不予处理"]
    at = [text.index(label) for label in labels]
    assert at == sorted(at)
    lines = text.splitlines()
    assert lines[0] == "三、收到和处理政府信息公开申请情况" and lines[-1] == "四、结转下年度继续办理"
    filled = 4 if split_row == "blank" else 5
    assert len([ln for ln in lines if ln.endswith(("5\t5", "2\t2", "1\t1", "0\t0", "4\t4"))]) == filled


def test_repeated_header_cut_short_is_still_dropped() -> None:
    """LibreOffice repeats a header row whose long label does not fit and prints the rest of the
    label over the row below: the header is still recognised, and the rest taken out."""
    p1, p2 = Page(), Page()
    widths, label = [150, 60, 60], "本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项"
    lines = [label[:10], label[10:20], label[20:]]
    p1.table(72, 600, widths, [50, 30], [(0, 0, 1, 1, lines), (0, 1, 1, 1, ["自然人"]),
                                         (0, 2, 1, 1, ["总计"]), (1, 0, 1, 1, ["（一）予以公开"]),
                                         (1, 1, 1, 1, ["5"]), (1, 2, 1, 1, ["5"])])
    bottom = p2.table(72, 70, widths, [14, 40], [(0, 0, 1, 1, lines[:1]), (0, 1, 1, 1, ["自然人"]),
                                                 (0, 2, 1, 1, ["总计"]), (1, 0, 1, 1, ["（二）部分公开"]),
                                                 (1, 1, 1, 1, ["2"]), (1, 2, 1, 1, ["2"])])
    # the rest of the label, printed on at the same line pitch over the next row (and its label)
    p2.text(75, 70.7 + 12.6, lines[1])
    p2.text(75, 70.7 + 25.2, lines[2])
    p2.text(72, bottom + 30, "四、结转下年度继续办理")
    doc = read_pdf(build([p1, p2]))
    ts = tables(doc)
    assert [c.text for c in ts[1].cells] == ["（二）部分公开", "2", "2"]
    assert doc.text.count(lines[2]) == 1


def test_repeated_header_of_a_table_that_began_a_page() -> None:
    """Table 二 ends at the foot of page 1, table 三 (same width) begins page 2 and runs on to page
    3 with its header repeated: the header is recognised as table 三's, not table 二's."""
    p1, p2, p3 = Page(), Page(), Page()
    widths = [150, 60, 60]
    p1.table(72, 700, widths, [24, 24], [(0, 0, 1, 2, ["第二十条第（五）项"]), (0, 2, 1, 1, ["数量"]),
                                         (1, 0, 1, 2, ["行政许可"]), (1, 2, 1, 1, ["9"])])
    head = [(0, 0, 1, 3, ["三、收到和处理政府信息公开申请情况"]), (1, 0, 1, 1, ["项目"]),
            (1, 1, 1, 1, ["自然人"]), (1, 2, 1, 1, ["总计"])]
    p2.table(72, 70, widths, [24, 24, 30], head + [(2, 0, 1, 1, ["一、本年新收"]), (2, 1, 1, 1, ["3"]),
                                                  (2, 2, 1, 1, ["3"])])
    p3.table(72, 70, widths, [24, 24, 30], head + [(2, 0, 1, 1, ["二、上年结转"]), (2, 1, 1, 1, ["1"]),
                                                  (2, 2, 1, 1, ["1"])])
    doc = read_pdf(build([p1, p2, p3]))
    assert doc.text.count("自然人") == 1 and doc.text.count("三、收到和处理") == 1
    assert doc.text.splitlines()[-1] == "二、上年结转\t1\t1"


def test_header_rows_at_the_foot_of_a_page_keep_their_text() -> None:
    """The header of a table printed at the bottom of one page, its first row on the next: the
    row's numbers stay in the row, not in the header cells above them."""
    p1, p2 = Page(), Page()
    head = [(0, 0, 2, 1, ["项目"]), (0, 1, 1, 2, ["申请人情况"]), (0, 3, 2, 1, ["总计"]),
            (1, 1, 1, 1, ["自然人"]), (1, 2, 1, 1, ["法人"])]
    widths = [200, 60, 60, 60]
    p1.text(72, 700, "三、收到和处理政府信息公开申请情况")
    p1.table(72, 730, widths, [24, 24], head)
    p2.table(72, 70, widths, [30, 30], [
        (0, 0, 1, 1, ["一、本年新收政府信息公开申请数量"]), (0, 1, 1, 1, ["8"]), (0, 2, 1, 1, ["2"]),
        (0, 3, 1, 1, ["10"]),
        (1, 0, 1, 1, ["二、上年结转政府信息公开申请数量"]), (1, 1, 1, 1, ["1"]), (1, 2, 1, 1, [""]),
        (1, 3, 1, 1, ["1"])])
    doc = read_pdf(build([p1, p2]))
    ts = tables(doc)
    assert {c.text for c in ts[0].cells} == {"项目", "申请人情况", "总计", "自然人", "法人"}
    assert "一、本年新收政府信息公开申请数量\t8\t2\t10" in doc.text.splitlines()


# ---------------------------------------------------------------- real reports, round trips


def _seed_truth(name: str) -> tuple[xxgk.Report, dict]:
    truth = json.loads((FIX / "seeds" / f"{name}.json").read_text("utf-8"))
    report = xxgk.parse(FIX / "seeds" / f"{name}.txt")
    return report.model_copy(update={"cells": dict(truth["cells"]), "ambiguous": {}}), truth


def test_real_libreoffice_pdf_vertical_labels() -> None:
    doc = read_pdf(REAL_PDF.read_bytes())
    ts = tables(doc)
    labels = {c.text for t in ts for c in t.cells}
    assert "三、本年度办理结果" in labels and "（三）不予公开" in labels
    assert "（七）总计" in labels


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not installed")
def test_word_template_on_small_pages_with_repeated_headers_and_page_numbers(tmp_path: Path) -> None:
    """Seeds written to DOCX, set on A5 and B5 pages with footers '- N -' / '第 N 页', a running
    header and repeated header rows, converted by LibreOffice: table 三 runs over pages."""
    from docx import Document as Docx
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Mm

    from xxgk.writers import render

    names = ["000_623b78143b223035", "003_7097c5c10f7e9ea9"]
    truths = {}
    for name, (w, h, foot) in zip(names, [(148, 210, ("- ", " -")), (176, 250, ("第 ", " 页"))], strict=True):
        report, truth = _seed_truth(name)
        truths[name] = truth["cells"]
        src = tmp_path / f"{name}.docx"
        src.write_bytes(render(report, "docx", force=True))
        d = Docx(str(src))
        s = d.sections[0]
        s.page_width, s.page_height = Mm(w), Mm(h)
        for a in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
            setattr(s, a, Mm(15))
        par = s.footer.paragraphs[0]
        par.add_run(foot[0])
        for kind, val in (("begin", None), (None, "PAGE"), ("end", None)):
            r = par.add_run()
            if kind:
                e = OxmlElement("w:fldChar")
                e.set(qn("w:fldCharType"), kind)
            else:
                e = OxmlElement("w:instrText")
                e.text = val
            r._r.append(e)
        par.add_run(foot[1])
        s.header.paragraphs[0].add_run("某县人民政府信息公开年度报告")
        for t in d.tables:
            if len(t.rows) > 6:
                k = 1
                while t.rows[k]._tr.xpath('./w:tc/w:tcPr/w:vMerge[not(@w:val) or @w:val="continue"]'):
                    k += 1
                for row in t.rows[:k]:
                    row._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))
        d.save(str(src))
    subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path),
                    *[str(tmp_path / f"{n}.docx") for n in names]], check=True, capture_output=True, timeout=300)
    for name in names:
        data = (tmp_path / f"{name}.pdf").read_bytes()
        report = xxgk.parse_bytes(data)
        assert report.cells == truths[name], name
        assert "某县人民政府信息公开年度报告" not in read_pdf(data).text  # the running header


# ---------------------------------------------------------------- hostile files


def _run_bounded(data: bytes, tmp_path: Path) -> tuple[subprocess.CompletedProcess[str], float]:
    """Read in a child process; report its peak memory (MB) on the last line."""
    f = tmp_path / "x.pdf"
    f.write_bytes(data)
    code = ("import resource, sys\nfrom xxgk.readers.pdf import read_pdf\nfrom xxgk.errors import XxgkError\n"
            f"try:\n    read_pdf(open({str(f)!r}, 'rb').read(), 'x.pdf')\n    print('ok')\n"
            "except XxgkError as e:\n    print(e.code, e)\n"
            # VmHWM: this program's own peak (ru_maxrss would keep the forking parent's across exec)
            "try:\n    hwm = [ln for ln in open('/proc/self/status') if ln.startswith('VmHWM')][0]\n"
            "    print(int(hwm.split()[1]) // 1024)\n"
            "except OSError:\n    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)\n")
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    return p, time.perf_counter() - t0


def _bomb_stream(mb: int, nested: bool = False) -> bytes:
    co = zlib.compressobj(9)
    z = b"".join(co.compress(b" " * (1 << 20)) for _ in range(mb)) + co.flush()
    return zlib.compress(z, 9) if nested else z


def _form_bomb() -> bytes:
    """A 700-byte file: a form of 1,000 rectangles drawn 2,000 times (two million objects)."""
    form = zlib.compress(b"0 0 1 1 re f " * 1000)
    page = zlib.compress(b"/X0 Do " * 2000)
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
            b"/Resources << /XObject << /X0 5 0 R >> >> >>",
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(page) + page + b"\nendstream",
            b"<< /Type /XObject /Subtype /Form /BBox [0 0 10 10] /Length %d /Filter /FlateDecode >>\nstream\n"
            % len(form) + form + b"\nendstream"]
    return assemble_pdf(objs)


@pytest.mark.parametrize("case", ["deflate-bomb", "nested-deflate-bomb", "200k-characters", "many-paths",
                                  "many-pages", "form-bomb", "huge-content", "many-content-streams"])
def test_hostile_pdf_refused_quickly_in_bounded_memory(case: str, tmp_path: Path) -> None:
    p = Page()
    p.text(72, 72, "一、总体情况")
    if case == "deflate-bomb":
        data = build([p], streams={0: _bomb_stream(64)})
    elif case == "nested-deflate-bomb":
        data = build([p], streams={0: _bomb_stream(64, nested=True)}).replace(
            b"/Filter /FlateDecode >>\nstream", b"/Filter [/FlateDecode /FlateDecode] >>\nstream", 1)
    elif case == "200k-characters":
        for k in range(2000):
            p.text(10 + (k % 10) * 50, 10 + (k // 10) * 4, "一二三四五六七八九十" * 10, 1)
        data = build([p])
    elif case == "many-paths":  # small enough to pass the stream guard, too many for a page
        p.ops += [f"{k % 500} {k // 500} 1 1 re f" for k in range(40_000)]
        data = build([p])
    elif case == "form-bomb":
        data = _form_bomb()
    elif case == "huge-content":  # five million tiny rectangles, 200 KB compressed
        data = build([p], streams={0: zlib.compress(b"1 1 1 1 re f " * 5_000_000, 9)})
    elif case == "many-content-streams":  # one page drawn from 40 streams of 600 KB
        data = build([p], streams={0: zlib.compress(b"1 1 1 1 re f " * 46_000, 9)})
        part = data[data.index(b"5 0 obj"):data.index(b"endobj", data.index(b"5 0 obj")) + 7]
        extra = b"".join(part.replace(b"5 0 obj", b"%d 0 obj" % (100 + k)) for k in range(40))
        data = data.replace(b"/Contents 5 0 R", b"/Contents [%s]" % b" ".join(
            b"%d 0 R" % (100 + k) for k in range(40))).replace(b"xref\n", extra + b"xref\n", 1)
    else:
        data = build([p] * 400)
    proc, seconds = _run_bounded(data, tmp_path)
    out = proc.stdout.strip().splitlines()
    assert proc.returncode == 0, proc.stderr
    assert out[0].startswith("too-large"), out
    assert "/" in out[0] and "Traceback" not in proc.stderr
    assert seconds < 10, seconds
    assert int(out[-1]) < 400, f"peak memory {out[-1]} MB"


def test_encrypted_and_scanned() -> None:
    with pytest.raises(XxgkError) as e:
        read_pdf((FIX / "bad" / "encrypted.pdf").read_bytes())
    assert e.value.code == "pdf-encrypted"
    with pytest.raises(XxgkError) as e:
        read_pdf((FIX / "bad" / "scanned.pdf").read_bytes())
    assert e.value.code == "pdf-no-text"
    p = Page()
    p.hline(72, 300, 100)
    with pytest.raises(XxgkError) as e:
        read_pdf(build([p]))  # drawings only, no text
    assert e.value.code == "pdf-no-text"
    p.text(72, 72, "一、总体情况")
    with pytest.raises(XxgkError) as e:
        read_pdf(build([p], encrypt=True))  # a user password nobody gave us
    assert e.value.code == "pdf-encrypted"


def test_broken_files_give_one_clean_error() -> None:
    good = REAL_PDF.read_bytes()
    rng = random.Random(20260)
    cases = [good[:n] for n in (10, 500, 3000, len(good) // 2, len(good) - 40)]
    cases += [good.replace(b"xref", b"xyzw"), good.replace(b"endobj", b"endobx"), b"%PDF-1.7\n" + b"\x00" * 1000]
    for _ in range(40):
        b = bytearray(good)
        for _ in range(rng.choice([1, 10, 200])):
            b[rng.randrange(len(b))] = rng.randrange(256)
        cases.append(bytes(b))
    t0 = time.perf_counter()
    outcomes = set()
    for data in cases:
        try:
            read_document(data, "x.pdf")
            outcomes.add("read")
        except XxgkError as e:
            assert "\n" not in str(e) and " / " in str(e)
            outcomes.add(e.code)
    assert time.perf_counter() - t0 < 30
    assert "bad-pdf" in outcomes or "pdf-no-text" in outcomes
