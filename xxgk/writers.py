"""Writing a report in the official layout: HTML, DOCX, PDF, XLSX and Markdown.

All five render the same grids (:mod:`xxgk.layout`, derived from the template declaration).
Fonts are those Chinese government documents use where installed (方正小标宋 for the title, 黑体
for headings, 仿宋_GB2312 for the text), falling back to Noto CJK (Debian's fonts-noto-cjk), which
the PDF embeds. Pages are A4 with the GB/T 9704 margins.
"""

from __future__ import annotations

import html
import io

from xxgk.checks import run as check
from xxgk.errors import XxgkError
from xxgk.layout import Grid, fmt, placed, sections, title
from xxgk.model import Report
from xxgk.template import load_template

FORMATS = ("docx", "html", "pdf", "xlsx", "md")
# The official faces first; then free TrueType faces from Debian (fonts-arphic-uming for 宋/仿宋,
# fonts-wqy-zenhei for 黑体), which PDF subsetting handles in about a second; Noto CJK last (its
# large CFF fonts take WeasyPrint some 15 seconds a document to subset).
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

_CSS = f"""
@page {{ size: A4; margin: 37mm 26mm 35mm 28mm;
  @bottom-center {{ content: "— " counter(page) " —"; font-family: {BODY_FONTS}; font-size: 14pt; }} }}
body {{ font-family: {BODY_FONTS}; font-size: 16pt; line-height: 1.6; color: #000; max-width: 46em;
  margin: 2em auto; padding: 0 1em; }}
h1 {{ font-family: {TITLE_FONTS}; font-size: 22pt; text-align: center; font-weight: normal; margin: 0 0 1em; }}
h2 {{ font-family: {HEAD_FONTS}; font-size: 16pt; font-weight: normal; margin: 1em 0 .5em; }}
p {{ text-indent: 2em; margin: 0 0 .3em; }}
table {{ border-collapse: collapse; width: 100%; font-size: 10.5pt; line-height: 1.3; margin: .5em 0 1em; }}
th, td {{ border: 1px solid #000; padding: 3px 4px; text-align: center; vertical-align: middle; }}
th {{ font-weight: normal; }}
tr {{ page-break-inside: avoid; }}
.sr {{ position: absolute; left: -9999px; }}
@media print {{ body {{ margin: 0; max-width: none; }} }}
"""


def _grid_html(grid: Grid, caption: str) -> str:
    out = [f'<table><caption class="sr">{html.escape(caption)}</caption>']
    for row in grid:
        out.append("<tr>")
        for c in row:
            attrs = (f' rowspan="{c.rowspan}"' if c.rowspan > 1 else "") + (f' colspan="{c.colspan}"' if c.colspan > 1 else "")
            tag = "th" if c.header else "td"
            scope = ' scope="row"' if c.header and c.colspan == 1 and c.rowspan == 1 and row.index(c) == 0 else ""
            data = f' data-cell="{c.cell_id}"' if c.cell_id else ""
            out.append(f"<{tag}{attrs}{scope}{data}>{html.escape(c.text)}</{tag}>")
        out.append("</tr>")
    out.append("</table>")
    return "".join(out)


def to_html(report: Report) -> str:
    head = html.escape(title(report))
    body = [f"<h1>{head}</h1>"]
    for k, sec in enumerate(sections(report), 1):
        body.append(f'<section aria-labelledby="part{k}"><h2 id="part{k}">{html.escape(sec.title)}</h2>')
        body += [f"<p>{html.escape(p)}</p>" for p in sec.paragraphs]
        if sec.grid is not None:
            body.append(_grid_html(sec.grid, sec.title))
        body.append("</section>")
    if report.published_date:
        d = report.published_date
        body.append(f'<p style="text-align:right">{d.year}年{d.month}月{d.day}日</p>')
    return (f'<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{head}</title><style>{_CSS}</style></head>\n<body><main>\n"
            + "\n".join(body) + "\n</main></body></html>\n")


def to_pdf(report: Report) -> bytes:
    """A4 PDF of the HTML layout, fonts embedded (WeasyPrint)."""
    try:
        import weasyprint
    except ImportError:  # pragma: no cover - a dependency
        raise XxgkError("needs-weasyprint", "输出 PDF 需要 WeasyPrint（pip install weasyprint）",
                        "PDF output needs WeasyPrint (pip install weasyprint)") from None
    return weasyprint.HTML(string=to_html(report)).write_pdf()


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
    for s in sections(report):
        h = d.add_paragraph()
        font(h.add_run(s.title), "黑体", "Noto Sans CJK SC", 16)
        for text in s.paragraphs:
            para = d.add_paragraph()
            para.paragraph_format.first_line_indent = Pt(32)
            font(para.add_run(text), "仿宋_GB2312", "Noto Serif CJK SC", 16)
        if s.grid is not None:
            _docx_table(d, s.grid, font)
            d.add_paragraph()
    if report.published_date:
        dt = report.published_date
        end = d.add_paragraph()
        end.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        font(end.add_run(f"{dt.year}年{dt.month}月{dt.day}日"), "仿宋_GB2312", "Noto Serif CJK SC", 16)
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


