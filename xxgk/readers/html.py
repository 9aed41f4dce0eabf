"""Web pages: a saved government article page in, the intermediate Document out.

Decoding follows the page's own declaration (BOM, then ``<meta charset>``), with GB2312 and GBK
read as GB18030 (their superset: pages labelled gb2312 routinely use GBK-only characters).
Scripts, styles, forms and site chrome (navigation, headers, footers, breadcrumbs, share bars)
are dropped; the article is the smallest element that holds the report's tables and part
headings. Tables keep their grid (rowspan, colspan); layout tables (tables holding tables) are
walked through; a report table split into several ``<table>`` elements reads as one, since the
extractor reads rows in order.
"""

from __future__ import annotations

import re

from xxgk.document import Document, TableCell
from xxgk.errors import XxgkError
from xxgk.readers.text import decode_text
from xxgk.safetext import xml_text

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)
_GB = {"gb2312", "gbk", "gb_2312-80", "x-gbk", "gb18030", "cp936", "euc-cn", "hz-gb-2312"}
_DROP_TAGS = ["script", "style", "noscript", "iframe", "object", "embed", "head", "nav", "form",
              "select", "button", "svg", "template", "input", "textarea", "canvas", "video", "audio"]
_CHROME = re.compile(r"nav|menu|footer|header|crumb|bread|share|copyright|banner|sidebar|toolbar|"
                     r"search|login|friend-?link|pagination|top-?bar", re.I)
_BLOCK = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "section", "article",
          "blockquote", "pre", "center", "dl", "dt", "dd", "tr", "main", "font"}
# Bounds on work: a real report page has a handful of tables and a few thousand elements.
MAX_ELEMENTS = 300_000
MAX_TABLES = 500
MAX_BYTES_SCANNED = 64 * 1024 * 1024
MAX_GRID_CELLS = 200_000  # cells of all tables, spans expanded
MAX_COLSPAN = 100
MAX_ROWSPAN = 1000
# WHATWG: a page that declares UTF-16/32 in a <meta> is decoded as UTF-8 (the declaration cannot
# be true of a page the parser could read it from); codecs that are not text encodings are ignored.
_META_AS_UTF8 = {"utf-16", "utf-16le", "utf-16be", "utf-32", "utf-32le", "utf-32be", "unicode", "ucs-2"}
_NOT_TEXT = {"idna", "punycode", "raw_unicode_escape", "unicode_escape", "raw-unicode-escape",
             "unicode-escape", "undefined"}
_TITLE = re.compile(r"20\d\d\s*年度?.{0,12}报告")
_MARKERS = ("本年新收", "信息内容", "行政复议", "本年制发", "本年新制作", "申请人情况", "结果维持")
_HEADINGS = re.compile(r"[一二三四五六][、.．]\s*(?:总体情况|主动公开|收到和处理|政府信息公开行政复议|存在的主要问题|其他需要报告)")


def looks_like_html(data: bytes) -> bool:
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<!doctype html", b"<html", b"<?xml")) or any(
        tag in head for tag in (b"<html", b"<body", b"<table", b"<div", b"<meta", b"<p>", b"<p ")
    )


def decode_html(data: bytes, name: str) -> tuple[str, str]:
    if data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        return decode_text(data, name, lenient=True)
    m = _META_CHARSET.search(data[:8192])
    if m:
        declared = m.group(1).decode("ascii", "replace").lower()
        enc = "gb18030" if declared in _GB else "utf-8" if declared in _META_AS_UTF8 else declared
        try:
            import codecs

            info = codecs.lookup(enc)
            if info.name not in _NOT_TEXT and getattr(info, "_is_text_encoding", True):
                text = data.decode(enc)
                if isinstance(text, str):
                    return text, enc
        except (LookupError, UnicodeError, ValueError, TypeError):
            pass  # an unknown or wrong declaration: decode as a text file is decoded
    return decode_text(data, name, lenient=True)


def read_html(data: bytes, name: str = "<bytes>") -> Document:
    import lxml.etree
    import lxml.html

    n = len(re.findall(rb"<table", data[:MAX_BYTES_SCANNED], re.I))
    if n > MAX_TABLES:  # refused before parsing
        raise _too_complex(name, f"{n} 个表格", f"{n} tables")
    text, encoding = decode_html(data, name)
    # lxml refuses a text node holding a control character (a damaged byte): left out, as XML would
    text = xml_text(re.sub(r"^\s*<\?xml[^>]*>", "", text))
    parser = lxml.html.HTMLParser(remove_comments=True, remove_pis=True, no_network=True,
                                  recover=True, huge_tree=False)
    try:
        root = lxml.html.document_fromstring(text, parser=parser)
    except (lxml.etree.ParserError, lxml.etree.XMLSyntaxError, ValueError) as e:
        raise XxgkError("bad-html", f"无法解析网页：{name}（{e}）", f"cannot parse the web page: {name} ({e})") from None
    n_elements = sum(1 for _ in root.iter())
    n_tables = sum(1 for _ in root.iter("table"))
    if n_elements > MAX_ELEMENTS or n_tables > MAX_TABLES:
        raise _too_complex(name, f"{n_elements} 个元素、{n_tables} 个表格", f"{n_elements} elements, {n_tables} tables")
    for el in root.iter(*_DROP_TAGS):
        el.drop_tree() if el.getparent() is not None else None
    for el in list(root.iter()):
        if not isinstance(el.tag, str) or el.getparent() is None:
            continue
        cls = f"{el.get('class', '')} {el.get('id', '')}"
        if el.tag in ("header", "footer", "aside") or (cls.strip() and _CHROME.search(cls)):
            if not _holds_report(el):
                el.drop_tree()
    article = _article(root)
    items: list[str | list[list[TableCell]]] = []
    buf: list[str] = []
    try:
        _walk(article, items, buf, [0])
    except _OverBudget:
        raise _too_complex(name, f"表格超过 {MAX_GRID_CELLS} 格", f"tables over {MAX_GRID_CELLS} cells") from None
    _flush(items, buf)
    doc = Document.from_blocks(items, "html")
    doc.encoding = encoding
    if not doc.text.strip():
        raise XxgkError("no-report", f"网页中没有正文内容：{name}", f"the web page has no article text: {name}")
    return doc


class _OverBudget(Exception):
    pass


def _too_complex(name: str, zh: str, en: str) -> XxgkError:
    return XxgkError("too-complex", f"网页结构过于复杂（{zh}），不像年度报告，已拒绝：{name}",
                     f"refused: the web page is too complex for an annual report ({en}): {name}")


def _text(el: object) -> str:
    return "".join(el.itertext())  # type: ignore[attr-defined]


def _holds_report(el: object) -> bool:
    t = _text(el)
    return any(m in t for m in _MARKERS) or bool(_HEADINGS.search(t))


def _article(root: object) -> object:
    """The lowest element holding every report table and part heading."""
    body = root.find("body") if root.find("body") is not None else root  # type: ignore[attr-defined]
    anchors = []
    for tbl in body.iter("table"):
        if tbl.find(".//table") is None and any(m in _text(tbl) for m in _MARKERS):
            anchors.append(tbl)
    for el in body.iter():
        if isinstance(el.tag, str) and el.text and (_HEADINGS.search(el.text) or _TITLE.search(el.text)):
            anchors.append(el)
    if not anchors:
        return body
    paths = [list(a.iterancestors())[::-1] + [a] for a in anchors]
    common = body
    for level in zip(*paths, strict=False):
        if all(x is level[0] for x in level):
            common = level[0]
        else:
            break
    return common


def _flush(items: list[str | list[list[TableCell]]], buf: list[str]) -> None:
    line = " ".join("".join(buf).split())
    if line:
        items.append(line)
    buf.clear()


def _walk(el: object, items: list[str | list[list[TableCell]]], buf: list[str], budget: list[int]) -> None:
    tag = el.tag if isinstance(el.tag, str) else ""  # type: ignore[attr-defined]
    if tag == "table":
        _flush(items, buf)
        if el.find(".//table") is not None:  # type: ignore[attr-defined]
            # a layout table: its cells are containers, walked as blocks
            for child in _layout_cells(el):
                _walk(child, items, buf, budget)
                _flush(items, buf)
        else:
            grid = _grid(el, budget)
            if grid:
                items.append(grid)
        _tail(el, buf)
        return
    if tag == "br":
        _flush(items, buf)
        _tail(el, buf)
        return
    block = tag in _BLOCK
    if block:
        _flush(items, buf)
    if el.text:  # type: ignore[attr-defined]
        buf.append(el.text)  # type: ignore[attr-defined]
    for child in el:  # type: ignore[attr-defined]
        _walk(child, items, buf, budget)
    if block:
        _flush(items, buf)
    _tail(el, buf)


def _tail(el: object, buf: list[str]) -> None:
    if el.tail:  # type: ignore[attr-defined]
        buf.append(el.tail)  # type: ignore[attr-defined]


def _layout_cells(table: object) -> list[object]:
    """The cells of a layout table, in order (not those of tables nested inside them)."""
    out = []
    for row in _rows(table):
        out.extend(c for c in row if isinstance(c.tag, str) and c.tag in ("td", "th"))
    return out


def _rows(table: object) -> list[object]:
    rows = []
    for child in table:  # type: ignore[attr-defined]
        if not isinstance(child.tag, str):
            continue
        if child.tag == "tr":
            rows.append(child)
        elif child.tag in ("thead", "tbody", "tfoot"):
            rows.extend(r for r in child if isinstance(r.tag, str) and r.tag == "tr")
    return rows


def _span(v: str | None, limit: int) -> int:
    try:
        return max(1, min(int((v or "1").strip()), limit))
    except ValueError:
        return 1


def _grid(table: object, budget: list[int]) -> list[list[TableCell]]:
    """Rows of cells with their grid positions; a cell covered by a span from above is not
    repeated (the row holds only its own cells). Spans are capped (MAX_ROWSPAN, MAX_COLSPAN) and
    only the places inside the table are marked (a row span may go on in the next ``<table>``
    of a split table); ``budget`` counts the grid places filled, across tables."""
    rows: list[list[TableCell]] = []
    covered: set[tuple[int, int]] = set()
    trs = _rows(table)
    for r, tr in enumerate(trs):
        col = 0
        row: list[TableCell] = []
        for td in tr:
            if not isinstance(td.tag, str) or td.tag not in ("td", "th"):
                continue
            while (r, col) in covered:
                col += 1
            rs, cs = _span(td.get("rowspan"), MAX_ROWSPAN), _span(td.get("colspan"), MAX_COLSPAN)
            budget[0] += min(rs, len(trs) - r) * cs
            if budget[0] > MAX_GRID_CELLS:
                raise _OverBudget
            text = " ".join(_text(td).replace("\xa0", " ").split())
            row.append(TableCell(text, r, col, rs, cs))
            if rs > 1 or cs > 1:
                covered.update((r + dr, col + dc) for dr in range(min(rs, len(trs) - r)) for dc in range(cs))
            col += cs
        rows.append(row)
    return rows
