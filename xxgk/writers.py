"""Writing a report in the official layout: HTML, DOCX, PDF, XLSX and Markdown.

All five render the same grids (:mod:`xxgk.layout`, derived from the template declaration).
HTML and DOCX name the fonts Chinese government documents use (方正小标宋 for the title, 黑体 for
headings, 仿宋_GB2312 for the text) and free ones after them. The PDF is set in the fonts xxgk
ships (:mod:`xxgk.fonts`: Noto Serif SC, Noto Sans SC for headings), embedded, so it never depends
on the fonts a machine has, and is checked before it is handed out (:mod:`xxgk.pdfcheck`): a PDF
with a character printed as a box is refused, never written. Pages are A4 with the GB/T 9704
margins.
"""

from __future__ import annotations

import html
import io
import logging
import re
import warnings
from dataclasses import replace
from typing import Any

from xxgk import fonts
from xxgk.checks import run as check
from xxgk.errors import XxgkError
from xxgk.layout import Grid, LCell, fmt, placed, sections, title
from xxgk.model import Report
from xxgk.pdfcheck import verify_pdf
from xxgk.safetext import printable
from xxgk.template import load_template

FORMATS = ("docx", "html", "pdf", "xlsx", "md")
# The installed faces, for HTML (and, behind the bundled fonts, a PDF's fallback): the official
# faces first; then free TrueType faces from Debian (fonts-arphic-uming for 宋/仿宋,
# fonts-wqy-zenhei for 黑体); Noto CJK last (its large CFF fonts take WeasyPrint some 15 seconds a
# document to subset).
TITLE_FONTS = '"方正小标宋简体", "FZXiaoBiaoSong-B05S", "AR PL UMing CN", "Noto Serif CJK SC", serif'
HEAD_FONTS = '"黑体", "SimHei", "WenQuanYi Zen Hei", "Noto Sans CJK SC", sans-serif'
BODY_FONTS = '"仿宋_GB2312", "仿宋", "FangSong", "AR PL UMing CN", "Noto Serif CJK SC", serif'


def refuse_unless_sound(report: Report) -> None:
    """Refuse a report whose arithmetic fails or whose numbers are not all determined."""
    bad = [f for f in check(report) if f.severity == "error" and (
        f.rule.startswith(("requests-", "appeals-")) or f.rule == "cell-ambiguous")]
    if bad:
        cells = sorted({c for f in bad for c in f.cells})
        shown = "、".join(cells[:8]) + ("等" if len(cells) > 8 else "")
        raise XxgkError(
            "unsound-report",
            f"报告的勾稽关系不成立或数字未确定，拒绝输出（涉及 {shown}；{bad[0].message}）；如确需输出请加 --force",
            f"refused: the report's arithmetic fails or numbers are undetermined ({', '.join(cells[:8])}); "
            f"use --force to write it anyway",
        )


def render(report: Report, to: str, *, force: bool = False) -> bytes:
    if to not in FORMATS:
        raise XxgkError("usage", f"不支持的输出格式：{to}（可选 {'、'.join(FORMATS)}）",
                        f"unknown output format: {to} ({', '.join(FORMATS)})")
    if not force:
        refuse_unless_sound(report)
    report = printable(report)  # no control character reaches an XML format (python-docx refuses them)
    if to == "html":
        return to_html(report).encode("utf-8")
    if to == "md":
        return to_md(report).encode("utf-8")
    if to == "docx":
        return to_docx(report)
    if to == "pdf":
        return to_pdf(report)
    from xxgk.export import to_xlsx

    return to_xlsx([report], summary=False)


# ---------------------------------------------------------------- HTML

# 楷体 for the second-level headings inside a part's text (GB/T 9704), then the body's faces.
KAI_FONTS = '"楷体_GB2312", "楷体", "KaiTi", "STKaiti", "AR PL UKai CN", ' + BODY_FONTS


def _css(bundled: bool = False) -> str:
    """The page's style sheet. With ``bundled`` (the PDF), the fonts xxgk ships come first in
    every stack, declared with @font-face; the installed faces stay behind them as a fallback for
    a character the bundled fonts lack."""
    title_f, head_f, body_f, kai_f = TITLE_FONTS, HEAD_FONTS, BODY_FONTS, KAI_FONTS
    faces = ""
    if bundled:
        serif, sans = f'"{fonts.SERIF.family}"', f'"{fonts.SANS.family}"'
        title_f, head_f = f"{serif}, {title_f}", f"{sans}, {serif}, {head_f}"
        body_f, kai_f = f"{serif}, {body_f}", f"{serif}, {kai_f}"
        faces = fonts.font_faces()
    return faces + f"""
@page {{ size: A4; margin: 37mm 26mm 35mm 28mm;
  @bottom-center {{ content: "— " counter(page) " —"; font-family: {body_f}; font-size: 14pt; }} }}
html {{ -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }}
body {{ font-family: {body_f}; font-size: 16pt; line-height: 1.6; color: #000; background: #fff;
  max-width: 46em; margin: 2em auto; padding: 0 1em; }}
h1 {{ font-family: {title_f}; font-size: 22pt; line-height: 1.4; text-align: center; font-weight: normal;
  margin: 0 0 1em; }}
h1 span {{ display: inline-block; }}
@media print {{ h1 span.agency {{ display: inline; }} }}
h2 {{ font-family: {head_f}; font-size: 16pt; font-weight: normal; margin: 1em 0 .5em; }}
h3 {{ font-family: {kai_f}; font-size: 16pt; font-weight: normal; text-indent: 2em; margin: 0 0 .3em; }}
h1, h2, h3 {{ break-after: avoid; page-break-after: avoid; }}
p {{ text-indent: 2em; margin: 0 0 .3em; overflow-wrap: break-word; orphans: 2; widows: 2; }}
.sig {{ margin-top: 1em; }}
.sig p {{ text-align: right; text-indent: 0; margin: 0; }}
.table {{ overflow-x: auto; margin: .5em 0 1em; }}
table {{ border-collapse: collapse; width: 100%; font-size: 10.5pt; line-height: 1.3;
  font-variant-numeric: tabular-nums; }}
th, td {{ border: 1px solid #000; padding: 3px 4px; text-align: center; vertical-align: middle; }}
th {{ font-weight: normal; text-wrap: balance; }}
td {{ min-width: 2em; }}
tr, tbody.block {{ break-inside: avoid; page-break-inside: avoid; }}
.sr {{ position: absolute; width: 1px; height: 1px; margin: -1px; padding: 0; border: 0; overflow: hidden;
  clip: rect(0 0 0 0); clip-path: inset(50%); white-space: nowrap; }}
@media screen and (max-width: 600px) {{
  body {{ font-size: 13pt; padding: 0 .6em; }}
  h1 {{ font-size: 17pt; }}
  table {{ min-width: 40em; }}  /* scrolls in its box rather than squeezing labels to a character a line */
}}
@media print {{
  body {{ margin: 0; padding: 0; max-width: none; }}
  .table {{ overflow: visible; }}
  .sr {{ display: none; }}
}}
"""


_SUBHEADING = re.compile(r"^[（(][一二三四五六七八九十]{1,3}[）)]")


def _para_html(text: str) -> str:
    """A paragraph of a part's text; a short "（一）…" line without closing punctuation is the
    part's second-level heading."""
    if _SUBHEADING.match(text) and len(text) <= 40 and not text.endswith(("。", "；", "：", "，", ";", ":", ",")):
        return f"<h3>{html.escape(text)}</h3>"
    return f"<p>{html.escape(text)}</p>"


def _grid_html(grid: Grid, caption: str) -> str:
    """One printed table. Rows of header cells only are column headers (scope="col"): the
    leading ones form the <thead>, which a printed table repeats on every page; a block heading
    (one cell across the table, as in table 二) opens a <tbody> of its own and heads it
    (scope="rowgroup"); label cells in rows of data are row headers (scope="row", spanning rows
    included). Each data cell carries its cell id (data-cell="requests.new.total")."""
    cells = placed(grid)
    width = max(col + c.colspan for _, col, c in cells)
    rows: list[list[LCell]] = [[] for _ in grid]
    for r, _, c in cells:
        rows[r].append(c)

    def heading(row: list[LCell]) -> bool:
        return len(row) == 1 and row[0].header and row[0].colspan == width

    def head_only(row: list[LCell]) -> bool:
        return all(c.header for c in row)

    groups: list[tuple[str, list[list[LCell]]]] = []
    if any(heading(row) for row in rows):
        for row in rows:
            if heading(row) or not groups:
                groups.append(("tbody", []))
            groups[-1][1].append(row)
    else:
        n = next((i for i, row in enumerate(rows) if not head_only(row)), len(rows))
        groups = [("thead", rows[:n]), ("tbody", rows[n:])]

    out = [f'<div class="table"><table><caption class="sr">{html.escape(caption)}</caption>']
    for tag, group in groups:
        if not group:
            continue
        block = ' class="block"' if tag == "tbody" and heading(group[0]) else ""
        out.append(f"<{tag}{block}>")
        for row in group:
            scope = "rowgroup" if heading(row) else "col" if head_only(row) else "row"
            out.append("<tr>")
            for c in row:
                attrs = (f' rowspan="{c.rowspan}"' if c.rowspan > 1 else "") + (
                    f' colspan="{c.colspan}"' if c.colspan > 1 else "")
                if c.header:
                    out.append(f'<th{attrs} scope="{scope}">{html.escape(c.text)}</th>')
                else:
                    data = f' data-cell="{c.cell_id}"' if c.cell_id else ""
                    out.append(f"<td{attrs}{data}>{html.escape(c.text)}</td>")
            out.append("</tr>")
        out.append(f"</{tag}>")
    out.append("</table></div>")
    return "".join(out)


def _signed(report: Report) -> tuple[list[Any], list[str]]:
    """The sections and the signature (落款): the publication date, after the agency's name when the
    last part's text already ends with them (as reports' text often does), printed once."""
    parts = sections(report)
    d = report.published_date
    sig = [f"{d.year}年{d.month}月{d.day}日"] if d else []
    last = parts[-1].paragraphs if parts else []
    if sig and last and last[-1] == sig[0]:
        n = 2 if len(last) > 1 and report.agency and last[-2] == report.agency else 1
        sig = last[-n:]
        parts[-1] = replace(parts[-1], paragraphs=last[:-n] or ["无。"])
    return parts, sig


def to_html(report: Report) -> str:
    return _page(report, _css())


def _page(report: Report, css: str) -> str:
    head = html.escape(title(report))
    # A title too long for a line breaks before 政府信息公开…, on screen also after the agency's
    # name, never inside a word (in print the agency stays on the year's line: the PDF reader
    # reads the agency from the line the year is on).
    year = f"{report.report_year}年" if report.report_year else ""
    h1 = head
    if report.agency and title(report).startswith(report.agency + year + "政府"):
        rest = title(report).removeprefix(report.agency + year)
        h1 = f'<span class="agency">{html.escape(report.agency)}</span>{year}<span>{html.escape(rest)}</span>'
    body = [f"<h1>{h1}</h1>"]
    parts, sig = _signed(report)
    for k, sec in enumerate(parts, 1):
        body.append(f'<section aria-labelledby="part{k}"><h2 id="part{k}">{html.escape(sec.title)}</h2>')
        body += [_para_html(p) for p in sec.paragraphs]
        if sec.grid is not None:
            body.append(_grid_html(sec.grid, sec.title))
        body.append("</section>")
    if sig:
        body.append('<div class="sig">' + "".join(f"<p>{html.escape(s)}</p>" for s in sig) + "</div>")
    return (f'<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{head}</title><style>{css}</style></head>\n<body><main>\n"
            + "\n".join(body) + "\n</main></body></html>\n")


class _NotdefRecords(logging.Filter):
    """Keeps WeasyPrint's ".notdef glyph rendered" warnings off the terminal: the self-check
    reports those characters itself, in one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith(".notdef glyph")


def to_pdf(report: Report) -> bytes:
    """A4 PDF of the HTML layout in the bundled fonts, embedded (WeasyPrint), handed out only if
    its self-check passes: every character of the page came out as text, none as a .notdef box,
    every font embedded (:func:`xxgk.pdfcheck.verify_pdf`); otherwise XxgkError."""
    try:
        with warnings.catch_warnings():
            # "No fonts configured in FontConfig" on a machine without fonts: the PDF brings its own.
            warnings.filterwarnings("ignore", message=".*FontConfig.*")
            import weasyprint
    except ImportError:  # pragma: no cover - a dependency
        raise XxgkError("needs-weasyprint", "输出 PDF 需要 WeasyPrint（pip install weasyprint）",
                        "PDF output needs WeasyPrint (pip install weasyprint)") from None
    fonts.check_bundled()
    page = _page(report, _css(bundled=True))
    logger, quiet = logging.getLogger("weasyprint"), _NotdefRecords()
    logger.addFilter(quiet)
    try:
        pdf = weasyprint.HTML(string=page).write_pdf()
    finally:
        logger.removeFilter(quiet)
    verify_pdf(pdf, page)
    return pdf


# ---------------------------------------------------------------- DOCX

def to_docx(report: Report) -> bytes:
    """The report as Word DOCX: the official fonts named for East Asian text (Word and WPS have
    them), a Noto CJK SC face named for the rest."""
    import docx
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    d = docx.Document()
    sec = d.sections[0]
    sec.page_width, sec.page_height = Mm(210), Mm(297)
    sec.top_margin, sec.bottom_margin, sec.left_margin, sec.right_margin = Mm(37), Mm(35), Mm(28), Mm(26)

    def font(run: object, name: str, fallback: str, size: float) -> None:
        run.font.size = Pt(size)  # type: ignore[attr-defined]
        run.font.name = fallback  # type: ignore[attr-defined]
        rpr = run._element.get_or_add_rPr()  # type: ignore[attr-defined]
        rfonts = rpr.find(qn("w:rFonts"))
        if rfonts is None:
            rfonts = rpr.makeelement(qn("w:rFonts"), {})
            rpr.append(rfonts)
        rfonts.set(qn("w:eastAsia"), name)

    p = d.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    font(p.add_run(title(report)), "方正小标宋简体", "Noto Serif CJK SC", 22)
    parts, sig = _signed(report)
    for s in parts:
        h = d.add_paragraph()
        font(h.add_run(s.title), "黑体", "Noto Sans CJK SC", 16)
        for text in s.paragraphs:
            para = d.add_paragraph()
            para.paragraph_format.first_line_indent = Pt(32)
            font(para.add_run(text), "仿宋_GB2312", "Noto Serif CJK SC", 16)
        if s.grid is not None:
            _docx_table(d, s.grid, font)
            d.add_paragraph()
    for line in sig:
        end = d.add_paragraph()
        end.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        font(end.add_run(line), "仿宋_GB2312", "Noto Serif CJK SC", 16)
    for t in d.tables:
        t.alignment = WD_TABLE_ALIGNMENT.CENTER
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def _docx_table(d: object, grid: Grid, font: object) -> None:
    width = max(sum(c.colspan for c in row) for row in grid)
    table = d.add_table(rows=len(grid), cols=width)  # type: ignore[attr-defined]
    table.style = "Table Grid"
    for r, col, c in placed(grid):
        cell = table.cell(r, col)
        if c.rowspan > 1 or c.colspan > 1:
            cell = cell.merge(table.cell(r + c.rowspan - 1, col + c.colspan - 1))
        para = cell.paragraphs[0]
        para.alignment = 1
        font(para.add_run(c.text), "仿宋_GB2312", "Noto Serif CJK SC", 10.5)  # type: ignore[operator]


# ---------------------------------------------------------------- Markdown

def to_md(report: Report) -> str:
    out = [f"# {title(report)}", ""]
    t = load_template(report.template)
    for s in sections(report):
        out += [f"## {s.title}", ""]
        out += [p + "\n" for p in s.paragraphs]
        table = next((tb for tb in t.tables if tb.part == t.parts[[p.numeral for p in t.parts].index(s.numeral)].key), None)
        if table is None:
            continue
        for block in table.blocks:
            cols = [c.label.text for c in block.columns]
            rows = block.data_rows()
            if block.layout == "flat":
                out += ["| | " + " | ".join(cols) + " |", "|---" * (len(cols) + 1) + "|"]
                for row in rows:
                    vals = [fmt(report.cells.get(f"{block.table}.{row.key}.{c.key}")) for c in block.columns]
                    out.append(f"| {row.label.text} | " + " | ".join(vals) + " |")
                out.append("")
                continue
            if block.heading:
                out += [f"**{block.heading.text}**", ""]
            out += [f"| {block.corner.text if block.corner else ''} | " + " | ".join(cols) + " |",
                    "|---" * (len(cols) + 1) + "|"]
            for row in rows:
                keys = {c.key for c in block.row_columns(row)}
                vals = [fmt(report.cells.get(f"{block.table}.{row.key}.{c.key}")) if c.key in keys else ""
                        for c in block.columns]
                out.append(f"| {row.numbering}{row.label.text} | " + " | ".join(vals) + " |")
            out.append("")
    return "\n".join(out) + "\n"


