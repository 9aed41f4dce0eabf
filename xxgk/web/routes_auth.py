"""Signing in and out, the second factor, one's own account and API tokens, and the
administrator's users and audit log (pages and ``/api/v1``)."""

from __future__ import annotations

import io
from typing import Annotated, Any

import segno
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from xxgk.errors import XxgkError
from xxgk.office.db import AuditEntry
from xxgk.web import security
from xxgk.web.accounts import ACTION_NAMES, ENTITY_NAMES, Principal
from xxgk.web.app import render
from xxgk.web.deps import CSRF_COOKIE, SESSION_COOKIE, Csrf, Refused, current, need, web
from xxgk.web.policy import ROLES

router = APIRouter()


def _cookie(request: Request, response: Response, name: str, value: str, *, max_age: int | None = None) -> None:
    secure = web(request).settings.secure_cookies or request.url.scheme == "https"
    response.set_cookie(name, value, httponly=True, samesite="strict" if name == CSRF_COOKIE else "lax",
                        secure=secure, max_age=max_age, path="/")


def _safe_next(target: str | None) -> str:
    """Only a path of this site (never //host or a scheme)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _ip(request: Request) -> str:
    return request.client.host if request.client else "?"


# ---------------------------------------------------------------- signing in


@router.get("/login", include_in_schema=False)
def login_page(request: Request, next: str | None = None) -> Response:
    token = request.cookies.get(CSRF_COOKIE) or security.new_token()
    request.cookies[CSRF_COOKIE] = token
    response = render(request, "login.html", next=_safe_next(next), csrf_login=token)
    _cookie(request, response, CSRF_COOKIE, token)
    return response


@router.post("/login", include_in_schema=False, dependencies=[Csrf])
def login(request: Request, username: Annotated[str, Form(max_length=64)],
          password: Annotated[str, Form(max_length=200)], next: Annotated[str, Form()] = "/") -> Response:
    try:
        result = web(request).accounts.sign_in(username, password, _ip(request))
    except XxgkError as e:
        status = 429 if e.code == "rate-limited" else 401
        request.state.principal = None
        return render(request, "login.html", status=status, next=_safe_next(next), error=e.message,
                      csrf_login=request.cookies.get(CSRF_COOKIE, ""))
    target = "/login/totp" if result.principal.needs_second_factor else _safe_next(next)
    response = RedirectResponse(target, status_code=303)
    _cookie(request, response, SESSION_COOKIE, result.token)
    response.delete_cookie(CSRF_COOKIE, path="/")
    return response


def _session_principal(request: Request) -> Principal:
    p = current(request)
    if p is None or p.via != "session":
        raise Refused(401, "sign-in", "请先登录", "sign in first")
    return p


def _qr_svg(uri: str) -> str:
    buf = io.BytesIO()
    segno.make(uri, error="m").save(buf, kind="svg", scale=4, xmldecl=False, svgns=True, title="动态口令二维码")
    return buf.getvalue().decode("utf-8")


@router.get("/login/totp", include_in_schema=False)
def totp_page(request: Request) -> Response:
    p = _session_principal(request)
    if not p.needs_second_factor:
        return RedirectResponse("/", status_code=303)
    ctx: dict[str, Any] = {"enrol": not p.totp_enabled}
    if not p.totp_enabled:
        accounts = web(request).accounts
        secret = accounts.pending_secret(p.id) or accounts.start_enrolment(p.id)
        uri = security.totp_uri(secret, p.username)
        ctx.update(secret=secret, uri=uri, qr=_qr_svg(uri))
    return render(request, "totp.html", **ctx)


@router.post("/login/totp", include_in_schema=False, dependencies=[Csrf])
def totp(request: Request, code: Annotated[str, Form(max_length=12)]) -> Response:
    p = _session_principal(request)
    if not p.needs_second_factor:
        return RedirectResponse("/", status_code=303)
    if web(request).accounts.second_factor(request.cookies.get(SESSION_COOKIE, ""), code, enrol=not p.totp_enabled):
        return RedirectResponse("/", status_code=303)
    return render(request, "totp.html", status=401, enrol=False, error="动态口令错误或已过期，请重新输入")


@router.post("/logout", include_in_schema=False, dependencies=[Csrf])
def logout(request: Request) -> Response:
    p = current(request)
    web(request).accounts.sign_out(request.cookies.get(SESSION_COOKIE), p.username if p else "?")
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# ---------------------------------------------------------------- home and account


@router.get("/", include_in_schema=False)
def home(request: Request, p: Annotated[Principal, Depends(need("account.self"))]) -> Response:
    return render(request, "home.html")


@router.get("/account", include_in_schema=False)
def account(request: Request, p: Annotated[Principal, Depends(need("account.self"))], created: str | None = None) -> Response:
    return render(request, "account.html", tokens=web(request).accounts.tokens(p.id), created=None,
                  crumbs=[("我的账户", None)])


@router.post("/account/tokens", include_in_schema=False, dependencies=[Csrf])
def token_create(request: Request, p: Annotated[Principal, Depends(need("account.self"))],
                 name: Annotated[str, Form(max_length=100)] = "API") -> Response:
    token = web(request).accounts.create_token(p.id, name, actor=p.username)
    return render(request, "account.html", tokens=web(request).accounts.tokens(p.id), created=token,
                  crumbs=[("我的账户", None)])


@router.post("/account/tokens/{token_id}/revoke", include_in_schema=False, dependencies=[Csrf])
def token_revoke(request: Request, token_id: int, p: Annotated[Principal, Depends(need("account.self"))]) -> Response:
    web(request).accounts.revoke_token(p.id, token_id, actor=p.username)
    return RedirectResponse("/account", status_code=303)


# ---------------------------------------------------------------- administration


@router.get("/admin/users", include_in_schema=False)
def users_page(request: Request, p: Annotated[Principal, Depends(need("users.manage"))]) -> Response:
    return render(request, "users.html", users=web(request).accounts.users(), roles=ROLES,
                  crumbs=[("用户管理", None)])


@router.post("/admin/users", include_in_schema=False, dependencies=[Csrf])
def users_add(request: Request, p: Annotated[Principal, Depends(need("users.manage"))],
              username: Annotated[str, Form(max_length=64)], password: Annotated[str, Form(max_length=200)],
              role: Annotated[str, Form(max_length=20)], display_name: Annotated[str, Form(max_length=100)] = "",
              region: Annotated[str, Form(max_length=12)] = "", agency: Annotated[str, Form(max_length=64)] = "") -> Response:
    web(request).accounts.add_user(username, password, role, display_name=display_name or None,
                                   region=region or None, agency=agency or None, actor=p.username)
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/admin/users/{username}/role", include_in_schema=False, dependencies=[Csrf])
def users_role(request: Request, username: str, p: Annotated[Principal, Depends(need("users.manage"))],
               role: Annotated[str, Form(max_length=20)], region: Annotated[str, Form(max_length=12)] = "",
               agency: Annotated[str, Form(max_length=64)] = "") -> Response:
    web(request).accounts.set_role(username, role, region=region or None, agency=agency or None, actor=p.username)
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/admin/users/{username}/active", include_in_schema=False, dependencies=[Csrf])
def users_active(request: Request, username: str, p: Annotated[Principal, Depends(need("users.manage"))],
                 active: Annotated[bool, Form()]) -> Response:
    if username == p.username and not active:
        raise Refused(400, "self", "不能停用自己的账户", "you cannot deactivate yourself")
    web(request).accounts.set_active(username, active, actor=p.username)
    return RedirectResponse("/admin/users", status_code=303)


def _action_name(action: str) -> str:
    if action.startswith("step:"):
        from xxgk.web.review import STATES

        return f"整改：{STATES.get(action[5:], action[5:])}"
    return ACTION_NAMES.get(action, action)


def audit_rows(request: Request, limit: int = 200, entity: str | None = None) -> list[dict[str, Any]]:
    with web(request).office.session() as s:
        q = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(min(max(limit, 1), 1000))
        if entity:
            q = q.where(AuditEntry.entity == entity)
        return [{"id": a.id, "at": a.at.isoformat(sep=" ", timespec="seconds"), "actor": a.actor, "entity": a.entity,
                 "entity_id": a.entity_id, "action": a.action, "agency_id": a.agency_id,
                 "action_name": _action_name(a.action), "entity_name": ENTITY_NAMES.get(a.entity, a.entity),
                 "after": a.after, "before": a.before} for a in s.scalars(q)]


@router.get("/admin/audit", include_in_schema=False)
def audit_page(request: Request, p: Annotated[Principal, Depends(need("audit.read"))],
               entity: str | None = None) -> Response:
    return render(request, "audit.html", rows=audit_rows(request, 300, entity or None), entity=entity or "",
                  crumbs=[("审计日志", None)])


# ---------------------------------------------------------------- JSON API


class Me(BaseModel):
    username: str
    display_name: str
    role: str
    role_name: str
    region_code: str | None
    agency_id: int | None


class NewUser(BaseModel):
    username: str = Field(max_length=64)
    password: str = Field(max_length=200)
    role: str = Field(max_length=20)
    display_name: str | None = Field(default=None, max_length=100)
    region: str | None = Field(default=None, max_length=12)
    agency: str | None = Field(default=None, max_length=64)


@router.get("/api/v1/me", response_model=Me, tags=["账户"])
def api_me(p: Annotated[Principal, Depends(need("account.self"))]) -> Me:
    """当前用户 / the signed-in user."""
    return Me(username=p.username, display_name=p.display_name, role=p.role, role_name=p.role_name,
              region_code=p.region_code, agency_id=p.agency_id)


@router.get("/api/v1/users", tags=["管理"])
def api_users(request: Request, p: Annotated[Principal, Depends(need("users.manage"))]) -> list[dict[str, Any]]:
    """全部用户 / every user (administrators)."""
    return web(request).accounts.users()


@router.post("/api/v1/users", status_code=201, tags=["管理"], dependencies=[Csrf])
def api_user_add(request: Request, body: NewUser, p: Annotated[Principal, Depends(need("users.manage"))]) -> dict[str, Any]:
    """新增用户 / add a user (administrators)."""
    u = web(request).accounts.add_user(body.username, body.password, body.role, display_name=body.display_name,
                                       region=body.region, agency=body.agency, actor=p.username)
    return {"username": u.username, "role": u.role}


@router.get("/api/v1/audit", tags=["管理"])
def api_audit(request: Request, p: Annotated[Principal, Depends(need("audit.read"))], limit: int = 200,
              entity: str | None = None) -> list[dict[str, Any]]:
    """审计日志（最新在前）/ the audit log, newest first (administrators)."""
    return audit_rows(request, limit, entity)
