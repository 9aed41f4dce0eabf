"""Numbers, dates and strings checked at the service boundary (issue 10, item 3), and secrets kept
(item 7): SQLite and PostgreSQL accept exactly the same data, bad input is one clear error, the
password never printed, personal data never on the command line, every file owner-only."""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from xxgk.errors import XxgkError
from xxgk.office.db import Action, Applicant, Request
from xxgk.office.service import Office

D = dt.date
TODAY = D(2025, 6, 30)


def req(name: str = "李四", received: str | D = "2024-09-27", **kw):  # type: ignore[no-untyped-def]
    applicant = {"kind": "自然人", "name": name, **kw.pop("applicant", {})}
    return {"applicant": applicant, "channel": "online", "received_on": received,
            "description": kw.pop("description", "某项目环评文件"), **kw}


@pytest.fixture
def o(office: Office) -> Office:
    office.add_agency("fgw", "某市发展和改革委员会")
    return office


# ---------------------------------------------------------------- numbers


BAD_AMOUNTS = [Decimal("Infinity"), Decimal("-Infinity"), float("inf"), Decimal("NaN"), Decimal("sNaN"), float("nan"),
               "Infinity", "NaN", Decimal("1e30"), 1e30, Decimal("10000000000000"), Decimal("-1"), Decimal("1.234"),
               "1.001", True]


def test_bad_amounts_are_refused_the_same_on_both(o: Office):
    for amount in BAD_AMOUNTS:
        with pytest.raises(XxgkError) as e:
            o.add_actions("fgw", "fees", [("F1", D(2024, 6, 1), Decimal(1)), ("F2", D(2024, 6, 2), amount)])
        assert e.value.code == "bad-amount" and "F2" in e.value.message, amount
    with o.session() as s:
        assert s.scalars(select(Action)).all() == []  # nothing written
    assert o.tally("fgw", 2024).cells["proactive.fees.amount"] == 0  # and the year's report still works


def test_amounts_at_the_limits_are_kept_exactly(o: Office):
    # 15 significant digits: what SQLite's float keeps exactly, so both databases read back the same
    o.add_actions("fgw", "fees", [("F1", D(2024, 6, 1), Decimal("9999999999999.99")),
                                  ("F2", D(2024, 6, 2), "0.5"), ("F3", D(2024, 6, 3), 12)])
    with o.session() as s:
        assert sorted(s.scalars(select(Action.amount))) == [Decimal("0.5"), Decimal(12), Decimal("9999999999999.99")]
    assert o.verify().ok


def test_bad_figures_and_event_numbers_are_refused(o: Office):
    for value in (Decimal("Infinity"), Decimal("sNaN"), float("nan"), Decimal("1e30"), Decimal("-3"),
                  Decimal("0.00001")):
        with pytest.raises(XxgkError) as e:
            o.set_figure("fgw", 2020, "proactive.procurement.count", value)
        assert e.value.code == "bad-amount", value
    o.set_figure("fgw", 2020, "proactive.procurement.count", Decimal("12.5"))
    assert o.tally("fgw", 2020).cells["proactive.procurement.count"] == 12.5
    t = o.add_request("fgw", req(), today=TODAY).tracking_no
    for data in ({"pages": 10**12}, {"pages": 2.5}, {"pages": float("inf")}, {"pages": True}, {"pages": 40, "amount": 0}):
        with pytest.raises(XxgkError) as e:
            o.record("fgw", t, "fee_notice_sent", D(2024, 10, 8), today=TODAY, method="per_page", **data)
        assert e.value.code == "bad-input", data
    with pytest.raises(XxgkError):
        o.record("fgw", t, "extension_approved", D(2024, 10, 8), days=float("inf"), approver="王五", today=TODAY)
    assert len(o.events("fgw", t)) == 1


# ---------------------------------------------------------------- dates


def test_receipt_before_the_regulations_is_refused(o: Office):
    for received in ("0001-01-01", "1900-01-01", "2008-04-30"):
        with pytest.raises(XxgkError) as e:
            o.add_request("fgw", req(received=received), today=TODAY)
        assert e.value.code == "bad-date" and "2008" in e.value.message
    assert o.requests("fgw") == []


def test_dates_at_the_limits(o: Office):
    assert o.add_request("fgw", req(received="2008-05-01"), today=TODAY).received_on == D(2008, 5, 1)
    with pytest.raises(XxgkError, match="晚于今天"):
        o.add_request("fgw", req(received="2025-07-01"), today=TODAY)
    o.add_document("fgw", "rules", "某市价格管理规定", "市政府令第1号", D(1995, 3, 1))  # old rules stay in force
    for call in (lambda: o.add_document("fgw", "rules", "x", "令2", D(1900, 1, 1)),
                 lambda: o.add_document("fgw", "rules", "x", "令3", D(2024, 1, 1), today=D(2023, 12, 31)),
                 lambda: o.add_actions("fgw", "licensing", [("许1", D(1900, 1, 1), None)]),
                 lambda: o.add_appeal("fgw", "reconsideration", D(2001, 1, 1)),
                 lambda: o.add_appeal("fgw", "reconsideration", D(2024, 1, 1), today=D(2023, 1, 1))):
        with pytest.raises(XxgkError) as e:
            call()
        assert e.value.code == "bad-date"


def test_a_ledger_row_from_1900_is_rejected(o: Office, tmp_path: Path):
    from xxgk.office.ledger import import_ledger

    f = tmp_path / "l.csv"
    f.write_text("申请人,申请人类型,申请方式,收到日期,申请内容\n甲,自然人,网上申请,1900-01-01,x\n乙,自然人,网上申请,2024-03-01,y\n",
                 encoding="utf-8")
    r = import_ledger(o, "fgw", f, today=TODAY)
    assert r.taken == ["2024-0001"] and len(r.rejected) == 1 and "2008" in r.rejected[0][1]


# ---------------------------------------------------------------- strings


TOO_LONG_OR_BAD = [
    req(name="名" * 201), req(applicant={"id_number": "1" * 81}), req(applicant={"phone": "1" * 41}),
    req(applicant={"email": "a" * 201}), req(applicant={"address": "路" * 401}), req(tracking_no="号" * 65),
    req(form="纸" * 41), req(description="含\x00空字符"), req(name="王\n五"), req(description="\ud800"),
    req(applicant={"id_number": 110101}),
]


def test_strings_longer_than_their_columns_are_refused_on_both(o: Office):
    for bad in TOO_LONG_OR_BAD:
        with pytest.raises(XxgkError) as e:
            o.add_request("fgw", bad, today=TODAY)
        assert e.value.code == "bad-input" and e.value.message and e.value.message_en
    assert o.requests("fgw") == []


def test_strings_at_their_limits_are_kept_on_both(o: Office):
    v = o.add_request("fgw", req(name="名" * 200, applicant={"id_number": "1" * 80, "phone": "1" * 40},
                                 tracking_no="号" * 64, description="多行\n内容\t" * 1000), today=TODAY)
    with o.session() as s:
        a = s.scalar(select(Applicant))
        assert (len(a.name), len(a.id_number), len(a.phone)) == (200, 80, 40)
        assert len(s.scalar(select(Request.tracking_no))) == 64
    assert v.tracking_no == "号" * 64


def test_other_strings_are_checked(o: Office):
    t = o.add_request("fgw", req(), today=TODAY).tracking_no
    cases = [
        lambda: o.record("fgw", t, "consultation_sent", D(2024, 10, 8), party="某" * 201, today=TODAY),
        lambda: o.record("fgw", t, "extension_approved", D(2024, 10, 8), days=5, approver="王" * 101, today=TODAY),
        lambda: o.record("fgw", t, "delivered", D(2024, 10, 8), note="\x00", today=TODAY),
        lambda: o.add_agency("x" * 65, "某局"),
        lambda: o.add_document("fgw", "rules", "题" * 401, "令1", D(2024, 1, 1)),
        lambda: o.set_text("fgw", 2024, "overview", "正文\x00"),
        lambda: o.get("fgw", "2024-\x000001"),
    ]
    for call in cases:
        with pytest.raises(XxgkError) as e:
            call()
        assert e.value.code == "bad-input", e.value
    with pytest.raises(XxgkError):
        o.actor = "经办人" * 40
    assert len(o.events("fgw", t)) == 1 and o.verify().ok


# ---------------------------------------------------------------- through the command line: one line, no traceback


def cli(*args: str, db: str, stdin: str | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, XXGK_USER="测试员", XXGK_DATABASE_URL=db)
    return subprocess.run([sys.executable, "-m", "xxgk.cli", *args], capture_output=True, text=True, env=env,
                          input=stdin, cwd=cwd, timeout=120)


def test_bad_numbers_on_the_command_line_are_one_line(tmp_path: Path):
    db = f"sqlite:///{tmp_path / 'o.db'}"
    assert cli("office", "agency-add", "fgw", "某局", db=db).returncode == 0
    (tmp_path / "fees.csv").write_text("编号,日期,金额\nF1,2024-06-01,Infinity\n", encoding="utf-8")
    for args in (["office", "figure", "fgw", "2020", "proactive.procurement.count", "sNaN"],
                 ["office", "actions", "fgw", "fees", str(tmp_path / "fees.csv")],
                 ["office", "add", "fgw", "--applicant", "甲", "--received", "1900-01-01", "--description", "x"]):
        r = cli(*args, db=db)
        assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
        assert len(r.stderr.strip().splitlines()) == 1


# ---------------------------------------------------------------- secrets


def test_the_password_is_never_printed(office_url: str, tmp_path: Path):
    if office_url.startswith("sqlite"):
        bad = "postgresql+psycopg://clerk:s3cr3t-pw@127.0.0.1:1/none"
        r = cli("office", "init", db=bad)
        assert r.returncode == 2 and "s3cr3t" not in r.stderr + r.stdout and "***" in r.stderr
        r = cli("office", "init", db="postgresql+psycopg://clerk:s3cr3t-pw@127.0.0.1:notaport/x")
        assert r.returncode == 2 and "s3cr3t" not in r.stderr + r.stdout
        return
    url = make_url(office_url).set(password="s3cr3t-pw").render_as_string(hide_password=False)
    r = cli("office", "init", db=url)
    assert r.returncode == 0, r.stderr
    assert "s3cr3t" not in r.stdout + r.stderr and "***" in r.stdout


def test_personal_data_from_a_file_or_standard_input(tmp_path: Path):
    db = f"sqlite:///{tmp_path / 'o.db'}"
    assert cli("office", "agency-add", "fgw", "某局", db=db).returncode == 0
    person = {"name": "李四", "kind": "自然人", "id_type": "居民身份证", "id_number": "110101199001011234",
              "phone": "13800000000"}
    r = cli("office", "add", "fgw", "--applicant-file", "-", "--received", "2024-09-27", "--description", "x",
            "--today", "2025-01-10", db=db, stdin=json.dumps(person, ensure_ascii=False))
    assert r.returncode == 0, r.stderr
    f = tmp_path / "applicant.toml"
    f.write_text('[applicant]\nname = "某公司"\nkind = "商业企业"\nid_number = "91110000MA01234567"\n', encoding="utf-8")
    r = cli("office", "add", "fgw", "--applicant-file", str(f), "--received", "2024-09-27", "--description", "y",
            "--today", "2025-01-10", db=db)
    assert r.returncode == 0, r.stderr
    o = Office.open(db, create=False)
    try:
        with o.session() as s:
            got = [(a.name, a.kind, a.id_number, a.phone) for a in s.scalars(select(Applicant).order_by(Applicant.id))]
        assert got == [("李四", "natural", "110101199001011234", "13800000000"),
                       ("某公司", "commercial", "91110000MA01234567", None)]
        assert o.verify().ok
        assert "110101199001011234" not in json.dumps([a.after for a in o.audit("fgw")], ensure_ascii=False)
    finally:
        o.close()
    for stdin, needle in (('{"name": "甲", "password": 1}', "未知的键"), ("name = ", "TOML"),
                          ('{"kind": "自然人"}', "需要申请人")):
        r = cli("office", "add", "fgw", "--applicant-file", "-", "--received", "2024-09-27", "--description", "x",
                db=db, stdin=stdin)
        assert r.returncode == 2 and needle in r.stderr and "Traceback" not in r.stderr, r.stderr


@contextmanager
def umask(mask: int) -> Iterator[None]:
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def test_the_database_and_every_export_are_owner_only(tmp_path: Path):
    db = f"sqlite:///{tmp_path / 'o.db'}"
    (tmp_path / "old.csv").write_text("x")
    os.chmod(tmp_path / "old.csv", 0o644)
    with umask(0):  # the most permissive umask: the modes must not come from it
        assert cli("office", "init", db=db).returncode == 0
        assert cli("office", "agency-add", "fgw", "某局", db=db).returncode == 0
        assert cli("office", "add", "fgw", "--applicant", "甲", "--received", "2024-09-27", "--description", "x",
                   "--today", "2025-01-10", db=db).returncode == 0
        o = Office.open(db, create=False)  # holds the database open: its -wal and -shm files exist
        try:
            for args in (["office", "list", "fgw", "-o", str(tmp_path / "l.xlsx")],
                         ["office", "list", "fgw", "-o", str(tmp_path / "old.csv")],
                         ["office", "report", "fgw", "2024", "--to", "html", "-o", str(tmp_path / "r.html")],
                         ["office", "report", "fgw", "2024", "-o", str(tmp_path / "r.json")]):
                r = cli(*args, db=db)
                assert r.returncode == 0, r.stderr
            files = ["o.db", "o.db-wal", "o.db-shm", "l.xlsx", "old.csv", "r.html", "r.json"]
            assert {f: oct(mode(tmp_path / f)) for f in files} == {f: oct(0o600) for f in files}
        finally:
            o.close()
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary file left
