"""Plain text as people copy it: out of a PDF viewer, or from a web page.

``viewer-text``: the text a PDF viewer copies, one cell per line: prose hard-wrapped at the
printed line ends, page numbers between lines, and table 三 in one of three reading orders a
viewer produces:

* ``order:stream``: cell by cell, row by row (the order LibreOffice draws them);
* ``order:geometric``: lines by height on the page: a merged group label (三、本年度办理结果,
  （三）不予公开 …) comes out beside the middle row of its group, after that row's numbers
  (``label-after-numbers``), and a label printed on two lines comes out around its numbers
  (``numbers-inside-label``);
* ``order:numbers-first``: every row's numbers before its label (labels aligned to the bottom of
  their cells).

Table 三 broken over two pages prints the page number and, when the header repeats, its header
cells again (``table-split``, ``header-repeated``).

``web-flat``: the whole page's text on one line, cells separated by single spaces; with
``number-runs-into-text`` a number runs straight into the label or heading that follows it
(``行政许可1878第二十条第（六）项``), as ``textContent`` gives it.
"""

from __future__ import annotations

import random

from xxgk.gen.content import Block, Content
from xxgk.layout import Grid, LCell, placed


def _chunks(text: str, width: int) -> list[str]:
    if width <= 0 or len(text) <= width:
        return [text]
    return [text[i:i + width] for i in range(0, len(text), width)]


def _wrap_para(text: str, width: int) -> list[str]:
    out: list[str] = []
    for line in text.split("\n"):
        out += _chunks(line, width)
    return out


def _header_rows(grid: Grid) -> int:
    return next((i for i, row in enumerate(grid) if any(x.cell_id for x in row)), 0)


# ----------------------------------------------------------------------------- viewer-text


def _viewer_table(grid: Grid, order: str, label_width: int, rng: random.Random,
                  split_at: int | None, repeat_header: bool, page_no: str, feats: set[str]) -> list[str]:
    cells = placed(grid)
    by_row: dict[int, list[tuple[int, LCell]]] = {}
    for r, c, x in cells:
        by_row.setdefault(r, []).append((c, x))
    # geometric order: a group label (spanning rows, no cell) moves to the middle row of its span
    moved: dict[int, list[LCell]] = {}
    if order == "geometric":
        for r, _c, x in cells:
            if x.rowspan > 1 and x.cell_id is None and r >= _header_rows(grid):
                mid = r + (x.rowspan - 1) // 2
                by_row[r] = [(cc, xx) for cc, xx in by_row[r] if xx is not x]
                moved.setdefault(mid, []).append(x)
    nhead = _header_rows(grid)
    head_lines = [ln for r in range(nhead) for _, x in sorted(by_row.get(r, []), key=lambda t: t[0])
                  for ln in _chunks(x.text, label_width) if x.text]
    out: list[str] = []
    for r in range(len(grid)):
        if split_at is not None and r == split_at:
            out.append(page_no)
            feats.add("table-split")
            if repeat_header:
                out += head_lines
                feats.add("header-repeated")
        row = sorted(by_row.get(r, []), key=lambda t: t[0])
        labels = [x for _, x in row if x.cell_id is None and x.text]
        values = [x.text for _, x in row if x.cell_id is not None]
        label_lines = [ln for x in labels for ln in _chunks(x.text, label_width)]
        if r < nhead or not values:
            out += label_lines
            continue
        if order == "numbers-first":
            out += values + label_lines
            feats.add("numbers-before-label")
        elif order == "geometric" and len(label_lines) == 2:
            out += [label_lines[0], *values, label_lines[1]]
            feats.add("numbers-inside-label")
        else:
            out += label_lines + values
        for x in moved.get(r, []):
            out += _chunks(x.text, label_width)
            feats.add("label-after-numbers")
    return out


def render_viewer(c: Content, rng: random.Random) -> tuple[bytes, list[str]]:
    width = rng.choice([22, 28, 34, 40])
    label_width = rng.choice([0, 0, 14, 10])
    order = rng.choice(["stream", "stream", "geometric", "numbers-first"])
    page_style = rng.choice(["- {} -", "— {} —", "{}", "第{}页"])
    feats: set[str] = {f"order:{order}", "hard-wrapped", "page-numbers"}
    if label_width:
        feats.add("wrapped-labels")
    lines: list[str] = []
    page = 1
    per_page = rng.randint(28, 40)
    since = 0

    def emit(new: list[str], rows: int | None = None) -> None:
        """Prose lines, a page number after every ``per_page`` lines; a table (``rows`` printed
        rows) is emitted whole: pages break between rows (table 三's own break is drawn inside)."""
        nonlocal page, since
        if rows is not None:
            lines.extend(new)
            since += rows
            if since >= per_page:
                lines.append(page_style.format(page))
                page += 1
                since = 0
            return
        for ln in new:
            lines.append(ln)
            since += 1
            if since >= per_page:
                lines.append(page_style.format(page))
                page += 1
                since = 0

    for b in c.blocks:
        if b.kind == "table":
            assert b.grid is not None
            split = None
            if b.table == "requests" and rng.random() < 0.7:
                split = rng.randint(_header_rows(b.grid) + 2, len(b.grid) - 2)
            page_no = page_style.format(page)
            tl = _viewer_table(b.grid, order if b.table == "requests" else "stream", label_width, rng,
                               split, rng.random() < 0.5, page_no, feats)
            if split is not None:
                page += 1
                since = 0
            emit(tl, rows=len(b.grid) - (split or 0))
        elif b.kind in ("para",):
            emit(_wrap_para(b.text, width))
        else:
            emit([b.text])
    text = "\n".join(lines) + "\n"
    return text.encode("utf-8"), sorted(feats)


# ----------------------------------------------------------------------------- web-flat


def _tokens(b: Block) -> list[str]:
    if b.kind != "table":
        return [b.text.replace("\n", " ")]
    assert b.grid is not None
    return [x.text for _, _, x in placed(b.grid) if x.text != ""]


def render_flat(c: Content, rng: random.Random) -> tuple[bytes, list[str]]:
    glue = rng.random() < 0.5
    feats = ["one-line"]
    tokens: list[str] = []
    chrome = rng.random() < 0.6
    if chrome:
        tokens += ["您当前的位置：首页 > 政务公开 > 法定主动公开内容 > 政府信息公开年报",
                   c.blocks[0].text,
                   f"发布时间：{c.published.isoformat() if c.published else ''} 来源：{c.agency} 浏览次数：{rng.randint(30, 3000)}",
                   "【字体：大 中 小】"]
        feats.append("page-chrome")
    for b in c.blocks:
        tokens += _tokens(b)
    if chrome:
        tokens += ["【打印本页】 【关闭窗口】", "主办单位：" + c.agency]
    out = tokens[0]
    glued = False
    for prev, tok in zip(tokens, tokens[1:], strict=False):
        number_before = prev.replace(".", "", 1).lstrip("-").isdigit()
        if glue and number_before and not tok[:1].isdigit() and tok[:1] != "-":
            out += tok
            glued = True
        else:
            out += " " + tok
    if glued:
        feats.append("number-runs-into-text")
    return (out + "\n").encode("utf-8"), feats
