"""The application factory: ``create_app(url)`` opens the database (migrating it), and mounts the
pages, the JSON API (``/api/v1``, OpenAPI at ``/api/openapi.json``), the vendored static files and
the guards every response passes: security headers (a CSP allowing this origin only: nothing is
fetched from elsewhere), errors as one Chinese line (HTML page or JSON), never a traceback."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from xxgk.corpus.store import CorpusStore
from xxgk.errors import XxgkError
from xxgk.office.service import Office
from xxgk.web.accounts import Accounts, Principal
from xxgk.web.deps import CSRF_COOKIE, current
from xxgk.web.policy import PERMISSIONS, allowed, role_name

log = logging.getLogger("xxgk.web")
DEFAULT_MAX_UPLOAD = 50 * 1024 * 1024  # bytes of one upload (a ZIP included)

# The left navigation: (path, Chinese label, permission). Shown only where the role holds it.
NAV: tuple[tuple[str, str, str], ...] = (
    ("/", "首页", "account.self"),
    ("/check", "报告核查", "report.check"),
    ("/reports", "报告库", "corpus.read"),
    ("/explore", "统计图表", "corpus.read"),
    ("/desk", "督查工作台", "desk.read"),
    ("/cases", "整改事项", "case.read"),
    ("/admin/users", "用户管理", "users.manage"),
    ("/admin/audit", "审计日志", "audit.read"),
    ("/account", "我的账户", "account.self"),
)

CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
       "connect-src 'self'; font-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'self'; "
       "form-action 'self'")


@dataclass
class WebSettings:
    url: str | None = None
    secure_cookies: bool = False  # behind TLS: cookies marked Secure
    max_upload: int = DEFAULT_MAX_UPLOAD
    extra: dict[str, Any] = field(default_factory=dict)


class Web:
    """What the routes share: the office (its engine and hash chain), the corpus on the same
    database, the accounts and the templates."""

    def __init__(self, settings: WebSettings) -> None:
        self.settings = settings
        self.office = Office.open(settings.url, actor="web")
        self.store = CorpusStore(self.office.engine)
        self.accounts = Accounts(self.office)
        self.templates = Jinja2Templates(directory=str(resources.files("xxgk.web") / "templates"))
        self.templates.env.globals.update(role_name=role_name)

    def close(self) -> None:
        self.office.close()


def nav_for(p: Principal | None) -> list[tuple[str, str]]:
    if p is None or p.needs_second_factor:
        return []
    return [(path, label) for path, label, perm in NAV if allowed(p.role, perm)]


def render(request: Request, name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
    """A page: the template with the principal, its navigation, the CSRF token and breadcrumbs."""
    web: Web = request.app.state.web
    p = current(request)
    csrf = p.csrf if p is not None and p.csrf else request.cookies.get(CSRF_COOKIE, "")
    ctx.setdefault("crumbs", [])
    return web.templates.TemplateResponse(request, name, {"me": p, "nav": nav_for(p), "csrf": csrf,
                                                           "path": request.url.path, **ctx}, status_code=status)


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "application/json" in request.headers.get("accept", "")


def _error(request: Request, status: int, code: str, zh: str, en: str) -> Response:
    if _wants_json(request):
        return JSONResponse({"error": code, "message": zh, "message_en": en}, status_code=status)
    if status == 401 and request.method == "GET":
        target = "/login/totp" if code == "second-factor" else f"/login?next={request.url.path}"
        return RedirectResponse(target, status_code=303)
    if request.headers.get("hx-request"):  # htmx swaps the message into the page's alert area
        return HTMLResponse(f'<div class="alert alert-error" role="alert">{_esc(zh)}</div>', status_code=status,
                            headers={"HX-Retarget": "#messages", "HX-Reswap": "innerHTML"})
    return render(request, "error.html", status=status, message=zh, code=code)


def _esc(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def create_app(url: str | None = None, *, settings: WebSettings | None = None) -> FastAPI:
    """The web application on the database at ``url`` (default $XXGK_DATABASE_URL, else xxgk.db)."""
    settings = settings or WebSettings(url=url)
    if url is not None:
        settings.url = url
    settings.url = settings.url or os.environ.get("XXGK_DATABASE_URL")
    web = Web(settings)
    app = FastAPI(title="xxgk 信息公开", version="1", docs_url="/api/docs", redoc_url=None,
                  openapi_url="/api/openapi.json",
                  description="政府信息公开：报告核查、报告库与督查整改的 JSON API。用户令牌：`Authorization: Bearer xxgk_…`。")
    app.state.web = web
    app.mount("/static", StaticFiles(directory=str(resources.files("xxgk.web") / "static")), name="static")

    @app.middleware("http")
    async def headers(request: Request, call_next: Any) -> Response:
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > settings.max_upload + 1024 * 1024:
            return _error(request, 413, "too-large", f"上传内容过大（上限 {settings.max_upload // 1024 // 1024} MB）",
                          f"request too large (limit {settings.max_upload // 1024 // 1024} MB)")
        response: Response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if not request.url.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        d = exc.detail
        if isinstance(d, dict):
            return _error(request, exc.status_code, d["error"], d["message"], d["message_en"])
        zh = {404: "页面不存在", 405: "不支持此操作"}.get(exc.status_code, "请求有误")
        return _error(request, exc.status_code, "http", zh, str(d))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(x) for x in first.get("loc", ()) if x not in ("body", "query", "path", "form"))
        return _error(request, 422, "invalid", f"填写有误：{where or '参数'}（{first.get('msg', '')}）",
                      f"invalid input: {where} ({first.get('msg', '')})")

    @app.exception_handler(XxgkError)
    async def xxgk_error(request: Request, exc: XxgkError) -> Response:
        status = {"rate-limited": 429, "not-found": 404, "busy": 503}.get(exc.code, 400)
        return _error(request, status, exc.code, exc.message, exc.message_en)

    @app.exception_handler(Exception)
    async def internal(request: Request, exc: Exception) -> Response:
        log.exception("internal error on %s", request.url.path)
        return _error(request, 500, "internal-error", f"内部错误（{type(exc).__name__}），请联系管理员",
                      f"internal error ({type(exc).__name__}); please tell the administrator")

    from xxgk.web import routes_auth

    app.include_router(routes_auth.router)
    for name in ROUTERS:
        module = __import__(f"xxgk.web.{name}", fromlist=["router"])
        app.include_router(module.router)
    app.router.on_shutdown.append(web.close) if hasattr(app.router, "on_shutdown") else None
    assert set(p for _, _, p in NAV) <= set(PERMISSIONS)
    return app


# Feature routers, each its own module (``router``); added here as they are built.
ROUTERS: list[str] = ["routes_checker", "routes_explorer", "routes_desk"]
