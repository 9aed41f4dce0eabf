"""Signing in: Argon2id hashes, server-side sessions with HttpOnly/SameSite cookies, CSRF on the
sign-in form and on every state-changing request, the sign-in rate limit, TOTP (required for
administrators), API tokens, and the audit of each of these."""

from __future__ import annotations

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from webkit import PASSWORD, TOTP_SECRET, copy_db, form_token, sign_in

from xxgk.office.db import AuditEntry
from xxgk.web.app import create_app
from xxgk.web.models import WebSession, WebUser


@pytest.fixture(scope="module")
def app(web_demo, tmp_path_factory):  # type: ignore[no-untyped-def]
    path, _ = web_demo
    url = copy_db(path, tmp_path_factory.mktemp("auth") / "auth.db")
    application = create_app(url)
    yield application
    application.state.web.close()


def _audit(app, action: str) -> list[AuditEntry]:  # type: ignore[no-untyped-def]
    with app.state.web.office.session() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_password_is_argon2id_and_the_session_is_server_side(app) -> None:  # type: ignore[no-untyped-def]
    with app.state.web.office.session() as s:
        u = s.scalars(select(WebUser).where(WebUser.username == "sup")).one()
        assert u.password_hash.startswith("$argon2id$") and PASSWORD not in u.password_hash
    c = TestClient(app)
    page = c.get("/login")
    r = c.post("/login", data={"username": "sup", "password": PASSWORD, "csrf_token": form_token(page.text)},
               follow_redirects=False)
    cookie = r.headers["set-cookie"]
    assert "xxgk_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    token = r.cookies.get("xxgk_session") or c.cookies.get("xxgk_session")
    import hashlib

    with app.state.web.office.session() as s:  # the database holds the token's hash, never the token
        assert s.get(WebSession, hashlib.sha256(token.encode()).hexdigest()) is not None
        assert s.get(WebSession, token) is None


def test_sign_in_needs_the_forms_csrf_token(app) -> None:  # type: ignore[no-untyped-def]
    c = TestClient(app)
    c.get("/login")
    r = c.post("/login", data={"username": "sup", "password": PASSWORD}, follow_redirects=False)
    assert r.status_code == 403 and "CSRF" in r.text
    r = c.post("/login", data={"username": "sup", "password": PASSWORD, "csrf_token": "forged"}, follow_redirects=False)
    assert r.status_code == 403


def test_state_changes_need_the_sessions_token(app) -> None:  # type: ignore[no-untyped-def]
    c = sign_in(TestClient(app), "sup")
    good = c.headers.pop("X-CSRF-Token")
    assert c.post("/account/tokens", data={"name": "x"}).status_code == 403
    assert c.post("/account/tokens", data={"name": "x", "csrf_token": "nope"}).status_code == 403
    assert c.post("/account/tokens", data={"name": "x", "csrf_token": good}).status_code == 200
    assert c.post("/account/tokens", data={"name": "y"}, headers={"X-CSRF-Token": good}).status_code == 200


def test_wrong_password_is_refused_audited_and_rate_limited(app) -> None:  # type: ignore[no-untyped-def]
    c = TestClient(app)
    before = len(_audit(app, "sign_in_failed"))
    for _ in range(5):
        page = c.get("/login")
        r = c.post("/login", data={"username": "researcher", "password": "wrong password!", "csrf_token": form_token(page.text)})
        assert r.status_code == 401 and "用户名或密码错误" in r.text
    assert len(_audit(app, "sign_in_failed")) == before + 5
    page = c.get("/login")  # now even the right password waits
    r = c.post("/login", data={"username": "researcher", "password": PASSWORD, "csrf_token": form_token(page.text)})
    assert r.status_code == 429 and "15 分钟" in r.text
    assert _audit(app, "sign_in_limited")


def test_unknown_user_is_refused_like_a_wrong_password(app) -> None:  # type: ignore[no-untyped-def]
    c = TestClient(app)
    page = c.get("/login")
    r = c.post("/login", data={"username": "nobody", "password": PASSWORD, "csrf_token": form_token(page.text)})
    assert r.status_code == 401 and "用户名或密码错误" in r.text


def test_admin_must_pass_totp_before_anything(app) -> None:  # type: ignore[no-untyped-def]
    c = TestClient(app)
    page = c.get("/login")
    r = c.post("/login", data={"username": "admin", "password": PASSWORD, "csrf_token": form_token(page.text)},
               follow_redirects=False)
    assert r.headers["location"] == "/login/totp"
    assert c.get("/admin/users", follow_redirects=False).headers["location"] == "/login/totp"
    assert c.get("/api/v1/users").status_code == 401
    page = c.get("/login/totp")
    bad = c.post("/login/totp", data={"code": "000000", "csrf_token": form_token(page.text)})
    assert bad.status_code == 401
    ok = c.post("/login/totp", data={"code": pyotp.TOTP(TOTP_SECRET).now(), "csrf_token": form_token(page.text)},
                follow_redirects=False)
    assert ok.headers["location"] == "/"
    assert c.get("/admin/users").status_code == 200
    assert _audit(app, "sign_in_totp") and _audit(app, "totp_failed")


def test_an_admin_without_totp_is_made_to_enrol(app) -> None:  # type: ignore[no-untyped-def]
    accounts = app.state.web.accounts
    accounts.add_user("admin2", PASSWORD, "admin", actor="test")
    c = TestClient(app)
    page = c.get("/login")
    c.post("/login", data={"username": "admin2", "password": PASSWORD, "csrf_token": form_token(page.text)})
    page = c.get("/login/totp")
    assert "启用动态口令" in page.text and "<svg" in page.text
    secret = page.text.split('id="totp-secret">')[1].split("<")[0]
    r = c.post("/login/totp", data={"code": pyotp.TOTP(secret).now(), "csrf_token": form_token(page.text)},
               follow_redirects=False)
    assert r.headers["location"] == "/"
    with app.state.web.office.session() as s:
        assert s.scalars(select(WebUser).where(WebUser.username == "admin2")).one().totp_enabled
    assert _audit(app, "totp_enabled")


def test_api_token_works_without_csrf_and_dies_when_revoked(app) -> None:  # type: ignore[no-untyped-def]
    c = sign_in(TestClient(app), "sup")
    page = c.post("/account/tokens", data={"name": "script"})
    token = page.text.split('id="new-token">')[1].split("<")[0]
    api = TestClient(app)
    api.headers["Authorization"] = f"Bearer {token}"
    assert api.get("/api/v1/me").json()["username"] == "sup"
    tid = app.state.web.accounts.tokens(api.get("/api/v1/me").json() and _uid(app, "sup"))[-1]["id"]
    c.post(f"/account/tokens/{tid}/revoke")
    assert api.get("/api/v1/me").status_code == 401
    assert TestClient(app).get("/api/v1/me", headers={"Authorization": "Bearer xxgk_forged"}).status_code == 401


def _uid(app, username: str) -> int:  # type: ignore[no-untyped-def]
    with app.state.web.office.session() as s:
        return s.scalars(select(WebUser.id).where(WebUser.username == username)).one()


def test_sign_out_ends_the_session(app) -> None:  # type: ignore[no-untyped-def]
    c = sign_in(TestClient(app), "clerk")
    assert c.get("/api/v1/me").status_code == 200
    c.post("/logout")
    assert c.get("/api/v1/me").status_code == 401


def test_role_change_is_audited_and_ends_sessions(app) -> None:  # type: ignore[no-untyped-def]
    c = sign_in(TestClient(app), "approver")
    app.state.web.accounts.set_role("approver", "researcher", actor="admin")
    assert c.get("/api/v1/me").status_code == 401
    entries = _audit(app, "permission")
    assert entries and entries[-1].actor == "admin" and entries[-1].after["role"] == "researcher"


def test_the_audit_chain_still_verifies(app) -> None:  # type: ignore[no-untyped-def]
    v = app.state.web.office.verify()
    assert v.ok and len(_audit(app, "sign_in")) > 3, v.problems


def test_next_never_leaves_the_site(app) -> None:  # type: ignore[no-untyped-def]
    c = TestClient(app)
    page = c.get("/login?next=//evil.example/x")
    assert 'value="/"' in page.text
    r = c.post("/login", data={"username": "sup", "password": PASSWORD, "next": "https://evil.example/",
                               "csrf_token": form_token(page.text)}, follow_redirects=False)
    assert r.headers["location"] == "/"


def test_a_totp_code_works_once(app) -> None:  # type: ignore[no-untyped-def]
    from xxgk.web import security

    assert security.totp_step(TOTP_SECRET, pyotp.TOTP(TOTP_SECRET).now()) is not None
    step = security.totp_step(TOTP_SECRET, pyotp.TOTP(TOTP_SECRET).now())
    assert security.totp_step(TOTP_SECRET, pyotp.TOTP(TOTP_SECRET).now(), after=step) is None
    assert security.totp_step(TOTP_SECRET, "12345") is None  # five digits
    code = pyotp.TOTP(TOTP_SECRET).at(0)
    assert security.totp_step(TOTP_SECRET, code) is None or pyotp.TOTP(TOTP_SECRET).now() == code  # long expired
