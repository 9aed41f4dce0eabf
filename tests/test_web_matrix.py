"""Every route × every role, inside and outside its scope (a generated matrix).

The expectations are written here, independently of xxgk/web/policy.py: which permission each
route needs (ROUTES) and which roles hold each permission (GRANTS). The test fails when a route
exists that this file does not list, when a route's declared permission differs, when a role
reaches a route it should not (anything not explicitly allowed is refused), when a role is refused
a route it holds, when a route in a scope answers for a user outside it, and when a
state-changing route accepts a request without the CSRF token."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from webkit import copy_db, sign_in

from xxgk.web.app import create_app

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

ROLES = ("admin", "sup", "agency_admin", "approver", "clerk", "researcher")
ROLE_OF = {"admin": "admin", "sup": "supervisor", "agency_admin": "agency_admin", "approver": "approver",
           "clerk": "clerk", "researcher": "researcher"}
STAFF = {"agency_admin", "approver", "clerk"}
GRANTS: dict[str, set[str]] = {
    "account.self": set(ROLE_OF.values()),
    "report.check": {"admin", "supervisor"} | STAFF,
    "corpus.read": {"admin", "supervisor", "researcher"} | STAFF,
    "cell.confirm": {"admin", "supervisor", "agency_admin"},
    "desk.read": {"admin", "supervisor"},
    "case.read": {"admin", "supervisor"} | STAFF,
    "case.manage": {"admin", "supervisor"},
    "case.respond": STAFF,
    "users.manage": {"admin"},
    "audit.read": {"admin"},
}
PUBLIC = {("GET", "/login"), ("POST", "/login"), ("GET", "/login/totp"), ("POST", "/login/totp"), ("POST", "/logout"),
          ("GET", "/api/openapi.json"), ("GET", "/api/docs"), ("GET", "/api/docs/oauth2-redirect")}
# (method, path) -> the permission it needs. Every route of the application must be here.
ROUTES: dict[tuple[str, str], str] = {
    ("GET", "/"): "account.self",
    ("GET", "/account"): "account.self",
    ("POST", "/account/tokens"): "account.self",
    ("POST", "/account/tokens/{token_id}/revoke"): "account.self",
    ("GET", "/admin/users"): "users.manage",
    ("POST", "/admin/users"): "users.manage",
    ("POST", "/admin/users/{username}/role"): "users.manage",
    ("POST", "/admin/users/{username}/active"): "users.manage",
    ("GET", "/admin/audit"): "audit.read",
    ("GET", "/api/v1/me"): "account.self",
    ("GET", "/api/v1/users"): "users.manage",
    ("POST", "/api/v1/users"): "users.manage",
    ("GET", "/api/v1/audit"): "audit.read",
    # the report checker: one's own uploads (xxgk/web/routes_checker.py)
    ("GET", "/check"): "report.check",
    ("POST", "/check"): "report.check",
    ("GET", "/check/{sid}"): "report.check",
    ("GET", "/check/{sid}/cell/{cell}"): "report.check",
    ("POST", "/check/{sid}/cell/{cell}/confirm"): "report.check",
    ("GET", "/check/{sid}/source"): "report.check",
    ("GET", "/check/{sid}/page/{n}.png"): "report.check",
    ("GET", "/check/{sid}/download/{fmt}"): "report.check",
    ("POST", "/api/v1/checks"): "report.check",
    ("GET", "/api/v1/checks/{sid}"): "report.check",
    ("POST", "/api/v1/checks/{sid}/cells/{cell}/confirm"): "report.check",
    # a stored report, in the reader's scope
    ("GET", "/reports/{sid}"): "corpus.read",
    ("GET", "/reports/{sid}/cell/{cell}"): "corpus.read",
    ("POST", "/reports/{sid}/cell/{cell}/confirm"): "cell.confirm",
    ("GET", "/reports/{sid}/source"): "corpus.read",
    ("GET", "/reports/{sid}/page/{n}.png"): "corpus.read",
    ("GET", "/reports/{sid}/download/{fmt}"): "corpus.read",
    ("GET", "/api/v1/reports/{sid}"): "corpus.read",
    # the corpus explorer (xxgk/web/routes_explorer.py)
    ("GET", "/reports"): "corpus.read",
    ("GET", "/api/v1/reports"): "corpus.read",
    ("GET", "/agencies/{agency_id}"): "corpus.read",
    ("GET", "/api/v1/agencies/{agency_id}"): "corpus.read",
    ("GET", "/explore"): "corpus.read",
    ("GET", "/explore/data.{fmt}"): "corpus.read",
    ("GET", "/api/v1/measures"): "corpus.read",
    ("GET", "/api/v1/charts/{measure}"): "corpus.read",
    ("GET", "/api/v1/trees/{measure}"): "corpus.read",
    # the supervisor's desk and 整改 (xxgk/web/routes_desk.py); a step's own permission (manage or
    # respond) and the case's scope are checked by the workflow (tests/test_review.py)
    ("GET", "/desk"): "desk.read",
    ("GET", "/desk/export.{fmt}"): "desk.read",
    ("GET", "/cases/new"): "case.manage",
    ("POST", "/cases"): "case.manage",
    ("GET", "/cases"): "case.read",
    ("GET", "/cases/{case_id}"): "case.read",
    ("POST", "/cases/{case_id}/steps"): "case.read",
    ("GET", "/api/v1/desk"): "desk.read",
    ("GET", "/api/v1/desk/findings"): "case.manage",
    ("GET", "/api/v1/cases"): "case.read",
    ("POST", "/api/v1/cases"): "case.manage",
    ("GET", "/api/v1/cases/{case_id}"): "case.read",
    ("POST", "/api/v1/cases/{case_id}/steps"): "case.read",
}
# Path parameters: (value inside the user's scope, value outside it or None), by path and role.
SEED = next((Path(__file__).parent / "fixtures" / "seeds").glob("001_*.txt"))


def sample(path: str, name: str, ctx: dict[str, Any], role: str) -> tuple[Any, Any]:
    if name == "sid" and ("/check/" in path or "/checks/" in path):
        others = [v for k, v in ctx["checks"].items() if k != role]
        return ctx["checks"].get(role, others[0]), others[0]
    if name == "sid":  # a stored report: of the demo agency (in sup's province), or of another province's
        return ctx["report_in"], ctx["report_out"]
    if name == "fmt":
        return ("csv" if path.startswith(("/desk", "/explore")) else "json"), None
    if name == "agency_id":
        return ctx["agency_in"], ctx["agency_out"]
    fixed = {"token_id": 999999, "username": "nobody", "cell": "proactive.normative.issued", "n": 1, "case_id": 999999,
             "measure": "requests_received"}
    return fixed[name], None


def _permission(route: APIRoute) -> str | None:
    for dep in route.dependant.dependencies:
        perm = getattr(dep.call, "permission", None)
        if perm:
            return str(perm)
    return None


def _flat(routes: list[Any]) -> list[APIRoute]:
    """The application's API routes, through included routers (kept unflattened by FastAPI ≥ 0.16x)."""
    out: list[APIRoute] = []
    for r in routes:
        if isinstance(r, APIRoute):
            out.append(r)
        elif hasattr(r, "original_router"):
            out.extend(_flat(r.original_router.routes))
    return out


def _routes(app: Any) -> list[tuple[str, str, APIRoute]]:
    return [(m, r.path, r) for r in _flat(app.routes) for m in sorted(r.methods - {"HEAD"})]


@pytest.fixture(scope="module")
def env(web_demo, tmp_path_factory):  # type: ignore[no-untyped-def]
    path, made = web_demo
    app = create_app(copy_db(path, tmp_path_factory.mktemp("matrix") / "m.db"))
    clients = {name: sign_in(TestClient(app), name) for name in ROLES}
    ctx: dict[str, Any] = {"checks": {}}
    for name, client in clients.items():  # each role that may check uploads one report of its own
        if ROLE_OF[name] in GRANTS["report.check"]:
            r = client.post("/api/v1/checks", files={"files": ("001.txt", SEED.read_bytes(), "text/plain")})
            assert r.status_code in (200, 201), r.text
            ctx["checks"][name] = _first_id(r.json())
    ctx["report_in"], ctx["report_out"] = _report_of(app, made["agency"]), _report_of(app, made["other_agency"])
    ctx["agency_in"], ctx["agency_out"] = _agency_id(app, made["agency"]), _agency_id(app, made["other_agency"])
    yield app, clients, ctx
    app.state.web.close()


def _first_id(body: Any) -> int:
    items = body if isinstance(body, list) else body.get("checks") or body.get("items") or [body]
    return int(items[0]["id"])


def _agency_id(app: Any, code: str) -> int:
    from sqlalchemy import select

    from xxgk.office.db import Agency

    with app.state.web.office.session() as s:
        return int(s.scalars(select(Agency.id).where(Agency.code == code)).one())


def _report_of(app: Any, agency_code: str) -> int:
    from sqlalchemy import select

    from xxgk.corpus.schema import CorpusReport
    from xxgk.office.db import Agency

    with app.state.web.office.session() as s:
        return int(s.scalars(select(CorpusReport.id).join(Agency, Agency.id == CorpusReport.agency_id)
                             .where(Agency.code == agency_code).order_by(CorpusReport.id)).first())


def _url(path: str, ctx: dict[str, Any], inside: bool, role: str = "admin") -> str | None:
    def sub(m: re.Match[str]) -> str:
        value = sample(path, m.group(1), ctx, role)[0 if inside else 1]
        if value is None:
            raise LookupError
        return str(value)

    try:
        return re.sub(r"\{(\w+)\}", sub, path)
    except LookupError:
        return None


def test_every_route_is_listed_with_its_permission(env) -> None:  # type: ignore[no-untyped-def]
    app, _, _ = env
    seen = set()
    for method, path, route in _routes(app):
        seen.add((method, path))
        if (method, path) in PUBLIC:
            continue
        assert (method, path) in ROUTES, f"route not in the matrix: {method} {path}"
        assert _permission(route) == ROUTES[method, path], f"{method} {path} declares {_permission(route)}"
    assert set(ROUTES) <= seen, f"listed but gone: {set(ROUTES) - seen}"


def _call(client: TestClient, method: str, url: str, csrf: bool = True) -> int:
    headers = {} if csrf else {"X-CSRF-Token": ""}
    r = client.request(method, url, headers=headers, follow_redirects=False,
                       **({"data": {}} if method in ("POST", "PUT", "PATCH", "DELETE") else {}))
    return r.status_code


@pytest.mark.parametrize("role", ROLES)
def test_each_role_reaches_exactly_what_it_holds(env, role: str) -> None:  # type: ignore[no-untyped-def]
    app, clients, made = env
    client = clients[role]
    wrong = []
    for (method, path), perm in sorted(ROUTES.items()):
        if method != "GET" and "{" not in path and perm in ("users.manage",):
            pass
        url = _url(path, made, inside=True, role=role)
        assert url is not None
        status = _call(client, method, url)
        holds = ROLE_OF[role] in GRANTS[perm]
        if holds and status in (401, 403):
            wrong.append(f"{role} refused {method} {url} ({status}) though it holds {perm}")
        if not holds and status != 403:
            wrong.append(f"{role} got {status} on {method} {url} without {perm}")
        outside = _url(path, made, inside=False, role=role) if "{" in path else None
        if holds and outside is not None and ROLE_OF[role] not in ("admin", "researcher"):
            s2 = _call(client, method, outside)
            if s2 not in (403, 404):
                wrong.append(f"{role} got {s2} on {method} {outside}, outside its scope")
    assert not wrong, "\n".join(wrong)


def test_anonymous_is_refused_everywhere(env) -> None:  # type: ignore[no-untyped-def]
    app, _, made = env
    anon = TestClient(app)
    for (method, path) in ROUTES:
        url = _url(path, made, inside=True)
        r = anon.request(method, url, follow_redirects=False, **({"data": {}} if method != "GET" else {}))
        if path.startswith("/api/") or method != "GET":
            assert r.status_code in (401, 403), f"{method} {url}: {r.status_code}"
        else:
            assert r.status_code == 303 and r.headers["location"].startswith("/login"), f"{method} {url}"


def test_state_changes_without_csrf_are_refused(env) -> None:  # type: ignore[no-untyped-def]
    app, clients, made = env
    admin = clients["admin"]
    for (method, path), perm in ROUTES.items():
        if method == "GET":
            continue
        url = _url(path, made, inside=True)
        holder = next(c for name, c in clients.items() if ROLE_OF[name] in GRANTS[perm])
        for client in {admin, holder}:
            token = client.headers.pop("X-CSRF-Token")
            try:
                r = client.request(method, url, data={}, follow_redirects=False)
            finally:
                client.headers["X-CSRF-Token"] = token
            assert r.status_code == 403 and r.json()["error"] == "csrf" if path.startswith("/api/") else r.status_code == 403, \
                f"{method} {url} without CSRF: {r.status_code}"
