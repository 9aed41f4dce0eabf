"""A located table's printed rows: the value region of each row label (numbers after their label,
or before it in text copied out of a PDF viewer), the one-row appeals table (or its three rows of
five), a group printed as one row of its own, and how well a reading of the table fits."""

from __future__ import annotations

import re

from xxgk.extract.locate import LocatedTable, RowAnchor, find_label, numbering_start
from xxgk.extract.slots import slots
from xxgk.extract.solve import CellResult, ColumnSpec, PrintedRow
from xxgk.normalize import Compact
from xxgk.template import Block, Row, Template

_PROSE_RUN = re.compile(r"[\u4e00-\u9fff]{4,}")


_COLUMNS: dict[tuple[int, str], list[ColumnSpec]] = {}


def row_columns(block: Block, row: Row) -> list[ColumnSpec]:
    """The columns of one row of a block (made once: templates are few and loaded once, reports
    many). Callers never change the list."""
    key = (id(block), row.key)
    cols = _COLUMNS.get(key)
    if cols is None:
        cols = _COLUMNS[key] = [ColumnSpec(cid, c.signed, c.decimal)
                                for cid, c in zip(block.cell_ids(row), block.row_columns(row), strict=True)]
    return cols


def limit_after(pos: int, headings: dict, tables: dict[str, LocatedTable], ct: Compact) -> int:
    """Compact index of the first part heading or table start after ``pos``."""
    cands = [h.start for h in headings.values() if h.start > pos]
    cands += [lt.start for lt in tables.values() if lt.start > pos]
    return min(cands, default=len(ct.text))


def score(rows: list[PrintedRow], solved: dict[str, CellResult]) -> tuple[int, int, int]:
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


def numbers_first(lt: LocatedTable, ct: Compact, headings: dict, tables: dict[str, LocatedTable]) -> bool:
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
    after_end = limit_after(last.match.end, headings, tables, ct)
    after = len(re.findall(r"\d+", text[ct.source_end(last.match.end):ct.source(after_end)]))
    width = len(first.block.row_columns(first.row))
    return before >= max(1, width // 2) and after <= 1


def printed_rows(
    t: Template, lt: LocatedTable, ct: Compact, text: str, headings: dict,
    tables: dict[str, LocatedTable], before: bool = False,
) -> list[PrintedRow]:
    rows: list[PrintedRow] = []
    if lt.flat_start >= 0:
        block = lt.block_starts[0][0]
        start = ct.source_end(lt.flat_start)
        limit_c = limit_after(lt.flat_start, headings, tables, ct)
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
                cols = row_columns(block, anchor.row)
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
            end_c = limit_after(anchor.match.end, headings, tables, ct)
        end = ct.source(end_c) if end_c < len(ct.text) else len(text)
        block = anchor.block
        cols = row_columns(block, anchor.row)
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
    end_c = nxt.start if nxt is not None else limit_after(anchor.match.end, headings, tables, ct)
    end = ct.source(end_c) if end_c < len(ct.text) else len(text)
    cols = [ColumnSpec(f"{block.table}.{anchor.row.key}.{c.key}", c.signed, c.decimal) for c in block.columns]
    return PrintedRow(cols, slots(text, start, end), label=GROUP_ROW + anchor.row.key,
                      span=(ct.source(anchor.match.start), end))


GROUP_ROW = "group:"


def group_children(t: Template, rows: list[PrintedRow], cells: dict[str, CellResult]) -> None:
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
        out.append(PrintedRow(row_columns(block, row), slots(text, sa, sb), label=row.key, span=(sa, sb)))
    return out


FOREIGN_ROW = "foreign:"


def foreign_rows(t: Template, others: list[Template], rows: list[PrintedRow], ct: Compact,
                 text: str) -> list[PrintedRow]:
    """A row printed in the other template's form: a 2019-format report whose （六）其他处理 is
    printed as the 2021 template's three rows (1. 逾期不补正, 2. 逾期未缴费, 3. 其他). The row's region
    is cut at those rows' labels and read as rows of their own (cell ids outside this template),
    for the row to be their sum (``foreign_totals``). Rows printed as this template prints them
    are returned as they are."""
    out: list[PrintedRow] = []
    c = ct.text
    for r in rows:
        if r.span is None or r.label.startswith((GROUP_ROW, FOREIGN_ROW)):
            out.append(r)
            continue
        table = r.columns[0].cell_id.split(".", 1)[0]
        found: list[tuple[int, int, Row, Block]] = []
        for other in others:
            if other.id == t.id:
                continue
            for block in other.table(table).blocks:
                if block.layout == "flat":
                    continue
                pos, stop = ct.compact_index(r.span[0]), ct.compact_index(r.span[1])
                for child in block.data_rows():
                    if not child.key.startswith(r.label + "."):
                        continue
                    m = _numbered_label(c, child, pos, stop)
                    if m is not None:
                        found.append((m[0], m[1], child, block))
                        pos = m[1]
        if len(found) < 2:
            out.append(r)
            continue
        for k, (_a, b, child, block) in enumerate(found):
            end = numbering_start(c, found[k + 1][0]) if k + 1 < len(found) else ct.compact_index(r.span[1])
            sa, sb = ct.source_end(b), ct.source(end) if end < len(c) else len(text)
            cols = [ColumnSpec(f"{table}.{child.key}.{col.key}", col.signed, col.decimal)
                    for col in block.row_columns(child)]
            out.append(PrintedRow(cols, slots(text, sa, sb), label=FOREIGN_ROW + r.label, span=(sa, sb)))
    return out


def _numbered_label(c: str, row: Row, start: int, stop: int) -> tuple[int, int] | None:
    """Where a row's label (with its numbering, for a short one) stands in ``c[start:stop]``."""
    for form, _variant in row.label.forms():
        if len(form) <= 4:
            num = re.sub(r"[^0-9]", "", row.numbering)
            m = re.compile(num + r"[.、,．]?" + re.escape(form)).search(c, start, stop) if num else None
            if m:
                return m.start(), m.end()
            continue
        i = c.find(form, start, stop)
        if i >= 0:
            return i, i + len(form)
    return None


def foreign_totals(t: Template, rows: list[PrintedRow], cells: dict[str, CellResult]) -> None:
    """A row printed as the other template's rows: each of its cells the sum of theirs where they
    are determined, open where one of them is."""
    parents = {r.label[len(FOREIGN_ROW):] for r in rows if r.label.startswith(FOREIGN_ROW)}
    for parent in parents:
        children = [r for r in rows if r.label == FOREIGN_ROW + parent]
        table = children[0].columns[0].cell_id.split(".", 1)[0]
        block = t.table(table).blocks[0]
        row = next(x for x in block.data_rows() if x.key == parent)
        for col, cid in zip(block.row_columns(row), block.cell_ids(row), strict=True):
            parts = [cells.get(ch.columns[0].cell_id.rsplit(".", 1)[0] + "." + col.key) for ch in children]
            slot = children[0].slots[0] if children[0].slots else None
            if all(p is not None and p.status not in ("ambiguous",) and p.value is not None
                   and isinstance(p.value, (int, float)) for p in parts) or all(
                    p is not None and p.status == "blank" for p in parts):
                total = sum(p.value or 0 for p in parts if p is not None)  # type: ignore[misc]
                value = None if all(p is not None and p.value is None for p in parts) else total
                cells[cid] = CellResult(
                    value, "computed", [], slot,
                    "报告按2021年格式分三行印出（六）其他处理，此格为三行之和 / the report prints this row as "
                    "the 2021 template's three rows: this cell is their sum" if value is not None else
                    "报告按2021年格式分三行印出（六）其他处理，三行均为空白 / printed as the 2021 template's "
                    "three rows, all empty; 0 left empty",
                    relation=f"sum-of-2021-rows@{parent}")
            else:
                cells[cid] = CellResult(
                    None, "ambiguous", [], slot,
                    "报告按2021年格式分三行印出此行，其中有数字无法确定 / printed as the 2021 template's "
                    "rows, some of them open", complete=False)
