"""The annual report from the records: tables 二, 三 and 四 counted from requests, registers and appeals.

Correct by construction: every request received by the end of the year and not closed before it
starts is in exactly one of (closed this year → its outcome row) or (still open → 结转下年度), so
``new + carried_in == total + carried_out`` holds for every column without being enforced.

Table 三 is counted from the request events (the append-only record), never from the ``request``
row alone: where the row says something else, the report carries a ``records-differ`` diagnostic
and ``xxgk office verify`` names the request.

Counting rules (documented in docs/office.md):
- 本年新收: received in the year. 上年结转: received before the year, not closed before it.
- Results: closed in the year, in the row of the outcome (部分公开 once); 结转下年度: open at 31 Dec.
- Table 四: an appeal counts in every year it is open in; its column is its outcome in the year it
  is concluded, 尚未审结 in earlier years.
- Part 二: the columns whose ``measure`` the template declares, from the document and action
  registers; the others from figures the officer enters.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from xxgk.model import CellInfo, Diagnostic, PartText, Report
from xxgk.office.db import Action, Agency, Appeal, Document, ReportFigure, ReportText, Request, RequestEvent
from xxgk.template import Template, template_for_year


def computed_cells(t: Template) -> set[str]:
    """The cells the records determine (the officer cannot type them)."""
    out = {c for c in t.cell_ids if not c.startswith("proactive.")}
    out |= {c for c in t.cell_ids if c.startswith("proactive.") and t.cell(c).column.measure}
    return out


def request_cells(t: Template, rows: list[tuple[str, dt.date, dt.date | None, str | None]],
                  year: int) -> dict[str, int]:
    """Table 三 from (applicant kind, received, closed, outcome) of the requests — pure."""
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    counts: Counter[tuple[str, str, str]] = Counter()
    for kind, received, closed, outcome in rows:
        if received > end or (closed is not None and closed < start):
            continue
        first = "new" if received >= start else "carried_in"
        last = (outcome or "") if closed is not None and closed <= end else "carried_out"
        counts[kind, first, last] += 1
    return cells_from_counts(t, [(k, f, la, n) for (k, f, la), n in counts.items()])


def cells_from_counts(t: Template, counts: list[tuple[str, str, str, int]]) -> dict[str, int]:
    """Table 三 from counts of (applicant kind, new|carried_in, outcome|carried_out) — pure.

    Each request of the year is in exactly one first bucket and one last bucket, which is why the
    table balances by construction."""
    block = t.table("requests").blocks[0]
    kinds = [c.key for c in block.columns if c.key != "total"]
    results = [r.key for r in block.data_rows() if r.result]
    n: Counter[tuple[str, str]] = Counter()
    for kind, first, last, count in counts:
        n[first, kind] += count
        n[last if last == "carried_out" else _result_row(last, results), kind] += count
    cells: dict[str, int] = {}
    for row in block.data_rows():
        for k in kinds:
            cells[f"requests.{row.key}.{k}"] = n[row.key, k]
    for k in kinds:
        cells[f"requests.total.{k}"] = sum(n[r, k] for r in results)
    for row in block.data_rows():
        cells[f"requests.{row.key}.total"] = sum(cells[f"requests.{row.key}.{k}"] for k in kinds)
    return cells


# ---------------------------------------------------------------- table 三 from the events

# (applicant kind as filed, received on, closed on or None, outcome or None) of one request
Fact = tuple[str, dt.date, dt.date | None, str | None]
FACT_FIELDS = ("applicant_kind", "received_on", "closed_on", "outcome")
CLOSING = ("decided", "withdrawn")


def event_facts(s: Session, agency_id: int | None = None) -> tuple[dict[int, tuple[int, Fact]],
                                                                       dict[int, tuple[int, str, Fact]]]:
    """What table 三 needs of each request, twice: from its events (the record: received, decided,
    withdrawn) and from the ``request`` row (the projection kept for lists). Returns
    ``({request id: (agency id, fact)}, {request id: (agency id, tracking no, fact)})``.

    The applicant kind as filed is written in the ``received`` event since migration 0004; for
    requests registered before, it is the projection's (which ``verify`` checks against the audit)."""
    ev = (select(RequestEvent.agency_id, RequestEvent.request_id, RequestEvent.kind, RequestEvent.on,
                 RequestEvent.data["outcome"].as_string(), RequestEvent.data["applicant_kind"].as_string())
          .where(RequestEvent.kind.in_(("received", *CLOSING))))
    pr = select(Request.id, Request.agency_id, Request.tracking_no, Request.applicant_kind, Request.received_on,
                Request.closed_on, Request.outcome)
    if agency_id is not None:
        ev, pr = ev.where(RequestEvent.agency_id == agency_id), pr.where(Request.agency_id == agency_id)
    projected = {rid: (aid, no, (kind, rec, closed, outcome)) for rid, aid, no, kind, rec, closed, outcome
                 in s.execute(pr)}
    received: dict[int, tuple[int, dt.date, str | None]] = {}
    closed: dict[int, tuple[dt.date, str]] = {}
    for aid, rid, kind, on, outcome, applicant_kind in s.execute(ev.order_by(RequestEvent.request_id,
                                                                              RequestEvent.seq)):
        if kind == "received":
            received[rid] = (aid, on, applicant_kind)
        elif rid not in closed:
            closed[rid] = (on, outcome or "")
    recorded: dict[int, tuple[int, Fact]] = {}
    for rid, (aid, on, applicant_kind) in received.items():
        kind = applicant_kind or (projected[rid][2][0] if rid in projected else "natural")
        end = closed.get(rid)
        recorded[rid] = (aid, (kind, on, end[0] if end else None, end[1] if end else None))
    return recorded, projected


def fact_differences(recorded: dict[int, tuple[int, Fact]], projected: dict[int, tuple[int, str, Fact]]
                     ) -> list[tuple[int, str, Any, Any]]:
    """(request id, field, projected value, recorded value) wherever the projection is not what the
    events say — pure. A request with no events, or events with no request row, differs in every field."""
    out: list[tuple[int, str, Any, Any]] = []
    for rid in sorted(set(recorded) | set(projected)):
        rec = recorded[rid][1] if rid in recorded else (None,) * 4
        pro = projected[rid][2] if rid in projected else (None,) * 4
        out += [(rid, f, p, r) for f, p, r in zip(FACT_FIELDS, pro, rec, strict=True) if p != r]
    return out


def _result_row(outcome: str | None, results: list[str]) -> str:
    if outcome in results:
        return outcome  # type: ignore[return-value]
    # a decision recorded under the other template (closed in a year of the other format): its group
    # (2019's single （六）其他处理 is 2021's （六）3 其他; a 2021 sub-row is 2019's （六）)
    group = (outcome or "other").split(".")[0]
    for candidate in (group, f"{group}.other"):
        if candidate in results:
            return candidate
    return next((r for r in results if r.startswith(group + ".")), results[-1])


def appeal_cells(t: Template, rows: list[tuple[str, dt.date, str | None, dt.date | None]], year: int) -> dict[str, int]:
    """Table 四 from (kind, filed, outcome, concluded) of the appeals — pure."""
    block = t.table("appeals").blocks[0]
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    n: Counter[tuple[str, str]] = Counter()
    for kind, filed, outcome, concluded in rows:
        if filed > end or (concluded is not None and concluded < start):
            continue
        col = outcome if concluded is not None and concluded <= end and outcome else "pending"
        n[kind, col] += 1
    cells: dict[str, int] = {}
    for row in block.rows:
        parts = [c.key for c in block.columns if c.key != "total"]
        for c in parts:
            cells[f"appeals.{row.key}.{c}"] = n[row.key, c]
        cells[f"appeals.{row.key}.total"] = sum(n[row.key, c] for c in parts)
    return cells


def proactive_cells(t: Template, documents: list[tuple[str, dt.date, dt.date | None]],
                    actions: list[tuple[str, dt.date, Decimal | None]], figures: dict[str, Decimal],
                    year: int) -> dict[str, int | float | None]:
    """Part 二 from the registers (columns with a ``measure``) and the officer's figures — pure."""
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    cells: dict[str, int | float | None] = {}
    for block in t.table("proactive").blocks:
        for row in block.data_rows():
            for col in block.row_columns(row):
                cid = f"proactive.{row.key}.{col.key}"
                m = col.measure
                if m in ("issued", "repealed", "in_force"):
                    docs = [(i, r) for k, i, r in documents if k == row.key]
                    if m == "issued":
                        v: int | float | None = sum(start <= i <= end for i, _ in docs)
                    elif m == "repealed":
                        v = sum(r is not None and start <= r <= end for _, r in docs)
                    else:
                        v = sum(i <= end and (r is None or r > end) for i, r in docs)
                elif m == "count":
                    v = sum(k == row.key and start <= on <= end for k, on, _ in actions)
                elif m == "amount_wan":
                    total = sum((a or Decimal(0) for k, on, a in actions if k == row.key and start <= on <= end),
                                Decimal(0))
                    v = float((total / Decimal(10000)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))  # 四舍五入
                else:
                    f = figures.get(cid)
                    v = None if f is None else (int(f) if f == f.to_integral_value() else float(f))
                cells[cid] = v
    return cells


def tally(s: Session, agency: Agency, year: int) -> Report:
    t = template_for_year(year)
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    recorded, projected = event_facts(s, agency.id)
    appeal_rows = s.execute(select(Appeal.kind, Appeal.filed_on, Appeal.outcome, Appeal.concluded_on)
                            .where(Appeal.agency_id == agency.id)).all()
    documents = s.execute(select(Document.kind, Document.issued_on, Document.repealed_on)
                          .where(Document.agency_id == agency.id)).all()
    actions = s.execute(select(Action.kind, Action.on, Action.amount)
                        .where(Action.agency_id == agency.id, Action.on >= start, Action.on <= end)).all()
    figures = {f.cell: f.value for f in s.scalars(select(ReportFigure).where(
        ReportFigure.agency_id == agency.id, ReportFigure.year == year))}
    texts = {x.part: x.text for x in s.scalars(select(ReportText).where(
        ReportText.agency_id == agency.id, ReportText.year == year))}
    fees_paid = _fees_paid(s, agency.id, start, end)
    if "信息处理费" not in texts.get("other", ""):
        # part 六 states the 信息处理费 collected (rules.md): from the records when the text does not
        sentence = (f"本年度收取政府信息公开信息处理费{int(fees_paid)}元。" if fees_paid
                    else "本年度未收取政府信息公开信息处理费。")
        texts["other"] = (texts.get("other", "").rstrip() + "\n" + sentence).strip()
    cells: dict[str, Any] = {}
    cells.update(proactive_cells(t, [tuple(r) for r in documents], [tuple(r) for r in actions], figures, year))
    cells.update(request_cells(t, [f for _, f in recorded.values()], year))
    cells.update(appeal_cells(t, [tuple(r) for r in appeal_rows], year))
    cells = {cid: cells.get(cid) for cid in t.cell_ids}
    computed = computed_cells(t)
    provenance = {
        cid: CellInfo(status="computed", relation="office-records",
                      note="由台账记录计算 / counted from the records") if cid in computed
        else CellInfo(status="read", note="经办人填写 / entered by the officer") if cells[cid] is not None
        else CellInfo(status="missing", note="台账未记录，经办人未填写 / not in the records, not entered")
        for cid in t.cell_ids
    }
    parts = {p.key: PartText(key=p.key, numeral=p.numeral, heading=f"{p.numeral}、{p.title}", text=texts.get(p.key, ""))
             for p in t.parts}
    digest = hashlib.sha256(json.dumps({"agency": agency.code, "year": year, "cells": cells, "text": texts},
                                       sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    diagnostics = [_differs(projected, recorded, d) for d in fact_differences(recorded, projected)
                   if _in_year(d[0], recorded, projected, year)]
    return Report(
        template=t.id, report_year=year, agency=agency.name, agency_source="title", published_date=None,
        title=f"{agency.name}{year}年政府信息公开工作年度报告", content_hash=digest, format="records",
        cells=cells, provenance=provenance, units={"proactive.fees.amount": "万元"} if "proactive.fees.amount" in cells else {},
        parts=parts, diagnostics=diagnostics,
    )


def _fees_paid(s: Session, agency_id: int, start: dt.date, end: dt.date) -> int:
    """元 paid in the period: each payment event at the amount of its request's fee notice (events only)."""
    paid = set(s.scalars(select(RequestEvent.request_id).where(
        RequestEvent.agency_id == agency_id, RequestEvent.kind == "fee_paid",
        RequestEvent.on >= start, RequestEvent.on <= end)))
    if not paid:
        return 0
    notices = s.execute(select(RequestEvent.request_id, RequestEvent.data["amount"].as_integer()).where(
        RequestEvent.agency_id == agency_id, RequestEvent.kind == "fee_notice_sent"))
    return sum(int(amount or 0) for rid, amount in notices if rid in paid)


def _in_year(rid: int, recorded: dict[int, tuple[int, Fact]], projected: dict[int, tuple[int, str, Fact]],
             year: int) -> bool:
    """Whether either account puts the request into the year's table 三."""
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    facts = [recorded[rid][1]] if rid in recorded else []
    facts += [projected[rid][2]] if rid in projected else []
    return any(f[1] is not None and f[1] <= end and (f[2] is None or f[2] >= start) for f in facts)


FIELD_LABELS = {"applicant_kind": "申请人类型", "received_on": "收到日期", "closed_on": "办结日期", "outcome": "办理结果"}


def _differs(projected: dict[int, tuple[int, str, Fact]], recorded: dict[int, tuple[int, Fact]],
             d: tuple[int, str, Any, Any]) -> Diagnostic:
    rid, fld, pro, rec = d
    no = projected[rid][1] if rid in projected else f"#{rid}"
    return Diagnostic(
        kind="records-differ", cells=[],
        message=f"申请 {no} 的{FIELD_LABELS[fld]}在申请记录中为“{_show(pro)}”，事件记录为“{_show(rec)}”："
                f"本表按事件记录统计，请运行 xxgk office verify 核查 / request {no}: {fld} is {_show(pro)!r} in the "
                f"request row but {_show(rec)!r} in its events; the table counts the events (run xxgk office verify)",
        detail={"tracking_no": no, "field": fld, "records": _show(pro), "events": _show(rec)})


def _show(v: Any) -> str:
    return "无" if v is None else v.isoformat() if isinstance(v, dt.date) else str(v)


def county_tally(s: Session, year: int) -> dict[str, dict[str, int]]:
    """Table 三 for every agency in the database, from the events, in one pass."""
    t = template_for_year(year)
    codes = dict(s.execute(select(Agency.id, Agency.code)).all())
    by: dict[int, list[Fact]] = {aid: [] for aid in codes}
    recorded, _ = event_facts(s)
    for aid, fact in recorded.values():
        by.setdefault(aid, []).append(fact)
    return {codes[aid]: request_cells(t, rows, year)
            for aid, rows in sorted(by.items(), key=lambda x: codes.get(x[0], "")) if aid in codes}


def count_requests(s: Session, agency: Agency) -> int:
    return s.scalar(select(func.count()).select_from(Request).where(Request.agency_id == agency.id)) or 0


def compare(published: Report, records: Report) -> list[dict[str, Any]]:
    """Cells where a published report disagrees with the records — pure."""
    if published.template != records.template:
        return [{"cell": None, "published": published.template, "records": records.template,
                 "message": f"发布的报告使用{published.template}年版格式，记录应按{records.template}年版",
                 "message_en": f"the published report uses the {published.template} template; "
                               f"the records call for {records.template}"}]
    out: list[dict[str, Any]] = []
    if published.report_year and records.report_year and published.report_year != records.report_year:
        out.append({"cell": None, "published": published.report_year, "records": records.report_year,
                    "message": f"发布的报告是{published.report_year}年度，记录是{records.report_year}年度",
                    "message_en": f"the published report is for {published.report_year}, the records for "
                                  f"{records.report_year}"})
    if published.agency and records.agency and published.agency != records.agency:
        out.append({"cell": None, "published": published.agency, "records": records.agency,
                    "message": f"发布的报告署名“{published.agency}”，记录属于“{records.agency}”",
                    "message_en": "the published report names another agency"})
    for cid in records.cells:
        rec, pub = records.cells[cid], published.cells.get(cid)
        if rec is None:
            continue
        if cid in published.ambiguous:
            out.append({"cell": cid, "published": None, "records": rec, "candidates": published.ambiguous[cid],
                        "message": "发布的数字无法确定", "message_en": "the published number is ambiguous"})
        elif pub is None or abs(float(pub) - float(rec)) > 1e-9:
            out.append({"cell": cid, "published": pub, "records": rec,
                        "message": "发布的报告与台账记录不一致" if pub is not None else "发布的报告留空",
                        "message_en": "published figure differs from the records" if pub is not None
                        else "left blank in the published report"})
    return out
