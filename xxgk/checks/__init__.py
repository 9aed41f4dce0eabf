"""The checker: a Report in, the findings an evaluator would write down out.

Pure: no I/O. Rules and their codes are catalogued in :mod:`xxgk.checks.rules`.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Literal

from xxgk.agency import KindDecision, decide
from xxgk.checks.rules import rule
from xxgk.extract.meta import headline_specs
from xxgk.model import Finding, Report
from xxgk.template import Template, load_template

AgencyKind = Literal["auto", "government", "office", "department", "township", "other"]


def _f(code: str, message: str, message_en: str, cells: list[str] | None = None, **kw) -> Finding:  # type: ignore[no-untyped-def]
    r = rule(code)
    return Finding(rule=code, severity=r.severity, message=message, message_en=message_en,
                   cells=cells or [], **kw)


def run(report: Report, *, agency_kind: AgencyKind = "auto") -> list[Finding]:
    t = load_template(report.template)
    out: list[Finding] = []
    out += _arithmetic(report, t)
    out += _structure(report, t)
    out += _timeliness(report, agency_kind)
    out += _prose(report, t)
    out += _reading(report, t)
    order = {"error": 0, "warning": 1, "info": 2}
    return sorted(out, key=lambda f: order[f.severity])


def _fmt(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:g}"


def _arithmetic(report: Report, t: Template) -> list[Finding]:
    out: list[Finding] = []
    titles = {r.code: r for r in t.rules}
    for eq in t.equations:
        vals = [report.cells.get(c) for c in eq.cells]
        if any(c in report.ambiguous for c in eq.cells):
            continue
        if any(report.provenance.get(c) and report.provenance[c].status == "missing" for c in eq.cells):
            continue
        if all(v is None for v in vals):
            continue
        lhs = sum(report.cells.get(c) or 0 for c in eq.lhs)
        rhs = sum(report.cells.get(c) or 0 for c in eq.rhs)
        if abs(lhs - rhs) < 1e-6:
            continue
        r = titles[eq.rule]
        table = eq.cells[0].split(".")[0]
        if r.each == "row":
            where = t.row_label(table, eq.where)
            where_en = f"row {eq.where}"
        else:
            where = f"“{t.column_label(table, eq.where)}”列"
            where_en = f"column {eq.where}"
        out.append(_f(
            eq.rule,
            f"{where}：{r.title}，但左边为{_fmt(lhs)}，右边为{_fmt(rhs)}",
            f"{where_en}: {r.title_en}, but {_fmt(lhs)} != {_fmt(rhs)}",
            list(eq.cells),
        ))
    return out


def _structure(report: Report, t: Template) -> list[Finding]:
    out: list[Finding] = []
    diag_kinds = defaultdict(list)
    for d in report.diagnostics:
        diag_kinds[d.kind].append(d)
    tables_found = {
        table.key: any(
            report.provenance.get(c) is not None and report.provenance[c].status != "missing"
            for c in t.cell_ids if c.startswith(table.key + ".")
        )
        for table in t.tables
    }
    for part in t.parts:
        if part.key in report.parts:
            continue
        table = next((tb for tb in t.tables if tb.part == part.key), None)
        if table is not None and tables_found.get(table.key):
            out.append(_f("part-heading-missing",
                          f"第{part.numeral}部分“{part.title}”没有标题，其统计表按内容找到",
                          f"part {part.numeral} ({part.key}) has no heading; its table was found by content"))
        else:
            out.append(_f("part-missing", f"缺少第{part.numeral}部分“{part.title}”",
                          f"part {part.numeral} ({part.key}) is missing"))
    for table in t.tables:
        if not tables_found[table.key]:
            out.append(_f("table-missing", f"缺少统计表：{table.title}", f"table missing: {table.key}",
                          [c for c in t.cell_ids if c.startswith(table.key + ".")]))
    for d in diag_kinds["row-not-found"]:
        table = d.cells[0].split(".")[0] if d.cells else ""
        if tables_found.get(table):
            out.append(_f("row-missing", d.message, f"table row not found: {', '.join(d.cells[:1])}", d.cells))
    if report.report_year is None:
        out.append(_f("year-unknown", "无法从标题或统计期限确定报告年度",
                      "the report year cannot be read from the title or the statistics period"))
    else:
        if not t.covers(report.report_year):
            right = "2021" if report.report_year >= 2021 else "2019"
            out.append(_f("template-year-mismatch",
                          f"{report.report_year}年度报告应使用{right}年模板，实际使用{t.id}年模板",
                          f"a report on {report.report_year} should use the {right} template, not {t.id}"))
    for d in diag_kinds["template-undetected"]:
        out.append(_f("template-undetected", d.message, "no template-specific label found in the tables"))
    for d in diag_kinds["several-reports"]:
        out.append(_f("several-reports", d.message,
                      f"the file holds another report (from line {d.detail.get('line')}); only the first was read",
                      source=d.source))
    for _ in diag_kinds["agency-unnamed"]:
        out.append(_f("agency-unnamed", "报告未写明发布机关名称（标题与落款均未给出具体机关）",
                      "the report does not name its agency (neither title nor signature)"))
    return out


def agency_kind(report: Report, override: str = "auto") -> KindDecision:
    """The agency's kind for the deadline: ``override`` (``--agency-kind``) or the report's own."""
    if override != "auto":
        return decide(None, None, "", override)
    if report.agency_kind is not None and report.agency_kind_reasons:
        return KindDecision(report.agency_kind, list(report.agency_kind_reasons))
    title_agency = None
    if report.title:
        m = re.match(r"(.*?)20\d{2}\s*年", report.title)
        title_agency = m.group(1) if m else None
    body = "\n".join(p.text for p in report.parts.values())
    return decide(title_agency or (report.agency if report.agency_source == "title" else None),
                  report.signature_agency or (report.agency if report.agency_source == "signature" else None),
                  body)


def _timeliness(report: Report, agency_kind_option: str) -> list[Finding]:
    out: list[Finding] = []
    y = report.report_year
    if y is not None and report.published_date is not None:
        k = agency_kind(report, agency_kind_option)
        deadline = k.deadline(y)
        why = "；".join(k.reasons)
        why_en = "; ".join(k.reasons_en) if k.reasons_en else ""
        if report.published_date > deadline:
            days = (report.published_date - deadline).days
            out.append(_f(
                "late-publication",
                f"发布日期{report.published_date.isoformat()}晚于法定期限{deadline.isoformat()}（逾期{days}天）："
                f"{k.basis}（依据：{why}）",
                f"published {report.published_date.isoformat()}, {days} days after the deadline "
                f"{deadline.isoformat()}: {k.basis_en}" + (f" (evidence: {why_en})" if why_en else ""),
            ))
        else:
            out.append(_f(
                "deadline-applied",
                f"按期发布：发布日期{report.published_date.isoformat()}，期限{deadline.isoformat()}，"
                f"{k.basis}（依据：{why}）",
                f"published on time: {report.published_date.isoformat()}, deadline {deadline.isoformat()}, "
                f"{k.basis_en}" + (f" (evidence: {why_en})" if why_en else ""),
            ))
    elif report.published_date is None:
        out.append(_f("published-date-unknown", "报告正文中未找到发布日期，无法核查是否按时发布",
                      "no publication date in the text: timeliness cannot be checked"))
    for d in report.diagnostics:
        if d.kind != "period" or y is None:
            continue
        a = str(d.detail.get("from"))
        b = str(d.detail.get("to"))
        if (a, b) != (f"{y}-01-01", f"{y}-12-31"):
            out.append(_f("period-not-calendar-year",
                          f"统计期限为{a}至{b}，应为{y}年1月1日至12月31日",
                          f"statistics period {a} to {b}, should be {y}-01-01 to {y}-12-31",
                          source=d.source))
    return out


def _prose(report: Report, t: Template) -> list[Finding]:
    out: list[Finding] = []
    for d in report.diagnostics:
        if d.kind == "number-missing":
            out.append(_f("prose-number-missing", d.message,
                          f"a figure in the prose has no number: {d.source.text if d.source else ''}",
                          source=d.source))
    specs = {s.key: s for s in headline_specs()}
    for h in report.headlines:
        spec = specs.get(h.key)
        if spec is None or not spec.cells:
            continue
        if h.value is None:
            out.append(_f("prose-number-missing", f"正文“{h.source.text}”缺少数字",
                          f"the prose figure {h.source.text!r} has no number", source=h.source))
            continue
        options: list[tuple[str, float]] = []
        for expr in spec.cells:
            ids = expr.split("+")
            if not all(i in report.cells for i in ids):
                continue
            vals = [report.cells[i] for i in ids]
            if any(v is None for v in vals) and all(v is None for v in vals):
                continue
            options.append((expr, float(sum(v or 0 for v in vals))))
        if not options:
            continue
        if any(abs(h.value - v) < 1e-6 for _, v in options):
            continue
        expr, v = options[0]
        ids = [i for e, _ in options for i in e.split("+")]
        label = "、".join(dict.fromkeys(
            f"{t.row_label(e.split('.')[0], '.'.join(e.split('.')[1:-1]))}"
            f"{'（' + t.column_label(e.split('.')[0], e.split('.')[-1]) + '）' if len(options) > 1 else ''}"
            f"{_fmt(val)}"
            for e, val in options if "+" not in e
        ))
        out.append(_f(
            "prose-contradicts-table",
            f"正文“{h.source.text}”为{h.value}{h.unit or ''}，与统计表不一致（表中{label}）",
            f"the prose says {h.value} ({h.key}) but the tables give {', '.join(f'{e}={_fmt(x)}' for e, x in options)}",
            sorted(set(ids)), source=h.source,
        ))
    return out


def _reading(report: Report, t: Template) -> list[Finding]:
    out: list[Finding] = []
    for cid, cands in report.ambiguous.items():
        info = report.provenance.get(cid)
        shown = "、".join("空白" if c is None else _fmt(c) for c in cands)
        shown_en = ", ".join("blank" if c is None else _fmt(c) for c in cands)
        if info is not None and not info.complete:
            why = (info.note or "").split(" / ")
            shown = (f"候选值包括 {shown}，" if shown else "") + f"无法全部列出（{why[0]}）"
            shown_en = (f"candidates include {shown_en}; " if shown_en else "") + \
                f"not all can be listed ({why[-1]})"
        else:
            shown = f"候选值为 {shown}"
            shown_en = f"candidates: {shown_en}"
        out.append(_f(
            "cell-ambiguous",
            f"{cid}：原文无法唯一确定，{shown}",
            f"{cid}: the text does not determine this number; {shown_en}",
            [cid],
            source=info.source if info is not None else None,
        ))
    by_status: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for c, p in report.provenance.items():
        if p.status in ("placed", "computed", "resolved") and report.format != "records":
            by_status[c.split(".")[0]][p.status].append(c)
    for table, groups in by_status.items():
        cells = [c for g in groups.values() for c in g]
        parts = []
        parts_en = []
        for status, zh in (("placed", "由勾稽关系定位"), ("computed", "未印出、由勾稽关系计算"),
                           ("resolved", "由正文所述数字确定")):
            if groups.get(status):
                parts.append(f"{len(groups[status])}个{zh}")
                parts_en.append(f"{len(groups[status])} {status}")
        out.append(_f("cell-inferred",
                      f"{t.table(table).title}：{'，'.join(parts)}",
                      f"{table}: {', '.join(parts_en)} (placed or computed by the arithmetic, or "
                      f"decided by the prose)", cells))
    widths: dict[tuple[str, int, int], list] = defaultdict(list)
    for d in report.diagnostics:
        if d.kind == "row-width":
            widths[(str(d.detail.get("table")), int(d.detail["printed"] or 0),  # type: ignore[arg-type]
                    int(d.detail["expected"] or 0))].append(d)  # type: ignore[arg-type]
        elif d.kind == "digits-run-together":
            out.append(_f("digits-run-together", d.message,
                          f"numbers run together: {d.detail.get('printed')}", d.cells, source=d.source))
        elif d.kind == "cell-blank":
            out.append(_f("cell-blank", d.message,
                          f"{', '.join(d.cells)}: printed empty in a table that prints its zeros; read as blank "
                          f"(a number may be lost)", d.cells, source=d.source))
        elif d.kind == "text-damaged":
            line = d.source.line if d.source else "?"
            out.append(_f("text-damaged", d.message,
                          f"line {line}: bytes that decode in no encoding were replaced; text there may be "
                          f"lost or wrong", source=d.source))
        elif d.kind == "label-variant":
            f = _f("label-variant", d.message,
                   f"label {d.detail.get('found')!r} instead of {d.detail.get('canonical')!r}"
                   + (" (a misprint)" if d.detail.get("ocr") else ""), source=d.source)
            if d.detail.get("ocr"):
                f = f.model_copy(update={"severity": "warning"})
            out.append(f)
    for (table, printed, expected), ds in widths.items():
        cells = [c for d in ds for c in d.cells]
        title = t.table(table).title if table in {tb.key for tb in t.tables} else table
        out.append(_f(
            "row-width",
            f"{title}：有{len(ds)}行印出{printed}个数，应为{expected}个（已按勾稽关系对齐）",
            f"{table}: {len(ds)} rows print {printed} numbers for {expected} columns "
            f"(aligned by the arithmetic)", cells,
        ))
    return out
