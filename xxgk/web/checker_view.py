"""What the checker's pages show, computed from a checked report: the statistical tables laid out
as the template prints them (the grids of :mod:`xxgk.layout`, nothing listed here), each data cell
with its status and its mark (the sides of a finding), the findings with their sides, and the
source text in lines with the spans to highlight (:mod:`xxgk.web.source`)."""

from __future__ import annotations

from typing import Any

from xxgk.errors import XxgkError
from xxgk.export import STATUS_ZH, cell_labels
from xxgk.layout import fmt, table_grid
from xxgk.model import CELL_STATUSES, Finding, Report
from xxgk.template import load_template
from xxgk.web import source
from xxgk.web.checking import Checked, read_doc, when

SIDE_CLASS = {"first": "side-a", "second": "side-b", "cell": "side-a"}
STATUS_HELP: dict[str, str] = {
    "read": "原文在该栏印有此数", "placed": "原文印有此数，所在栏由勾稽关系确定",
    "blank": "原文此处未填", "computed": "原文未印，由勾稽关系算出", "resolved": "由正文所述数字或人工确认确定",
    "ambiguous": "原文无法唯一确定，列有候选值，待人工确认", "missing": "未找到该行或该表",
}
SEVERITY_ZH = {"error": "错误", "warning": "警告", "info": "提示"}


def legend() -> list[tuple[str, str, str]]:
    """(status, Chinese name, meaning) for every status, in the contract's order."""
    return [(s, STATUS_ZH[s], STATUS_HELP[s]) for s in CELL_STATUSES]


def finding_marks(report: Report, finding: Finding | None) -> dict[str, str]:
    """cell id -> side-a / side-b for the cells of ``finding`` (the two sides of a relation)."""
    if finding is None:
        return {}
    return {c: SIDE_CLASS[role] for c, role in source.finding_sides(report, finding)}


def tables(report: Report, marks: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """The report's tables as rows of cells ready for a template: text, spans, and for a data
    cell its id, status, label and mark."""
    marks = marks or {}
    labels = cell_labels(report.template)
    out = []
    for table in load_template(report.template).tables:
        rows = []
        for row in table_grid(table, report.cells):
            cells = []
            for c in row:
                cell: dict[str, Any] = {"text": c.text, "rowspan": c.rowspan, "colspan": c.colspan,
                                        "header": c.header, "id": c.cell_id}
                if c.cell_id is not None:
                    info = report.provenance.get(c.cell_id)
                    status = info.status if info is not None else "missing"
                    _, rlabel, clabel = labels.get(c.cell_id, ("", c.cell_id, ""))
                    cell.update(status=status, status_zh=STATUS_ZH.get(status, status), mark=marks.get(c.cell_id, ""),
                                label=f"{rlabel} · {clabel}")
                cells.append(cell)
            rows.append(cells)
        out.append({"key": table.key, "title": table.title, "rows": rows})
    return out


def findings(checked: Checked) -> list[dict[str, Any]]:
    return [{"index": i, "rule": f.rule, "severity": f.severity, "severity_zh": SEVERITY_ZH.get(f.severity, f.severity),
             "message": f.message, "cells": list(f.cells)} for i, f in enumerate(checked.findings)]


def pick_finding(checked: Checked, index: int | None) -> Finding | None:
    if index is None:
        return None
    if not 0 <= index < len(checked.findings):
        raise XxgkError("not-found", "没有这一条核查意见", "no such finding")
    return checked.findings[index]


def ambiguous(checked: Checked) -> list[dict[str, Any]]:
    labels = cell_labels(checked.report.template)
    return [{"cell": c, "label": " · ".join(labels.get(c, ("", c, ""))[1:]), "candidates": cands}
            for c, cands in checked.report.ambiguous.items()]


def cell_detail(checked: Checked, cell: str) -> dict[str, Any]:
    """What the cell's panel shows: status, value, note, candidates (from the reading before any
    confirmation), the confirmations of the cell, and the source lines around it highlighted."""
    report = checked.report
    info = report.provenance.get(cell)
    if info is None or cell not in report.cells:
        raise XxgkError("not-found", f"报告中没有此单元格：{cell[:80]}", f"no such cell: {cell[:80]}")
    raw = checked.raw or report
    raw_info = raw.provenance.get(cell)
    confirmable = raw_info is not None and raw_info.status == "ambiguous"
    candidates = list(raw.ambiguous.get(cell, raw_info.candidates if raw_info else []))
    table, row, col = cell_labels(report.template).get(cell, ("", cell, ""))
    history = [dict(c, when=when(c["at"])) for c in checked.confirmations if c["cell"] == cell]
    return {"cell": cell, "table": table, "row": row, "column": col, "status": info.status,
            "status_zh": STATUS_ZH.get(info.status, info.status), "status_help": STATUS_HELP.get(info.status, ""),
            "value": fmt(report.cells[cell]), "note": info.note, "relation": info.relation,
            "complete": raw_info.complete if raw_info else True,
            "candidates": candidates if confirmable else list(info.candidates), "confirmable": confirmable,
            "history": history, "format": report.format}


def segments(line: str, marks: list[source.Mark]) -> list[tuple[str, str]]:
    """A line cut into (text, class) pieces: '' plain, else the mark's class; an empty mark (a
    blank cell) is a caret."""
    out: list[tuple[str, str]] = []
    pos = 0
    for m in sorted(marks, key=lambda m: (m.start, m.end)):
        cls = "hl" if m.role == "cell" else SIDE_CLASS[m.role]
        if m.start == m.end:  # an empty cell: a caret at its place
            if m.start >= pos:
                out += [(line[pos:m.start], ""), ("‸", cls + " caret")]
                pos = m.start
            continue
        start = max(m.start, pos)
        if m.end <= start:
            continue
        out += [(line[pos:start], ""), (line[start:m.end], cls)]
        pos = m.end
    out.append((line[pos:], ""))
    return [(t, c) for t, c in out if t]


def source_lines(checked: Checked, targets: Any, *, around: int | None = None) -> dict[str, Any]:
    """The document's text in numbered lines with ``targets`` (cell ids, findings) highlighted;
    with ``around``, only that many lines either side of the highlights."""
    doc = read_doc(checked.data, checked.name)
    text = source.text_of(doc)
    marks = source.highlights(checked.report, targets, text) if targets else []
    by_line: dict[int, list[source.Mark]] = {}
    for m in marks:
        by_line.setdefault(m.line, []).append(m)
    lo, hi = 1, len(text.lines)
    if around is not None:
        if not marks:
            return {"lines": [], "first": None, "format": doc.format, "marked": False}
        lo = max(1, min(by_line) - around)
        hi = min(len(text.lines), max(by_line) + around)
    lines = [{"n": n, "parts": segments(text.lines[n - 1], by_line.get(n, [])), "marked": n in by_line}
             for n in range(lo, hi + 1)]
    return {"lines": lines, "first": min(by_line) if by_line else None, "format": doc.format, "marked": bool(marks)}


def pdf_pages(checked: Checked, targets: Any) -> list[int]:
    """The 1-based pages of a PDF where ``targets`` are drawn (none for other formats)."""
    doc = read_doc(checked.data, checked.name)
    if doc.format != "pdf" or not targets:
        return []
    return sorted({b.page_index + 1 for b in source.pdf_highlights(doc, checked.report, targets)})


def pdf_page_png(checked: Checked, page: int, targets: Any) -> bytes:
    doc = read_doc(checked.data, checked.name)
    if doc.format != "pdf":
        raise XxgkError("not-pdf", "不是 PDF 文件，没有页面图像", "not a PDF: no page image")
    boxes = source.pdf_highlights(doc, checked.report, targets) if targets else []
    return source.render_pdf_page(checked.data, page - 1, boxes, name=checked.name)
