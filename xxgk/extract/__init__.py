"""The one extractor: an intermediate Document in, a Report out.

    text -> normalise (offsets kept) -> template detected from table labels -> parts located ->
    each table's rows located -> each row's value region cut into slots -> rows aligned to
    columns jointly with the arithmetic -> cells with provenance; prose -> title, agency, year,
    date, period, headline figures.
"""

from __future__ import annotations

import re
from bisect import bisect_right

from xxgk.agency import decide
from xxgk.document import Document
from xxgk.errors import XxgkError
from xxgk.extract import meta
from xxgk.extract.locate import (
    LabelUse,
    LocatedTable,
    RowAnchor,
    detect_template,
    find_headings,
    find_label,
    locate_table,
)
from xxgk.extract.slots import Slot, slots
from xxgk.extract.solve import UNKNOWN, CellResult, ColumnSpec, Figure, PrintedRow, solve_table
from xxgk.model import CellInfo, Diagnostic, Headline, Location, PartText, Report, trusted
from xxgk.normalize import _RESIDUE, Compact, normalize
from xxgk.template import Block, Row, Template, load_template, template_for_year, template_ids

_UNIT = re.compile(r"单位\s*[:：]?\s*(万元|元)")
_UNIT_AFTER = re.compile(r"[\d\s.,]*\d\s*(万元|元)")
_PROSE_RUN = re.compile(r"[\u4e00-\u9fff]{4,}")


class _Lines:
    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def loc(self, start: int, end: int) -> Location:
        k = bisect_right(self.starts, start) - 1
        return trusted(Location,
            offset=start, length=end - start, line=k + 1, column=start - self.starts[k] + 1,
            text=self.text[start:end],
        )


def extract(
    doc: Document, *, source_path: str | None = None, content_hash: str = ""
) -> Report:
    raw_text = doc.text
    text = normalize(raw_text)
    ct = Compact(text)
    lines = _Lines(raw_text)
    templates = [load_template(i) for i in template_ids()]
    t, scores = detect_template(ct.text, templates)
    diagnostics: list[Diagnostic] = []
    uses: list[LabelUse] = []

    headings = find_headings(ct, t)
    first_heading = min((h.start for h in headings.values()), default=len(ct.text))
    title, year, title_agency = meta.find_title(text, ct.source(first_heading) + 200)
    if title is None:
        # a title wrapped over two lines (PDF) reads in the compact text
        found = meta.find_title(ct.text, first_heading + 100)
        if found[0] is not None:
            f = found[0]
            title = meta.Found(f.value, ct.source(f.start), ct.source_end(f.end))
            year, title_agency = found[1], found[2]

    if not any(scores.values()):
        # No template-specific label: fall back on the year, and say so.
        if year is not None:
            t = template_for_year(year)
        diagnostics.append(Diagnostic(
            kind="template-undetected",
            message=f"表格中没有找到可区分模板的标签，按报告年度采用{t.id}年模板",
            detail={"template": t.id},
        ))
        headings = find_headings(ct, t)

    tables: dict[str, LocatedTable] = {}
    pos = headings["proactive"].end if "proactive" in headings else 0
    tables["proactive"] = _locate_near(ct, t, "proactive", pos, headings, uses)
    p = tables["proactive"]
    pos = p.end if p.anchors else (headings["requests"].end if "requests" in headings else pos)
    pos = max(pos, 0)
    tables["requests"] = locate_table(ct, t, "requests", pos, uses)
    r = tables["requests"]
    pos = r.end if r.anchors else pos
    pos = max(pos, 0)
    if "appeals" in headings and headings["appeals"].end > pos:
        pos = headings["appeals"].end
    tables["appeals"] = locate_table(ct, t, "appeals", pos, uses)

    if not tables["requests"].anchors and not tables["proactive"].anchors and title is None:
        raise XxgkError(
            "not-a-report",
            "未找到政府信息公开工作年度报告的标题或统计表，这似乎不是年度报告",
            "no annual-report title or statistical tables found: this does not look like an "
            "annual report on government information disclosure",
        )

    # --- prose figures first: they may decide cells the tables leave open
    prose_end = ct.source(tables["proactive"].start) if tables["proactive"].start >= 0 else len(text)
    headlines: list[Headline] = []
    figures: list[Figure] = []
    specs = {s.key: s for s in meta.headline_specs()}
    for spec, f, n, sentence in meta.find_headlines(text, 0, prose_end):
        h = Headline(key=spec.key, value=int(n) if n else None, unit=spec.unit,
                     source=lines.loc(f.start, f.end),
                     sentence=lines.loc(sentence.start, sentence.end) if sentence else None)
        headlines.append(h)
        if h.value is not None and specs[spec.key].cells:
            sums = tuple(tuple(e.split("+")) for e in specs[spec.key].cells)
            figures.append(Figure(sums, h.value, h.sentence or h.source))

    cells: dict[str, CellResult] = {}
    printed_rows: dict[str, list[PrintedRow]] = {}
    for key, lt in tables.items():
        rows = _printed_rows(t, lt, ct, text, headings, tables)
        printed_rows[key] = rows
        if not rows:
            continue
        if doc.format == "text":
            _place_by_position(rows, text, lines)
        _strip_label_residue(rows, grid=doc.format in GRID_FORMATS)
        blank_style = _blank_style(rows)
        solved = solve_table(rows, t.equations, blank_style, figures)
        if _numbers_first(lt, ct, headings, tables):
            rows_b = _printed_rows(t, lt, ct, text, headings, tables, before=True)
            solved_b = solve_table(rows_b, t.equations, _blank_style(rows_b), figures)
            # The layout says numbers come first (numbers before the first label, none after the
            # last): that reading stands unless it is worse on both counts — it breaks more
            # relations *and* leaves more cells open (an agency's wrong total breaks a relation
            # in either reading; the other reading leaves the first numbers unread).
            sb, sa = _score(rows_b, solved_b), _score(rows, solved)
            if sb[0] <= sa[0] or sb[1] <= sa[1]:
                rows, solved = rows_b, solved_b
                printed_rows[key] = rows
        cells.update(solved)
        _group_children(t, rows, cells)
        _row_diagnostics(t, key, rows, cells, lines, diagnostics)

    report_cells: dict[str, int | float | None] = {}
    ambiguous: dict[str, list[int | float | None]] = {}
    provenance: dict[str, CellInfo] = {}
    for cid in t.cell_ids:
        res = cells.get(cid)
        if res is None:
            report_cells[cid] = None
            provenance[cid] = _missing(t, cid, tables, ct, lines)
            continue
        v = res.value
        report_cells[cid] = None if v is UNKNOWN else v  # type: ignore[assignment]
        src = lines.loc(res.slot.start, res.slot.end) if res.slot is not None else None
        provenance[cid] = trusted(CellInfo,
            status=res.status, source=src, candidates=res.candidates, complete=res.complete,
            relation=res.relation, evidence=res.evidence, note=res.note)
        if res.status == "ambiguous":
            ambiguous[cid] = res.candidates

    for key, lt in tables.items():
        for rk in lt.missing_rows:
            diagnostics.append(Diagnostic(
                kind="row-not-found",
                message=f"未找到表格行：{t.row_label(key, rk)}",
                cells=[c for c in t.cell_ids if c.startswith(f"{key}.{rk}.")],
            ))
    for u in uses:
        diagnostics.append(Diagnostic(
            kind="label-variant",
            message=f"标签“{u.found}”与模板“{u.canonical}”不一致" + ("（疑为错别字）" if u.ocr else ""),
            source=lines.loc(ct.source(u.offset), ct.source(u.offset) + len(u.found)),
            detail={"canonical": u.canonical, "found": u.found, "ocr": int(u.ocr), "where": u.where},
        ))

    units = _units(t, tables, ct, text)
    parts = _parts(t, headings, ct, raw_text, lines)

    # --- prose: agency, date, period, headlines
    sig_agency, sig_date = meta.find_signature(text)
    agency = meta.clean_agency(title_agency)
    agency_source = "title" if agency else None
    if agency is None and sig_agency is not None and not title_agency:
        agency = meta.clean_agency(sig_agency.value)
        agency_source = "signature" if agency else None
    if agency is None:
        diagnostics.append(Diagnostic(
            kind="agency-unnamed",
            message="报告未写明发布机关名称" + (f"（标题仅写“{title_agency}”）" if title_agency else ""),
            detail={"title_agency": title_agency},
        ))
    kind = decide(title_agency, sig_agency.value if sig_agency else None, text)
    if year is None:
        period = meta.find_period(text)
        if period:
            year = period[1].year
    head_end = ct.source(first_heading) if headings else min(len(text), 400)
    pub = meta.find_published_date(text, head_end, year)
    if pub is None and sig_date is not None:
        d = meta.to_date(sig_date)
        if d is not None and (year is None or year < d.year <= year + 2):
            pub = sig_date
    published = meta.to_date(pub) if pub else None
    if pub is not None:
        diagnostics.append(Diagnostic(kind="published-date", message="发布日期", source=lines.loc(pub.start, pub.end)))

    period = meta.find_period(text)
    if period is not None:
        a, b, f = period
        diagnostics.append(Diagnostic(
            kind="period", message="统计期限", source=lines.loc(f.start, f.end),
            detail={"from": a.isoformat(), "to": b.isoformat()},
        ))

    for f in meta.find_missing_numbers(text, 0, len(text)):
        diagnostics.append(Diagnostic(
            kind="number-missing", message=f"正文数字缺失：“{f.value.strip()}”",
            source=lines.loc(f.start, f.end),
        ))

    return Report(
        template=t.id,  # type: ignore[arg-type]
        report_year=year,
        agency=agency,
        agency_source=agency_source,  # type: ignore[arg-type]
        published_date=published,
        agency_kind=kind.kind,
        agency_kind_reasons=kind.reasons,
        signature_agency=sig_agency.value if sig_agency else None,
        title=re.sub(r"\s*\n\s*", "", title.value) if title else None,
        source_path=source_path,
        content_hash=content_hash,
        encoding=doc.encoding,
        format=doc.format,
        cells=report_cells,
        ambiguous=ambiguous,
        provenance=provenance,
        units=units,
        parts=parts,
        headlines=headlines,
        diagnostics=diagnostics,
    )


def _missing(t: Template, cid: str, tables: dict[str, LocatedTable], ct: Compact, lines: _Lines) -> CellInfo:
    """A cell whose row (or table) was not found: what was looked for, and where."""
    spec = t.cell(cid)
    table = t.table(spec.table)
    label = f"{spec.row.numbering}{spec.row.label.text}"
    lt = tables.get(spec.table)
    if lt is None or lt.start < 0:
        heads = "、".join(b.rows[0].label.text for b in table.blocks if b.rows)[:60]
        return trusted(CellInfo,
            status="missing", source=None, candidates=[], complete=True, relation=None, evidence=None,
            note=f"未找到统计表“{table.title}”：全文中没有找到其行标签（如“{heads}”）"
                 f" / table not found: none of its row labels appear in the text")
    a = ct.source(lt.start)
    b = ct.source_end(max(lt.end, lt.start + 1))
    return trusted(CellInfo,
        status="missing", source=lines.loc(a, b), candidates=[], complete=True, relation=None, evidence=None,
        note=f"未找到表格行“{label}”：在“{table.title}”表中（第{lines.loc(a, a).line}行起）按模板顺序查找，"
             f"包括其已知变体 / row {spec.row.key!r} not found in the table (searched from line "
             f"{lines.loc(a, a).line}, in template order, with its known variants)")


GRID_FORMATS = ("html", "docx", "doc", "pdf", "xlsx", "markdown")


def _strip_label_residue(rows: list[PrintedRow], grid: bool = False) -> None:
    """Empty cells between a row's label and its values that the table's layout puts there (a
    label merged over three columns that a converter wrote as the label and two empty cells):
    when several rows print exactly their columns' count plus the same k empty cells first, those
    k cells are the label's, not values. In a document whose tables are grids (a web page, Word,
    PDF, Markdown), a cell is never dropped or doubled, so any row's extra leading empty cells are
    its label's."""
    def extra(r: PrintedRow) -> int:
        hard = [x for x in r.slots if x.is_num or x.hard]
        k = len(hard) - len(r.columns)
        if k <= 0 or not hard[-1].is_num:
            return 0  # empty cells after the values: padding, trimmed when read
        return k if all(not x.is_num and x.hard for x in r.slots[:k]) else 0

    if grid:
        for r in rows:
            if (k := extra(r)) > 0:
                r.slots = r.slots[k:]
                r.residue = True
        return
    counts: dict[int, int] = {}
    for r in rows:
        if (k := extra(r)) > 0:
            counts[k] = counts.get(k, 0) + 1
    if not counts:
        return
    k, seen = max(counts.items(), key=lambda kv: kv[1])
    if seen < 2:
        return
    for r in rows:
        if extra(r) == k:
            r.slots = r.slots[k:]
            r.residue = True  # the table shows layout residue: leading empty slots are not cells


def _blank_style(rows: list[PrintedRow]) -> bool:
    """Does the table write its zeros as empty cells? Yes when a row has an empty cell between two
    numbers, or when the table prints no zero at all but has empty cells, and no row shows the
    empty slots of label columns before a full set of numbers (layout residue)."""
    if any(_interior_blank(r.slots) for r in rows):
        return True
    nums = [s for r in rows for s in r.slots if s.is_num]
    if not nums or any(s.text.strip("0") == "" for s in nums):
        return False
    if not any(not s.is_num for r in rows for s in r.slots):
        return False
    return not any(
        sum(1 for x in r.slots if x.is_num) == len(r.columns) and r.slots and not r.slots[0].is_num
        for r in rows
    )


def _locate_near(
    ct: Compact, t: Template, key: str, pos: int, headings: dict, uses: list[LabelUse],
) -> LocatedTable:
    """The table from its part's heading on; if its rows are not all there, from the heading before
    (a floating table that a PDF or Word layout prints before its own heading)."""
    first_uses: list[LabelUse] = []
    found = locate_table(ct, t, key, pos, first_uses)
    earlier = max((h.end for h in headings.values() if h.end < pos), default=0)
    if found.missing_rows and earlier < pos:
        retry_uses: list[LabelUse] = []
        again = locate_table(ct, t, key, earlier, retry_uses)
        if len(again.missing_rows) < len(found.missing_rows):
            found, first_uses = again, retry_uses
    uses.extend(first_uses)
    return found


def _interior_blank(sl: list[Slot]) -> bool:
    nums = [i for i, s in enumerate(sl) if s.is_num]
    if len(nums) < 2:
        return False
    return any(not s.is_num for s in sl[nums[0]:nums[-1]])


def _limit_after(pos: int, headings: dict, tables: dict[str, LocatedTable], ct: Compact) -> int:
    """Compact index of the first part heading or table start after ``pos``."""
    cands = [h.start for h in headings.values() if h.start > pos]
    cands += [lt.start for lt in tables.values() if lt.start > pos]
    return min(cands, default=len(ct.text))


_WIDE_CHARS = re.compile("[\u2e80-\uffef]")


def _display_x(text: str, line_start: int, pos: int) -> int:
    """Display column of ``text[pos]`` on its line (a Chinese character takes two columns)."""
    seg = text[line_start:pos]
    if "\t" not in seg:
        return len(seg) + len(_WIDE_CHARS.findall(seg))
    x = 0
    for ch in seg:
        x += 2 if "\u2e80" <= ch <= "\uffef" else (8 - x % 8 if ch == "\t" else 1)
    return x


_WIDE_GAP = re.compile(r"\d {3,}\d")


def _place_by_position(rows: list[PrintedRow], text: str, lines: _Lines) -> None:
    """Text laid out by position (``pdftotext -layout``, a fixed-width copy): an empty cell is only
    spaces, so a row printing fewer numbers than columns is placed by where its numbers stand,
    under the columns the table's complete rows show. Rows are rewritten with explicit empty
    cells only where every number falls clearly in a distinct column."""
    if not any(_WIDE_GAP.search(text, r.slots[0].start, r.slots[-1].end) for r in rows if r.slots):
        return  # nothing is laid out by position here
    by_shape: dict[tuple[str, ...], list[PrintedRow]] = {}
    for r in rows:
        by_shape.setdefault(tuple(c.cell_id.rsplit(".", 1)[-1] for c in r.columns), []).append(r)
    for shape, group in by_shape.items():
        n = len(shape)
        if n < 2:
            continue
        laid_out = any(_WIDE_GAP.search(text, x[0].start, x[-1].end)
                       for x in ([s for s in r.slots if s.is_num] for r in group) if len(x) > 1)
        placed: dict[int, list[tuple[int, Slot]]] = {}  # row index -> (x centre, slot)
        for k, r in enumerate(group):
            nums = [x for x in r.slots if x.is_num]
            if not nums:
                continue
            line_no = {bisect_right(lines.starts, x.start) for x in nums}
            if len(line_no) != 1:
                continue
            ls = lines.starts[line_no.pop() - 1]
            if not _WIDE_GAP.search(text, nums[0].start, nums[-1].end) and len(nums) < n:
                continue
            placed[k] = [(_display_x(text, ls, x.start) + (x.end - x.start) // 2, x) for x in nums]
        full = [p for k, p in placed.items() if len(p) == n]
        if len(full) < 2:
            centres: list[int] = []
        else:
            centres = [sorted(p[i][0] for p in full)[len(full) // 2] for i in range(n)]
        gaps = [b - a for a, b in zip(centres, centres[1:], strict=False)]
        if not centres or min(gaps, default=0) < 3:
            if laid_out:
                _opaque_short_rows(group, n)
            continue
        tol = min(gaps) / 2
        for k, p in placed.items():
            r = group[k]
            if len(p) >= n:
                continue
            cols: list[int] = []
            for x, _slot in p:
                d, i = min((abs(x - c), i) for i, c in enumerate(centres))
                if d >= tol:
                    break
                cols.append(i)
            else:
                if len(set(cols)) == len(cols) and cols == sorted(cols):
                    at = dict(zip(cols, (slot for _x, slot in p), strict=True))
                    a = p[0][1].start
                    r.slots = [at.get(i) or Slot("blank", "", a, a) for i in range(n)]
                    continue
            if laid_out:
                _opaque_short_rows([r], n)


_OPAQUE = ("按位置排版的文本中，此行印出的数字少于列数，其所在列无法从位置确定 / in text laid out by "
           "position, this row prints fewer numbers than columns and where they stand does not place them")


def _opaque_short_rows(rows: list[PrintedRow], n: int) -> None:
    """Rows of a table laid out by position whose numbers could not be placed by position: their
    empty cells left no trace, so no arithmetic may guess where the numbers go."""
    for r in rows:
        nums = [x for x in r.slots if x.is_num]
        if nums and len(nums) < n and not any(not x.is_num for x in r.slots):
            r.opaque = _OPAQUE


def _score(rows: list[PrintedRow], solved: dict[str, CellResult]) -> tuple[int, int, int]:
    """How well a reading of a table fits: (violated relations, open cells, edits); less is better."""
    violations = sum(r.chosen.violations for r in rows if r.chosen is not None)
    open_cells = sum(1 for c in solved.values() if c.status == "ambiguous")
    edits = sum(r.chosen.edits for r in rows if r.chosen is not None)
    return violations, open_cells, edits


def _header_end(block: Block, ct: Compact, start: int, stop: int) -> int:
    """Compact index just after the last column label of ``block`` printed in [start, stop)."""
    end = start
    c = ct.text
    words = [f for col in block.columns for f, _ in col.label.forms()] + [g["label"] for g in block.column_groups]
    for w in words:
        i = c.rfind(w, start, stop)
        if i >= 0:
            end = max(end, i + len(w))
    return end


def _numbers_first(lt: LocatedTable, ct: Compact, headings: dict, tables: dict[str, LocatedTable]) -> bool:
    """Does the table print each row's numbers before its label? Then numbers stand between the
    column header and the first row's label, and none (a page number at most) after the last."""
    data = [a for a in lt.anchors if not a.row.group]
    if lt.flat_start >= 0 or len(data) < 2:
        return False
    first, last = data[0], data[-1]
    block_start = next((b for blk, b in lt.block_starts if blk is first.block), lt.start)
    head_end = _header_end(first.block, ct, min(block_start, max(lt.search_from, first.start - 600)),
                           first.start)
    text = ct.source_text
    before = len(re.findall(r"\d+", text[ct.source_end(head_end):ct.source(first.start)]))
    after_end = _limit_after(last.match.end, headings, tables, ct)
    after = len(re.findall(r"\d+", text[ct.source_end(last.match.end):ct.source(after_end)]))
    width = len(first.block.row_columns(first.row))
    return before >= max(1, width // 2) and after <= 1


def _printed_rows(
    t: Template, lt: LocatedTable, ct: Compact, text: str, headings: dict,
    tables: dict[str, LocatedTable], before: bool = False,
) -> list[PrintedRow]:
    rows: list[PrintedRow] = []
    if lt.flat_start >= 0:
        block = lt.block_starts[0][0]
        start = ct.source_end(lt.flat_start)
        limit_c = _limit_after(lt.flat_start, headings, tables, ct)
        end = ct.source(limit_c)
        by_rows = _flat_by_rows(block, ct, text, lt.flat_start, limit_c)
        if by_rows:
            return by_rows
        # the values end where prose begins
        first_num = re.search(r"\d", text[start:end])
        if first_num:
            m = _PROSE_RUN.search(text, start + first_num.start(), end)
            if m:
                end = _prose_start(text, m.start())
        cols = [
            ColumnSpec(f"{block.table}.{row.key}.{c.key}", c.signed, c.decimal)
            for row in block.data_rows() for c in block.row_columns(row)
        ]
        rows.append(PrintedRow(cols, slots(text, start, end), label=block.table,
                                span=(ct.source(lt.start), end)))
        return rows
    found_rows = {a.row.key for a in lt.anchors}

    def printed_as_row(a: RowAnchor) -> bool:
        """A group printed as one row of its own (a 2021 report printing the 2019 （六）其他处理)."""
        if not a.row.group:
            return False
        children = [r for r in a.block.data_rows() if r.key.startswith(a.row.key + ".")]
        return bool(children) and not any(r.key in found_rows for r in children)

    for k, anchor in enumerate(lt.anchors):
        if anchor.row.group and not printed_as_row(anchor):
            continue
        if anchor.row.group and not before:
            # a group printed as one row of its own (a 2021 report printing the 2019 （六）其他处理):
            # its total, under a cell id outside the template, for the sub-rows to be told from
            rows.append(_group_row(anchor, lt, k, ct, text, headings, tables))
            continue
        if before:
            # numbers printed before their label (text copied from a PDF viewer): the row's
            # values lie between the previous label and its own
            prev = next((a for a in reversed(lt.anchors[:k]) if not a.row.group or printed_as_row(a)), None)
            if prev is not None and prev.block is anchor.block:
                a_c = prev.match.end
            else:
                a_c = next((b for blk, b in lt.block_starts if blk is anchor.block), lt.start)
                a_c = min(a_c, anchor.start)
                lo = max(lt.search_from, anchor.start - 600) if prev is None else prev.match.end
                a_c = _header_end(anchor.block, ct, min(a_c, lo), anchor.start)
            start, end = ct.source_end(a_c) if a_c > 0 else 0, ct.source(anchor.start)
            block = anchor.block
            if anchor.row.group:
                cols = [ColumnSpec(f"{block.table}.{anchor.row.key}.{c.key}", c.signed, c.decimal)
                        for c in block.columns]
                label = GROUP_ROW + anchor.row.key
            else:
                cols = [ColumnSpec(cid, c.signed, c.decimal)
                        for cid, c in zip(block.cell_ids(anchor.row), block.row_columns(anchor.row), strict=True)]
                label = anchor.row.key
            rows.append(PrintedRow(cols, slots(text, start, end), label=label,
                                   span=(start, ct.source_end(anchor.match.end))))
            continue
        start = ct.source_end(anchor.match.end)
        if anchor.match.inner >= 0:
            start = ct.source(anchor.match.inner)  # the numbers interrupt the label's lines
        nxt = next((a for a in lt.anchors[k + 1:] if not a.row.group or printed_as_row(a)), None)
        if nxt is not None:
            end_c = nxt.start
            if nxt.block is not anchor.block:
                # the next block's heading and column labels are not this row's cells
                b = next((b for blk, b in lt.block_starts if blk is nxt.block), end_c)
                if anchor.match.end <= b < end_c:
                    end_c = b
        else:
            end_c = _limit_after(anchor.match.end, headings, tables, ct)
        end = ct.source(end_c) if end_c < len(ct.text) else len(text)
        block = anchor.block
        cols = [
            ColumnSpec(cid, c.signed, c.decimal)
            for cid, c in zip(block.cell_ids(anchor.row), block.row_columns(anchor.row), strict=True)
        ]
        rows.append(PrintedRow(cols, slots(text, start, end), label=anchor.row.key,
                                span=(ct.source(anchor.match.start), end)))
    return rows


def _group_row(
    anchor: RowAnchor, lt: LocatedTable, k: int, ct: Compact, text: str, headings: dict,
    tables: dict[str, LocatedTable],
) -> PrintedRow:
    block = anchor.block
    start = ct.source_end(anchor.match.end)
    nxt = next((a for a in lt.anchors[k + 1:] if not a.row.group), None)
    end_c = nxt.start if nxt is not None else _limit_after(anchor.match.end, headings, tables, ct)
    end = ct.source(end_c) if end_c < len(ct.text) else len(text)
    cols = [ColumnSpec(f"{block.table}.{anchor.row.key}.{c.key}", c.signed, c.decimal) for c in block.columns]
    return PrintedRow(cols, slots(text, start, end), label=GROUP_ROW + anchor.row.key,
                      span=(ct.source(anchor.match.start), end))


GROUP_ROW = "group:"


def _group_children(t: Template, rows: list[PrintedRow], cells: dict[str, CellResult]) -> None:
    """The sub-rows of a group printed as one row: each 0 where the group's total is 0 (counts are
    never negative), otherwise open: the report does not say how the total divides."""
    for r in rows:
        if not r.label.startswith(GROUP_ROW):
            continue
        group = r.label[len(GROUP_ROW):]
        table = r.columns[0].cell_id.split(".", 1)[0]
        block = t.table(table).blocks[0]
        children = [row for row in block.data_rows() if row.key.startswith(group + ".")]
        label = t.row_label(table, group)
        for col in block.columns:
            got = cells.get(f"{table}.{group}.{col.key}")
            v = got.value if got is not None else None
            for child in children:
                cid = f"{table}.{child.key}.{col.key}"
                if cid in cells:
                    continue
                if v == 0:
                    cells[cid] = CellResult(
                        0, "computed", [], got.slot if got else None,
                        f"报告只印出“{label}”一行（2019年格式），合计为0，各分项均为0 / the report prints "
                        f"only the group's total (the 2019 form): 0, so each of its sub-rows is 0",
                        relation=f"group-total@{group}")
                else:
                    shown = "空白" if v is None else str(v)
                    cells[cid] = CellResult(
                        None, "ambiguous", [], got.slot if got else None,
                        f"报告只印出“{label}”一行（2019年格式，合计{shown}），未分列各分项 / the report "
                        f"prints only the group's total ({v}, the 2019 form), not its sub-rows",
                        complete=False)


def _prose_start(text: str, i: int) -> int:
    """Where the prose that begins with a run of characters at ``i`` starts: numbers written into
    it ("2021年以来…") belong to it, not to the table before."""
    while i > 0 and (text[i - 1].isdigit() or text[i - 1] in ".,，、"):
        i -= 1
    return i


def _flat_by_rows(block: Block, ct: Compact, text: str, start_c: int, limit_c: int) -> list[PrintedRow]:
    """The one-row table printed as one row per row label instead (行政复议 / 未经复议直接起诉 /
    复议后起诉, each with its five cells), as converters and some agencies write it: rows whose
    labels follow the first values in order. Empty when the table is printed as one row."""
    data_rows = block.data_rows()
    c = ct.text
    first_num = re.search(r"\d", c[start_c:limit_c])
    if first_num is None:
        return []
    found: list[tuple[Row, int, int]] = []  # row, compact start of its values, compact label start
    pos = start_c
    for k, row in enumerate(data_rows):
        if k == 0:
            found.append((row, start_c, start_c))
            continue
        m = find_label(c, row.label, pos, limit_c)
        if m is None or not re.search(r"\d", c[pos:m.start]):
            return []
        found.append((row, m.end, m.start))
        pos = m.end
    out: list[PrintedRow] = []
    for k, (row, a, _) in enumerate(found):
        b = found[k + 1][2] if k + 1 < len(found) else limit_c
        sa = ct.source_end(a) if a > start_c else ct.source_end(start_c)
        sb = ct.source(b) if b < len(c) else len(text)
        if k + 1 == len(found):
            m = _PROSE_RUN.search(text, sa, sb)
            if m and re.search(r"\d", text[sa:m.start()]):
                sb = _prose_start(text, m.start())
        cols = [ColumnSpec(cid, col.signed, col.decimal)
                for cid, col in zip(block.cell_ids(row), block.row_columns(row), strict=True)]
        out.append(PrintedRow(cols, slots(text, sa, sb), label=row.key, span=(sa, sb)))
    return out


def _row_diagnostics(
    t: Template, key: str, rows: list[PrintedRow], cells: dict[str, CellResult], lines: _Lines,
    out: list[Diagnostic],
) -> None:
    for r in rows:
        ids = [c.cell_id for c in r.columns]
        nums = [s for s in r.slots if s.is_num]
        chosen = r.chosen
        if chosen is None or not nums:
            continue
        run_together = any(p.split for p in chosen.placements) or (
            any(cells.get(c) is not None and cells[c].status == "ambiguous" for c in ids)
            and len(nums) < len(ids) and sum(len(s.text) for s in nums) >= len(ids)
        )
        row_label = t.row_label(key, r.label) if r.label != key else t.table(key).title
        src = lines.loc(nums[0].start, nums[-1].end)
        if run_together:
            raw = " ".join(s.text for s in nums)
            out.append(Diagnostic(
                kind="digits-run-together",
                message=f"{row_label}：数字连写（“{raw}”），已按列数和勾稽关系拆分",
                cells=ids, source=src, detail={"row": r.label, "printed": raw},
            ))
            continue
        if chosen.edits == 0:
            continue
        used = {p.slot for p in chosen.placements if p.slot is not None}
        missing = sum(1 for p in chosen.placements if p.slot is None)
        extra = sum(1 for i, s in enumerate(r.slots) if s.is_num and i not in used)
        printed = len(ids) - missing + extra
        if printed == len(ids):
            continue
        out.append(Diagnostic(
            kind="row-width",
            message=f"{row_label}：印有{printed}个数，应为{len(ids)}个",
            cells=ids, source=src,
            detail={"row": r.label, "printed": printed, "expected": len(ids), "table": key},
        ))


def _between(sl: list[Slot], s: Slot) -> bool:
    i = sl.index(s)
    return any(x.is_num for x in sl[:i]) and any(x.is_num for x in sl[i + 1:])


def _units(t: Template, tables: dict[str, LocatedTable], ct: Compact, text: str) -> dict[str, str]:
    units: dict[str, str] = {}
    for lt in tables.values():
        for _k, (block, bstart) in enumerate(lt.block_starts):
            first = next((a for a in lt.anchors if a.block is block), None)
            for col in block.columns:
                if not (col.unit or col.unit_from_report):
                    continue
                unit = col.unit
                if first is not None:
                    m = _UNIT.search(text, ct.source(bstart), ct.source(first.match.start))
                    if m:
                        unit = m.group(1)
                    elif col.unit_from_report:
                        # the unit printed after the amount itself: "政府集中采购 135 75394432.52元"
                        a = ct.source_end(first.match.end)
                        m = _UNIT_AFTER.match(text, a, min(len(text), a + 60))
                        if m:
                            unit = m.group(1)
                for row in block.data_rows():
                    if unit:
                        units[f"{block.table}.{row.key}.{col.key}"] = unit
    return units


def _parts(t: Template, headings: dict, ct: Compact, raw: str, lines: _Lines) -> dict[str, PartText]:
    out: dict[str, PartText] = {}
    ordered = sorted(headings.values(), key=lambda h: h.start)
    for i, h in enumerate(ordered):
        part = t.part(h.key)
        a = ct.source(h.start)
        b = ct.source_end(h.end)
        end = ct.source(ordered[i + 1].start) if i + 1 < len(ordered) else len(raw)
        body = _RESIDUE.sub("", raw[b:end])
        body = re.sub(r"[ \t]*\n[ \t\n]*\n", "\n", body).strip()
        out[h.key] = PartText(
            key=h.key, numeral=part.numeral, heading=raw[a:b].strip(), text=body, source=lines.loc(a, b),
        )
    return out
