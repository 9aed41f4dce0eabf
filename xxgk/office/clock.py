"""The statutory clock of one request, replayed from its events (条例 第三十、三十二、三十三条).

Pure: a list of events and a working-day calendar in, the state of the request out — its due date,
what moved it, and every day counted or skipped. The office service records events; this module
says what they mean, and refuses the sequences the law does not allow.

- The reply is due 20 working days after receipt (day 0 = the day of receipt).
- A correction (补正) must be asked for within 7 working days of receipt, once; the clock then
  waits for the applicant and starts again from the day the correction is received.
- A consultation (third party or other agency) pauses the clock from the day after it is sent to
  the day it is answered; unanswered, to the end of the 15-working-day reply period.
- A fee notice pauses the clock until payment (configurable: UNCONFIRMED practice, see rules.md);
  payment is due 20 working days after the notice.
- One extension of at most 20 working days, approved before the due date.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from xxgk.errors import XxgkError
from xxgk.workdays import Calendar, Count


class EventKind(StrEnum):
    received = "received"
    correction_requested = "correction_requested"
    correction_received = "correction_received"
    consultation_sent = "consultation_sent"
    consultation_answered = "consultation_answered"
    extension_approved = "extension_approved"
    fee_notice_sent = "fee_notice_sent"
    fee_paid = "fee_paid"
    decided = "decided"
    delivered = "delivered"
    withdrawn = "withdrawn"
    archived = "archived"


EVENT_LABELS: dict[EventKind, str] = {
    EventKind.received: "登记收到申请",
    EventKind.correction_requested: "告知补正",
    EventKind.correction_received: "收到补正",
    EventKind.consultation_sent: "发出征求意见",
    EventKind.consultation_answered: "收到征求意见答复",
    EventKind.extension_approved: "批准延长答复期限",
    EventKind.fee_notice_sent: "发出收费通知",
    EventKind.fee_paid: "缴纳信息处理费",
    EventKind.decided: "作出答复决定",
    EventKind.delivered: "送达答复",
    EventKind.withdrawn: "申请人撤回申请",
    EventKind.archived: "归档",
}


class Status(StrEnum):
    open = "open"  # on the clock
    waiting_correction = "waiting_correction"  # waiting on the applicant's correction
    waiting_fee = "waiting_fee"  # waiting on the applicant's payment
    consulting = "consulting"  # a consultation is outstanding
    closed = "closed"  # decided or withdrawn
    archived = "archived"


STATUS_LABELS = {
    Status.open: "办理中",
    Status.waiting_correction: "等待补正",
    Status.waiting_fee: "等待缴费",
    Status.consulting: "征求意见中",
    Status.closed: "已办结",
    Status.archived: "已归档",
}


@dataclass(frozen=True)
class Rules:
    """The clock's parameters; the defaults are the 条例's."""

    reply_days: int = 20
    correction_days: int = 7
    consultation_days: int = 15
    extension_max: int = 20
    payment_days: int = 20
    fee_notice_pauses: bool = True  # UNCONFIRMED practice: see rules.md


@dataclass(frozen=True)
class Event:
    kind: EventKind
    on: dt.date
    data: dict[str, Any] = field(default_factory=dict)


def refuse(code: str, zh: str, en: str) -> XxgkError:
    return XxgkError(code, zh, en)


@dataclass(frozen=True)
class Clock:
    """What a request's events mean on the statutory clock."""

    received: dt.date
    start: dt.date  # day 0 of the reply period (receipt, or receipt of the correction)
    status: Status
    due: dt.date | None  # None while waiting on the applicant
    working_days: int  # reply period, with the extension
    correction_due: dt.date | None  # last day to ask for a correction (None: calendar year unknown)
    payment_due: dt.date | None
    consultation_due: dt.date | None
    paused: tuple[tuple[dt.date, dt.date, str], ...]
    steps: tuple[str, ...]
    count: Count | None
    closed_on: dt.date | None = None
    outcome: str | None = None
    on_time: bool | None = None
    extended: bool = False
    calendar_error: XxgkError | None = None  # the due date runs into a year the calendar does not know
    correction_reply_by: dt.date | None = None  # the applicant's deadline for the correction, if set

    def lapsed(self, today: dt.date) -> str | None:
        """Why the request may be closed because the applicant let a deadline pass, if it may."""
        if self.status == Status.waiting_fee and self.payment_due and today > self.payment_due:
            return "other.overdue_fee"
        if self.status == Status.waiting_correction and self.correction_reply_by and today > self.correction_reply_by:
            return "other.overdue_correction"
        return None

    def overdue(self, today: dt.date) -> bool:
        return self.status in (Status.open, Status.consulting) and self.due is not None and today > self.due

    def explain(self) -> str:
        lines = list(self.steps)
        if self.count is not None:
            lines.append(f"逐日计算（自 {self.start} 次日起，共 {self.working_days} 个工作日）：")
            lines += [f"  {d.describe()}" for d in self.count.days]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "received": self.received.isoformat(),
            "start": self.start.isoformat(),
            "status": self.status.value,
            "status_label": STATUS_LABELS[self.status],
            "due": self.due.isoformat() if self.due else None,
            "working_days": self.working_days,
            "correction_due": self.correction_due.isoformat() if self.correction_due else None,
            "payment_due": self.payment_due.isoformat() if self.payment_due else None,
            "consultation_due": self.consultation_due.isoformat() if self.consultation_due else None,
            "paused": [{"from": a.isoformat(), "to": b.isoformat(), "why": w} for a, b, w in self.paused],
            "closed_on": self.closed_on.isoformat() if self.closed_on else None,
            "outcome": self.outcome,
            "on_time": self.on_time,
            "steps": list(self.steps),
            "days": [
                {"date": d.kind.date.isoformat(), "counted": d.ordinal is not None, "ordinal": d.ordinal,
                 "reason": d.kind.reason, "paused": d.paused_by is not None}
                for d in (self.count.days if self.count else ())
            ],
        }


def _d(day: dt.date) -> str:
    return day.isoformat()


def replay(events: list[Event], calendar: Calendar, rules: Rules | None = None) -> Clock:
    """Replay a request's events in order; refuse what the law does not allow."""
    rules = rules or Rules()
    if not events or events[0].kind != EventKind.received:
        raise refuse("sequence", "申请的第一个事件必须是登记收到", "the first event of a request must be its receipt")
    received = events[0].on
    start = received
    steps = [f"收到申请：{_d(received)}（第0日，次日起算，民法典第二百零一条）",
             f"答复期限：收到之日起{rules.reply_days}个工作日（条例第三十三条）"]
    calendar_error: XxgkError | None = None
    try:
        correction_due: dt.date | None = calendar.add(received, rules.correction_days).due
    except XxgkError as e:  # the calendar does not know the year: said, never guessed
        if e.code != "calendar-unknown-year":
            raise
        correction_due, calendar_error = None, e
    extension = 0
    extended = False
    correction: dt.date | None = None  # asked, not yet received
    correction_reply_by: dt.date | None = None
    corrected = False
    consults: list[list[Any]] = []  # [sent, answered|None, party, index in pauses]
    fee: list[Any] | None = None  # [sent, paid|None]
    pauses: list[tuple[dt.date, dt.date, str]] = []
    closed_on: dt.date | None = None
    outcome: str | None = None
    archived = False
    last = received

    def current_due() -> dt.date:
        return calendar.add(start, rules.reply_days + extension, [(a, b) for a, b, _ in pauses]).due

    for ev in events[1:]:
        k, on = ev.kind, ev.on
        label = EVENT_LABELS[k]
        if on < received:
            raise refuse("sequence", f"{label}日期 {_d(on)} 早于收到申请日期 {_d(received)}",
                         f"{k.value} on {_d(on)} is before the request was received ({_d(received)})")
        if on < last:
            raise refuse("sequence", f"{label}日期 {_d(on)} 早于上一个事件（{_d(last)}）",
                         f"{k.value} on {_d(on)} is before the previous event ({_d(last)})")
        if archived:
            raise refuse("sequence", "申请已归档，不能再记录事件", "the request is archived: no further events")
        if closed_on is not None and k not in (EventKind.delivered, EventKind.archived):
            raise refuse("sequence", f"申请已于 {_d(closed_on)} 办结，不能再记录“{label}”",
                         f"the request was closed on {_d(closed_on)}: cannot record {k.value}")
        if k == EventKind.received:
            raise refuse("sequence", "申请已登记收到", "the request is already received")
        elif k == EventKind.correction_requested:
            if corrected or correction is not None:
                raise refuse("sequence", "补正只能告知一次（条例第三十条：一次性告知）",
                             "a correction may be requested only once (条例 art. 30)")
            if correction_due is None:
                raise calendar_error  # type: ignore[misc]
            if on > correction_due:
                raise refuse("late-correction", f"告知补正应在收到申请之日起{rules.correction_days}个工作日内"
                             f"（{_d(correction_due)}前），{_d(on)} 已超期",
                             f"a correction must be requested within {rules.correction_days} working days "
                             f"of receipt (by {_d(correction_due)}); {_d(on)} is late")
            correction = on
            reply_by = ev.data.get("reply_by")
            if reply_by is not None:
                try:
                    reply_by = dt.date.fromisoformat(str(reply_by))
                except ValueError:
                    raise refuse("bad-date", f"补正期限“{reply_by}”不是有效日期（YYYY-MM-DD）",
                                 f"correction deadline {reply_by!r} is not a date (YYYY-MM-DD)") from None
                if reply_by <= on:
                    raise refuse("bad-date", f"补正期限 {reply_by} 应晚于告知补正日期 {_d(on)}",
                                 f"the correction deadline {reply_by} must be after the request for it ({_d(on)})")
            correction_reply_by = reply_by
            steps.append(f"告知补正：{_d(on)}（期限 {_d(correction_due)} 内）；答复期限暂停，等待申请人补正"
                         + (f"，补正期限 {reply_by}" if reply_by else ""))
        elif k == EventKind.correction_received:
            if correction is None:
                raise refuse("sequence", "没有告知补正，不能记录收到补正",
                             "no correction was requested: cannot record its receipt")
            correction, corrected = None, True
            start = on
            steps.append(f"收到补正：{_d(on)}，答复期限自该日重新计算（条例第三十条）")
        elif k == EventKind.consultation_sent:
            if correction is not None:
                raise refuse("sequence", "等待补正期间不能征求意见", "cannot consult while waiting for a correction")
            due = current_due()
            if on > due:
                raise refuse("sequence", f"答复期限 {_d(due)} 已过，不能再征求意见",
                             f"the reply was due {_d(due)}: too late to consult")
            party = str(ev.data.get("party", ""))
            consults.append([on, None, party, len(pauses)])
            pauses.append((on + dt.timedelta(days=1),
                           calendar.add(on, rules.consultation_days).due, f"征求{party or '第三方'}意见"))
            steps.append(f"征求意见：{_d(on)} 向{party or '第三方'}发出，期间不计入答复期限（条例第三十二、三十四条）")
        elif k == EventKind.consultation_answered:
            open_ = [c for c in consults if c[1] is None]
            party = str(ev.data.get("party", ""))
            match = next((c for c in open_ if party and c[2] == party), open_[0] if open_ else None)
            if match is None:
                raise refuse("sequence", "没有未答复的征求意见", "no consultation is outstanding")
            match[1] = on
            i = match[3]
            # the pause ends with the answer, or with the party's 15 working days (第三十二条)
            end = min(on, pauses[i][1])
            pauses[i] = (pauses[i][0], end, pauses[i][2])
            steps.append(f"收到征求意见答复：{_d(on)}（暂停 {_d(pauses[i][0])} 至 {_d(end)}，"
                         f"其中工作日 {calendar.working_days_between(match[0], end)} 天不计"
                         + ("；答复晚于15个工作日的答复期，超出部分不暂停" if on > end else "") + "）")
        elif k == EventKind.extension_approved:
            if extended:
                raise refuse("sequence", "答复期限只能延长一次（条例第三十三条）",
                             "the reply period may be extended only once (条例 art. 33)")
            if correction is not None:
                raise refuse("sequence", "等待补正期间不能延长", "cannot extend while waiting for a correction")
            due = current_due()
            if on > due:
                raise refuse("late-extension", f"答复期限 {_d(due)} 已过，不能再延长（{_d(on)}）",
                             f"the reply was due {_d(due)}: an extension on {_d(on)} is too late")
            days = int(ev.data.get("days", rules.extension_max))
            if not 0 < days <= rules.extension_max:
                raise refuse("bad-extension", f"延长期限最长{rules.extension_max}个工作日，不能为 {days}",
                             f"an extension is at most {rules.extension_max} working days, not {days}")
            approver = str(ev.data.get("approver", "")).strip()
            if not approver:
                raise refuse("bad-extension", "延长答复期限须写明批准人（政府信息公开工作机构负责人）",
                             "an extension needs its approver (head of the disclosure office)")
            extension, extended = days, True
            steps.append(f"延长答复期限：{_d(on)} 经{approver}批准延长{days}个工作日（条例第三十三条）")
        elif k == EventKind.fee_notice_sent:
            if fee is not None:
                raise refuse("sequence", "已发出收费通知", "a fee notice was already sent")
            due = current_due()
            if on > due:
                raise refuse("sequence", f"收费通知应在答复期限内发出（{_d(due)}前）",
                             f"a fee notice must go out within the reply period (by {_d(due)})")
            fee = [on, None]
            amount = ev.data.get("amount")
            steps.append(f"发出收费通知：{_d(on)}" + (f"，金额 {amount} 元" if amount is not None else "")
                         + f"；缴费期限 {_d(calendar.add(on, rules.payment_days).due)}"
                         + ("；缴费前答复期限暂停（通行做法，未经确认）" if rules.fee_notice_pauses else ""))
        elif k == EventKind.fee_paid:
            if fee is None or fee[1] is not None:
                raise refuse("sequence", "没有待缴的收费通知", "no fee notice is awaiting payment")
            pay_due = calendar.add(fee[0], rules.payment_days).due
            if on > pay_due:
                raise refuse("late-payment", f"缴费期限 {_d(pay_due)} 已过（{_d(on)}），应按逾期未缴费不再处理",
                             f"payment was due by {_d(pay_due)} ({_d(on)} is late): the request lapses")
            fee[1] = on
            if rules.fee_notice_pauses:
                pauses.append((fee[0] + dt.timedelta(days=1), on, "等待缴费"))
            steps.append(f"缴纳信息处理费：{_d(on)}")
        elif k in (EventKind.decided, EventKind.withdrawn):
            outcome = str(ev.data.get("outcome") or "")
            if correction is not None and correction_reply_by is not None and outcome in (
                    "other.overdue_correction", "other") and k == EventKind.decided and on <= correction_reply_by:
                raise refuse("sequence", f"补正期限 {correction_reply_by} 未满，不能按逾期不补正处理",
                             f"the correction period runs to {correction_reply_by}: too early to close the request")
            if fee is not None and fee[1] is None and rules.fee_notice_pauses:
                pauses.append((fee[0] + dt.timedelta(days=1), on, "等待缴费"))  # unpaid to the end
            closed_on = on
            steps.append(f"{EVENT_LABELS[k]}：{_d(on)}" + (f"（{ev.data.get('outcome_label', outcome)}）"
                                                           if outcome else ""))
        elif k == EventKind.delivered:
            if closed_on is None:
                raise refuse("sequence", "尚未作出决定，不能送达", "nothing to deliver before a decision")
            steps.append(f"送达：{_d(on)}")
        elif k == EventKind.archived:
            if closed_on is None:
                raise refuse("sequence", "尚未办结，不能归档", "cannot archive an open request")
            archived = True
            steps.append(f"归档：{_d(on)}")
        last = on

    # What is outstanding at the end of the events?
    status = Status.open
    payment_due = consultation_due = None
    open_consults = [c for c in consults if c[1] is None]
    if open_consults:
        consultation_due = calendar.add(open_consults[-1][0], rules.consultation_days).due
    if fee is not None:
        payment_due = calendar.add(fee[0], rules.payment_days).due
    due: dt.date | None
    count: Count | None = None
    if correction is not None:
        status, due = Status.waiting_correction, None
    elif fee is not None and fee[1] is None and rules.fee_notice_pauses and closed_on is None:
        status, due = Status.waiting_fee, None
    else:
        try:
            count = calendar.add(start, rules.reply_days + extension, [(a, b) for a, b, _ in pauses])
            due = count.due
        except XxgkError as e:
            if e.code != "calendar-unknown-year":
                raise
            due, calendar_error = None, e
            steps.append(f"无法计算答复截止日期：{e.message}")
        if open_consults and closed_on is None:
            status = Status.consulting
            steps.append(f"征求意见尚未答复：暂按答复期满日 {_d(consultation_due)} 计算暂停"  # type: ignore[arg-type]
                         "（第三方或其他机关15个工作日内答复）")
    if closed_on is not None:
        status = Status.archived if archived else Status.closed
    on_time = None if closed_on is None or due is None else closed_on <= due
    if due is not None:
        steps.append(f"答复截止日期：{_d(due)}" + ("" if on_time is None else ("（按期办结）" if on_time else "（逾期办结）")))
    return Clock(
        received=received, start=start, status=status, due=due,
        working_days=rules.reply_days + extension, correction_due=correction_due,
        payment_due=payment_due, consultation_due=consultation_due, paused=tuple(pauses),
        steps=tuple(steps), count=count, closed_on=closed_on, outcome=outcome, on_time=on_time,
        extended=extended, calendar_error=calendar_error,
        correction_reply_by=correction_reply_by if correction is not None else None,
    )


def deadline(received: dt.date, calendar: Calendar, *, correction_received: dt.date | None = None,
             consultations: list[tuple[dt.date, dt.date | None]] | None = None,
             extension: int = 0, approver: str = "负责人", rules: Rules | None = None) -> Clock:
    """The calculator behind ``xxgk deadline``: a due date from a few facts, without a database."""
    events = [Event(EventKind.received, received)]
    if correction_received is not None:
        if correction_received < received:
            raise refuse("sequence", "收到补正日期早于收到申请日期", "the correction arrived before the request")
        events += [Event(EventKind.correction_requested, received),
                   Event(EventKind.correction_received, correction_received)]
    later: list[Event] = []
    for i, (sent, answered) in enumerate(consultations or [], 1):
        later.append(Event(EventKind.consultation_sent, sent, {"party": f"第三方{i}"}))
        if answered is not None:
            if answered < sent:
                raise refuse("sequence", "征求意见答复日期早于发出日期", "a consultation was answered before it was sent")
            later.append(Event(EventKind.consultation_answered, answered, {"party": f"第三方{i}"}))
    later.sort(key=lambda e: e.on)
    events += later
    if extension:
        events.append(Event(EventKind.extension_approved, events[-1].on, {"days": extension, "approver": approver}))
    clock = replay(events, calendar, rules)
    if clock.calendar_error is not None:
        raise clock.calendar_error
    return clock
