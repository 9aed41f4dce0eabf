"""Records that hold (issue 10, item 1): history that cannot be rewritten, and tampering that is found.

Every tampering is done as an attacker would, with plain SQL — on SQLite through Python's sqlite3
module with no pragmas (as the sqlite3 shell does), on PostgreSQL through a connection of its
own. What the triggers can refuse, they must; what they cannot (the owner lifting them), ``verify``
must name. Both databases (see conftest.office_url).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from xxgk.office import chain
from xxgk.office.service import Office

D = dt.date
TODAY = D(2025, 6, 30)


def req(name: str = "李四", received: str = "2024-09-27", **kw):  # type: ignore[no-untyped-def]
    return {"applicant": {"kind": kw.pop("kind", "自然人"), "name": name, "id_number": "110101199001011234",
                          "phone": "13800000000"},
            "channel": "online", "received_on": received, "description": kw.pop("description", "某项目环评文件"), **kw}


@pytest.fixture
def o(office: Office) -> Office:
    office.add_agency("fgw", "某市发展和改革委员会")
    office.add_agency("zjj", "某市住房和城乡建设局")
    for i in range(4):
        t = office.add_request("fgw", req(f"申请人{i}", received=f"2024-09-{23 + i}"), today=TODAY).tracking_no
        if i < 3:
            office.decide("fgw", t, D(2024, 10, 8 + i), "granted", today=TODAY)
    office.add_request("zjj", req(), today=TODAY)
    office.add_document("fgw", "normative", "某办法", "某发改规〔2024〕1号", D(2024, 3, 1))
    office.add_actions("fgw", "fees", [("费1", D(2024, 6, 1), 100), ("费2", D(2024, 7, 1), 250)])
    return office


def sql(url: str, *statements: str) -> None:
    """Run statements as a person with a database shell would: no xxgk, no pragmas."""
    if url.startswith("sqlite"):
        con = sqlite3.connect(make_url(url).database)  # type: ignore[arg-type]
        try:
            for st in statements:
                con.execute(st)
            con.commit()
        finally:
            con.close()
        return
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            for st in statements:
                conn.execute(text(st))
    finally:
        engine.dispose()


def is_pg(url: str) -> bool:
    return url.startswith("postgresql")


def lift_triggers(url: str, table: str) -> str:
    """What only the database owner can do: take a table's protecting triggers away."""
    if is_pg(url):
        return f"ALTER TABLE {table} DISABLE TRIGGER USER"
    return ";".join(f"DROP TRIGGER IF EXISTS {table}_{t}" for t in ("no_update", "no_delete", "no_replace"))


def lifted(url: str, table: str) -> list[str]:
    stmt = lift_triggers(url, table)
    return stmt.split(";") if not is_pg(url) else [stmt]


def problems(o: Office) -> list[str]:
    return [f"{p.code}: {p.message}" for p in o.verify().problems]


def test_an_untouched_history_verifies(o: Office):
    v = o.verify()
    assert v.ok, v.problems
    assert v.events == 4 + 3 + 1 and v.requests == 5
    assert set(v.heads) == {"fgw", "zjj"} and all(n > 0 for n, _ in v.heads.values())


def test_replace_and_upsert_are_refused(o: Office, office_url: str):
    with o.session() as s:
        audit_id = s.scalar(text("SELECT max(id) FROM audit_entry"))
        event_id = s.scalar(text("SELECT min(id) FROM request_event WHERE kind = 'decided'"))
    if is_pg(office_url):
        attempts = [
            "INSERT INTO audit_entry (id, entity, entity_id, action, actor, at) VALUES "
            f"({audit_id}, 'request', 1, 'forged', 'x', now()) ON CONFLICT (id) DO UPDATE SET action = 'forged'",
            "TRUNCATE audit_entry", "TRUNCATE request_event", "TRUNCATE request CASCADE", "TRUNCATE applicant CASCADE",
            "DELETE FROM request", "DELETE FROM applicant WHERE id = 1",
        ]
    else:
        attempts = [
            f"INSERT OR REPLACE INTO audit_entry (id, entity, entity_id, action, actor, at) "
            f"SELECT id, entity, entity_id, 'forged', actor, at FROM audit_entry WHERE id = {audit_id}",
            f"REPLACE INTO request_event (id, agency_id, request_id, seq, kind, \"on\", data, actor, recorded_at, "
            f"chain_seq, chain_hash) SELECT id, agency_id, request_id, seq, kind, \"on\", "
            f"'{{\"outcome\": \"denied.state_secret\"}}', actor, recorded_at, chain_seq, chain_hash "
            f"FROM request_event WHERE id = {event_id}",
            # a new id but the same (request, seq): REPLACE would delete the decided event
            f"REPLACE INTO request_event (agency_id, request_id, seq, kind, \"on\", data, actor, recorded_at) "
            f"SELECT agency_id, request_id, seq, kind, \"on\", data, actor, recorded_at FROM request_event "
            f"WHERE id = {event_id}",
            "DELETE FROM request", "DELETE FROM applicant WHERE id = 1",
        ]
    for attempt in attempts:
        with pytest.raises(Exception, match="append-only|kept"):
            sql(office_url, attempt)
    assert o.verify().ok


def test_projection_edited_by_sql_does_not_move_the_report(o: Office, office_url: str):
    before = o.tally("fgw", 2024)
    assert before.cells["requests.granted.natural"] == 3
    sql(office_url, "UPDATE request SET outcome = 'denied.state_secret' WHERE tracking_no = '2024-0001' "
                    "AND agency_id = (SELECT id FROM agency WHERE code = 'fgw')")
    after = o.tally("fgw", 2024)
    assert after.cells == before.cells  # the report from the records is the report from the events
    assert [d.detail["tracking_no"] for d in after.diagnostics if d.kind == "records-differ"] == ["2024-0001"]
    assert o.county(2024)["fgw"]["requests.granted.natural"] == 3
    found = problems(o)
    assert len(found) == 1 and found[0].startswith("request-differs")
    assert "2024-0001" in found[0] and "denied.state_secret" in found[0] and "granted" in found[0]


def test_other_projection_and_register_edits_are_named(o: Office, office_url: str):
    sql(office_url,
        "UPDATE request SET closed_on = NULL, status = 'open' WHERE tracking_no = '2024-0002'",
        "UPDATE request SET applicant_kind = 'commercial' WHERE tracking_no = '2024-0004'",
        "UPDATE applicant SET id_number = '999' WHERE id = 1",
        "UPDATE document SET repealed_on = '2024-05-01'",
        "UPDATE action SET amount = 1000000 WHERE ref = '费1'",
        "DELETE FROM action WHERE ref = '费2'")
    found = problems(o)
    text_ = "\n".join(found)
    assert "2024-0002" in text_ and "办结日期" in text_ and "status" in text_
    assert "2024-0004" in text_ and "申请人类型" in text_
    assert "申请人#1" in text_ and "id_number" in text_ and "999" not in text_  # no personal data echoed
    assert "文件 fgw 某发改规〔2024〕1号" in text_ and "repealed_on" in text_
    assert "费1" in text_ and "费2" in text_ and "被直接删除" in text_
    assert all(p.split(":")[0] in ("request-differs", "row-changed", "row-deleted") for p in found), found


def test_rows_inserted_by_hand_are_named(o: Office, office_url: str):
    sql(office_url,
        "INSERT INTO audit_entry (agency_id, entity, entity_id, action, actor, at) "
        "VALUES (NULL, 'setting', 0, 'forged', 'x', '2025-01-01 00:00:00')",
        "INSERT INTO applicant (agency_id, kind, name) VALUES (1, 'natural', '幽灵')",
        "INSERT INTO request (agency_id, tracking_no, year, applicant_id, applicant_kind, channel, received_on, "
        "description, status, closed_on, outcome, created_at, updated_at) SELECT 1, '2024-9999', 2024, max(id), "
        "'natural', 'online', '2024-10-01', 'x', 'closed', '2024-10-02', 'granted', '2025-01-01', '2025-01-01' "
        "FROM applicant")
    found = problems(o)
    codes = sorted(p.split(":")[0] for p in found)
    assert codes == ["chain-unsealed", "request-no-events", "row-unaudited", "row-unaudited"], found
    assert o.tally("fgw", 2024).cells["requests.granted.total"] == 3  # the forged request is not counted


@pytest.mark.parametrize("attack", ["edit", "delete-middle", "empty", "head"])
def test_what_only_the_owner_can_do_is_still_found(o: Office, office_url: str, attack: str):
    with o.session() as s:
        mid = s.scalar(text("SELECT min(id) FROM audit_entry WHERE entity = 'request' AND action = 'decided'"))
    if attack == "edit":  # REPLACE (SQLite) or UPDATE (PostgreSQL) with the triggers lifted
        change = (f"UPDATE audit_entry SET actor = '别人' WHERE id = {mid}" if is_pg(office_url) else
                  f"REPLACE INTO audit_entry (id, agency_id, entity, entity_id, action, actor, at, before, after, "
                  f"chain_seq, chain_hash) SELECT id, agency_id, entity, entity_id, action, '别人', at, before, "
                  f"after, chain_seq, chain_hash FROM audit_entry WHERE id = {mid}")
        sql(office_url, *lifted(office_url, "audit_entry"), change)
        expect = ["chain-altered"]
    elif attack == "delete-middle":
        sql(office_url, *lifted(office_url, "audit_entry"), f"DELETE FROM audit_entry WHERE id = {mid}")
        expect = ["chain-gap", "row-changed"]  # and the request no longer matches its last audit entry
    elif attack == "empty":  # TRUNCATE on PostgreSQL; DELETE of every row on SQLite
        stmts = (["TRUNCATE request_event, audit_entry"] if is_pg(office_url)
                 else ["DELETE FROM request_event", "DELETE FROM audit_entry"])
        sql(office_url, *lifted(office_url, "request_event"), *lifted(office_url, "audit_entry"), *stmts)
        expect = ["chain-truncated"]
    else:
        sql(office_url, "UPDATE chain_head SET seq = seq - 1")
        expect = ["chain-head"]
    found = problems(o)
    assert found and all(any(p.startswith(e) for e in expect) or attack == "empty" for p in found), found
    assert any(p.startswith(expect[0]) for p in found), found
    if attack == "edit":
        assert len(found) == 1 and f"审计记录#{mid}" in found[0]
    if attack == "empty":  # the chains say what is gone, and every row is named as unaudited or without events
        assert sum(p.startswith("chain-truncated") for p in found) == 2


def test_a_recomputed_chain_is_caught_by_a_noted_head(o: Office, office_url: str):
    """Whoever can write every table can recompute every hash: verify alone cannot tell, a head noted
    elsewhere can (the documented limit, and its remedy)."""
    noted = o.verify().heads["fgw"]
    with o.session() as s:
        fgw = s.scalar(text("SELECT id FROM agency WHERE code = 'fgw'"))
    eng = o.engine
    sql(office_url, *lifted(office_url, "audit_entry"), *lifted(office_url, "request_event"),
        f"UPDATE audit_entry SET actor = '别人' WHERE agency_id = {fgw} AND chain_seq = 2")
    # the attacker recomputes the whole chain with the published algorithm
    from sqlalchemy import select

    from xxgk.office.db import AuditEntry, RequestEvent
    rows = []
    with eng.connect() as conn:
        for table, model in (("request_event", RequestEvent), ("audit_entry", AuditEntry)):
            for r in conn.execute(select(model.__table__).where(model.agency_id == fgw)).mappings():
                rows.append((r["chain_seq"], table, r["id"], chain.content(table, r)))
    h, updates = chain.GENESIS, []
    for seq, table, rid, content in sorted(rows):
        h = chain.link(h, seq, content)
        updates.append(f"UPDATE {table} SET chain_hash = '{h}' WHERE id = {rid}")
    sql(office_url, *updates, f"UPDATE chain_head SET hash = '{h}' WHERE chain = {fgw}")
    assert o.verify().ok  # undetectable from inside the database
    found = [str(p) for p in o.verify({"fgw": noted}).problems]
    assert len(found) == 1 and "历史被重写" in found[0]


def test_a_database_from_before_the_chains_is_sealed(office_url: str):
    """A database written by the previous schema (0002) is sealed by the migration and then verifies;
    its applicants and ledgers get a baseline so later edits are found."""
    from alembic import command
    from alembic.config import Config

    from xxgk.office.service import migrate

    engine = create_engine(office_url)
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(chain.__file__).parent / "migrations"))
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "0002")
            one = lambda q, **kw: conn.execute(text(q), kw).scalar_one()  # noqa: E731
            aid = one("INSERT INTO agency (code, name, kind, created_at) VALUES "
                      "('fgw', '某局', 'department', '2024-01-01') RETURNING id")
            pid = one("INSERT INTO applicant (agency_id, kind, name, id_number) VALUES "
                      "(:a, 'natural', '王五', '110') RETURNING id", a=aid)
            rid = one("INSERT INTO request (agency_id, tracking_no, year, applicant_id, applicant_kind, channel, "
                      "received_on, description, status, created_at, updated_at) VALUES (:a, '2024-0001', 2024, :p, "
                      "'natural', 'online', '2024-03-01', 'x', 'open', '2024-03-01', '2024-03-01') RETURNING id",
                      a=aid, p=pid)
            conn.execute(text("INSERT INTO request_event (agency_id, request_id, seq, kind, \"on\", data, actor, "
                              "recorded_at) VALUES (:a, :r, 1, 'received', '2024-03-01', '{}', 'a', '2024-03-01')"),
                         {"a": aid, "r": rid})
            after = json.dumps({"id": rid, "agency_id": aid, "tracking_no": "2024-0001", "applicant_kind": "natural",
                                "received_on": "2024-03-01", "closed_on": None, "outcome": None})
            conn.execute(text("INSERT INTO audit_entry (agency_id, entity, entity_id, action, actor, at, after) "
                              "VALUES (:a, 'request', :r, 'received', 'a', '2024-03-01', :after)"),
                         {"a": aid, "r": rid, "after": after})
            conn.execute(text("INSERT INTO action (agency_id, kind, ref, \"on\", amount) VALUES "
                              "(:a, 'fees', 'F1', '2024-05-01', 12.5)"), {"a": aid})
    finally:
        engine.dispose()
    o = Office.open(office_url)
    try:
        migrate(o.engine)
        v = o.verify()
        assert v.ok, v.problems
        assert v.heads["fgw"][0] == 4  # event, audit, and the applicant's and the ledger's baselines
        assert o.add_request("fgw", req(received="2024-04-01"), today=TODAY).tracking_no == "2024-0002"
        sql(office_url, "UPDATE applicant SET name = '张三' WHERE name = '王五'", "UPDATE action SET amount = 99")
        assert sorted(p.split(":")[0] for p in problems(o)) == ["row-changed", "row-changed"]
    finally:
        o.close()


def _cli(*args: str, db: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, XXGK_USER="测试员", XXGK_DATABASE_URL=db)
    return subprocess.run([sys.executable, "-m", "xxgk.cli", *args], capture_output=True, text=True, env=env,
                          input=stdin, timeout=120)


def test_verify_command(o: Office, office_url: str):
    o.close()
    r = _cli("office", "verify", db=office_url)
    assert r.returncode == 0, r.stderr
    head = next(line for line in r.stdout.splitlines() if "fgw:" in line).split()[-1]
    sql(office_url, "UPDATE request SET outcome = 'denied.state_secret' WHERE tracking_no = '2024-0001' "
                    "AND agency_id = (SELECT id FROM agency WHERE code = 'fgw')")
    r = _cli("office", "verify", "--anchor", head, db=office_url)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert r.stdout.splitlines()[0].startswith("申请 fgw 2024-0001 与其事件记录不符") and "发现 1 处问题" in r.stdout
    r = _cli("office", "verify", "-f", "json", db=office_url)
    data = json.loads(r.stdout)
    assert r.returncode == 1 and not data["ok"] and data["problems"][0]["code"] == "request-differs"
    r = _cli("office", "verify", "--anchor", "fgw:x:y", db=office_url)
    assert r.returncode == 2 and "--anchor" in r.stderr


def test_the_documented_roles_keep_the_application_off_the_schema(office_url: str):
    """docs/office.md's role separation, as written: the application role works the office, and
    cannot truncate, delete, lift a trigger or change the schema (PostgreSQL only)."""
    if not is_pg(office_url):
        pytest.skip("roles are PostgreSQL's; SQLite has none (docs/office.md)")
    import uuid

    from conftest import PG_URL, _pg_admin

    sfx = uuid.uuid4().hex[:8]
    owner, app, db = f"xxgk_owner_{sfx}", f"xxgk_app_{sfx}", f"xxgk_roles_{sfx}"
    admin = _pg_admin()
    base = make_url(PG_URL)
    with admin.connect() as c:
        c.execute(text(f"CREATE ROLE {owner} LOGIN PASSWORD 'owner-pw'"))
        c.execute(text(f"CREATE ROLE {app} LOGIN PASSWORD 'app-pw'"))
        c.execute(text(f"CREATE DATABASE {db} OWNER {owner}"))
    try:
        owner_url = base.set(username=owner, password="owner-pw", database=db).render_as_string(hide_password=False)
        app_url = base.set(username=app, password="app-pw", database=db).render_as_string(hide_password=False)
        Office.open(owner_url).close()  # xxgk office init, as the owner
        doc = (Path(__file__).resolve().parents[1] / "docs" / "office.md").read_text("utf-8")
        grants = doc.split("-- as xxgk_owner, after")[1].split("```")[0].splitlines()[1:]
        sql(owner_url, *(g.split("--")[0].strip().rstrip(";").replace("xxgk_app", app) for g in grants if g.strip()))
        o = Office.open(app_url, actor="经办人")
        try:
            o.add_agency("fgw", "某局")
            t = o.add_request("fgw", req(), today=TODAY).tracking_no
            o.decide("fgw", t, D(2024, 10, 9), "granted", today=TODAY)
            o.add_actions("fgw", "fees", [("F1", D(2024, 6, 1), 10)])
            o.configure(fee_notice_pauses=False)
            assert o.verify().ok and o.tally("fgw", 2024).cells["requests.granted.total"] == 1
        finally:
            o.close()
        for attempt in ("TRUNCATE audit_entry", "ALTER TABLE audit_entry DISABLE TRIGGER USER",
                        "DROP TRIGGER request_event_no_update ON request_event", "DELETE FROM action",
                        "UPDATE audit_entry SET actor = 'x'", "CREATE TABLE forged (x int)"):
            with pytest.raises(Exception, match="permission denied|must be owner"):
                sql(app_url, attempt)
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
            c.execute(text(f"DROP ROLE IF EXISTS {app}"))
            c.execute(text(f"DROP ROLE IF EXISTS {owner}"))
        admin.dispose()
