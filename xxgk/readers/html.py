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

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)
_GB = {"gb2312", "gbk", "gb_2312-80", "x-gbk", "gb18030", "cp936", "euc-cn", "hz-gb-2312"}
_DROP_TAGS = ["script", "style", "noscript", "iframe", "object", "embed", "head", "nav", "form",
              "select", "button", "svg", "template", "input", "textarea", "canvas", "video", "audio"]
_CHROME = re.compile(r"nav|menu|footer|header|crumb|bread|share|copyright|banner|sidebar|toolbar|"
                     r"search|login|friend-?link|pagination|top-?bar", re.I)
_BLOCK = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "section", "article",
          "blockquote", "pre", "center", "dl", "dt", "dd", "tr", "main", "font"}
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
        return decode_text(data, name)
    m = _META_CHARSET.search(data[:8192])
    if m:
        declared = m.group(1).decode("ascii", "replace").lower()
        enc = "gb18030" if declared in _GB else declared
        try:
            return data.decode(enc), enc
        except (LookupError, UnicodeDecodeError):
            pass
    return decode_text(data, name)


def read_html(data: bytes, name: str = "<bytes>") -> Document:
    import lxml.etree
    import lxml.html

    text, encoding = decode_html(data, name)
    text = re.sub(r"^\s*<\?xml[^>]*>", "", text)
    parser = lxml.html.HTMLParser(remove_comments=True, remove_pis=True, no_network=True,
                                  recover=True, huge_tree=False)
    try:
        root = lxml.html.document_fromstring(text, parser=parser)
    except (lxml.etree.ParserError, ValueError) as e:
        raise XxgkError("bad-html", f"无法解析网页：{name}（{e}）", f"cannot parse the web page: {name} ({e})") from None
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
    _walk(article, items, buf)
    _flush(items, buf)
    doc = Document.from_blocks(items, "html")
    doc.encoding = encoding
    if not doc.text.strip():
        raise XxgkError("no-report", f"网页中没有正文内容：{name}", f"the web page has no article text: {name}")
    return doc


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


def _walk(el: object, items: list[str | list[list[TableCell]]], buf: list[str]) -> None:
    tag = el.tag if isinstance(el.tag, str) else ""  # type: ignore[attr-defined]
    if tag == "table":
        _flush(items, buf)
        if el.find(".//table") is not None:  # type: ignore[attr-defined]
            # a layout table: its cells are containers, walked as blocks
            for child in _layout_cells(el):
                _walk(child, items, buf)
                _flush(items, buf)
        else:
            grid = _grid(el)
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
        _walk(child, items, buf)
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


def _span(v: str | None) -> int:
    try:
        return max(1, min(int((v or "1").strip()), 1000))
    except ValueError:
        return 1


def _grid(table: object) -> list[list[TableCell]]:
    """Rows of cells with their grid positions; a cell covered by a span from above is not
    repeated (the row holds only its own cells)."""
    rows: list[list[TableCell]] = []
    covered: dict[tuple[int, int], bool] = {}
    for r, tr in enumerate(_rows(table)):
        col = 0
        row: list[TableCell] = []
        for td in tr:
            if not isinstance(td.tag, str) or td.tag not in ("td", "th"):
                continue
            while covered.get((r, col)):
                col += 1
            rs, cs = _span(td.get("rowspan")), _span(td.get("colspan"))
            text = " ".join(_text(td).replace("\xa0", " ").split())
            row.append(TableCell(text, r, col, rs, cs))
            for dr in range(rs):
                for dc in range(cs):
                    covered[(r + dr, col + dc)] = True
            col += cs
        rows.append(row)
    return rows
