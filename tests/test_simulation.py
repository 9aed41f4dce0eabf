"""A simulated year of a few thousand requests in several agencies, written through the office API.

The tally of 2024 must (1) pass every arithmetic check of the report checker and (2) equal a count
made here, independently, from what the simulation did — not from the database.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter

from xxgk.api import check
from xxgk.office.service import Office
from xxgk.office.vocab import applicant_kinds, outcomes
from xxgk.template import load_template
from xxgk.workdays import Calendar

TODAY = dt.date(2025, 3, 31)
AGENCIES = {"fgw": "某市发展和改革委员会", "zjj": "某市住房和城乡建设局", "gaj": "某市公安局"}
PER_AGENCY = 700
CAL = Calendar()


def _days(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


WORKDAYS = [d for d in _days(dt.date(2023, 7, 1), dt.date(2024, 12, 31)) if CAL.is_workday(d)]


def simulate(office: Office, rng: random.Random) -> list[tuple[str, str, dt.date, dt.date | None, str | None]]:
    """Run the year; return what happened: (agency, kind, received, closed, outcome)."""
    kinds = list(applicant_kinds())
    weights = [70, 12, 3, 3, 6, 6]
    plain = [k for k in outcomes(load_template("2021")) if not k.startswith("other.overdue")]
    log = []
    for code, name in AGENCIES.items():
        office.add_agency(code, name)
        batch = []
        for i in range(PER_AGENCY):
            kind = rng.choices(kinds, weights)[0]
            received = rng.choice(WORKDAYS)
            item = {"applicant": {"kind": kind, "name": f"申请人{i % 97}"}, "channel": rng.choice(
                ["in_person", "registered_post", "online", "email"]), "received_on": received,
                "description": f"第{i}号申请的内容"}
            roll = rng.random()
            if roll < 0.70:  # decided within the clock, imported in batches with its decision
                decided = CAL.add(received, rng.randint(0, 20)).due
                if decided > TODAY:
                    log.append((code, kind, received, None, None))
                    batch.append(item)
                    continue
                outcome = rng.choice(plain)
                batch.append(dict(item, decided_on=decided, outcome=outcome))
                log.append((code, kind, received, decided, outcome))
            elif roll < 0.78:  # still open
                batch.append(item)
                log.append((code, kind, received, None, None))
            else:  # the long way, event by event
                t = office.add_request(code, item, today=TODAY).tracking_no
                log.append(_events(office, code, t, kind, received, rng))
        office.add_requests(code, batch, today=TODAY)
    return log


def _events(o: Office, code: str, t: str, kind: str, received: dt.date, rng: random.Random):  # type: ignore[no-untyped-def]
    wd = lambda d, n: CAL.add(d, n).due  # noqa: E731
    path = rng.choice(["correction", "abandon", "consult", "fee", "lapse", "withdraw", "extend"])
    if path in ("correction", "abandon"):
        o.record(code, t, "correction_requested", wd(received, 3), today=TODAY)
        if path == "abandon":
            closed = wd(received, 20)
            o.decide(code, t, closed, "other.overdue_correction", today=TODAY)
            return code, kind, received, closed, "other.overdue_correction"
        got = wd(received, 6)
        o.record(code, t, "correction_received", got, today=TODAY)
        closed = wd(got, 10)
        o.decide(code, t, closed, "unable.unclear", today=TODAY)
        return code, kind, received, closed, "unable.unclear"
    if path == "consult":
        sent = wd(received, 2)
        o.record(code, t, "consultation_sent", sent, party="第三方", today=TODAY)
        o.record(code, t, "consultation_answered", wd(sent, 10), party="第三方", today=TODAY)
        closed = wd(received, 25)  # within 20 + the 10 paused
        v = o.decide(code, t, closed, "denied.third_party", today=TODAY)
        assert v.on_time
        return code, kind, received, closed, "denied.third_party"
    if path in ("fee", "lapse"):
        sent = wd(received, 5)
        o.record(code, t, "fee_notice_sent", sent, method="per_page", pages=rng.randint(31, 300), today=TODAY)
        if path == "lapse":
            closed = wd(sent, 21)
            o.decide(code, t, closed, "other.overdue_fee", today=TODAY)
            return code, kind, received, closed, "other.overdue_fee"
        paid = wd(sent, 4)
        o.record(code, t, "fee_paid", paid, today=TODAY)
        closed = wd(paid, 5)
        o.decide(code, t, closed, "granted", today=TODAY)
        return code, kind, received, closed, "granted"
    if path == "withdraw":
        closed = wd(received, 3)
        o.record(code, t, "withdrawn", closed, today=TODAY)
        return code, kind, received, closed, "other.other"
    o.record(code, t, "extension_approved", wd(received, 19), days=20, approver="主任", today=TODAY)
    closed = wd(received, 35)
    v = o.decide(code, t, closed, "partial", today=TODAY)
    assert v.on_time and v.due_on == wd(received, 40)
    return code, kind, received, closed, "partial"


def expected_table(log, code: str, year: int) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Table 三 counted independently: rows keyed as the template, by applicant kind."""
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    n: Counter[str] = Counter()
    for agency, kind, received, closed, outcome in log:
        if agency != code:
            continue
        if first <= received <= last:
            n[f"requests.new.{kind}"] += 1
            n["requests.new.total"] += 1
        if received < first and (closed is None or closed >= first):
            n[f"requests.carried_in.{kind}"] += 1
            n["requests.carried_in.total"] += 1
        if closed is not None and first <= closed <= last:
            for key in (f"requests.{outcome}.{kind}", f"requests.{outcome}.total", f"requests.total.{kind}",
                        "requests.total.total"):
                n[key] += 1
        if received <= last and (closed is None or closed > last):
            n[f"requests.carried_out.{kind}"] += 1
            n["requests.carried_out.total"] += 1
    return dict(n)


def test_simulated_year(office: Office):
    rng = random.Random(20241231)
    log = simulate(office, rng)
    assert len(log) == len(AGENCIES) * PER_AGENCY
    for code in AGENCIES:
        report = office.tally(code, 2024)
        arithmetic = [f for f in check(report) if f.rule.startswith("requests-") or f.rule.startswith("appeals-")]
        assert arithmetic == [], arithmetic[:3]
        got = {k: v for k, v in report.cells.items() if k.startswith("requests.") and v}
        assert got == expected_table(log, code, 2024)
        assert got["requests.new.total"] > 300 and got["requests.carried_in.total"] > 30
    assert sum(1 for e in log if e[4] == "other.overdue_fee") > 5
