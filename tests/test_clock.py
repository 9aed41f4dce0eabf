"""The statutory clock, against dates worked out by hand on the published holiday notices.

2024 国庆节: 10月1日至7日放假; 9月29日（周日）、10月12日（周六）上班.
2025 春节: 1月28日至2月4日放假; 1月26日（周日）、2月8日（周六）上班.
"""

from __future__ import annotations

import datetime as dt

import pytest

from xxgk.errors import XxgkError
from xxgk.office.clock import Event, EventKind, Rules, Status, deadline, replay
from xxgk.workdays import Calendar, Overrides

D = dt.date
CAL = Calendar()


def test_friday_before_national_day():
    # Day 0 Fri 27 Sep; 1 = Sun 29 Sep (make-up day), 2 = 30 Sep, 1–7 Oct off, 3..6 = 8–11 Oct,
    # 7 = Sat 12 Oct (make-up day), 8..12 = 14–18, 13..17 = 21–25, 18..20 = 28–30 Oct.
    clock = deadline(D(2024, 9, 27), CAL)
    assert clock.due == D(2024, 10, 30)
    counted = [d.kind.date for d in clock.count.days if d.ordinal is not None]
    assert counted[:3] == [D(2024, 9, 29), D(2024, 9, 30), D(2024, 10, 8)]
    assert D(2024, 10, 12) in counted and D(2024, 10, 13) not in counted
    text = clock.explain()
    assert "调休上班" in text and "国庆节假期" in text and "第20个工作日" in text


def test_spring_festival():
    # Day 0 Fri 24 Jan 2025; 1 = Sun 26 Jan, 2 = 27 Jan, 28 Jan–4 Feb off, 3..5 = 5–7 Feb,
    # 6 = Sat 8 Feb, 7..11 = 10–14, 12..16 = 17–21, 17..20 = 24–27 Feb.
    assert deadline(D(2025, 1, 24), CAL).due == D(2025, 2, 27)


def test_correction_restarts_the_clock():
    # Correction due 7 working days after 27 Sep 2024: 29 Sep, 30 Sep, 8, 9, 10, 11, 12 Oct.
    clock = deadline(D(2024, 9, 27), CAL, correction_received=D(2024, 10, 21))
    assert clock.correction_due == D(2024, 10, 12)
    # 20 working days from Mon 21 Oct: 22–25 (4), 28 Oct–1 Nov (9), 4–8 (14), 11–15 (19), 18 Nov (20).
    assert clock.due == D(2024, 11, 18)
    assert clock.start == D(2024, 10, 21)


def test_waiting_for_correction_has_no_reply_due_date():
    clock = replay([Event(EventKind.received, D(2024, 9, 27)),
                    Event(EventKind.correction_requested, D(2024, 10, 8))], CAL)
    assert clock.status == Status.waiting_correction and clock.due is None


def test_correction_after_seven_working_days_is_refused():
    with pytest.raises(XxgkError) as e:
        replay([Event(EventKind.received, D(2024, 9, 27)),
                Event(EventKind.correction_requested, D(2024, 10, 14))], CAL)
    assert e.value.code == "late-correction" and "2024-10-12" in e.value.message


def test_consultation_pauses_the_clock():
    # Sent Tue 8 Oct, answered Tue 15 Oct: 9, 10, 11, 12 (Sat, make-up), 14, 15 Oct are not counted
    # (6 working days), so 30 Oct moves 6 working days to 7 Nov.
    clock = deadline(D(2024, 9, 27), CAL, consultations=[(D(2024, 10, 8), D(2024, 10, 15))])
    assert clock.due == D(2024, 11, 7)
    assert "征求意见" in clock.explain() and "暂停计算" in clock.explain()


def test_unanswered_consultation_pauses_for_its_reply_period():
    clock = deadline(D(2024, 9, 27), CAL, consultations=[(D(2024, 10, 8), None)])
    assert clock.status == Status.consulting
    # 15 working days after 8 Oct: 9–12 (4), 14–18 (9), 21–25 (14), 28 Oct (15).
    assert clock.consultation_due == D(2024, 10, 28)
    # counted: 29 Sep, 30 Sep, 8 Oct (3); paused to 28 Oct; 29 Oct..: 29,30,31,1 Nov (7), 4–8 (12), 11–15 (17), 18,19,20 (20)
    assert clock.due == D(2024, 11, 20)


def test_extension_adds_at_most_twenty():
    # 20 more after 30 Oct: 31 Oct, 1 Nov (2), 4–8 (7), 11–15 (12), 18–22 (17), 25, 26, 27 Nov (20).
    assert deadline(D(2024, 9, 27), CAL, extension=20).due == D(2024, 11, 27)
    assert deadline(D(2024, 9, 27), CAL, extension=5).due == D(2024, 11, 6)
    with pytest.raises(XxgkError, match="20"):
        deadline(D(2024, 9, 27), CAL, extension=21)


def _events(*rest: Event) -> list[Event]:
    return [Event(EventKind.received, D(2024, 9, 27)), *rest]


@pytest.mark.parametrize("events,code", [
    (_events(Event(EventKind.extension_approved, D(2024, 10, 31), {"days": 10, "approver": "王"})), "late-extension"),
    (_events(Event(EventKind.extension_approved, D(2024, 10, 8), {"days": 10, "approver": "王"}),
             Event(EventKind.extension_approved, D(2024, 10, 9), {"days": 10, "approver": "王"})), "sequence"),
    (_events(Event(EventKind.extension_approved, D(2024, 10, 8), {"days": 10})), "bad-extension"),
    (_events(Event(EventKind.decided, D(2024, 9, 20), {"outcome": "granted"})), "sequence"),
    (_events(Event(EventKind.decided, D(2024, 10, 9), {"outcome": "granted"}),
             Event(EventKind.decided, D(2024, 10, 10), {"outcome": "granted"})), "sequence"),
    (_events(Event(EventKind.correction_received, D(2024, 10, 9))), "sequence"),
    (_events(Event(EventKind.fee_paid, D(2024, 10, 9))), "sequence"),
    (_events(Event(EventKind.archived, D(2024, 10, 9))), "sequence"),
    ([Event(EventKind.decided, D(2024, 10, 9))], "sequence"),
])
def test_impossible_sequences_are_refused(events, code):
    with pytest.raises(XxgkError) as e:
        replay(events, CAL)
    assert e.value.code == code
    assert e.value.message and e.value.message_en


def test_fee_notice_pauses_until_paid_and_lapses_after_twenty_days():
    notice = Event(EventKind.fee_notice_sent, D(2024, 10, 8), {"amount": 100})
    waiting = replay(_events(notice), CAL)
    assert waiting.status == Status.waiting_fee and waiting.due is None
    # payment due 20 working days after 8 Oct: 9–12 (4), 14–18 (9), 21–25 (14), 28 Oct–1 Nov (19), 4 Nov (20)
    assert waiting.payment_due == D(2024, 11, 4)
    paid = replay(_events(notice, Event(EventKind.fee_paid, D(2024, 10, 10))), CAL)
    # 9 and 10 Oct paused: 30 Oct + 2 working days = 1 Nov
    assert paid.due == D(2024, 11, 1)
    no_pause = replay(_events(notice, Event(EventKind.fee_paid, D(2024, 10, 10))), CAL,
                      Rules(fee_notice_pauses=False))
    assert no_pause.due == D(2024, 10, 30)
    with pytest.raises(XxgkError) as e:
        replay(_events(notice, Event(EventKind.fee_paid, D(2024, 11, 5))), CAL)
    assert e.value.code == "late-payment"


def test_decision_on_time_and_late():
    on_time = replay(_events(Event(EventKind.decided, D(2024, 10, 30), {"outcome": "granted"})), CAL)
    assert on_time.status == Status.closed and on_time.on_time is True
    late = replay(_events(Event(EventKind.decided, D(2024, 10, 31), {"outcome": "granted"})), CAL)
    assert late.on_time is False
    assert late.overdue(D(2024, 10, 31)) is False  # closed requests are not overdue
    assert replay(_events(), CAL).overdue(D(2024, 10, 31)) is True


def test_unknown_year_is_an_error_naming_it():
    # 11 Dec 2026 .. 31 Dec 2026 holds 15 working days; the 16th falls in 2027.
    with pytest.raises(XxgkError) as e:
        deadline(D(2026, 12, 10), CAL)
    assert e.value.code == "calendar-unknown-year" and "2027" in e.value.message and "2027" in e.value.message_en


def test_local_override_declares_a_year_and_a_closure():
    cal = Calendar(Overrides.from_dict({
        "years": {"2027": {"source": "国办发明电（示例）", "holidays": ["2027-01-01"]}},
        "days": [{"date": "2026-12-14", "workday": False, "note": "本地停止办公"}],
    }))
    # Without the closure: 15 working days in Dec 2026 after the 10th; with it 14; 1 Jan 2027 is off;
    # then 4, 5, 6, 7, 8, 11 Jan 2027 make 20.
    clock = deadline(D(2026, 12, 10), cal)
    assert clock.due == D(2027, 1, 11)
    assert "本地调整：本地停止办公" in clock.explain()


def test_override_file_errors_are_clear(tmp_path):
    bad = tmp_path / "cal.toml"
    bad.write_text('[years.2027]\nholidays = ["2027-13-01"]\n', encoding="utf-8")
    with pytest.raises(XxgkError, match="2027-13-01"):
        Overrides.load(bad)
    with pytest.raises(XxgkError, match="not found"):
        Overrides.load(tmp_path / "missing.toml")


def test_unpaid_fee_lapse_is_on_time():
    # notice 8 Oct, payment due 4 Nov; closing for the unpaid fee on 5 Nov: the clock stood still
    # from the notice to the decision, so the reply is not late
    clock = replay(_events(Event(EventKind.fee_notice_sent, D(2024, 10, 8)),
                           Event(EventKind.decided, D(2024, 11, 5), {"outcome": "other.overdue_fee"})), CAL)
    assert clock.on_time is True and clock.due > D(2024, 11, 5)


def test_late_consultation_answer_pauses_only_fifteen_working_days():
    # sent 8 Oct, answered 15 Nov: the pause ends on 28 Oct (15 working days), as if unanswered
    clock = deadline(D(2024, 9, 27), CAL, consultations=[(D(2024, 10, 8), D(2024, 11, 15))])
    assert clock.due == D(2024, 11, 20)
    assert "超出部分不暂停" in clock.explain()


def test_correction_period_and_its_lapse():
    asked = Event(EventKind.correction_requested, D(2024, 10, 8), {"reply_by": "2024-10-22"})
    with pytest.raises(XxgkError) as e:
        replay(_events(asked, Event(EventKind.decided, D(2024, 10, 21), {"outcome": "other.overdue_correction"})), CAL)
    assert "2024-10-22" in e.value.message
    assert replay(_events(asked, Event(EventKind.decided, D(2024, 10, 23), {"outcome": "other.overdue_correction"})),
                  CAL).status == Status.closed
    for bad in ("garbage", "2024-10-01"):
        with pytest.raises(XxgkError) as e:
            replay(_events(Event(EventKind.correction_requested, D(2024, 10, 8), {"reply_by": bad})), CAL)
        assert e.value.code == "bad-date"
