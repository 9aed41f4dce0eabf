"""Rectification (整改) as a state machine: every declared transition works for the role and scope
it names and nothing else does; steps are append-only (the database refuses UPDATE and DELETE);
each step is an audit entry with its actor and date, and the hash chain still verifies; the
re-check runs the real checker (a problem that persists goes back to the agency, one that is gone
lets the case close)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from webkit import PASSWORD, copy_db

from xxgk.corpus.store import CorpusStore
from xxgk.corpus.types import Match
from xxgk.office.db import AuditEntry
from xxgk.office.service import Office
from xxgk.web.accounts import Accounts, Principal
from xxgk.web.desk import compute, registry
from xxgk.web.models import ReviewCase, ReviewStep
from xxgk.web.review import STATES, TRANSITIONS, Candidate, Recheck, Review, ReviewError

YEAR = 2024
PATH = {"finding": [], "confirmed": ["confirmed"], "sent": ["confirmed", "sent"],
        "responded": ["confirmed", "sent", "responded"], "rechecked": ["confirmed", "sent", "responded", "rechecked"],
        "closed": ["confirmed", "sent", "responded", "rechecked", "closed"]}
MANAGER = {"case.manage": "sup", "case.respond": "agency_admin"}


@dataclass
class Stub:
    """The re-check, decided by the test."""

    persists: bool = False

    def __call__(self, case: ReviewCase) -> Recheck:
        return Recheck(self.persists, "（测试）")


@pytest.fixture(scope="module")
def env(web_demo, tmp_path_factory):  # type: ignore[no-untyped-def]
    path, made = web_demo
    office = Office.open(copy_db(path, tmp_path_factory.mktemp("review") / "review.db"))
    store = CorpusStore(office.engine)
    accounts = Accounts(office)
    desk = compute(store, registry(store), made["province"], YEAR, dt.date.today())
    late = next(r.row.agency for r in desk.rows if r.late)
    missing = next(r.row.agency for r in desk.rows if r.missing)
    # the agency staff answer for the agency with a problem (the demo's own agency has none)
    accounts.set_role("agency_admin", "agency_admin", agency=late, actor="test")
    accounts.add_user("missing_clerk", PASSWORD, "clerk", agency=missing, actor="test")
    who = {u: accounts.sign_in(u, PASSWORD, "test").principal
           for u in ("sup", "sup_other", "agency_admin", "clerk", "clerk_other", "researcher", "admin", "missing_clerk")}
    real = Review(office, store)
    found = {late: real.candidates(late, YEAR), missing: real.candidates(missing, YEAR)}
    stub = Stub()
    fast = Review(office, store, checker=stub, finder=lambda code, year: found.get(code, []))
    yield {"office": office, "store": store, "accounts": accounts, "who": who, "late": late, "missing": missing,
           "found": found, "real": real, "fast": fast, "stub": stub, "made": made}
    office.close()


def _case_in(env, state: str) -> int:  # type: ignore[no-untyped-def]
    """A new case on the late agency's problem, moved to ``state`` by the right people."""
    rv, who = env["fast"], env["who"]
    env["stub"].persists = False
    _close_open(env)
    rule = env["found"][env["late"]][0].rule
    case_id = rv.open(who["sup"], env["late"], YEAR, rule)
    for to in PATH[state]:
        actor = "agency_admin" if to == "responded" else "sup"
        rv.step(case_id, to, who[actor], "说明")
    return case_id


def _close_open(env) -> None:  # type: ignore[no-untyped-def]
    with env["office"].session() as s:
        open_ids = list(s.scalars(select(ReviewCase.id).where(ReviewCase.state != "closed")))
    for i in open_ids:
        env["fast"].step(i, "closed", env["who"]["admin"], "测试结束")


def test_the_workflow_is_declared_data() -> None:
    assert list(STATES) == ["finding", "confirmed", "sent", "responded", "rechecked", "closed"]
    assert STATES["sent"] == "已通知整改" and STATES["closed"] == "已办结"
    for t in TRANSITIONS:
        assert t.source in STATES and t.target in STATES and t.permission in ("case.manage", "case.respond")
    assert not [t for t in TRANSITIONS if t.source == "closed"]
    assert all(any(t.source == s for t in TRANSITIONS) for s in STATES if s != "closed")
    assert ("rechecked", "sent") in {(t.source, t.target) for t in TRANSITIONS}  # the way back


@pytest.mark.parametrize("source", list(STATES))
def test_every_allowed_transition_works_and_every_other_is_refused(env, source: str) -> None:  # type: ignore[no-untyped-def]
    rv, who = env["fast"], env["who"]
    allowed = {t.target: t for t in TRANSITIONS if t.source == source}
    case_id = _case_in(env, source)
    for to in STATES:
        if to in allowed:
            continue
        for actor in ("sup", "agency_admin", "admin"):
            with pytest.raises(ReviewError) as e:
                rv.step(case_id, to, who[actor], "说明")
            assert e.value.status in (403, 404, 409)
    assert rv.case(case_id, who["sup"])["state"] == source
    for to, t in allowed.items():
        case_id = _case_in(env, source)
        wrong = "agency_admin" if t.permission == "case.manage" else "sup"
        with pytest.raises(ReviewError) as e:
            rv.step(case_id, to, who[wrong], "说明")
        assert e.value.status in (403, 404)
        if t.note:
            with pytest.raises(ReviewError, match="须填写"):
                rv.step(case_id, to, who[MANAGER[t.permission]], "  ")
        assert rv.step(case_id, to, who[MANAGER[t.permission]], "说明") == to
        view = rv.case(case_id, who["sup"])
        assert view["state"] == to and view["steps"][-1]["state"] == to and view["steps"][-1]["actor"] == MANAGER[t.permission]


def test_a_recheck_that_finds_the_problem_sends_the_case_back(env) -> None:  # type: ignore[no-untyped-def]
    rv, who = env["fast"], env["who"]
    case_id = _case_in(env, "responded")
    env["stub"].persists = True
    assert rv.step(case_id, "rechecked", who["sup"], "请再核实") == "sent"
    note = rv.case(case_id, who["sup"])["steps"][-1]["note"]
    assert "问题仍存在" in note and "请再核实" in note
    env["stub"].persists = False
    assert rv.step(case_id, "responded", who["agency_admin"], "已重新发布") == "responded"
    assert rv.step(case_id, "rechecked", who["sup"]) == "rechecked"
    assert rv.step(case_id, "closed", who["sup"]) == "closed"
    assert [s["state"] for s in rv.case(case_id, who["sup"])["steps"]] == [
        "finding", "confirmed", "sent", "responded", "sent", "responded", "rechecked", "closed"]


def test_scope_and_roles(env) -> None:  # type: ignore[no-untyped-def]
    rv, who = env["fast"], env["who"]
    rule = env["found"][env["late"]][0].rule
    for outsider in ("sup_other", "clerk", "researcher", "agency_admin"):
        with pytest.raises(ReviewError) as e:
            rv.open(who[outsider], env["late"], YEAR, rule)
        assert e.value.status == 403
    case_id = _case_in(env, "confirmed")
    # before it is sent, the agency does not see it
    assert case_id not in [c["id"] for c in rv.cases(who["agency_admin"])]
    with pytest.raises(ReviewError) as e:
        rv.case(case_id, who["agency_admin"])
    assert e.value.status == 404
    rv.step(case_id, "sent", who["sup"], "请于30日内整改")
    assert case_id in [c["id"] for c in rv.cases(who["agency_admin"])]
    assert case_id in [c["id"] for c in rv.cases(who["sup"], state="sent", year=YEAR, agency=env["late"])]
    assert case_id in [c["id"] for c in rv.cases(who["admin"])]
    for outsider, status in (("sup_other", 403), ("clerk_other", 404), ("clerk", 404)):
        assert case_id not in [c["id"] for c in rv.cases(who[outsider])]
        with pytest.raises(ReviewError) as e:
            rv.case(case_id, who[outsider])
        assert e.value.status == status
        with pytest.raises(ReviewError) as e:
            rv.step(case_id, "responded", who[outsider], "答复")
        assert e.value.status == status
    with pytest.raises(ReviewError) as e:
        rv.cases(who["researcher"])
    assert e.value.status == 403
    with pytest.raises(ReviewError) as e:
        rv.cases(who["sup"], region=env["made"]["other_province"])
    assert e.value.status == 403
    with pytest.raises(ReviewError) as e:  # a supervisor does not answer for the agency
        rv.step(case_id, "responded", who["sup"], "代答")
    assert e.value.status == 403
    assert rv.case(case_id, who["agency_admin"])["next"] == [
        {"to": "responded", "to_zh": "机关已答复", "label": "提交整改答复", "note": True, "hint": "整改情况说明",
         "recheck": False}]
    assert rv.step(case_id, "responded", who["agency_admin"], "已整改") == "responded"
    with pytest.raises(ReviewError) as e:  # nor does the agency re-check its own answer
        rv.step(case_id, "rechecked", who["agency_admin"])
    assert e.value.status == 403
    with pytest.raises(ReviewError) as e:  # one open case per problem
        rv.open(who["sup"], env["late"], YEAR, rule)
    assert e.value.status == 409


def test_a_case_is_opened_only_on_what_the_checker_finds(env) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ReviewError) as e:
        env["fast"].open(env["who"]["sup"], env["late"], YEAR, "no-such-rule")
    assert e.value.status == 400 and "未发现" in e.value.message


def test_steps_are_append_only_and_audited(env) -> None:  # type: ignore[no-untyped-def]
    case_id = _case_in(env, "sent")
    office = env["office"]
    with office.session() as s:
        steps = list(s.scalars(select(ReviewStep).where(ReviewStep.case_id == case_id).order_by(ReviewStep.id)))
        case = s.get(ReviewCase, case_id)
        assert case.state == steps[-1].state == "sent" and case.updated_at == steps[-1].at  # the projection
        audits = list(s.scalars(select(AuditEntry).where(AuditEntry.entity == "review_case",
                                                         AuditEntry.entity_id == case_id).order_by(AuditEntry.id)))
        assert [a.action for a in audits] == ["open", "step:confirmed", "step:sent"]
        assert all(a.actor == "sup" and a.at is not None and a.agency_id == case.agency_id for a in audits)
        assert [a.after["step_id"] for a in audits] == [st.id for st in steps]
        assert audits[-1].before == {"state": "confirmed"} and audits[-1].after["note"] == "说明"
    for sql in ("UPDATE review_step SET note = 'x' WHERE case_id = :c", "DELETE FROM review_step WHERE case_id = :c"):
        with pytest.raises(DBAPIError, match="append-only"), office.writing() as s:
            s.execute(text(sql), {"c": case_id})
    assert office.verify().ok


def test_the_real_recheck(env) -> None:  # type: ignore[no-untyped-def]
    """The corpus's rule (a missing report) persists until the report is there; the report's own
    rule persists while the stored report (re-read from its bytes) is unchanged."""
    rv, who, store = env["real"], env["who"], env["store"]
    _close_open(env)
    missing = env["missing"]
    assert [c.rule for c in env["found"][missing]] == ["corpus-report-missing"]
    case_id = rv.open(who["sup"], missing, YEAR, "corpus-report-missing")
    rv.step(case_id, "confirmed", who["sup"])
    rv.step(case_id, "sent", who["sup"], "请尽快发布年度报告")
    rv.step(case_id, "responded", who["missing_clerk"], "已发布")
    assert rv.step(case_id, "rechecked", who["sup"]) == "sent"  # still no report
    assert "逾期未发布" in rv.case(case_id, who["sup"])["steps"][-1]["note"] or "未发布" in \
        rv.case(case_id, who["sup"])["steps"][-1]["note"]
    # the report arrives: a stored report of the year is attached to the agency
    donor = next(e for e in store.entries(YEAR, env["made"]["province"], cells=False, parts=False)
                 if e.agency not in (missing, env["late"]))
    store.attach(int(donor.id), Match(agency=missing, confidence=1.0, method="manual", accepted=True))
    rv.step(case_id, "responded", who["missing_clerk"], "报告已发布，请复核")
    assert rv.step(case_id, "rechecked", who["sup"]) == "rechecked"
    assert "问题已消除" in rv.case(case_id, who["sup"])["steps"][-1]["note"]
    assert rv.step(case_id, "closed", who["sup"]) == "closed"
    own = next(c for c in env["found"][env["late"]] if not c.rule.startswith("corpus-"))
    case_id = rv.open(who["sup"], env["late"], YEAR, own.rule, own.report_id)
    for to, actor in (("confirmed", "sup"), ("sent", "sup"), ("responded", "agency_admin")):
        rv.step(case_id, to, who[actor], "说明")
    assert rv.step(case_id, "rechecked", who["sup"]) == "sent"
    assert f"报告 {own.report_id}" in rv.case(case_id, who["sup"])["steps"][-1]["note"]
    assert env["office"].verify().ok


def test_the_flow_on_each_database(office_url: str) -> None:
    """The review service on SQLite and on PostgreSQL: a small demo corpus, a case through every
    state, the append-only trigger, the chain."""
    from xxgk.web.demo import load_demo_corpus

    office = Office.open(office_url)
    try:
        store = CorpusStore(office.engine)
        _, province = load_demo_corpus(store, reports=30)
        reg = registry(store)
        accounts = Accounts(office)
        desk = compute(store, reg, province, YEAR, dt.date.today())
        agency = next(r.row.agency for r in desk.rows if r.missing or r.late)
        accounts.add_user("sup", PASSWORD, "supervisor", region=province, actor="test")
        accounts.add_user("clerk", PASSWORD, "clerk", agency=agency, actor="test")
        who: dict[str, Principal] = {u: accounts.sign_in(u, PASSWORD, "t").principal for u in ("sup", "clerk")}
        rv = Review(office, store)
        found: list[Candidate] = rv.candidates(agency, YEAR)
        case_id = rv.open(who["sup"], agency, YEAR, found[0].rule, found[0].report_id)
        rv.step(case_id, "confirmed", who["sup"])
        rv.step(case_id, "sent", who["sup"], "请整改")
        rv.step(case_id, "responded", who["clerk"], "已整改")
        assert rv.step(case_id, "rechecked", who["sup"]) == "sent"  # missing / late: the rule still fires
        rv.step(case_id, "closed", who["sup"], "已约谈，终止")
        assert [s["state"] for s in rv.case(case_id, who["clerk"])["steps"]] == [
            "finding", "confirmed", "sent", "responded", "sent", "closed"]
        with pytest.raises(DBAPIError, match="append-only"), office.writing() as s:
            s.execute(text("DELETE FROM review_step"))
        assert office.verify().ok
    finally:
        office.close()
