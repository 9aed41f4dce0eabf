"""The one extractor: an intermediate Document in, a Report out.

    text -> normalise (offsets kept) -> template detected from table labels -> parts located ->
    each table's rows located -> each row's value region cut into slots -> rows aligned to
    columns jointly with the arithmetic -> cells with provenance; prose -> title, agency, year,
    date, period, headline figures.
"""

from __future__ import annotations

import re

from xxgk.agency import decide
from xxgk.document import Document, Paragraph
from xxgk.errors import XxgkError
from xxgk.extract import meta
from xxgk.extract.locate import (
    LabelUse,
    LocatedTable,
    detect_template,
    find_headings,
    find_label,
    locate_table,
)
from xxgk.extract.rows import foreign_rows, foreign_totals, group_children, numbers_first, printed_rows, score
from xxgk.extract.shape import GRID_FORMATS, Lines, blank_rows, place_by_position, strip_label_residue
from xxgk.extract.slots import Slot
from xxgk.extract.solve import UNKNOWN, CellResult, Figure, PrintedRow, solve_table
from xxgk.model import CellInfo, Diagnostic, Headline, PartText, Report, cell_info, trusted
from xxgk.normalize import _RESIDUE, Compact, normalize
from xxgk.template import Template, load_template, template_for_year, template_ids

_UNIT = re.compile(r"单位\s*[:：]?\s*(万元|元)")
# U+FFFD: where the reader replaced bytes that decode in no encoding (a damaged byte, a cut).
_DAMAGED = re.compile("\ufffd+")
MAX_DAMAGED_SHOWN = 20
TITLE_ALONE_CHARS = 40  # beside a title, less text than this is no report
_FIRST_PART = re.compile(r"(?m)^\s*[一1][、.．]\s*总体情况")
_DAMAGED_ROW = ("原文此行有无法解码的损坏字节，此行的数字无法确定 / the row holds bytes that could not be "
                "decoded: its numbers cannot be determined")
_UNIT_AFTER = re.compile(r"[\d\s.,]*\d\s*(万元|元)")


def extract(
    doc: Document, *, source_path: str | None = None, content_hash: str = ""
) -> Report:
    raw_text = doc.text
    text = normalize(raw_text)
    ct = Compact(text)
    lines = Lines(raw_text)
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

    if not tables["requests"].anchors and not tables["proactive"].anchors and (
            title is None or (not headings and _title_alone(doc, raw_text, title))):
        if title is not None:
            raise XxgkError(
                "not-a-report",
                f"只有标题“{title.value}”，没有年度报告的组成部分和统计表，这不是年度报告",
                f"a title alone ({title.value}), without the report's parts or tables: this is not an "
                "annual report on government information disclosure",
            )
        raise XxgkError(
            "not-a-report",
            "未找到政府信息公开工作年度报告的标题或统计表，这似乎不是年度报告",
            "no annual-report title or statistical tables found: this does not look like an "
            "annual report on government information disclosure",
        )

    several = _another_report(ct, t, text, tables, lines)
    if several is not None:
        diagnostics.append(several)

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

    damaged = [(m.start(), m.end()) for m in _DAMAGED.finditer(raw_text)]
    for a, b in damaged[:MAX_DAMAGED_SHOWN]:
        loc = lines.loc(a, b)
        diagnostics.append(Diagnostic(
            kind="text-damaged",
            message=f"第{loc.line}行有无法解码的字节（已以“\ufffd”代替），此处文字可能缺失或有误",
            source=loc, detail={"places": len(damaged)},
        ))

    cells: dict[str, CellResult] = {}
    table_rows: dict[str, list[PrintedRow]] = {}
    for key, lt in tables.items():
        rows = foreign_rows(t, templates, printed_rows(t, lt, ct, text, headings, tables), ct, text)
        table_rows[key] = rows
        if not rows:
            continue
        if doc.format == "text":
            place_by_position(rows, text, lines)
        strip_label_residue(rows, grid=doc.format in GRID_FORMATS)
        _damaged_rows(rows, text, damaged)
        solved = solve_table(rows, t.equations, blank_rows(rows), figures)
        if numbers_first(lt, ct, headings, tables):
            rows_b = printed_rows(t, lt, ct, text, headings, tables, before=True)
            _damaged_rows(rows_b, text, damaged)
            solved_b = solve_table(rows_b, t.equations, blank_rows(rows_b), figures)
            # The layout says numbers come first (numbers before the first label, none after the
            # last): that reading stands unless it is worse on both counts — it breaks more
            # relations *and* leaves more cells open (an agency's wrong total breaks a relation
            # in either reading; the other reading leaves the first numbers unread).
            sb, sa = score(rows_b, solved_b), score(rows, solved)
            if sb[0] <= sa[0] or sb[1] <= sa[1]:
                rows, solved = rows_b, solved_b
                table_rows[key] = rows
        cells.update(solved)
        group_children(t, rows, cells)
        foreign_totals(t, rows, cells)
        _row_diagnostics(t, key, rows, cells, lines, diagnostics)
        _lone_blanks(t, key, rows, cells, lines, diagnostics)

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
        provenance[cid] = cell_info(res.status, src, res.candidates, res.complete, res.relation,
                                    res.evidence, res.note)  # type: ignore[arg-type]
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


def _missing(t: Template, cid: str, tables: dict[str, LocatedTable], ct: Compact, lines: Lines) -> CellInfo:
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


def _row_diagnostics(
    t: Template, key: str, rows: list[PrintedRow], cells: dict[str, CellResult], lines: Lines,
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


def _title_alone(doc: Document, text: str, title: meta.Found) -> bool:
    """Nothing but a title: no table, no part heading (checked by the caller), and beside the
    title no more than a line of text (a page's date or source line)."""
    if any(not isinstance(b, Paragraph) for b in doc.blocks) or "\t" in text:
        return False
    rest = text[:title.start] + text[title.end:]
    return len("".join(rest.split())) < TITLE_ALONE_CHARS


def _another_report(
    ct: Compact, t: Template, text: str, tables: dict[str, LocatedTable], lines: Lines,
) -> Diagnostic | None:
    """A file holding several reports (several agencies' reports pasted into one page or
    document): after the tables read, another table 三 with most of its rows, or a title line
    followed by the first part's heading (a page header repeating the title is neither). Only
    the first report is read; this says where the next one begins."""
    found = [lt for lt in tables.values() if lt.anchors]
    if not found:
        return None
    last = max(lt.end for lt in found)
    from_ = ct.source_end(last)
    rows = [r for b in t.table("requests").blocks for r in b.rows if not r.group]
    again = []
    if find_label(ct.text, rows[0].label, last, len(ct.text)) is not None:  # cheap first: 一、本年新收…
        again = [a for a in locate_table(ct, t, "requests", last, []).anchors if a.match.start >= last]
    tables_at = None
    if again and again[0].row.key == rows[0].key and len({a.row.key for a in again}) * 2 >= len(rows):
        tables_at = ct.source(again[0].start)
    titles = [f for f in meta.title_lines(text, from_) if tables_at is None or f.start < tables_at]
    opening = [f for f in titles if _FIRST_PART.search(text, f.end, f.end + 600)]
    if tables_at is None and not opening:
        return None
    # the title the next report opens with: before its tables, the last one (page headers repeat)
    title = (opening or titles)[0] if tables_at is None else (titles[-1] if titles else None)
    loc = lines.loc(title.start, title.end) if title else lines.loc(tables_at or 0, tables_at or 0)
    what = f"“{title.value}”" if title else "另一组统计表"
    return Diagnostic(
        kind="several-reports",
        message=f"文件中还有另一份年度报告（第{loc.line}行起：{what}），只读取了第一份",
        source=loc, detail={"line": loc.line, "title": title.value if title else None},
    )


def _damaged_rows(rows: list[PrintedRow], text: str, damaged: list[tuple[int, int]]) -> None:
    """A row whose label or values hold a damaged place is not read: a number may be lost or
    changed there. Its values reach to the end of the line after its last number (one cell per
    line: a damaged last cell stands there), never past the next row."""
    if not damaged:
        return
    for r in rows:
        if r.span is None:
            continue
        a, end = r.span
        nums = [s for s in r.slots if s.is_num]
        if nums:
            eol = text.find("\n", nums[-1].end)
            eol = text.find("\n", eol + 1) if eol >= 0 else -1
            end = min(end, eol if eol >= 0 else len(text))
        if any(x < end and y > a for x, y in damaged):
            r.opaque = _DAMAGED_ROW


def _lone_blanks(
    t: Template, key: str, rows: list[PrintedRow], cells: dict[str, CellResult], lines: Lines,
    out: list[Diagnostic],
) -> None:
    """A row with an empty cell between two numbers, in a table that prints its zeros (whose
    other rows are not read as writing zeros as blanks): its empty cells are read as blank, as
    printed, but a number may have been lost there — said, so that the checker says it."""
    flags = blank_rows(rows)
    if all(flags) or not any(flags):
        return
    for r, lone in zip(rows, flags, strict=True):
        if not lone:
            continue
        blank = [c.cell_id for c in r.columns
                 if (res := cells.get(c.cell_id)) is not None and res.value is None
                 and res.status in ("blank", "computed")]
        if not blank:
            continue
        row_label = t.row_label(key, r.label) if r.label != key else t.table(key).title
        cols = "、".join(t.column_label(key, c.rsplit(".", 1)[-1]) for c in blank)
        nums = [s for s in r.slots if s.is_num]
        out.append(Diagnostic(
            kind="cell-blank",
            message=f"{row_label}：“{cols}”一栏空白，而本表其他各格的0均印出：按空白读取，此处可能漏印了数字",
            cells=blank, source=lines.loc(nums[0].start, nums[-1].end),
            detail={"row": r.label, "table": key},
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


def _parts(t: Template, headings: dict, ct: Compact, raw: str, lines: Lines) -> dict[str, PartText]:
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
