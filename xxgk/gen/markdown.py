"""Markdown as conversion tools write it from the published PDF or DOCX.

Each style imitates how the tool really writes tables:

* ``mineru`` (PDF → Markdown): every title as ``# …``, page numbers dropped, each table as one
  line of HTML (``<table><tr><td rowspan="…" colspan="…">``, no ``<thead>``, empty ``<td></td>``);
  a table broken over pages comes out as two tables, the second starting with the repeated header
  or straight with rows whose continued merged labels are empty (``table-split``).
* ``marker`` (PDF → Markdown): pipe tables, the first grid row as the header, a merged cell's text
  in its first position and the others empty, line breaks in cells as ``<br>``
  (``br-in-cells``); header rows under a cell spanning rows lose their leading empty cells
  (``header-shifted``, as marker issue #512 shows).
* ``pandoc`` (DOCX → Markdown, checked against pandoc 2.17's real output of these documents):
  bold headings, curly quotes made straight (``straight-quotes``), and one of pandoc's tables:
  gfm's pipe table with an empty header row (``table:pipe``), pandoc markdown's multiline table
  (``table:multiline``), pandoc 3's HTML table (``<colgroup>``, ``<tr class="odd">``, ``<p>`` in
  cells; ``table:html``), or a grid table whose cell text wraps over several lines
  (``table:grid``); merged cells spread with the text in the first position.
* ``chat`` (a chat assistant asked to convert the report): ``##`` headings, table 二 as one small
  table per block, table 三 flattened to one label column (``labels-joined`` when the group
  label is joined to the row label), bold totals (``bold-totals``), blank cells as ``—``
  (``dash-for-blank``), the appeals table turned to three rows (``appeals-transposed``), sometimes
  one small table per row (``table-per-row``).
"""

from __future__ import annotations

import random

from xxgk.gen.content import Block, Content
from xxgk.gen.grids import dense, header_rows, split, width
from xxgk.layout import Grid, placed


def _wrap(text: str, n: int) -> list[str]:
    if n <= 0 or len(text) <= n:
        return [text]
    return [text[i:i + n] for i in range(0, len(text), n)]


def _html_table(grid: Grid) -> str:
    rows: list[list[str]] = [[] for _ in grid]
    for r, _c, x in placed(grid):
        attrs = ""
        if x.rowspan > 1:
            attrs += f" rowspan=\"{x.rowspan}\""
        if x.colspan > 1:
            attrs += f" colspan=\"{x.colspan}\""
        rows[r].append(f"<td{attrs}>{x.text}</td>")
    return "<table>" + "".join("<tr>" + "".join(cells) + "</tr>" for cells in rows) + "</table>"


# ----------------------------------------------------------------------------- mineru


def _mineru(c: Content, rng: random.Random, feats: set[str]) -> str:
    out: list[str] = []
    for b in c.blocks:
        if b.kind in ("title", "heading"):
            out.append(f"# {b.text}")
        elif b.kind == "subheading":
            out.append(f"# {b.text}" if rng.random() < 0.5 else b.text)
        elif b.kind == "table":
            assert b.grid is not None
            if b.table == "requests" and rng.random() < 0.5:
                at = rng.randint(header_rows(b.grid) + 2, len(b.grid) - 2)
                g1, g2 = split(b.grid, at, continued="empty")
                if rng.random() < 0.5:
                    g2 = b.grid[:header_rows(b.grid)] + g2
                    feats.add("header-repeated")
                out += [_html_table(g1), _html_table(g2)]
                feats.add("table-split")
            else:
                out.append(_html_table(b.grid))
        else:
            out.append(b.text.replace("\n", "\n\n"))
    return "\n\n".join(out) + "\n"


# ----------------------------------------------------------------------------- marker


def _pipe(rows: list[list[str]], n: int) -> list[str]:
    def line(cells: list[str]) -> str:
        return "| " + " | ".join(cells) + " |"
    out = [line(rows[0]), "| " + " | ".join(["---"] * n) + " |"]
    out += [line(r) for r in rows[1:]]
    return out


def _marker_table(grid: Grid, rng: random.Random, feats: set[str], label_wrap: int) -> list[str]:
    n = width(grid)
    matrix = dense(grid, fill="empty")
    covered = {(r + dr, c + dc) for r, c, x in placed(grid) for dr in range(1, x.rowspan) for dc in range(x.colspan)}
    shift = rng.random() < 0.4
    rows: list[list[str]] = []
    for r, row in enumerate(matrix):
        cells = []
        for text, cid in row:
            if cid is None and text and label_wrap and len(text) > label_wrap:
                text = "<br>".join(_wrap(text, label_wrap))
                feats.add("br-in-cells")
            cells.append(text)
        if shift and r < header_rows(grid) and r > 0:
            lead = 0
            while lead < n and (r, lead) in covered and cells[lead] == "":
                lead += 1
            if lead:
                cells = cells[lead:] + [""] * lead
                feats.add("header-shifted")
        rows.append(cells)
    return _pipe(rows, n)


def _marker(c: Content, rng: random.Random, feats: set[str]) -> str:
    label_wrap = rng.choice([0, 10, 14])
    out: list[str] = []
    for b in c.blocks:
        if b.kind == "title":
            out.append(f"# {b.text}")
        elif b.kind == "heading":
            out.append(f"## {b.text}")
        elif b.kind == "subheading":
            out.append(f"**{b.text}**")
        elif b.kind == "table":
            assert b.grid is not None
            if b.table == "requests" and rng.random() < 0.3:
                at = rng.randint(header_rows(b.grid) + 2, len(b.grid) - 2)
                g1, g2 = split(b.grid, at, continued="empty")
                out.append("\n".join(_marker_table(g1, rng, feats, label_wrap)))
                out.append("\n".join(_marker_table(g2, rng, feats, label_wrap)))
                feats.add("table-split")
            else:
                out.append("\n".join(_marker_table(b.grid, rng, feats, label_wrap)))
        else:
            out.append(b.text.replace("\n", "\n\n"))
    return "\n\n".join(out) + "\n"


# ----------------------------------------------------------------------------- pandoc


def _pandoc_html(grid: Grid) -> str:
    n = width(grid)
    nh = header_rows(grid)
    lines = ["<table>", "<colgroup>"] + [f"<col style=\"width: {100 // n}%\" />" for _ in range(n)] + ["</colgroup>"]
    rows: list[list[str]] = [[] for _ in grid]
    for r, _c, x in placed(grid):
        tag = "th" if r < nh else "td"
        attrs = ""
        if x.colspan > 1:
            attrs += f" colspan=\"{x.colspan}\""
        if x.rowspan > 1:
            attrs += f" rowspan=\"{x.rowspan}\""
        body = "".join(f"<p>{p}</p>" for p in x.text.split("\n")) if x.text else ""
        rows[r].append(f"<{tag}{attrs}>{body}</{tag}>")
    if nh:
        lines.append("<thead>")
    for r, cells in enumerate(rows):
        if r == nh:
            lines += (["</thead>"] if nh else []) + ["<tbody>"]
        cls = "header" if r < nh else ("odd" if (r - nh) % 2 == 0 else "even")
        lines.append(f"<tr class=\"{cls}\">")
        lines += cells
        lines.append("</tr>")
    lines += ["</tbody>", "</table>"]
    return "\n".join(lines)


def _dwidth(s: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in s)


def _dwrap(text: str, w: int) -> list[str]:
    out, cur = [], ""
    for ch in text:
        if _dwidth(cur + ch) > w:
            out.append(cur)
            cur = ""
        cur += ch
    return [*out, cur] if cur or not out else out


def _pandoc_grid(grid: Grid, rng: random.Random) -> str:
    matrix = dense(grid, fill="empty")
    n = width(grid)
    widths = []
    for c in range(n):
        longest = max(_dwidth(row[c][0]) for row in matrix)
        number = max((_dwidth(row[c][0]) for row in matrix if row[c][1] is not None), default=0)
        # labels wrap at the column width; a number is never broken
        widths.append(max(3, number, min(longest, rng.choice([8, 10, 12, 16]))))
    nh = header_rows(grid)

    def sep(ch: str) -> str:
        return "+" + "+".join(ch * (w + 2) for w in widths) + "+"

    out = [sep("-")]
    for r, row in enumerate(matrix):
        wrapped = [_dwrap(t, widths[c]) if t else [""] for c, (t, _) in enumerate(row)]
        height = max(len(w) for w in wrapped)
        for k in range(height):
            parts = []
            for c, w in enumerate(wrapped):
                t = w[k] if k < len(w) else ""
                parts.append(" " + t + " " * (widths[c] - _dwidth(t)) + " ")
            out.append("|" + "|".join(parts) + "|")
        out.append(sep("=") if r == nh - 1 and nh else sep("-"))
    return "\n".join(out)


def _pad(t: str, w: int) -> str:
    return t + " " * (w - _dwidth(t))


def _pandoc_pipe(grid: Grid) -> str:
    """pandoc 2's gfm: a pipe table with an empty header row, every grid row in the body, a
    merged cell's text in its first position, columns padded to their widest text."""
    matrix = dense(grid, fill="empty")
    n = width(grid)
    widths = [max(3, *(_dwidth(row[c][0]) for row in matrix)) for c in range(n)]
    lines = ["| " + " | ".join(" " * w for w in widths) + " |",
             "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    lines += ["| " + " | ".join(_pad(t, widths[c]) for c, (t, _) in enumerate(row)) + " |" for row in matrix]
    return "\n".join(lines)


def _pandoc_multiline(grid: Grid) -> str:
    """pandoc's own markdown: a multiline table (dashed rules, columns by position, a blank line
    between rows); header rows marked to repeat become the table's header."""
    matrix = dense(grid, fill="empty")
    n = width(grid)
    widths = [max(3, *(_dwidth(row[c][0]) for row in matrix)) for c in range(n)]
    rule = "  " + " ".join("-" * w for w in widths)
    nh = header_rows(grid)
    lines = ["  " + "-" * (sum(widths) + n - 1)]
    for r, row in enumerate(matrix):
        lines.append(("  " + " ".join(_pad(t, widths[c]) for c, (t, _) in enumerate(row))).rstrip())
        if nh and r == 0:
            lines.append(rule)
        elif r < len(matrix) - 1:
            lines.append("")
    lines.append(lines[0])
    return "\n".join(lines)


def _pandoc(c: Content, rng: random.Random, feats: set[str]) -> str:
    kind = rng.choice(["html", "pipe", "multiline", "multiline", "grid"])
    feats.add(f"table:{kind}")
    writers = {"html": lambda g: _pandoc_html(g), "pipe": _pandoc_pipe, "multiline": _pandoc_multiline,
               "grid": lambda g: _pandoc_grid(g, rng)}
    out: list[str] = []
    for b in c.blocks:
        if b.kind in ("title", "heading", "subheading"):
            out.append(f"**{b.text}**")
        elif b.kind == "table":
            assert b.grid is not None
            out.append(writers[kind](b.grid))
        else:
            out.append(b.text.replace("\n", "\n\n"))
    text = "\n\n".join(out) + "\n"
    if kind != "html" and ("“" in text or "”" in text):
        # pandoc's markdown writer prints curly quotes as straight ones (the smart extension)
        text = text.replace("“", '"').replace("”", '"')
        feats.add("straight-quotes")
    return text


# ----------------------------------------------------------------------------- chat


def _row_label(row: list[tuple[str, str | None]], joined: bool) -> str:
    labels: list[str] = []
    for text, cid in row:
        if cid is not None:
            break
        if text and (not labels or labels[-1] != text):
            labels.append(text)
    if not labels:
        return ""
    return " - ".join(labels) if joined else labels[-1]


def _chat_blocks(b: Block, rng: random.Random, feats: set[str], dash: bool, bold: bool,
                 joined: bool, per_row: bool) -> list[str]:
    assert b.grid is not None
    grid = b.grid
    out: list[str] = []

    def val(text: str, total: bool) -> str:
        if text == "":
            return "—" if dash else ""
        return f"**{text}**" if total and bold else text

    if b.table == "proactive":
        # one small table per block: heading row, then 信息内容 | columns, then the rows
        current: list[list[str]] = []
        for row in grid:
            if len(row) == 1 and row[0].cell_id is None:
                if current:
                    out.append("\n".join(_pipe(current, len(current[0]))))
                    current = []
                out.append(f"**{row[0].text}**")
                continue
            cells = [x.text if x.cell_id is None else val(x.text, False) for x in row]
            current.append(cells)
        if current:
            out.append("\n".join(_pipe(current, len(current[0]))))
        return out
    if b.table == "requests":
        matrix = dense(grid, fill="repeat")
        nh = header_rows(grid)
        ncols = sum(1 for _, cid in matrix[nh] if cid is not None)
        last_header = [t for t, _ in matrix[nh - 1]][-ncols:]
        head = ["项目", *last_header]
        rows = []
        for r in range(nh, len(matrix)):
            row = matrix[r]
            label = _row_label(row, joined)
            if not any(cid for _, cid in row):
                continue
            vals = [t for t, cid in row if cid is not None]
            total = "总计" in label
            if total and bold:
                label = f"**{label}**"
            rows.append([label, *(val(v, total) for v in vals)])
        if per_row:
            feats.add("table-per-row")
            for row in rows:
                out.append("\n".join(_pipe([head, row], len(head))))
        else:
            out.append("\n".join(_pipe([head, *rows], len(head))))
        if joined:
            feats.add("labels-joined")
        return out
    # appeals: 15 cells in one row, or three rows of five
    ids = [x for row in grid for x in row if x.cell_id is not None]
    matrix = dense(grid, fill="repeat")
    k = len(ids) // 3  # cells per appeals row
    if rng.random() < 0.6:
        feats.add("appeals-transposed")
        top, mid, low = ([t for t, _ in matrix[r]] for r in range(3))
        head = ["类别", *low[:k]]
        names = [top[i * k] if mid[i * k] == low[i * k] else f"{top[i * k]}（{mid[i * k]}）" for i in range(3)]
        rows = [[names[i], *(val(x.text, False) for x in ids[i * k:(i + 1) * k])] for i in range(3)]
        out.append("\n".join(_pipe([head, *rows], len(head))))
    else:
        head = [f"{a}-{b}" if a != b else a for (a, _), (b, _) in zip(matrix[0], matrix[2], strict=True)]
        out.append("\n".join(_pipe([head, [val(x.text, False) for x in ids]], len(head))))
    return out


def _chat(c: Content, rng: random.Random, feats: set[str]) -> str:
    dash = rng.random() < 0.5
    bold = rng.random() < 0.4
    joined = rng.random() < 0.5
    per_row = rng.random() < 0.1
    out: list[str] = []
    if rng.random() < 0.5:
        out.append("以下是该年度报告整理后的 Markdown 格式：")
        feats.add("chat-preface")
    for b in c.blocks:
        if b.kind == "title":
            out.append(f"# {b.text}")
        elif b.kind == "heading":
            out.append(f"## {b.text}")
        elif b.kind == "subheading":
            out.append(f"### {b.text}")
        elif b.kind == "table":
            out += _chat_blocks(b, rng, feats, dash, bold, joined, per_row)
        elif b.kind in ("signature", "date"):
            out.append(b.text)
        else:
            out.append(b.text.replace("\n", "\n\n"))
    if dash and "blank-zeros" in c.features:
        feats.add("dash-for-blank")
    if bold:
        feats.add("bold-totals")
    return "\n\n".join(out) + "\n"


STYLES = {"mineru": _mineru, "marker": _marker, "pandoc": _pandoc, "chat": _chat}


def render_markdown(c: Content, rng: random.Random, style: str) -> tuple[bytes, list[str]]:
    feats: set[str] = {f"tool:{style}"}
    text = STYLES[style](c, rng, feats)
    return text.encode("utf-8"), sorted(feats)
