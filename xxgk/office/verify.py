"""``xxgk office verify``: is the history whole, and do the other tables still say what it says?

Three checks, each problem one line (Chinese first) naming the row and what changed:

1. The hash chains (:mod:`xxgk.office.chain`): every event and audit entry in its place, each
   link's hash recomputed from its content; a link edited or replaced, a place missing (a row
   deleted), a row not on the chain (inserted by hand), a head that does not match its last link
   (rows cut off the end, a table emptied), and any head noted earlier (``anchors``) still there.
2. The request rows against their events: applicant kind, date of receipt, date closed and
   outcome — what table 三 counts — must be what the events say.
3. Every audited row against its last audit entry: requests, applicants (by digest),
   documents, appeals, report texts and figures, settings, and the entries of the administrative
   ledgers. A row changed, inserted or deleted without an audit entry is named.

Reads only; the caller holds the session.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Numeric, select
from sqlalchemy.orm import Session

from xxgk.office import chain
from xxgk.office.db import (
    Action,
    Agency,
    Appeal,
    Applicant,
    AuditEntry,
    ChainHead,
    Document,
    ReportFigure,
    ReportText,
    Request,
    RequestEvent,
    Setting,
)
from xxgk.office.tally import FIELD_LABELS, event_facts, fact_differences

# entity (as the audit names it) -> model, label: rows whose full snapshot the audit keeps
AUDITED: dict[str, tuple[Any, str, str]] = {
    "request": (Request, "申请", "request"),
    "document": (Document, "文件", "document"),
    "appeal": (Appeal, "复议诉讼", "appeal"),
    "report_text": (ReportText, "报告正文", "report text"),
    "report_figure": (ReportFigure, "报告数字", "report figure"),
}


@dataclass(frozen=True)
class Problem:
    code: str
    message: str
    message_en: str

    def __str__(self) -> str:
        return f"{self.message} / {self.message_en}"


@dataclass
class Verification:
    """What ``verify`` found, and what it checked."""

    problems: list[Problem] = field(default_factory=list)
    events: int = 0
    audit_entries: int = 0
    requests: int = 0
    heads: dict[str, tuple[int, str]] = field(default_factory=dict)  # chain name -> (place, hash)

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, code: str, zh: str, en: str) -> None:
        self.problems.append(Problem(code, zh, en))


def verify(s: Session, anchors: dict[str, tuple[int, str]] | None = None) -> Verification:
    out = Verification()
    codes = dict(s.execute(select(Agency.id, Agency.code)).all())
    tracking = dict(s.execute(select(Request.id, Request.tracking_no)).all())
    _chains(s, out, codes, tracking, anchors or {})
    _projection(s, out, codes)
    audits = _last_audits(s)
    _snapshots(s, out, codes, audits)
    _applicants(s, out, codes, audits)
    _settings(s, out, audits)
    _ledgers(s, out, codes)
    return out


def chain_name(key: int, codes: dict[int, str]) -> str:
    return "database" if key == chain.DATABASE_CHAIN else codes.get(key, f"#{key}")


# ---------------------------------------------------------------- 1. the chains


def _describe(table: str, row: Any, tracking: dict[int, str]) -> tuple[str, str]:
    if table == "request_event":
        no = tracking.get(row.request_id, f"#{row.request_id}")
        return (f"事件#{row.id}（申请 {no} 第{row.seq}个事件 {row.kind}）",
                f"event #{row.id} (request {no}, event {row.seq}, {row.kind})")
    return (f"审计记录#{row.id}（{row.entity}#{row.entity_id} {row.action}）",
            f"audit entry #{row.id} ({row.entity} #{row.entity_id} {row.action})")


def _chains(s: Session, out: Verification, codes: dict[int, str], tracking: dict[int, str],
            anchors: dict[str, tuple[int, str]]) -> None:
    links: dict[int, list[tuple[int, str, Any]]] = defaultdict(list)
    for table, model in (("request_event", RequestEvent), ("audit_entry", AuditEntry)):
        for row in s.scalars(select(model).order_by(model.id)):
            if table == "request_event":
                out.events += 1
            else:
                out.audit_entries += 1
            if row.chain_seq is None:
                zh, en = _describe(table, row, tracking)
                out.add("chain-unsealed", f"{zh}不在哈希链上：未经 xxgk 直接写入数据库",
                        f"{en} is not on the hash chain: written to the database outside xxgk")
                continue
            links[chain.chain_of(row.agency_id)].append((row.chain_seq, table, row))
    heads = {h.chain: (h.seq, h.hash) for h in s.scalars(select(ChainHead))}
    for key in sorted(set(links) | set(heads)):
        name = chain_name(key, codes)
        last_seq, last_hash = _walk(out, name, sorted(links.get(key, []), key=lambda x: (x[0], x[1])), tracking)
        head_seq, head_hash = heads.get(key, (0, chain.GENESIS))
        out.heads[name] = (head_seq, head_hash)
        if head_seq > last_seq:
            out.add("chain-truncated", f"{name} 的哈希链应有 {head_seq} 条，只剩 {last_seq} 条：最后 {head_seq - last_seq} "
                    f"条记录被删除或表被清空", f"{name}: the chain should hold {head_seq} links but ends at "
                    f"{last_seq}: the last {head_seq - last_seq} rows were deleted or the table emptied")
        elif head_seq < last_seq or head_hash != last_hash:
            out.add("chain-head", f"{name} 的链头（第 {head_seq} 条）与最后一条记录（第 {last_seq} 条）不符：链头或记录被改动",
                    f"{name}: the chain head (link {head_seq}) does not match the last link ({last_seq}): "
                    "the head or the rows were changed")
        if name in anchors:
            _anchor(out, name, anchors.pop(name), links.get(key, []))
    for name, (seq, _) in anchors.items():
        out.add("chain-anchor", f"{name} 的哈希链不存在，无法核对记下的第 {seq} 条",
                f"{name}: no such chain to check the noted link {seq} against")


def _walk(out: Verification, name: str, rows: list[tuple[int, str, Any]], tracking: dict[int, str]) -> tuple[int, str]:
    """Recompute one chain link by link; returns its last (place, hash) as stored."""
    prev_seq, prev_hash = 0, chain.GENESIS
    for seq, table, row in rows:
        zh, en = _describe(table, row, tracking)
        if seq == prev_seq:
            out.add("chain-duplicate", f"{zh}与另一条记录占用 {name} 哈希链的同一位置（第 {seq} 条）：记录被插入或替换",
                    f"{en} takes the same place ({seq}) in {name}'s chain as another row: inserted or replaced")
            continue
        if seq > prev_seq + 1:
            gap = f"{prev_seq + 1}" if seq == prev_seq + 2 else f"{prev_seq + 1}–{seq - 1}"
            out.add("chain-gap", f"{name} 的哈希链缺少第 {gap} 条：记录被删除",
                    f"{name}: link {gap} of the chain is missing: rows were deleted")
        elif chain.link(prev_hash, seq, chain.content(table, row)) != row.chain_hash:
            out.add("chain-altered", f"{zh}与 {name} 哈希链第 {seq} 条不符：内容被改动或整条被替换",
                    f"{en} does not match link {seq} of {name}'s chain: its content was changed or replaced")
        prev_seq, prev_hash = seq, row.chain_hash
    return prev_seq, prev_hash


def _anchor(out: Verification, name: str, noted: tuple[int, str], rows: list[tuple[int, str, Any]]) -> None:
    seq, h = noted
    found = [row.chain_hash for s_, _, row in rows if s_ == seq]
    if not found:
        out.add("chain-anchor", f"{name} 的哈希链没有记下的第 {seq} 条：此后的历史被删除",
                f"{name}: the noted link {seq} is gone: the history since was deleted")
    elif h not in found:
        out.add("chain-anchor", f"{name} 的哈希链第 {seq} 条与记下的哈希不同：历史被重写（哈希被重新计算）",
                f"{name}: link {seq} differs from the hash noted: the history was rewritten (hashes recomputed)")


# ---------------------------------------------------------------- 2. requests against their events


def _projection(s: Session, out: Verification, codes: dict[int, str]) -> None:
    recorded, projected = event_facts(s)
    out.requests = len(projected)
    by_request: dict[int, list[str]] = defaultdict(list)
    by_request_en: dict[int, list[str]] = defaultdict(list)
    for rid, fld, pro, rec in fact_differences(recorded, projected):
        by_request[rid].append(f"{FIELD_LABELS[fld]}为“{_show(pro)}”，事件记录为“{_show(rec)}”")
        by_request_en[rid].append(f"{fld} is {_show(pro)!r}, the events say {_show(rec)!r}")
    for rid in sorted(by_request):
        if rid not in projected:
            aid = recorded[rid][0]
            out.add("request-missing", f"申请#{rid}（{codes.get(aid, aid)}）有事件记录，但申请记录已不存在：被直接删除",
                    f"request #{rid} ({codes.get(aid, aid)}) has events but its row is gone: deleted by hand")
            continue
        aid, no = projected[rid][0], projected[rid][1]
        if rid not in recorded:
            out.add("request-no-events", f"申请 {codes.get(aid, aid)} {no} 没有登记事件：未经 xxgk 直接写入",
                    f"request {codes.get(aid, aid)} {no} has no events: written outside xxgk")
            continue
        out.add("request-differs", f"申请 {codes.get(aid, aid)} {no} 与其事件记录不符：{'；'.join(by_request[rid])}"
                "（年度报告按事件记录统计）", f"request {codes.get(aid, aid)} {no} differs from its events: "
                f"{'; '.join(by_request_en[rid])} (the annual report counts the events)")


# ---------------------------------------------------------------- 3. rows against their last audit entry


def _last_audits(s: Session) -> dict[tuple[str, int], AuditEntry]:
    last: dict[tuple[str, int], AuditEntry] = {}
    for a in s.scalars(select(AuditEntry).where(AuditEntry.entity.in_([*AUDITED, "applicant"]))
                       .order_by(AuditEntry.id)):
        last[a.entity, a.entity_id] = a
    return last


def _same(col: Any, now: Any, then: Any) -> bool:
    if now is None or then is None:
        return now is None and then is None
    if isinstance(col.type, Numeric):
        try:
            return Decimal(str(now)) == Decimal(str(then))
        except InvalidOperation:
            return False
    now = now.isoformat() if isinstance(now, dt.date | dt.datetime) else now
    return bool(now == then)


def _show(v: Any) -> str:
    if v is None:
        return "无"
    return v.isoformat() if isinstance(v, dt.date | dt.datetime) else str(v)


def _snapshots(s: Session, out: Verification, codes: dict[int, str], audits: dict[tuple[str, int], AuditEntry]) -> None:
    for entity, (model, zh_label, en_label) in AUDITED.items():
        seen = set()
        for row in s.scalars(select(model).order_by(model.id)):
            seen.add(row.id)
            where = _where(entity, row, codes, zh_label, en_label)
            a = audits.get((entity, row.id))
            if a is None:
                out.add("row-unaudited", f"{where[0]} 没有审计记录：未经 xxgk 直接写入", f"{where[1]} has no audit "
                        "entry: written outside xxgk")
                continue
            after = a.after or {}
            changed = [(c.key, getattr(row, c.key), after.get(c.key)) for c in model.__table__.columns
                       if c.key in after and not _same(c, getattr(row, c.key), after.get(c.key))]
            if entity == "request":  # what table 三 counts is reported against the events above
                changed = [x for x in changed if x[0] not in FIELD_LABELS]
            if changed:
                out.add("row-changed", f"{where[0]} 被直接改动（没有审计记录）："
                        + "；".join(f"{k} 由“{_show(b)}”改为“{_show(v)}”" for k, v, b in changed),
                        f"{where[1]} was changed outside xxgk (no audit entry): "
                        + "; ".join(f"{k} {_show(b)!r} -> {_show(v)!r}" for k, v, b in changed))
        for (ent, eid), _a in audits.items():
            if ent == entity and eid not in seen:
                out.add("row-deleted", f"{zh_label}#{eid} 有审计记录，但已不存在：被直接删除",
                        f"{en_label} #{eid} is in the audit but no longer exists: deleted outside xxgk")


def _where(entity: str, row: Any, codes: dict[int, str], zh: str, en: str) -> tuple[str, str]:
    code = codes.get(row.agency_id, row.agency_id)
    key = {"request": "tracking_no", "document": "number", "report_figure": "cell", "report_text": "part"}.get(entity)
    name = f"{getattr(row, key)}" if key else f"#{row.id}"
    return f"{zh} {code} {name}", f"{en} {code} {name}"


def _applicants(s: Session, out: Verification, codes: dict[int, str],
                audits: dict[tuple[str, int], AuditEntry]) -> None:
    seen = set()
    for row in s.scalars(select(Applicant).order_by(Applicant.id)):
        seen.add(row.id)
        code = codes.get(row.agency_id, row.agency_id)
        a = audits.get(("applicant", row.id))
        if a is None:
            out.add("row-unaudited", f"申请人#{row.id}（{code}）没有审计记录：未经 xxgk 直接写入",
                    f"applicant #{row.id} ({code}) has no audit entry: written outside xxgk")
            continue
        after = a.after or {}
        now = chain.applicant_digest(row, str(after.get("salt", "")))
        changed = [f for f in chain.APPLICANT_PRIVATE if now["digest"][f] != (after.get("digest") or {}).get(f)]
        if row.kind != after.get("kind"):
            changed.insert(0, "kind")
        if row.agency_id != after.get("agency_id"):
            changed.insert(0, "agency_id")
        if changed:
            out.add("row-changed", f"申请人#{row.id}（{code}）的 {'、'.join(changed)} 被直接改动（与审计记录不符）",
                    f"applicant #{row.id} ({code}): {', '.join(changed)} changed outside xxgk (not as audited)")
    for (ent, eid) in audits:
        if ent == "applicant" and eid not in seen:
            out.add("row-deleted", f"申请人#{eid} 有审计记录，但已不存在：被直接删除",
                    f"applicant #{eid} is in the audit but no longer exists: deleted outside xxgk")


def _settings(s: Session, out: Verification, audits: dict[tuple[str, int], AuditEntry]) -> None:
    last: dict[str, Any] = {}
    for a in s.scalars(select(AuditEntry).where(AuditEntry.entity == "setting").order_by(AuditEntry.id)):
        if a.action.startswith("set-"):
            last[a.action.removeprefix("set-")] = a.after
    for row in s.scalars(select(Setting)):
        if row.key not in last:
            out.add("row-unaudited", f"设置 {row.key} 没有审计记录：未经 xxgk 直接写入",
                    f"setting {row.key} has no audit entry: written outside xxgk")
        elif last.pop(row.key) != row.value:
            out.add("row-changed", f"设置 {row.key} 被直接改动为 {row.value}（没有审计记录）",
                    f"setting {row.key} was changed outside xxgk to {row.value}")
    for key in last:
        out.add("row-deleted", f"设置 {key} 有审计记录，但已不存在：被直接删除",
                f"setting {key} is in the audit but no longer exists: deleted outside xxgk")


def _ledgers(s: Session, out: Verification, codes: dict[int, str]) -> None:
    """The administrative ledgers: every entry as some audit entry (an import, or the baseline taken
    when the chains were installed) listed it."""
    expected: dict[tuple[int, str, str], tuple[str, str | None]] = {}
    for a in s.scalars(select(AuditEntry).where(AuditEntry.entity == "action").order_by(AuditEntry.id)):
        after = a.after or {}
        if "rows" not in after or a.agency_id is None:
            continue  # an import recorded before 0004: its entries are in the baseline
        for ref, on, amount in after["rows"]:
            expected[a.agency_id, after["kind"], ref] = (on, amount)
    for row in s.scalars(select(Action).order_by(Action.id)):
        key = (row.agency_id, row.kind, row.ref)
        code = codes.get(row.agency_id, row.agency_id)
        if key not in expected:
            out.add("row-unaudited", f"台账（{code} {row.kind}）编号 {row.ref} 没有审计记录：未经 xxgk 直接写入",
                    f"ledger entry {row.ref} ({code} {row.kind}) has no audit entry: written outside xxgk")
            continue
        on, amount = expected.pop(key)
        now_amount = None if row.amount is None else row.amount
        if on != row.on.isoformat() or (amount is None) != (now_amount is None) or (
                amount is not None and Decimal(amount) != Decimal(str(now_amount))):
            out.add("row-changed", f"台账（{code} {row.kind}）编号 {row.ref} 被直接改动：日期、金额由 {on} {amount or ''}"
                    f" 改为 {row.on} {now_amount or ''}", f"ledger entry {row.ref} ({code} {row.kind}) was changed "
                    f"outside xxgk: {on} {amount or ''} -> {row.on} {now_amount or ''}")
    for (aid, kind, ref), _ in expected.items():
        out.add("row-deleted", f"台账（{codes.get(aid, aid)} {kind}）编号 {ref} 有审计记录，但已不存在：被直接删除",
                f"ledger entry {ref} ({codes.get(aid, aid)} {kind}) is in the audit but no longer exists: deleted")
