"""Rectification (整改): a problem a supervisor follows with the agency until it is closed.

The workflow is data (:data:`STATES`, :data:`TRANSITIONS`): a case starts as a finding (发现问题),
is confirmed (已确认), sent to the agency (已通知整改), answered by the agency (机关已答复),
re-checked (已复核) and closed (已办结). The re-check runs the checker again on the agency's current
report for that year (:func:`xxgk.api.check` on the stored report re-read from its bytes), or the
corpus's rule across reports (missing, late, copied text …): when the rule no longer fires the case
is 已复核; when it still fires the case goes back to the agency (已通知整改) with what the checker
said. A supervisor may close an open case at any point with a reason (a finding not confirmed, a
problem accepted as explained).

Every step is a :class:`~xxgk.web.models.ReviewStep` row (append-only: the database refuses UPDATE
and DELETE) and an audit entry sealed into the agency's hash chain; the case's ``state`` and
``updated_at`` are the projection of its steps. Who may take a step: the transition's permission
(``case.manage`` for supervisors and administrators, ``case.respond`` for the agency's staff) and
the scope: a supervisor's cases are those of agencies in their region's subtree; agency staff see
and answer only their own agency's cases, and only once sent to them.

No web framework here: the routes call :class:`Review` with the signed-in principal.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from xxgk.corpus.store import CorpusStore
from xxgk.errors import XxgkError
from xxgk.office.db import Agency, utcnow
from xxgk.office.service import Office
from xxgk.web.accounts import Accounts, Principal
from xxgk.web.models import ReviewCase, ReviewStep
from xxgk.web.policy import AGENCY_ROLES, Scope, allowed, scope_for

STATES: dict[str, str] = {
    "finding": "发现问题",
    "confirmed": "已确认",
    "sent": "已通知整改",
    "responded": "机关已答复",
    "rechecked": "已复核",
    "closed": "已办结",
}
OPEN_STATES = tuple(s for s in STATES if s != "closed")


@dataclass(frozen=True)
class Transition:
    source: str
    target: str
    permission: str  # case.manage | case.respond
    label: str  # the button
    note: bool  # a note is required
    recheck: bool = False  # the checker runs: the target is "rechecked" if resolved, else "sent"
    hint: str = ""


TRANSITIONS: tuple[Transition, ...] = (
    Transition("finding", "confirmed", "case.manage", "确认问题", False),
    Transition("confirmed", "sent", "case.manage", "通知机关整改", True, hint="整改要求与期限"),
    Transition("sent", "responded", "case.respond", "提交整改答复", True, hint="整改情况说明"),
    Transition("responded", "rechecked", "case.manage", "复核（重新运行核查）", False, recheck=True,
               hint="复核意见（可选）；问题仍存在时将退回机关重新整改"),
    Transition("rechecked", "closed", "case.manage", "办结", False),
    Transition("rechecked", "sent", "case.manage", "退回重新整改", True, hint="退回理由"),
    *(Transition(s, "closed", "case.manage", "撤销/终止并办结", True, hint="理由（如核实后无需整改）")
      for s in ("finding", "confirmed", "sent", "responded")),
)
# the way back of a re-check that finds the problem persists (taken by the service, never asked for)
BACK = Transition("responded", "sent", "case.manage", "复核未通过，退回整改", False)
MAX_NOTE = 4000


class ReviewError(XxgkError):
    """A refused step or case, with the HTTP status the routes answer with."""

    def __init__(self, status: int, code: str, zh: str, en: str) -> None:
        super().__init__(code, zh, en)
        self.status = status


def _forbidden() -> ReviewError:
    return ReviewError(403, "out-of-scope", "超出您的数据范围", "outside your scope")


def _missing(case_id: int) -> ReviewError:
    return ReviewError(404, "not-found", f"整改事项不存在：{case_id}", f"no such case: {case_id}")


def transitions_from(state: str) -> list[Transition]:
    return [t for t in TRANSITIONS if t.source == state]


@dataclass(frozen=True)
class Candidate:
    """A problem a case may be opened on: a corpus finding or a finding of the report's own check."""

    rule: str
    severity: str
    message: str
    cells: tuple[str, ...]
    report_id: int | None


@dataclass(frozen=True)
class Recheck:
    persists: bool
    said: str  # what the checker said (Chinese)


Checker = Callable[[ReviewCase], Recheck]
Finder = Callable[[str, int], list[Candidate]]


class Review:
    """The 整改 workflow on the office's database (one engine, one hash chain)."""

    def __init__(self, office: Office, store: CorpusStore, *, checker: Checker | None = None,
                 finder: Finder | None = None, today: Callable[[], dt.date] = dt.date.today) -> None:
        """``checker`` (the re-check) and ``finder`` (the problems a case may be opened on) are
        :meth:`recheck` and :meth:`candidates` unless given (tests give their own)."""
        self.office = office
        self.store = store
        self.accounts = Accounts(office)
        self.checker = checker or self.recheck
        self.finder = finder or self.candidates
        self.today = today

    # ------------------------------------------------------------ scope

    def scope(self, p: Principal) -> Scope:
        return scope_for(p.role, p.region_code, p.agency_id, self.store.subtree)

    def _sees(self, s: Session, p: Principal, case: ReviewCase, scope: Scope) -> bool:
        if p.role in AGENCY_ROLES:
            return (allowed(p.role, "case.read") and p.agency_id is not None and case.agency_id == p.agency_id
                    and _was_sent(s, case.id))
        return allowed(p.role, "case.read") and (scope.everything or scope.region(case.region_code))

    def _may(self, s: Session, p: Principal, case: ReviewCase, t: Transition, scope: Scope) -> bool:
        if not allowed(p.role, t.permission) or not self._sees(s, p, case, scope):
            return False
        if t.permission == "case.respond":  # the agency answers for itself only
            return p.agency_id is not None and case.agency_id == p.agency_id
        return True

    # ------------------------------------------------------------ findings

    def candidates(self, agency_code: str, year: int, as_of: dt.date | None = None) -> list[Candidate]:
        """The problems of an agency's year a case may be opened on: the corpus's findings (judged
        in the agency's province, as the desk judges them) and the current report's own findings
        (errors and warnings)."""
        from xxgk.web.desk import CASE_RULES_SEVERITY, compute, registry

        reg = registry(self.store)
        agency = reg.agency(agency_code)
        province = reg.region_path(agency.region)[0].code
        desk = compute(self.store, reg, province, year, as_of or self.today())
        out: list[Candidate] = []
        for f in desk.findings:
            if f.agency == agency_code and f.year == year and f.severity in CASE_RULES_SEVERITY:
                rid = int(f.report) if f.report and f.report.isdigit() else None
                out.append(Candidate(f.rule, f.severity, f.message, tuple(f.cells), rid))
        for e in self.store.entries(year, agency=agency_code, cells=False, parts=False):
            r = self.store.report(int(e.id))
            for g in r.findings if r else []:
                if g.severity in CASE_RULES_SEVERITY:
                    out.append(Candidate(g.rule, g.severity, g.message, tuple(g.cells), int(e.id)))
        return out

    # ------------------------------------------------------------ opening a case

    def open(self, p: Principal, agency_code: str, year: int, rule: str, report_id: int | None = None,
             note: str | None = None) -> int:
        """A new case (state 发现问题) on a problem the checker finds now (never on the caller's word)."""
        if not allowed(p.role, "case.manage"):
            raise ReviewError(403, "forbidden", "无权发起整改", "your role may not open a case")
        with self.office.session() as s:
            agency = s.scalars(select(Agency).where(Agency.code == agency_code)).first()
            if agency is None:
                raise ReviewError(404, "not-found", f"机关不存在：{agency_code}", f"no such agency: {agency_code}")
            agency_id, region = agency.id, agency.region_code
        scope = self.scope(p)
        if not (scope.everything or scope.region(region)):
            raise _forbidden()
        found = [c for c in self.finder(agency_code, year)
                 if c.rule == rule and (report_id is None or c.report_id == report_id)]
        if not found:
            raise ReviewError(400, "no-finding", f"当前核查未发现该问题（{rule}），无法发起整改",
                              f"the checker does not find {rule} now: no case opened")
        c = found[0]
        with self.office.writing() as s:
            same = s.scalars(select(ReviewCase.id).where(
                ReviewCase.agency_id == agency_id, ReviewCase.year == year, ReviewCase.rule == rule,
                ReviewCase.state != "closed")).first()
            if same is not None:
                raise ReviewError(409, "case-exists", f"该问题已有未办结的整改事项（#{same}）",
                                  f"an open case exists for this problem (#{same})")
            now = utcnow()
            case = ReviewCase(report_id=c.report_id, agency_id=agency_id, region_code=region, year=year, rule=c.rule,
                              severity=c.severity, message=c.message, cells=list(c.cells), state="finding",
                              created_by=p.username, created_at=now, updated_at=now)
            s.add(case)
            s.flush()
            self._step(s, case, "finding", p, _clean(note), now, action="open",
                       extra={"rule": c.rule, "severity": c.severity, "message": c.message,
                              "report_id": c.report_id, "year": year})
            return case.id

    # ------------------------------------------------------------ steps

    def step(self, case_id: int, to: str, p: Principal, note: str | None = None) -> str:
        """Move a case to ``to``; returns the state it is in afterwards (a re-check that finds the
        problem persists leaves it 已通知整改, not 已复核)."""
        note = _clean(note)
        if to not in STATES:
            raise ReviewError(400, "bad-state", f"未知状态：{to}", f"unknown state: {to}")
        scope = self.scope(p)
        with self.office.session() as s:
            case = s.get(ReviewCase, case_id)
            if case is None or not self._sees(s, p, case, scope):
                raise _missing(case_id) if case is None or p.role in AGENCY_ROLES else _forbidden()
            t = next((t for t in transitions_from(case.state) if t.target == to), None)
            if t is None:
                raise ReviewError(409, "bad-transition",
                                  f"“{STATES[case.state]}”的事项不能转为“{STATES[to]}”",
                                  f"a case in state {case.state} cannot move to {to}")
            if not self._may(s, p, case, t, scope):
                raise ReviewError(403, "forbidden", f"无权执行“{t.label}”", f"you may not {t.label}")
            if t.note and not note:
                raise ReviewError(400, "note-required", f"“{t.label}”须填写{t.hint or '说明'}",
                                  f"{t.target} needs a note")
            source = case.state
            result = self.checker(case) if t.recheck else None
        if result is not None and result.persists:
            t = BACK
            note = f"复核：问题仍存在。{result.said}" + (f"\n{note}" if note else "")
        elif result is not None:
            note = f"复核：问题已消除。{result.said}" + (f"\n{note}" if note else "")
        with self.office.writing() as s:
            q = select(ReviewCase).where(ReviewCase.id == case_id)
            if s.get_bind().dialect.name == "postgresql":
                q = q.with_for_update()
            case = s.scalars(q).one()
            if case.state != source:  # someone else moved it meanwhile
                raise ReviewError(409, "changed", "该事项刚被他人处理，请刷新后重试", "the case changed meanwhile: reload")
            extra = {"recheck": {"persists": result.persists, "said": result.said}} if result else None
            self._step(s, case, t.target, p, note, utcnow(), action=f"step:{t.target}", extra=extra, before=source)
            return t.target

    def _step(self, s: Session, case: ReviewCase, state: str, p: Principal, note: str | None, at: dt.datetime,
              *, action: str, extra: dict[str, Any] | None = None, before: str | None = None) -> None:
        step = ReviewStep(case_id=case.id, state=state, actor=p.username, at=at, note=note)
        s.add(step)
        s.flush()
        case.state, case.updated_at = state, at  # the projection of the steps
        self.accounts.audit(s, p.username, "review_case", case.id, action,
                            after={"state": state, "step_id": step.id, "note": note, "at": at.isoformat(),
                                   **(extra or {})},
                            before={"state": before} if before else None, agency_id=case.agency_id)

    # ------------------------------------------------------------ the re-check

    def recheck(self, case: ReviewCase) -> Recheck:
        """Does the case's rule still fire on the agency's current report(s) of the year?"""
        with self.office.session() as s:
            code = s.scalar(select(Agency.code).where(Agency.id == case.agency_id))
        if code is None:
            return Recheck(True, "机关已不在名录中，无法复核")
        if case.rule.startswith("corpus-"):
            from xxgk.corpus.checks import check_corpus
            from xxgk.web.desk import entries_for, registry

            reg = registry(self.store)
            province = reg.region_path(reg.agency(code).region)[0].code
            fired = [f for f in check_corpus(entries_for(self.store, case.year, province),
                                             agencies=reg.expected_reporters(province), year=case.year,
                                             as_of=self.today(), rules=[case.rule])
                     if f.agency == code and f.year == case.year]
            return Recheck(bool(fired), fired[0].message if fired else f"规则 {case.rule} 不再触发")
        from xxgk.api import check, parse_bytes

        reports = self.store.entries(case.year, agency=code, cells=False, parts=False)
        if not reports:
            return Recheck(True, "未找到该机关该年度的现行报告")
        for e in reports:
            r = self.store.report(int(e.id))
            data = self.store.data(r.content_hash) if r else None
            if r is None or data is None:
                return Recheck(True, f"报告 {e.id} 的原始文件缺失，无法复核")
            fired = [g for g in check(parse_bytes(data, name=r.source, source_path=r.source)) if g.rule == case.rule]
            if fired:
                return Recheck(True, f"报告 {e.id}：{fired[0].message}")
        return Recheck(False, f"现行报告（{'、'.join(e.id for e in reports)}）重新核查，规则 {case.rule} 不再触发")

    # ------------------------------------------------------------ reading

    def cases(self, p: Principal, *, state: str | None = None, region: str | None = None, year: int | None = None,
              agency: str | None = None, limit: int = 500) -> list[dict[str, Any]]:
        """The cases the principal may see, newest first, with the filters."""
        if not allowed(p.role, "case.read"):
            raise _forbidden()
        scope = self.scope(p)
        q = select(ReviewCase, Agency.code, Agency.name).join(Agency, Agency.id == ReviewCase.agency_id)
        if p.role in AGENCY_ROLES:
            if p.agency_id is None:
                return []
            q = q.where(ReviewCase.agency_id == p.agency_id, _sent_exists())
        elif not scope.everything:
            if not scope.regions:
                return []
            q = q.where(ReviewCase.region_code.in_(sorted(scope.regions)))
        if region:
            if not (scope.everything or scope.region(region)) and p.role not in AGENCY_ROLES:
                raise _forbidden()
            q = q.where(ReviewCase.region_code.in_(sorted(self.store.subtree(region))))
        if state:
            q = q.where(ReviewCase.state == state)
        if year:
            q = q.where(ReviewCase.year == year)
        if agency:
            q = q.where(Agency.code == agency)
        with self.office.session() as s:
            return [_view(c, code, name) for c, code, name in
                    s.execute(q.order_by(ReviewCase.updated_at.desc(), ReviewCase.id.desc()).limit(limit)).all()]

    def case(self, case_id: int, p: Principal) -> dict[str, Any]:
        """One case with its steps (oldest first) and the steps the principal may take next."""
        scope = self.scope(p)
        with self.office.session() as s:
            c = s.get(ReviewCase, case_id)
            if c is None or not self._sees(s, p, c, scope):
                raise _missing(case_id) if c is None or p.role in AGENCY_ROLES else _forbidden()
            a = s.get(Agency, c.agency_id)
            out = _view(c, a.code if a else "", a.name if a else "")
            out["steps"] = [{"id": st.id, "state": st.state, "state_zh": STATES.get(st.state, st.state),
                             "actor": st.actor, "at": st.at.isoformat(timespec="seconds"), "note": st.note}
                            for st in s.scalars(select(ReviewStep).where(ReviewStep.case_id == c.id)
                                                .order_by(ReviewStep.id))]
            out["next"] = [{"to": t.target, "to_zh": STATES[t.target], "label": t.label, "note": t.note,
                            "hint": t.hint, "recheck": t.recheck}
                           for t in transitions_from(c.state) if self._may(s, p, c, t, scope)]
            return out


def _sent_exists() -> Any:
    return exists().where(ReviewStep.case_id == ReviewCase.id, ReviewStep.state == "sent")


def _was_sent(s: Session, case_id: int) -> bool:
    return s.scalar(select(ReviewStep.id).where(ReviewStep.case_id == case_id, ReviewStep.state == "sent")
                    .limit(1)) is not None


def _clean(note: str | None) -> str | None:
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise ReviewError(400, "note-too-long", f"说明过长（上限 {MAX_NOTE} 字）", f"note too long (max {MAX_NOTE})")
    return note or None


def _view(c: ReviewCase, code: str, name: str) -> dict[str, Any]:
    return {"id": c.id, "agency": code, "agency_name": name, "agency_id": c.agency_id, "region": c.region_code,
            "year": c.year, "rule": c.rule, "severity": c.severity, "message": c.message, "cells": c.cells,
            "report_id": c.report_id, "state": c.state, "state_zh": STATES.get(c.state, c.state),
            "created_by": c.created_by, "created_at": c.created_at.isoformat(timespec="seconds"),
            "updated_at": c.updated_at.isoformat(timespec="seconds")}
