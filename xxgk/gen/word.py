"""Word documents as agencies fill them: the official template, its tables filled, in many layouts.

The document starts from the official 2021 Word template (``assets/template-2021.docx``, as
issued with 国办公开办函〔2021〕30号): its styles, page setup and table properties are kept, its
placeholder text replaced by the report's prose, and each table rebuilt from the layout grid of
the report's template (``xxgk.layout``) with the template's merges (gridSpan / vMerge), so a 2019
report gets the faithful 2019 equivalent (table 二 in five blocks, the one-row （六）其他处理).

Layout variation, drawn per document and recorded in the sample's features: page size and
orientation (``page:A4`` …), margins, the CJK font (``font:…``), the table font size, column
widths (a narrow group-label column prints its label one character per line:
``vertical-labels``; a narrow row-label column wraps labels over two or three lines:
``wrapped-labels``), table 三's header rows marked to repeat on every page (``tblHeader``), page
numbers in the footer (``page-numbers``), full-width spaces left from the template's placeholders
in filled cells (``placeholder-spaces``), a page break that leaves a part heading at the foot
of a page with its table on the next (``heading-orphaned``), and table 二 floating at the right
margin with its part heading after it in the document, printed beside it (``heading-beside-table``).
"""

from __future__ import annotations

import copy
import io
import random
from dataclasses import dataclass, field
from importlib import resources

from xxgk.gen.content import Content, grid_width
from xxgk.layout import Grid, placed

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"

# (name, width, height) in twips
PAGES = (
    ("A4", 11906, 16838), ("A4", 11906, 16838), ("A4", 11906, 16838), ("B5", 10319, 14571),
    ("Letter", 12240, 15840), ("A5-landscape", 11906, 8391), ("A4-landscape", 16838, 11906),
    ("16K", 10433, 14742),
)
FONTS = ("Noto Serif CJK SC", "Noto Sans CJK SC", "AR PL UMing CN", "WenQuanYi Zen Hei", "宋体", "仿宋_GB2312")
PAGE_NUMBER_FORMS = (("- ", " -"), ("— ", " —"), ("第 ", " 页"), ("", ""))


def _w(tag: str) -> str:
    return f"{{{W}}}{tag}"


@dataclass
class WordStyle:
    page: tuple[str, int, int]
    margins: tuple[int, int, int, int]  # top, right, bottom, left (twips)
    font: str
    size: float  # body text, pt
    table_size: float  # table text, pt
    vertical: bool  # group-label columns narrow: one character per line
    label_width: int  # the row-label column of table 三 (twips)
    header_repeat: bool
    cant_split: bool
    page_numbers: tuple[str, str] | None
    placeholder_spaces: bool
    orphan_heading: bool
    beside: bool  # table 二 floats at the right, its part heading beside it
    features: list[str] = field(default_factory=list)


def draw_style(rng: random.Random) -> WordStyle:
    page = rng.choice(PAGES)
    m = [rng.choice([1134, 1247, 1440, 1587, 1800]) for _ in range(2)]
    margins = (m[0], m[1], m[0], m[1])
    size = rng.choice([12, 14, 15, 16])
    table_size = rng.choice([9, 10, 10.5, 12])
    st = WordStyle(
        page=page, margins=margins, font=rng.choice(FONTS), size=size, table_size=table_size,
        vertical=rng.random() < 0.5, label_width=rng.choice([0, 0, 1, 2]),
        header_repeat=rng.random() < 0.5, cant_split=rng.random() < 0.5,
        page_numbers=rng.choice(PAGE_NUMBER_FORMS) if rng.random() < 0.7 else None,
        placeholder_spaces=rng.random() < 0.15, orphan_heading=rng.random() < 0.1,
        beside=rng.random() < 0.1,
    )
    st.features += [f"page:{page[0]}", f"font:{st.font}"]
    if st.vertical:
        st.features.append("vertical-labels")
    if st.label_width:
        st.features.append("wrapped-labels")
    if st.page_numbers is not None:
        st.features.append("page-numbers")
    if st.placeholder_spaces:
        st.features.append("placeholder-spaces")
    if st.orphan_heading:
        st.features.append("heading-orphaned")
    if st.beside:
        st.features.append("heading-beside-table")
    return st


# ----------------------------------------------------------------------------- XML helpers


def _el(tag: str, **attrs: str):  # type: ignore[no-untyped-def]
    from docx.oxml import OxmlElement

    e = OxmlElement(f"w:{tag}")
    for k, v in attrs.items():
        e.set(_w(k), v)
    return e


def _rpr(font: str, size: float, bold: bool = False):  # type: ignore[no-untyped-def]
    rpr = _el("rPr")
    latin = font if not font.startswith(("宋", "仿")) else "Times New Roman"
    rpr.append(_el("rFonts", ascii=latin, hAnsi=latin, eastAsia=font, cs=latin, hint="eastAsia"))
    if bold:
        rpr.append(_el("b"))
    half = str(int(round(size * 2)))
    rpr.append(_el("sz", val=half))
    rpr.append(_el("szCs", val=half))
    return rpr


def _paragraph(text: str, font: str, size: float, *, jc: str = "both", bold: bool = False,
               indent: bool = False, page_break: bool = False, keep_next: bool = False):  # type: ignore[no-untyped-def]
    p = _el("p")
    ppr = _el("pPr")
    if keep_next:
        ppr.append(_el("keepNext"))
    if page_break:
        ppr.append(_el("pageBreakBefore"))
    ppr.append(_el("spacing", before="0", after="0", line="360" if size < 14 else "560", lineRule="auto"))
    if indent:
        ppr.append(_el("ind", firstLineChars="200", firstLine=str(int(size * 40))))
    ppr.append(_el("jc", val=jc))
    p.append(ppr)
    lines = text.split("\n")
    for i, line in enumerate(lines):
        r = _el("r")
        r.append(_rpr(font, size, bold))
        if i:
            r.append(_el("br"))
        t = _el("t")
        t.text = line
        t.set(XML_SPACE, "preserve")
        r.append(t)
        p.append(r)
    return p


# ----------------------------------------------------------------------------- tables


def _widths(key: str, grid: Grid, st: WordStyle, usable: int, rng: random.Random) -> list[int]:
    """Grid column widths (twips) for the table, within the usable page width."""
    n = grid_width(grid)
    ch = int(st.table_size * 20)  # one CJK character
    if key == "requests":
        narrow = int(ch * 1.25) + 120  # one character per line
        g0, g1 = (narrow, narrow) if st.vertical else (max(754, ch * 3 + 120), max(921, ch * 3 + 120))
        label = (3271, ch * 7 + 120, ch * 5 + 120)[st.label_width]
        data_total = usable - g0 - g1 - label
        cell = max(ch * 2 + 120, data_total // 7)
        label = max(ch * 4 + 120, usable - g0 - g1 - cell * 7)
        return [g0, g1, label] + [cell] * (n - 3)
    if key == "appeals":
        return [usable // n] * n
    first = rng.choice([int(usable * 0.3), int(usable * 0.4), ch * 6 + 120])
    rest = (usable - first) // (n - 1)
    return [first] + [rest] * (n - 1)


def _table(key: str, grid: Grid, st: WordStyle, usable: int, tblpr_proto, rng: random.Random,  # type: ignore[no-untyped-def]
           floating: bool = False):
    widths = _widths(key, grid, st, usable, rng)
    n = len(widths)
    tbl = _el("tbl")
    tblpr = copy.deepcopy(tblpr_proto)
    for old in tblpr.findall(_w("tblW")) + tblpr.findall(_w("tblBorders")):
        tblpr.remove(old)
    tblw = _el("tblW", w=str(sum(widths)), type="dxa")
    tblpr.insert(1, tblw)
    borders = _el("tblBorders")
    for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
        borders.append(_el(side, val="single", sz="4", space="0", color="auto"))
    tblpr.insert(3, borders)
    if floating:
        tblpr.insert(1, _el("tblpPr", leftFromText="180", rightFromText="180", vertAnchor="text",
                            horzAnchor="margin", tblpXSpec="right", tblpY="1"))
        tblpr.insert(2, _el("tblOverlap", val="never"))
        for jc in tblpr.findall(_w("jc")):
            tblpr.remove(jc)
    tbl.append(tblpr)
    tblgrid = _el("tblGrid")
    for wd in widths:
        tblgrid.append(_el("gridCol", w=str(wd)))
    tbl.append(tblgrid)

    cells = placed(grid)
    start = {(r, c): x for r, c, x in cells}
    cont: dict[tuple[int, int], int] = {}  # (row, col) continuing a vertical merge -> colspan
    for r, c, x in cells:
        for dr in range(1, x.rowspan):
            cont[(r + dr, c)] = x.colspan
    first_data = next((i for i, row in enumerate(grid) if any(x.cell_id for x in row)), 0)
    for r in range(len(grid)):
        tr = _el("tr")
        trpr = _el("trPr")
        if st.cant_split:
            trpr.append(_el("cantSplit"))
        if st.header_repeat and key in ("requests", "appeals") and r < first_data:
            trpr.append(_el("tblHeader"))
        trpr.append(_el("jc", val="center"))
        tr.append(trpr)
        col = 0
        while col < n:
            if (r, col) in start:
                x = start[(r, col)]
                span, text, merge = x.colspan, x.text, ("restart" if x.rowspan > 1 else None)
                is_data = x.cell_id is not None
            elif (r, col) in cont:
                span, text, merge, is_data = cont[(r, col)], "", "continue", False
            else:
                span, text, merge, is_data = 1, "", None, False
            if is_data and text and st.placeholder_spaces and rng.random() < 0.5:
                text = "\u3000" + text
            tr.append(_cell(text, sum(widths[col:col + span]), span, merge, is_data, st))
            col += span
        tbl.append(tr)
    return tbl


def _cell(text: str, width: int, span: int, merge: str | None, is_data: bool, st: WordStyle):  # type: ignore[no-untyped-def]
    tc = _el("tc")
    tcpr = _el("tcPr")
    tcpr.append(_el("tcW", w=str(width), type="dxa"))
    if span > 1:
        tcpr.append(_el("gridSpan", val=str(span)))
    if merge == "restart":
        tcpr.append(_el("vMerge", val="restart"))
    elif merge == "continue":
        tcpr.append(_el("vMerge"))
    tcpr.append(_el("vAlign", val="center"))
    tc.append(tcpr)
    p = _el("p")
    ppr = _el("pPr")
    ppr.append(_el("spacing", before="0", after="0", line="240", lineRule="auto"))
    ppr.append(_el("jc", val="center" if is_data or len(text) < 8 else "left"))
    p.append(ppr)
    if text:
        r = _el("r")
        r.append(_rpr(st.font, st.table_size))
        t = _el("t")
        t.text = text
        t.set(XML_SPACE, "preserve")
        r.append(t)
        p.append(r)
    tc.append(p)
    return tc


# ----------------------------------------------------------------------------- the document


def _footer(section, st: WordStyle) -> None:  # type: ignore[no-untyped-def]
    if st.page_numbers is None:
        return
    before, after = st.page_numbers
    footer = section.footer
    footer.is_linked_to_previous = False
    p = footer.paragraphs[0]._p
    ppr = _el("pPr")
    ppr.append(_el("jc", val="center"))
    p.append(ppr)

    def run(child):  # type: ignore[no-untyped-def]
        r = _el("r")
        r.append(_rpr(st.font, 10.5))
        r.append(child)
        p.append(r)

    def text(s: str):  # type: ignore[no-untyped-def]
        t = _el("t")
        t.text = s
        t.set(XML_SPACE, "preserve")
        return t

    if before:
        run(text(before))
    run(_el("fldChar", fldCharType="begin"))
    instr = _el("instrText")
    instr.text = " PAGE "
    instr.set(XML_SPACE, "preserve")
    run(instr)
    run(_el("fldChar", fldCharType="separate"))
    run(text("1"))
    run(_el("fldChar", fldCharType="end"))
    if after:
        run(text(after))


def template_bytes() -> bytes:
    return resources.files("xxgk.gen").joinpath("assets/template-2021.docx").read_bytes()


def build_docx(c: Content, st: WordStyle, rng: random.Random) -> bytes:
    """The filled template as DOCX bytes."""
    import docx
    from docx.shared import Twips

    d = docx.Document(io.BytesIO(template_bytes()))
    body = d.element.body
    tblpr_proto = copy.deepcopy(body.find(_w("tbl")).find(_w("tblPr")))
    sect = body.find(_w("sectPr"))
    for child in list(body):
        if child is not sect:
            body.remove(child)

    section = d.sections[0]
    name, width, height = st.page
    section.page_width, section.page_height = Twips(width), Twips(height)
    if "landscape" in name:
        from docx.enum.section import WD_ORIENT

        section.orientation = WD_ORIENT.LANDSCAPE
    top, right, bottom, left = st.margins
    section.top_margin, section.right_margin = Twips(top), Twips(right)
    section.bottom_margin, section.left_margin = Twips(bottom), Twips(left)
    usable = width - left - right - 200
    _footer(section, st)

    def add(el) -> None:  # type: ignore[no-untyped-def]
        sect.addprevious(el)

    blocks = list(c.blocks)
    if st.beside:
        # the floating table comes first in the document, the heading after it flows beside it
        k = next(i for i, b in enumerate(blocks) if b.kind == "table" and b.table == "proactive")
        if k and blocks[k - 1].kind == "heading":
            blocks[k - 1], blocks[k] = blocks[k], blocks[k - 1]
    for i, b in enumerate(blocks):
        nxt = blocks[i + 1] if i + 1 < len(blocks) else None
        if b.kind == "title":
            add(_paragraph(b.text, st.font, st.size + 6, jc="center", bold=True))
            add(_paragraph("", st.font, st.size))
        elif b.kind == "heading":
            add(_paragraph(b.text, st.font, st.size, jc="left", bold=True, indent=True,
                           keep_next=nxt is not None and nxt.kind == "table" and not st.orphan_heading))
        elif b.kind == "subheading":
            add(_paragraph(b.text, st.font, st.size, jc="left", bold=True, indent=True))
        elif b.kind == "para":
            add(_paragraph(b.text, st.font, st.size, indent=True))
        elif b.kind == "table":
            assert b.grid is not None
            if st.orphan_heading and b.table == "requests":
                add(_paragraph("", st.font, st.size, page_break=True))
            if st.beside and b.table == "proactive":
                add(_table(b.table, b.grid, st, int(usable * 0.68), tblpr_proto, rng, floating=True))
            else:
                add(_table(b.table, b.grid, st, usable, tblpr_proto, rng))
                add(_paragraph("", st.font, st.size))
        elif b.kind == "signature":
            add(_paragraph("", st.font, st.size))
            add(_paragraph(b.text, st.font, st.size, jc="right"))
        elif b.kind == "date":
            add(_paragraph(b.text, st.font, st.size, jc="right"))
    d.core_properties.title = c.blocks[0].text
    d.core_properties.author = c.agency
    out = io.BytesIO()
    d.save(out)
    return fixed_zip(out.getvalue())


def fixed_zip(data: bytes) -> bytes:
    """The same zip with every entry dated 1980-01-01, so equal documents are equal bytes."""
    import zipfile

    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()
