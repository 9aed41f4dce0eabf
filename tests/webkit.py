"""Helpers for the web application's tests: a demo database made once per test session (copied for
each module that writes), accounts with known passwords, and clients that sign in the way a
browser does (the sign-in form's CSRF token, then the session's)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pyotp
from fastapi.testclient import TestClient

PASSWORD = "correct horse battery"  # every test account's password (≥ 10 characters)
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DP"  # the test admin's second factor


def build_demo(path: Path) -> dict[str, Any]:
    """A demo database at ``path`` (the first start of ``xxgk serve``), plus test accounts: one per
    role, inside and outside the demo supervisor's region. Returns the names it made."""
    from sqlalchemy import select

    from xxgk.corpus.store import CorpusStore
    from xxgk.office.service import Office
    from xxgk.web.accounts import Accounts
    from xxgk.web.demo import load_demo_corpus
    from xxgk.web.models import WebUser

    office = Office.open(f"sqlite:///{path}")
    store = CorpusStore(office.engine)
    accounts = Accounts(office)
    _, province = load_demo_corpus(store, reports=150)
    regions, agencies = store.registry()
    provinces = sorted(r.code for r in regions if r.level == "province")
    other = next(p for p in provinces if p != province)
    inside = sorted(store.subtree(province))
    mine = next(a for a in agencies if a.region in inside)
    theirs = next(a for a in agencies if a.region in store.subtree(other))
    made = {"province": province, "other_province": other, "agency": mine.code, "other_agency": theirs.code,
            "agency_region": mine.region, "other_agency_region": theirs.region}
    accounts.add_user("admin", PASSWORD, "admin", actor="test")
    with office.writing() as s:  # the admin enrolled in TOTP with a known secret
        u = s.scalars(select(WebUser).where(WebUser.username == "admin")).one()
        u.totp_secret, u.totp_enabled = TOTP_SECRET, True
    accounts.add_user("sup", PASSWORD, "supervisor", region=province, actor="test")
    accounts.add_user("sup_other", PASSWORD, "supervisor", region=other, actor="test")
    accounts.add_user("agency_admin", PASSWORD, "agency_admin", agency=mine.code, actor="test")
    accounts.add_user("approver", PASSWORD, "approver", agency=mine.code, actor="test")
    accounts.add_user("clerk", PASSWORD, "clerk", agency=mine.code, actor="test")
    accounts.add_user("clerk_other", PASSWORD, "clerk", agency=theirs.code, actor="test")
    accounts.add_user("researcher", PASSWORD, "researcher", actor="test")
    office.close()
    return made


def copy_db(src: Path, dst: Path) -> str:
    shutil.copyfile(src, dst)
    return f"sqlite:///{dst}"


def form_token(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]*)"', html)
    assert m, "no CSRF field in the page"
    return m.group(1)


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> TestClient:
    """Sign ``client`` in through the form (and the admin's TOTP); headers carry the session's
    CSRF token afterwards, as htmx does."""
    page = client.get("/login")
    r = client.post("/login", data={"username": username, "password": password, "csrf_token": form_token(page.text)},
                    follow_redirects=False)
    assert r.status_code == 303, r.text[:300]
    if r.headers["location"] == "/login/totp":
        page = client.get("/login/totp")
        r = client.post("/login/totp", data={"code": fresh_code(str(client.app.state.web.office.engine.url)), "csrf_token": form_token(page.text)},
                        follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/", r.text[:300]
    home = client.get("/")
    assert home.status_code == 200
    client.headers["X-CSRF-Token"] = form_token(home.text)
    return client


_used: dict[str, set[str]] = {}


def fresh_code(key: str = "") -> str:
    """A TOTP code never used before in this run (a code is accepted once): the next step's code
    when the current one was spent (the server accepts one step either side)."""
    totp = pyotp.TOTP(TOTP_SECRET)
    import time

    for offset in (0, 1):
        code = totp.at(time.time() + offset * totp.interval)
        if code not in _used.setdefault(key, set()):
            _used[key].add(code)
            return code
    time.sleep(totp.interval - time.time() % totp.interval + 0.5)
    return fresh_code(key)
