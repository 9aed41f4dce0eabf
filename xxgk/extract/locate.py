"""Finding the parts and the tables' rows in a document's text.

Labels are searched in the compact text (no white space, no quotes), in template order, each
from where the previous one was found: a label broken across lines or cells, or a whole report
flattened onto one line, reads the same. Tables are found by their content (row labels), not by
the part headings, which some reports leave out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from xxgk.normalize import Compact
from xxgk.template import Block, Label, Row, Template, Variant

# Numbering before a label: "1." "2、" "3," "（四）" "三、" "(七)".
_NUMBERING = re.compile(r"(?:\d[.、,]|[(][一二三四五六七八九十]{1,2}[)]|[一二三四五六七八九十]{1,2}[、.])$")

ROW_WINDOW = 3000  # how far (compact characters) the next row label may be
HEADER_WINDOW = 400


@dataclass
class Match:
    start: int  # compact index
    end: int
    form: str
    variant: Variant | None


@dataclass
class RowAnchor:
    block: Block
    row: Row
    match: Match
    start: int  # compact start including numbering


@dataclass
class LabelUse:
    """A label printed in a non-standard wording."""

    canonical: str
    found: str
    ocr: bool
    where: str
    offset: int


@dataclass
class LocatedTable:
    key: str
    anchors: list[RowAnchor] = field(default_factory=list)
    start: int = -1  # compact index where the table begins
    end: int = -1  # compact index after its last label
    missing_rows: list[str] = field(default_factory=list)
    flat_start: int = -1  # for a flat table: where its values start
    block_starts: list[tuple[Block, int]] = field(default_factory=list)


@dataclass
class Heading:
    key: str
    start: int  # compact
    end: int


def find_label(c: str, label: Label, start: int, stop: int) -> Match | None:
    """The earliest match of any form of ``label`` in ``c[start:stop]`` (a longer form wins at the
    same position)."""
    best: Match | None = None
    for form, variant in label.forms():
        i = c.find(form, start, stop)
        if i < 0:
            continue
        if best is None or i < best.start or (i == best.start and len(form) > len(best.form)):
            best = Match(i, i + len(form), form, variant)
    return best


def numbering_start(c: str, i: int) -> int:
    """Extend a label's start backwards over its numbering ("1." "（三）" …), twice at most."""
    for _ in range(2):
        m = _NUMBERING.search(c, max(0, i - 6), i)
        if not m:
            break
        i = m.start()
    return i


def detect_template(c: str, templates: list[Template]) -> tuple[Template, dict[str, int]]:
    scores = {t.id: sum(1 for m in t.markers if m in c) for t in templates}
    best = max(templates, key=lambda t: scores[t.id])
    return best, scores


def find_headings(ct: Compact, t: Template) -> dict[str, Heading]:
    """Part headings ("二、主动公开政府信息情况"), in order."""
    c = ct.text
    out: dict[str, Heading] = {}
    pos = 0
    for part in t.parts:
        pat = re.compile(
            r"(?<![(一二三四五六七八九十第])" + part.numeral + r"[、.](?:[^、.]{0,8}?)(?:"
            + "|".join(re.escape(k) for k in part.keywords) + r")"
        )
        m = pat.search(c, pos)
        if m:
            # the heading runs to the end of the part title, at most 30 characters
            end = m.end()
            rest = re.match(r"[^。,;:\d]{0,24}?(?:情况|事项|改进情况)", c[end:end + 30])
            if rest:
                end += rest.end()
            out[part.key] = Heading(part.key, m.start(), end)
            pos = end
    return out


def locate_table(
    ct: Compact, t: Template, key: str, start: int, uses: list[LabelUse]
) -> LocatedTable:
    c = ct.text
    table = t.table(key)
    lt = LocatedTable(key, start=-1)
    pos = start
    for block in table.blocks:
        if block.layout == "flat":
            _locate_flat(c, block, pos, lt, uses)
            return lt
        block_start = pos
        if block.heading is not None:
            m = find_label(c, block.heading, pos, pos + HEADER_WINDOW)
            if m:
                block_start = m.start
                pos = m.end
        first_row = True
        header_from = pos
        for row in block.rows:
            window = ROW_WINDOW * (4 if first_row and not lt.anchors else 1)
            m = find_label(c, row.label, pos, pos + window)
            if m is None:
                if not row.group:
                    lt.missing_rows.append(row.key)
                continue
            if first_row:
                _header_uses(c, block, header_from, m.start, uses)
                lt.block_starts.append((block, block_start if block.heading else m.start))
                first_row = False
                if lt.start < 0:
                    lt.start = block_start if block.heading and block_start < m.start else m.start
            if m.variant is not None:
                uses.append(LabelUse(row.label.text, m.variant.text, m.variant.ocr,
                                     f"{key}.{row.key}", m.start))
            lt.anchors.append(RowAnchor(block, row, m, numbering_start(c, m.start)))
            pos = m.end
        lt.end = pos
    # A table is found when most of its rows are: a stray "其他" or "总计" elsewhere is not a table.
    data_rows = [r for b in table.blocks for r in b.data_rows()]
    found = [a for a in lt.anchors if not a.row.group]
    if data_rows and len(found) * 2 < len(data_rows):
        lt.anchors = []
        lt.missing_rows = [r.key for r in data_rows]
        lt.start = lt.end = -1
        lt.block_starts = []
    return lt


def _header_uses(c: str, block: Block, start: int, stop: int, uses: list[LabelUse]) -> None:
    for col in block.columns:
        m = find_label(c, col.label, start, stop)
        if m is not None and m.variant is not None:
            uses.append(LabelUse(col.label.text, m.variant.text, m.variant.ocr,
                                 f"{block.table}.*.{col.key}", m.start))


def _locate_flat(c: str, block: Block, pos: int, lt: LocatedTable, uses: list[LabelUse]) -> None:
    """A flat table (the appeals row): a dense run of header labels, then the values."""
    first = block.column_groups[0]["label"] if block.column_groups else block.rows[0].label.text
    i = c.find(first, pos)
    if i < 0:
        return
    words = sorted(
        {g["label"] for g in block.column_groups}
        | {r.label.text for r in block.rows}
        | {f for col in block.columns for f, _ in col.label.forms()},
        key=len, reverse=True,
    )
    j = i + len(first)
    while True:
        k = j
        while k < len(c) and k - j <= 2 and c[k] in ".,:;、()":
            k += 1
        for w in words:
            if c.startswith(w, k):
                j = k + len(w)
                break
        else:
            break
    lt.start = i
    lt.flat_start = j
    lt.end = j
    lt.block_starts.append((block, i))
