"""Markdown, as PDF and Word converters write it (MinerU, marker, pandoc, docling, chat tools),
into the intermediate Document.

Tables come in three shapes and are read as tables, by content, like every other format:

* pipe tables (``| 规章 | 0 | 0 | 0 |`` with a ``|---|`` rule), cells possibly holding ``<br>``,
  escaped pipes, bold markers; a converter may emit one small table per printed row, header
  rows shifted or repeated — the extractor finds rows by their labels, not by position;
* HTML ``<table>`` elements inside the Markdown (MinerU keeps merged cells this way), read with
  the HTML reader's grid (rowspan, colspan);
* pandoc grid tables (``+----+----+`` rules, cells continued over several ``|`` lines).

Everything else is a paragraph per line, with heading marks, list markers, emphasis, links and
images reduced to their text.
"""

from __future__ import annotations

import re

from xxgk.document import Document, TableCell
from xxgk.errors import XxgkError

_PIPE_ROW = re.compile(r"^\s*\|.*\|\s*$|^[^|\n]*\S\s*\|\s*\S.*$")
_PIPE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?\s*$")
_GRID_RULE = re.compile(r"^\s*\+(?:[-=:]+\+)+\s*$")
# pandoc's simple and multiline tables: a line of dash segments gives the columns
_DASH_RULE = re.compile(r"^\s*-{3,}(?:\s+-{2,})*\s*$")
_HTML_TABLE_START = re.compile(r"<table\b", re.I)
_HTML_TABLE_END = re.compile(r"</table\s*>", re.I)
_BR = re.compile(r"<br\s*/?>", re.I)
_TAG = re.compile(r"<[^>\n]{1,200}>")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s*")
_LIST = re.compile(r"^\s{0,6}(?:[-*+]\s+|>\s?)")
_IMAGE = re.compile(r"!\[[^\]\n]*\]\([^)\n]*\)")
_LINK = re.compile(r"\[([^\]\n]*)\]\([^)\n]*\)")
_EMPH = re.compile(r"\*\*|__|(?<!\w)\*(?=\S)|(?<=\S)\*(?!\w)|`")
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|])")

MAX_TABLES = 2000
MAX_CELLS = 200_000


def looks_like_markdown(text: str) -> bool:
    """Pipe tables with their rule line, grid tables, or HTML tables inside plain text."""
    head = text[:400_000]
    if "--" not in head and "<table" not in head.lower():
        return False  # no rule line of any table kind, no HTML table
    lines = text.splitlines()[:4000]
    if any(_PIPE_RULE.match(ln) and "-" in ln and "|" in ln for ln in lines):
        return True
    if any(_DASH_RULE.match(ln) and len(ln.split()) >= 3 for ln in lines):
        return True  # a pandoc simple or multiline table's column rule
    if any(_GRID_RULE.match(ln) for ln in lines):
        return True
    head = text[:4096].lower()
    return bool(_HTML_TABLE_START.search(text)) and "<html" not in head and "<body" not in head


def _inline(s: str) -> str:
    s = _BR.sub(" ", s)
    s = _IMAGE.sub("", s)
    s = _LINK.sub(r"\1", s)
    s = _TAG.sub("", s)
    s = _ESCAPE.sub(r"\1", s)
    s = _EMPH.sub("", s)
    return s.replace("&nbsp;", " ").replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")


def _split_pipes(line: str) -> list[str]:
    """Cells of a pipe-table row (escaped pipes stay in the cell)."""
    s = line.strip()
    cells: list[str] = []
    buf: list[str] = []
    i = 0
    while i < len(s):
        ch = s[i]
        if ch == "\\" and i + 1 < len(s) and s[i + 1] == "|":
            buf.append("|")
            i += 2
            continue
        if ch == "|":
            cells.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
        i += 1
    cells.append("".join(buf))
    if s.startswith("|"):
        cells = cells[1:]
    if s.endswith("|") and not s.endswith("\\|"):
        cells = cells[:-1]
    return cells


def _row(cells: list[str], r: int) -> list[TableCell]:
    return [TableCell(" ".join(_inline(c).split()), r, k) for k, c in enumerate(cells)]


def _html_table(fragment: str) -> list[list[TableCell]]:
    import lxml.html

    from xxgk.readers.html import _grid

    try:
        el = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except Exception:  # lxml raises several kinds on broken markup
        return []
    tables = el.xpath(".//table")
    rows: list[list[TableCell]] = []
    budget = [0]  # grid places filled (the HTML reader's bound on span bombs)
    for t in tables:
        if t.xpath("ancestor::table"):
            continue
        rows.extend(_grid(t, budget))
    return rows


def read_markdown(text: str, name: str = "<bytes>", encoding: str | None = None) -> Document:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    items: list[str | list[list[TableCell]]] = []
    i = 0
    n = len(lines)
    tables = cells = 0
    while i < n:
        line = lines[i]
        if _HTML_TABLE_START.search(line):
            # an HTML table: up to its closing tag (text before it on the line is a paragraph)
            at = _HTML_TABLE_START.search(line).start()  # type: ignore[union-attr]
            head, rest = line[:at], line[at:]
            if head.strip():
                items.append(_inline(head).strip())
            buf = [rest]
            depth = len(_HTML_TABLE_START.findall(rest)) - len(_HTML_TABLE_END.findall(rest))
            while depth > 0 and i + 1 < n:
                i += 1
                buf.append(lines[i])
                depth += len(_HTML_TABLE_START.findall(lines[i])) - len(_HTML_TABLE_END.findall(lines[i]))
            fragment = "\n".join(buf)
            end = list(_HTML_TABLE_END.finditer(fragment))
            tail = fragment[end[-1].end():] if end else ""
            grid = _html_table(fragment[: end[-1].end()] if end else fragment)
            if grid:
                items.append(grid)
                tables += 1
                cells += sum(len(r) for r in grid)
            if tail.strip():
                items.append(_inline(tail).strip())
            i += 1
        elif _DASH_RULE.match(line) and _fixed_width_start(lines, i):
            grid_rows, i = _fixed_width_table(lines, i)
            if grid_rows:
                items.append(grid_rows)
                tables += 1
                cells += sum(len(r) for r in grid_rows)
        elif _GRID_RULE.match(line):
            grid_rows, i = _grid_table(lines, i)
            if grid_rows:
                items.append(grid_rows)
                tables += 1
                cells += sum(len(r) for r in grid_rows)
        elif _PIPE_ROW.match(line) and "|" in line and (
            (i + 1 < n and _PIPE_RULE.match(lines[i + 1])) or line.strip().startswith("|")
        ):
            rows: list[list[TableCell]] = []
            while i < n and "|" in lines[i] and (_PIPE_ROW.match(lines[i]) or _PIPE_RULE.match(lines[i])):
                if not _PIPE_RULE.match(lines[i]):
                    rows.append(_row(_split_pipes(lines[i]), len(rows)))
                i += 1
            if rows:
                items.append(rows)
                tables += 1
                cells += sum(len(r) for r in rows)
        else:
            s = _inline(_LIST.sub("", _HEADING.sub("", line))).strip()
            if s:
                items.append(s)
            i += 1
        if tables > MAX_TABLES or cells > MAX_CELLS:
            raise XxgkError("too-complex", f"Markdown 表格过多，超出读取上限：{name}",
                            f"too many Markdown tables or cells to read: {name}")
    doc = Document.from_blocks(items, "markdown")
    doc.encoding = encoding
    return doc


def _grid_table(lines: list[str], i: int) -> tuple[list[list[TableCell]], int]:
    """A pandoc grid table from the rule at ``lines[i]``: each row runs from one rule line to
    the next; its cells' text is joined over the row's lines."""
    rule = lines[i]
    bounds = [k for k, ch in enumerate(rule) if ch == "+"]
    rows: list[list[TableCell]] = []
    i += 1
    current: list[list[str]] = []
    while i < len(lines):
        line = lines[i]
        if _GRID_RULE.match(line):
            if current:
                cells = [" ".join(" ".join(parts).split()) for parts in current]
                rows.append(_row(cells, len(rows)))
            current = []
            bounds = [k for k, ch in enumerate(line) if ch == "+"] or bounds
            i += 1
            continue
        if not line.strip().startswith("|"):
            break
        # cells by their pipes, not by the rule's positions: pandoc pads Chinese text by display
        # width (two columns a character), so positions do not line up with characters
        pieces = _split_pipes(line)
        if not current:
            current = [[] for _ in pieces]
        for k, p in enumerate(pieces[: len(current)]):
            current[k].append(p.strip(" |"))
        i += 1
    if current:
        rows.append(_row([" ".join(" ".join(p).split()) for p in current], len(rows)))
    return rows, i


def _width(ch: str) -> int:
    import unicodedata

    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def _columns(line: str) -> list[tuple[int, str]]:
    """(display column, character) for every character of ``line``."""
    out = []
    x = 0
    for ch in line:
        out.append((x, ch))
        x += _width(ch) if ch != "\t" else 8 - x % 8
    return out


def _segments(rule: str) -> list[tuple[int, int]]:
    """Display spans of the dash segments of a column rule."""
    spans = []
    start = None
    for x, ch in _columns(rule) + [(10**9, " ")]:
        if ch == "-" and start is None:
            start = x
        elif ch != "-" and start is not None:
            spans.append((start, x))
            start = None
    return spans


def _fixed_width_start(lines: list[str], i: int) -> bool:
    """A dash rule that opens a pandoc table: segments on this line or one of the next few."""
    if len(_segments(lines[i])) >= 2:
        return True
    return any(_DASH_RULE.match(lines[k]) and len(_segments(lines[k])) >= 2
               for k in range(i + 1, min(len(lines), i + 8)))


def _fixed_width_table(lines: list[str], i: int) -> tuple[list[list[TableCell]], int]:
    """A pandoc simple or multiline table from the rule at ``lines[i]``: columns from the dash
    segments (display width: a Chinese character takes two columns), blank cells as spaces; in a
    multiline table a row runs over several lines up to a blank line."""
    n = len(lines)
    multiline = len(_segments(lines[i])) == 1  # an opening full-width rule
    k = i if not multiline else i + 1
    header: list[str] = []
    while k < n and not (_DASH_RULE.match(lines[k]) and len(_segments(lines[k])) >= 2):
        header.append(lines[k])
        k += 1
    if k >= n:
        return [], i + 1
    spans = _segments(lines[k])
    k += 1
    groups: list[list[str]] = [header] if any(h.strip() for h in header) else []
    current: list[str] = []
    while k < n:
        line = lines[k]
        if _DASH_RULE.match(line):
            k += 1  # the closing rule
            break
        if not line.strip():
            if current:
                groups.append(current)
                current = []
            if not multiline:
                break
            k += 1
            continue
        if multiline:
            current.append(line)
        else:
            groups.append([line])
        k += 1
    if current:
        groups.append(current)
    rows: list[list[TableCell]] = []
    for group in groups:
        texts = [[] for _ in spans]  # type: list[list[str]]
        for line in group:
            token: list[tuple[int, str]] = []
            for x, ch in _columns(line) + [(10**9, " ")]:
                if ch.strip():
                    token.append((x, ch))
                    continue
                if token:
                    x0 = token[0][0]
                    col = max((c for c, (a, _b) in enumerate(spans) if a <= x0), default=0)
                    texts[col].append("".join(c for _, c in token))
                    token = []
        rows.append(_row([" ".join(t) for t in texts], len(rows)))
    return rows, k
