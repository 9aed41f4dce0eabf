"""Finding the parts and the tables' rows in a document's text.

Labels are searched in the compact text (no white space, no quotes), in template order, each
from where the previous one was found: a label broken across lines or cells, or a whole report
flattened onto one line, reads the same. Tables are found by their content (row labels), not by
the part headings, which some reports leave out.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from xxgk.normalize import Compact, compact
from xxgk.template import Block, Label, Row, Template, Variant

# Numbering before a label: "1." "2、" "3," "（四）" "三、" "(七)".
_NUMBERING = re.compile(r"(?:\d[.、,]|[(][一二三四五六七八九十]{1,2}[)]|[一二三四五六七八九十]{1,2}[、.])$")

ROW_WINDOW = 3000  # how far (compact characters) the next row label may be
HEADER_WINDOW = 400
SHORT_WINDOW = 400  # a short row label is looked for this near the row before it


@dataclass
class Match:
    start: int  # compact index
    end: int
    form: str
    variant: Variant | None
    inner: int = -1  # where the row's numbers begin inside a label they interrupt (PDF text)


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
    search_from: int = 0  # compact index where the search for the table began


@dataclass
class Heading:
    key: str
    start: int  # compact
    end: int


SHORT_FORM_REACH = 600  # how near a label's full form must follow its short form to be preferred


def find_label(c: str, label: Label, start: int, stop: int) -> Match | None:
    """The earliest match of any form of ``label`` in ``c[start:stop]`` (a longer form wins at the
    same position). A short form that is part of a longer one (规范性文件 of 行政规范性文件) gives
    way to the longer form printed soon after it: the short one was a sentence of the prose
    ("本年制发规范性文件3件") before a table whose heading comes after it."""
    best: Match | None = None
    found: list[Match] = []
    for form, variant in label.forms():
        i = c.find(form, start, stop)
        if i < 0:
            continue
        found.append(Match(i, i + len(form), form, variant))
        if best is None or i < best.start or (i == best.start and len(form) > len(best.form)):
            best = found[-1]
    if best is not None and len(found) > 1:
        longer = [m for m in found if len(m.form) > len(best.form) and best.form in m.form
                  and best.start < m.start <= best.start + SHORT_FORM_REACH]
        if longer:
            best = min(longer, key=lambda m: m.start)
    return best


@functools.cache
def _numbered_pattern(numbering: str, label: str) -> re.Pattern[str]:
    """A short label after its numbering, as printed in any of its forms: "3." "3、" "（七）" "七、"."""
    core = re.sub(r"[^0-9一二三四五六七八九十]", "", numbering)
    if core.isdigit():
        num = core + r"[.、,．]?"
    else:
        num = r"(?:[(（]" + core + r"[)）]|" + core + r"[、.,])"
    return re.compile(num + re.escape(compact(label)))


def _numbered(c: str, row: Row, start: int, stop: int) -> Match | None:
    if not row.numbering:
        return None
    m = _numbered_pattern(row.numbering, row.label.text).search(c, start, stop)
    if m is None:
        return None
    a = m.end() - len(compact(row.label.text))
    return Match(a, m.end(), c[a:m.end()], None)


@functools.cache
def _interrupted(form: str) -> re.Pattern[str]:
    """A label whose lines the row's numbers interrupt ("本年新收政府信息 39 94 … 公开申请数量": a
    label wrapped in its cell, copied out of a PDF viewer line by line): digits between its
    characters."""
    return re.compile("(?:[-\\d.]+)?".join(re.escape(ch) for ch in form))


def find_label_interrupted(c: str, label: Label, start: int, stop: int) -> Match | None:
    """The earliest match of ``label`` in ``c[start:stop]`` with numbers inside it, recording where
    the numbers begin (``inner``); None when the label is whole or absent."""
    best: Match | None = None
    for form, variant in label.forms():
        if len(form) < 6:
            continue  # a short label is never wrapped
        m = _interrupted(form).search(c, start, stop)
        if m is None:
            continue
        d = re.search(r"\d", c[m.start():m.end()])
        if d is None:
            continue
        if best is None or m.start() < best.start:
            best = Match(m.start(), m.end(), c[m.start():m.end()], variant, inner=m.start() + d.start())
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
        if m is None:
            # numbered otherwise ("一、主动公开政府信息情况" in a report that does not number its
            # overview): the part's whole title after any numeral
            m = re.compile(r"(?<![(一二三四五六七八九十第])[一二三四五六七八九十][、.]"
                           + re.escape(compact(part.title))).search(c, pos)
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
    lt = LocatedTable(key, start=-1, search_from=start)
    pos = start
    for block in table.blocks:
        if block.layout == "flat":
            _locate_flat(c, block, pos, lt, uses)
            return lt
        found = _locate_block(c, block, pos, len(c), lt, key)
        if found is None and pos > start:
            # a block printed before the one the template puts first (a converter or a PDF's
            # reading order moved it): look between the table's start and here; later blocks
            # are still searched from here
            found = _locate_block(c, block, start, pos, lt, key)
        if found is None:
            lt.missing_rows += [r.key for r in block.data_rows()]
            continue
        anchors, end, block_start, header_from = found
        lt.anchors += anchors
        first = anchors[0]
        _header_uses(c, block, header_from, first.match.start, uses)
        lt.block_starts.append((block, block_start))
        for a in anchors:
            if a.match.variant is not None:
                uses.append(LabelUse(a.row.label.text, a.match.variant.text, a.match.variant.ocr,
                                     f"{key}.{a.row.key}", a.match.start))
        lt.missing_rows += [r.key for r in block.data_rows() if r.key not in {a.row.key for a in anchors}]
        pos = max(pos, end)
        lt.end = max(lt.end, end)
        _fuzzy_rows(c, block, lt, key, uses)
    lt.anchors.sort(key=lambda a: a.match.start)
    lt.block_starts.sort(key=lambda bs: bs[1])
    if lt.block_starts:
        lt.start = lt.block_starts[0][1]
    # A table is found when most of its rows are: a stray "其他" or "总计" elsewhere is not a table.
    data_rows = [r for b in table.blocks for r in b.data_rows()]
    found_rows = [a for a in lt.anchors if not a.row.group]
    if data_rows and len(found_rows) * 2 < len(data_rows):
        lt.anchors = []
        lt.missing_rows = [r.key for r in data_rows]
        lt.start = lt.end = -1
        lt.block_starts = []
    return lt


def _locate_block(
    c: str, block: Block, pos: int, limit: int, lt: LocatedTable, key: str,
) -> tuple[list[RowAnchor], int, int, int] | None:
    """The rows of one block from ``pos`` (before ``limit``): (anchors, end, block start, where
    the column header begins), or None when none of its rows is there."""
    block_start = -1
    if block.heading is not None:
        m = find_label(c, block.heading, pos, min(limit, pos + HEADER_WINDOW))
        if m:
            block_start = m.start
            pos = m.end
    header_from = pos
    anchors: list[RowAnchor] = []
    for row in block.rows:
        window = ROW_WINDOW * (4 if not anchors and not lt.anchors else 1)
        if anchors and len(row.label.text) <= 4:
            # "其他", "总计": words any header prints; the row is near the last one, and its
            # numbering ("3.其他", "（七）总计") tells it from a header's word
            window = SHORT_WINDOW
            m = _numbered(c, row, pos, min(limit, pos + window))
            if m is None:
                m = find_label(c, row.label, pos, min(limit, pos + window))
                if m is not None and m.end < len(c) and "\u4e00" <= c[m.end] <= "\u9fff":
                    m = None  # a word of a longer label ("其他结果", "总计未经复议…"), not the row
        else:
            m = find_label(c, row.label, pos, min(limit, pos + window))
        for g in [a.match for a in anchors if a.row.group]:
            if m is not None and not row.group and m.start < g.end and g.start < m.end:
                # inside a group's label ("其他" in "（六）其他处理"): not this row
                m = find_label(c, row.label, g.end, min(limit, pos + window))
        if m is None and not row.group:
            m = find_label_interrupted(c, row.label, pos, min(limit, pos + window))
        if m is None:
            continue
        if row.group:
            # a merged group label (三、本年度办理结果, （三）不予公开) prints wherever the layout
            # puts it, often beside the middle of its rows: it does not move the search on
            anchors.append(RowAnchor(block, row, m, numbering_start(c, m.start)))
            continue
        if not anchors and (block_start < 0 or block_start >= m.start):
            block_start = m.start
        anchors.append(RowAnchor(block, row, m, numbering_start(c, m.start)))
        pos = m.end
    if not any(not a.row.group for a in anchors):
        return None
    return anchors, pos, block_start, header_from


FUZZY_SPAN = 2000  # the most compact characters searched for one misprinted label


def max_distance(label: str) -> int:
    """How many characters a misprint may change: one in a short label, more in long ones."""
    n = len(label)
    return 0 if n < 4 else 1 if n <= 8 else 2 if n <= 16 else 3


def fuzzy_find(c: str, pattern: str, start: int, stop: int) -> tuple[int, int, int] | None:
    """The best approximate occurrence of ``pattern`` in ``c[start:stop]`` (Sellers' algorithm:
    edit distance with a free start), as (distance, start, end); None when it is farther than a
    misprint, holds a digit, or is not the only best place."""
    k = max_distance(pattern)
    start = max(0, start)
    stop = min(stop, start + FUZZY_SPAN, len(c))
    if k == 0 or stop - start < len(pattern) - k:
        return None
    m = len(pattern)
    prev = list(range(m + 1))
    best: list[tuple[int, int]] = []  # (distance, end)
    for j in range(start, stop):
        ch = c[j]
        cur = [0] * (m + 1)
        for i in range(1, m + 1):
            cur[i] = min(prev[i] + 1, cur[i - 1] + 1, prev[i - 1] + (pattern[i - 1] != ch))
        prev = cur
        if cur[m] <= k:
            best.append((cur[m], j + 1))
    if not best:
        return None
    d = min(x for x, _ in best)
    ends = [e for x, e in best if x == d]
    # one place only: consecutive ends are the same occurrence, give or take a character
    if ends[-1] - ends[0] > k + 1:
        return None
    end = ends[0]
    # the start: the best alignment of the reversed pattern ending at ``end``
    rp = pattern[::-1]
    prev = list(range(m + 1))
    a = end
    for j in range(end - 1, max(start, end - m - k) - 1, -1):
        cur = [0] * (m + 1)
        for i in range(1, m + 1):
            cur[i] = min(prev[i] + 1, cur[i - 1] + 1, prev[i - 1] + (rp[i - 1] != c[j]))
        prev = cur
        if cur[m] == d:
            a = j
            break
    found = c[a:end]
    if any(ch.isdigit() for ch in found):
        return None
    return d, a, end


def _fuzzy_rows(c: str, block: Block, lt: LocatedTable, key: str, uses: list[LabelUse]) -> None:
    """Rows of ``block`` whose label was not found: a misprinted label (a character dropped,
    added or replaced by a homophone, e.g. 属于三类内部事物信息) between the rows found around it
    is matched to the template by similarity and reported as a misprinted variant."""
    for row in block.data_rows():
        if row.key not in lt.missing_rows:
            continue
        order = [r.key for r in block.rows]
        k = order.index(row.key)
        before = [a for a in lt.anchors if a.block is block and order.index(a.row.key) < k]
        after = [a for a in lt.anchors if a.block is block and order.index(a.row.key) > k]
        lo = before[-1].match.end if before else (after[0].start - ROW_WINDOW // 10 if after else -1)
        hi = after[0].start if after else (lo + ROW_WINDOW // 10 if before else -1)
        if lo < 0 or hi <= lo:
            continue
        form = c and row.label.forms()[0][0]
        hit = fuzzy_find(c, form, lo, hi)
        if hit is None:
            continue
        _d, a, b = hit
        m = Match(a, b, c[a:b], None)
        lt.anchors.append(RowAnchor(block, row, m, numbering_start(c, a)))
        lt.anchors.sort(key=lambda x: x.match.start)
        lt.missing_rows.remove(row.key)
        uses.append(LabelUse(row.label.text, c[a:b], True, f"{key}.{row.key}", a))


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
