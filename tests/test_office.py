"""The disclosure office through its Python API, on SQLite and on PostgreSQL (see conftest.office)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text

from xxgk.api import check
from xxgk.errors import XxgkError
from xxgk.office.db import AuditEntry, Request, RequestEvent
from xxgk.office.service import Office
from xxgk.office.tally import compare
from xxgk.workdays import Overrides

D = dt.date
TODAY = D(2025, 6, 30)


def req(name: str = "李四", kind: str = "自然人", received: str = "2024-09-27", **kw):  # type: ignore[no-untyped-def]
    return {"applicant": {"kind": kind, "name": name}, "channel": kw.pop("channel", "online"),
            "received_on": received, "description": kw.pop("description", "某项目环境影响评价文件"), **kw}


@pytest.fixture
def o(office: Office) -> Office:
    office.add_agency("fgw", "某市发展和改革委员会")
    office.add_agency("zjj", "某市住房和城乡建设局")
    return office


def count(o: Office, model) -> int:  # type: ignore[no-untyped-def]
    with o.session() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_tracking_numbers_per_agency_and_year(o: Office):
    a = o.add_request("fgw", req(), today=TODAY)
    b = o.add_request("fgw", req(received="2024-10-08"), today=TODAY)
    c = o.add_request("zjj", req(), today=TODAY)
    d = o.add_request("fgw", req(received="2025-01-06"), today=TODAY)
    assert (a.tracking_no, b.tracking_no, c.tracking_no, d.tracking_no) == ("2024-0001", "2024-0002", "2024-0001", "2025-0001")
    assert a.due_on == D(2024, 10, 30) and a.status == "open"
    # nothing crosses agencies
    assert [r.tracking_no for r in o.requests("zjj")] == ["2024-0001"]
    assert o.tally("zjj", 2024).cells["requests.new.total"] == 1


@pytest.mark.parametrize("bad,code", [
    (req(kind="火星人"), "unknown-applicant-kind"),
    (req(channel="carrier pigeon"), "unknown-channel"),
    (req(received="2024-02-30"), "bad-input"),
    (req(received="2025-07-01"), "bad-date"),
    (req(submitted_on="2024-09-28"), "bad-date"),
    (req(channel="in_person", submitted_on="2024-09-26"), "bad-date"),
    (req(description=""), "bad-input"),
    (req(decided_on="2024-10-08"), "bad-input"),
    (req(decided_on="2024-09-20", outcome="granted"), "sequence"),
    (req(decided_on="2024-10-08", outcome="other"), "outcome-template"),
])
def test_bad_requests_are_refused_and_nothing_is_written(o: Office, bad, code):
    with pytest.raises(XxgkError) as e:
        o.add_requests("fgw", [req(name="好的申请"), bad], today=TODAY)
    assert e.value.code == code and e.value.message and e.value.message_en
    assert count(o, Request) == 0 and count(o, RequestEvent) == 0


def test_duplicate_tracking_number(o: Office):
    o.add_request("fgw", req(tracking_no="依申请〔2024〕1号"), today=TODAY)
    with pytest.raises(XxgkError) as e:
        o.add_request("fgw", req(tracking_no="依申请〔2024〕1号"), today=TODAY)
    assert e.value.code == "duplicate-tracking"
    o.add_request("zjj", req(tracking_no="依申请〔2024〕1号"), today=TODAY)  # another agency may
    assert count(o, Request) == 2


def test_clock_through_the_service(o: Office):
    t = o.add_request("fgw", req(), today=TODAY).tracking_no
    o.record("fgw", t, "consultation_sent", D(2024, 10, 8), party="某公司", today=TODAY)
    v = o.record("fgw", t, "consultation_answered", D(2024, 10, 15), party="某公司", today=TODAY)
    assert v.due_on == D(2024, 11, 7)
    v = o.record("fgw", t, "extension_approved", D(2024, 11, 1), days=20, approver="办公室主任王五", today=TODAY)
    # 20 more working days after 7 Nov: 8 (1), 11–15 (6), 18–22 (11), 25–29 (16), 2–5 Dec (20)
    assert v.due_on == D(2024, 12, 5)
    explanation = o.clock("fgw", t).explain()
    assert "王五" in explanation and "征求意见" in explanation
    with pytest.raises(XxgkError) as e:
        o.record("fgw", t, "extension_approved", D(2024, 11, 4), days=5, approver="王五", today=TODAY)
    assert e.value.code == "sequence"
    v = o.decide("fgw", t, D(2024, 12, 5), "部分公开", legal_basis="条例第三十七条", today=TODAY)
    assert v.outcome == "partial" and v.on_time is True and v.status == "closed"
    with pytest.raises(XxgkError):
        o.decide("fgw", t, D(2024, 12, 6), "granted", today=TODAY)
    assert [e.kind for e in o.events("fgw", t)] == [
        "received", "consultation_sent", "consultation_answered", "extension_approved", "decided"]


def test_correction_and_abandonment(o: Office):
    t = o.add_request("fgw", req(), today=TODAY).tracking_no
    with pytest.raises(XxgkError) as e:  # nothing to abandon yet
        o.decide("fgw", t, D(2024, 10, 20), "other.overdue_correction", today=TODAY)
    assert e.value.code == "sequence"
    v = o.record("fgw", t, "correction_requested", D(2024, 10, 8), reply_by="2024-10-22", today=TODAY)
    assert v.status == "waiting_correction" and v.due_on is None
    assert [x.tracking_no for x in o.waiting("fgw")] == [t]
    v = o.decide("fgw", t, D(2024, 10, 25), "申请人无正当理由逾期不补正", today=TODAY)
    assert v.outcome == "other.overdue_correction"


def test_wrong_template_year_outcome(o: Office):
    t = o.add_request("fgw", req(received="2020-06-01"), today=TODAY).tracking_no
    with pytest.raises(XxgkError) as e:
        o.decide("fgw", t, D(2020, 6, 10), "other.other", today=TODAY)
    assert e.value.code == "outcome-template" and "2019" in e.value.message
    assert o.decide("fgw", t, D(2020, 6, 10), "other", today=TODAY).outcome == "other"


def test_no_fee_before_the_fee_rules(o: Office):
    t = o.add_request("fgw", req(received="2020-03-02"), today=TODAY).tracking_no
    with pytest.raises(XxgkError) as e:
        o.record("fgw", t, "fee_notice_sent", D(2020, 3, 4), method="per_page", pages=100, today=TODAY)
    assert "2021-01-01" in e.value.message


def test_fee_notice_and_unpaid_fee(o: Office):
    t = o.add_request("fgw", req(), today=TODAY).tracking_no
    with pytest.raises(XxgkError) as e:
        o.record("fgw", t, "fee_notice_sent", D(2024, 10, 8), method="per_page", pages=30, today=TODAY)
    assert e.value.code == "no-fee"
    v = o.record("fgw", t, "fee_notice_sent", D(2024, 10, 8), method="per_page", pages=101, today=TODAY)
    assert v.fee_amount == 720 and v.status == "waiting_fee" and v.payment_due_on == D(2024, 11, 4)
    notice = o.events("fgw", t)[-1].data
    assert "109号" in notice["basis"] and "720" in notice["notice"]
    with pytest.raises(XxgkError):  # the payment window has not closed
        o.decide("fgw", t, D(2024, 11, 4), "other.overdue_fee", today=TODAY)
    assert o.decide("fgw", t, D(2024, 11, 5), "other.overdue_fee", today=TODAY).outcome == "other.overdue_fee"
    assert o.tally("fgw", 2024).parts["other"].text == "本年度未收取政府信息公开信息处理费。"  # notice unpaid
    paid = o.add_request("fgw", req(received="2024-10-08"), today=TODAY).tracking_no
    o.record("fgw", paid, "fee_notice_sent", D(2024, 10, 9), method="per_page", pages=31, today=TODAY)
    o.record("fgw", paid, "fee_paid", D(2024, 10, 10), today=TODAY)
    assert o.tally("fgw", 2024).parts["other"].text == "本年度收取政府信息公开信息处理费10元。"
    o.set_text("fgw", 2024, "other", "本机关收取信息处理费10元，均已上缴国库。")
    assert o.tally("fgw", 2024).parts["other"].text == "本机关收取信息处理费10元，均已上缴国库。"


def test_per_request_fee_counts_the_applicants_month(o: Office):
    ts = [o.add_request("fgw", req(name="王大量", received=f"2024-03-{d:02d}"), today=TODAY).tracking_no
          for d in range(1, 12)]
    v = o.record("fgw", ts[-1], "fee_notice_sent", D(2024, 3, 12), method="per_request", today=TODAY)
    assert v.fee_amount == 100  # the 11th request of the month
    with pytest.raises(XxgkError):
        o.record("fgw", ts[9], "fee_notice_sent", D(2024, 3, 12), method="per_request", today=TODAY)


def test_lists_due_soon_overdue(o: Office):
    a = o.add_request("fgw", req(received="2024-09-27"), today=TODAY).tracking_no  # due 30 Oct
    o.add_request("fgw", req(received="2024-10-21"), today=TODAY)  # due 18 Nov
    assert [v.tracking_no for v in o.due_soon("fgw", D(2024, 10, 25))] == [a]
    assert [v.tracking_no for v in o.overdue("fgw", D(2024, 10, 31))] == [a]
    assert o.overdue("zjj", D(2024, 10, 31)) == []


def test_audit_trail_is_complete_and_append_only(o: Office):
    o.actor = "经办人甲"
    t = o.add_request("fgw", req(), today=TODAY).tracking_no
    o.actor = "经办人乙"
    o.decide("fgw", t, D(2024, 10, 9), "granted", today=TODAY)
    trail = o.audit("fgw", t)
    assert [(x.actor, x.action) for x in trail] == [("经办人甲", "received"), ("经办人乙", "decided")]
    assert trail[1].before["status"] == "open" and trail[1].after["status"] == "closed"
    assert trail[1].after["outcome"] == "granted"
    for table in ("audit_entry", "request_event"):
        for sql in (f"UPDATE {table} SET actor = 'x'", f"DELETE FROM {table}"):
            with pytest.raises(Exception, match="append-only"), o.engine.begin() as conn:
                conn.execute(text(sql))
    assert count(o, AuditEntry) >= 4


def test_unknown_calendar_year_then_override(o: Office):
    # the reply period runs into 2027, which chinesecalendar 1.11 does not know: the request is
    # registered, its due date is unknown and says why; nothing is guessed
    t = o.add_request("fgw", req(received="2026-12-10"), today=D(2026, 12, 31))
    assert t.due_on is None and t.correction_due_on == D(2026, 12, 21)
    clock = o.clock("fgw", t.tracking_no)
    assert clock.calendar_error is not None and "2027" in clock.calendar_error.message
    with pytest.raises(XxgkError, match="2027"):  # an extension cannot be checked against an unknown due date
        o.record("fgw", t.tracking_no, "extension_approved", D(2026, 12, 30), days=5, approver="王五",
                 today=D(2026, 12, 31))
    o.set_calendar(Overrides.from_dict({"years": {"2027": {"source": "示例通知", "holidays": ["2027-01-01"]}}}))
    assert o.clock("fgw", t.tracking_no).due == D(2027, 1, 8)
    assert o.get("fgw", t.tracking_no).due_on == D(2027, 1, 8)  # the stored projection follows
    assert o.audit("fgw", t.tracking_no)[-1].action == "recomputed"


def test_registers_and_proactive_table(o: Office):
    o.add_document("fgw", "规章", "某市价格管理规定", "市政府令第1号", D(2019, 5, 1))
    o.add_document("fgw", "rules", "某市收费管理办法", "市政府令第2号", D(2024, 3, 1))
    o.add_document("fgw", "normative", "关于印发某办法的通知", "某发改规〔2022〕1号", D(2022, 1, 1))
    o.repeal_document("fgw", "normative", "某发改规〔2022〕1号", D(2024, 6, 1))
    with pytest.raises(XxgkError):
        o.add_document("fgw", "rules", "重复", "市政府令第2号", D(2024, 3, 1))
    o.add_actions("fgw", "行政许可", [(f"许{i}", D(2024, 1 + i % 12, 1), None) for i in range(37)])
    o.add_actions("fgw", "fees", [("收1", D(2024, 2, 1), Decimal("12345.67")), ("收2", D(2023, 2, 1), Decimal("9"))])
    with pytest.raises(XxgkError) as e:
        o.add_actions("fgw", "licensing", [("许1", D(2024, 5, 1), None)])
    assert e.value.code == "duplicate-ref"
    assert o.add_actions("fgw", "licensing", [("许1", D(2024, 2, 1), None), ("许99", D(2024, 2, 1), None)]) == (1, 1)
    o.add_actions("fgw", "licensing", [("许99b", D(2025, 2, 1), None)])
    c = o.tally("fgw", 2024).cells
    assert (c["proactive.rules.issued"], c["proactive.rules.repealed"], c["proactive.rules.in_force"]) == (1, 0, 2)
    assert (c["proactive.normative.issued"], c["proactive.normative.repealed"], c["proactive.normative.in_force"]) == (0, 1, 0)
    assert c["proactive.licensing.decisions"] == 38 and c["proactive.penalty.decisions"] == 0
    assert c["proactive.fees.amount"] == pytest.approx(1.2346)
    c2023 = o.tally("fgw", 2023).cells
    assert c2023["proactive.normative.in_force"] == 1 and c2023["proactive.rules.in_force"] == 1


def test_figures_only_for_cells_the_records_do_not_determine(o: Office):
    o.set_figure("fgw", 2020, "proactive.procurement.count", 12)
    assert o.tally("fgw", 2020).cells["proactive.procurement.count"] == 12
    with pytest.raises(XxgkError) as e:
        o.set_figure("fgw", 2024, "requests.new.total", 5)
    assert e.value.code == "computed-cell"


def test_appeals_table(o: Office):
    t = o.add_request("fgw", req(), today=TODAY).tracking_no
    a1 = o.add_appeal("fgw", "行政复议", D(2024, 11, 20), tracking_no=t)
    o.add_appeal("fgw", "litigation_direct", D(2024, 12, 1))
    o.conclude_appeal("fgw", a1.id, "结果纠正", D(2025, 2, 1))
    c24, c25 = o.tally("fgw", 2024).cells, o.tally("fgw", 2025).cells
    assert c24["appeals.reconsideration.pending"] == 1 and c24["appeals.reconsideration.total"] == 1
    assert c25["appeals.reconsideration.corrected"] == 1 and c25["appeals.reconsideration.pending"] == 0
    assert c25["appeals.litigation_direct.pending"] == 1
    with pytest.raises(XxgkError):
        o.conclude_appeal("fgw", a1.id, "upheld", D(2025, 3, 1))


def test_tally_carries_over_and_compares_with_a_published_report(o: Office):
    o.add_requests("fgw", [
        req(received="2023-12-20", decided_on="2024-01-10", outcome="予以公开"),
        req(received="2023-12-28", kind="商业企业"),
        req(received="2024-03-01", kind="法律服务机构", decided_on="2024-03-20", outcome="本机关不掌握相关政府信息"),
        req(received="2024-12-25"),
    ], today=TODAY)
    o.set_text("fgw", 2024, "总体情况", "2024年，本机关认真贯彻落实条例。")
    r = o.tally("fgw", 2024)
    c = r.cells
    assert c["requests.new.total"] == 2 and c["requests.carried_in.total"] == 2
    assert c["requests.granted.natural"] == 1 and c["requests.unable.not_held.legal"] == 1
    assert c["requests.carried_out.total"] == 2 and c["requests.carried_out.commercial"] == 1
    assert r.parts["overview"].text.startswith("2024年")
    assert not [f for f in check(r) if f.severity == "error"]
    published = r.model_copy(update={"cells": dict(c, **{"requests.granted.natural": 2})})
    diffs = compare(published, r)
    assert [d["cell"] for d in diffs] == ["requests.granted.natural"]
    assert diffs[0]["published"] == 2 and diffs[0]["records"] == 1


def test_compare_names_another_agency_or_year(o: Office):
    r = o.tally("fgw", 2024)
    other = r.model_copy(update={"agency": "某县财政局", "report_year": 2023})
    diffs = compare(other, r)
    assert [d["cell"] for d in diffs[:2]] == [None, None]
    assert "2023" in diffs[0]["message"] and "某县财政局" in diffs[1]["message"]
    assert compare(r, r) == []


def test_lapsed_requests(o: Office):
    a = o.add_request("fgw", req(), today=TODAY).tracking_no
    b = o.add_request("fgw", req(received="2024-10-08"), today=TODAY).tracking_no
    o.record("fgw", a, "fee_notice_sent", D(2024, 10, 8), method="per_page", pages=40, today=TODAY)
    o.record("fgw", b, "correction_requested", D(2024, 10, 9), reply_by="2024-10-23", today=TODAY)
    assert o.lapsed("fgw", D(2024, 10, 23)) == []
    assert [(v.tracking_no, why) for v, why in o.lapsed("fgw", D(2024, 10, 24))] == [(b, "other.overdue_correction")]
    # payment due 4 Nov (20 working days after 8 Oct)
    assert [why for _, why in o.lapsed("fgw", D(2024, 11, 5))] == ["other.overdue_fee", "other.overdue_correction"]


def test_settings_are_kept_in_the_database(o: Office, office_url: str):
    t = o.add_request("fgw", req(), today=TODAY).tracking_no
    o.record("fgw", t, "fee_notice_sent", D(2024, 10, 8), method="per_page", pages=40, today=TODAY)
    assert o.settings() == {"fee_notice_pauses": True} and o.get("fgw", t).due_on is None
    assert o.configure(fee_notice_pauses=False) == 1
    assert o.get("fgw", t).due_on == D(2024, 10, 30)
    again = Office.open(office_url)  # a new connection reads the setting back
    try:
        assert again.rules.fee_notice_pauses is False and again.clock("fgw", t).due == D(2024, 10, 30)
    finally:
        again.close()
    with pytest.raises(XxgkError):
        o.configure(colour="blue")
