"""What every route depends on: who is asking (session cookie or API token), whether their role
holds the route's permission, where their scope reaches, and the CSRF token of a state-changing
request. Anything not proven is refused."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Depends, HTTPException, Request

from xxgk.web import security
from xxgk.web.accounts import Principal
from xxgk.web.policy import PERMISSIONS, Scope, allowed, scope_for

SESSION_COOKIE = "xxgk_session"
CSRF_COOKIE = "xxgk_csrf"  # before sign-in: the double-submitted token of the sign-in form
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class Refused(HTTPException):
    """An HTTP error with a Chinese message first (and the English one for the API)."""

    def __init__(self, status: int, code: str, zh: str, en: str) -> None:
        super().__init__(status_code=status, detail={"error": code, "message": zh, "message_en": en})


def web(request: Request) -> Any:
    return request.app.state.web


def current(request: Request) -> Principal | None:
    """The principal of the request (cached on it), from ``Authorization: Bearer xxgk_…`` or the
    session cookie; None when neither proves anyone."""
    if hasattr(request.state, "principal"):
        return request.state.principal  # type: ignore[no-any-return]
    app = web(request)
    principal: Principal | None = None
    auth = request.headers.get("authorization", "")
    if auth:
        scheme, _, token = auth.partition(" ")
        principal = app.accounts.token_user(token.strip()) if scheme.lower() == "bearer" else None
    else:
        principal = app.accounts.session(request.cookies.get(SESSION_COOKIE))
    request.state.principal = principal
    return principal


def scope_of(request: Request, p: Principal) -> Scope:
    if hasattr(request.state, "scope"):
        return request.state.scope  # type: ignore[no-any-return]
    app = web(request)
    s = scope_for(p.role, p.region_code, p.agency_id, app.store.subtree)
    request.state.scope = s
    return s


async def check_csrf(request: Request) -> None:
    """A state-changing request carries the token of its session (header or form field); a token
    client (no cookie) needs none. Before sign-in, the form's token equals its cookie's."""
    if request.method not in UNSAFE:
        return
    auth = request.headers.get("authorization", "")
    if auth and not request.cookies.get(SESSION_COOKIE):
        return  # a script with an API token: no ambient credentials to forge
    sent = request.headers.get(CSRF_HEADER)
    if not sent:
        ctype = request.headers.get("content-type", "")
        if ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            try:
                form = await request.form()
            except Exception:  # noqa: BLE001 - an unreadable form carries no token
                form = None
            value = form.get(CSRF_FIELD) if form is not None else None
            sent = value if isinstance(value, str) else None
    p = current(request)
    expected = p.csrf if p is not None and p.via == "session" else request.cookies.get(CSRF_COOKIE)
    if not security.same(sent, expected):
        raise Refused(403, "csrf", "请求缺少有效的防伪令牌（CSRF），请刷新页面后重试",
                      "missing or wrong CSRF token: reload the page and try again")


def need(permission: str, *, second_factor: bool = True) -> Callable[..., Principal]:
    """A dependency: the principal, if signed in (401) with the second factor owed paid (401), whose
    role holds ``permission`` (403)."""
    if permission not in PERMISSIONS:
        raise ValueError(f"unknown permission {permission}")

    def dependency(request: Request) -> Principal:
        p = current(request)
        if p is None:
            raise Refused(401, "sign-in", "请先登录", "sign in first")
        if second_factor and p.needs_second_factor:
            raise Refused(401, "second-factor", "请先完成动态口令验证", "enter your one-time code first")
        if not allowed(p.role, permission):
            raise Refused(403, "forbidden", "无权访问此功能", "your role may not do this")
        request.state.permission = permission
        return p

    dependency.permission = permission  # type: ignore[attr-defined]
    return dependency


def in_scope(request: Request, p: Principal, *, region: str | None = None, agency_id: int | None = None,
             agency_region: str | None = None) -> Scope:
    """Refuse (403) unless the region or agency is in the principal's scope."""
    s = scope_of(request, p)
    ok = s.region(region) if region is not None else s.agency(agency_id, agency_region)
    if not ok:
        raise Refused(403, "out-of-scope", "超出您的数据范围", "outside your scope")
    return s


Csrf = Depends(check_csrf)
