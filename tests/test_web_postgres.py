"""The web application on the real PostgreSQL server (XXGK_TEST_POSTGRES_URL; skipped, saying so,
without one): first start with the demo data, sign-in with the second factor, the feature pages
and the API, the audit chain verified."""

from __future__ import annotations

import uuid

import pytest
from conftest import PG_URL, _pg_admin
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from webkit import PASSWORD, TOTP_SECRET, sign_in

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def pg_url():  # type: ignore[no-untyped-def]
    try:
        admin = _pg_admin()
        with admin.connect() as conn:
            name = f"xxgk_web_{uuid.uuid4().hex[:12]}"
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as e:  # noqa: BLE001 - no server: skip and say why
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}: {str(e).splitlines()[0]}")
    yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="module")
def app(pg_url):  # type: ignore[no-untyped-def]
    from xxgk.web.app import create_app
    from xxgk.web.demo import load_demo_corpus
    from xxgk.web.models import WebUser

    application = create_app(pg_url)
    web = application.state.web
    _, province = load_demo_corpus(web.store, reports=60)
    web.accounts.add_user("admin", PASSWORD, "admin", actor="test")
    with web.office.writing() as s:
        u = s.scalars(select(WebUser).where(WebUser.username == "admin")).one()
        u.totp_secret, u.totp_enabled = TOTP_SECRET, True
    web.accounts.add_user("sup", PASSWORD, "supervisor", region=province, actor="test")
    web.accounts.add_user("researcher", PASSWORD, "researcher", actor="test")
    yield application
    web.close()


def test_sign_in_and_pages_on_postgresql(app) -> None:  # type: ignore[no-untyped-def]
    admin = sign_in(TestClient(app), "admin")
    assert admin.get("/admin/users").status_code == 200
    assert admin.get("/api/v1/audit").json()[0]["action"] in ("sign_in_totp", "sign_in")
    sup = sign_in(TestClient(app), "sup")
    for path in ("/", "/account", "/api/v1/me"):
        assert sup.get(path).status_code == 200, path
    assert sup.get("/admin/users").status_code == 403
    r = sup.post("/account/tokens", data={"name": "pg"})
    token = r.text.split('id="new-token">')[1].split("<")[0]
    assert TestClient(app).get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).json()["username"] == "sup"
    assert app.state.web.office.verify().ok
