"""``xxgk serve``, ``xxgk init`` and ``xxgk users``: a thin shell over :mod:`xxgk.web`."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from xxgk.errors import XxgkError

out = Console(highlight=False, soft_wrap=True, markup=False)
err = Console(stderr=True, highlight=False, soft_wrap=True, markup=False)

DEFAULT_WEB_URL = "sqlite:///xxgk.db"
Db = Annotated[str | None, typer.Option("--db", envvar="XXGK_DATABASE_URL",
                                        help=f"数据库 URL（默认 {DEFAULT_WEB_URL}）/ database URL")]
Actor = Annotated[str, typer.Option("--user", envvar="XXGK_USER", help="操作人（记入审计日志）/ who is acting")]

users_app = typer.Typer(help="用户与角色 / users and roles", no_args_is_help=True, add_completion=False)


def _open(db: str | None):  # type: ignore[no-untyped-def]
    from xxgk.corpus.store import CorpusStore
    from xxgk.office.service import Office
    from xxgk.web.accounts import Accounts

    office = Office.open(db or DEFAULT_WEB_URL, actor="cli")
    return office, CorpusStore(office.engine), Accounts(office)


def _initialise(db: str | None, demo: bool, credentials: Path | None) -> bool:
    """Create the first accounts (and the demo data) if the database has no user yet."""
    from xxgk.web.demo import first_start

    office, store, accounts = _open(db)
    try:
        if accounts.count():
            return False
        err.print("首次启动：正在创建" + ("演示数据（虚拟国家报告库、办公室演示机关）与" if demo else "") + "初始账户…")
        made = first_start(office, store, accounts, demo=demo, credentials=credentials)
    finally:
        office.close()
    table = Table(title="初始账户（密码只显示这一次）/ first accounts")
    for col in ("用户名", "密码", "角色", "范围"):
        table.add_column(col)
    from xxgk.web.policy import role_name

    for a in made:
        table.add_row(a.username, a.password, role_name(a.role), a.scope)
    out.print(table)
    if credentials is not None:
        out.print(f"账户已写入 / written: {credentials}（仅本人可读）")
    out.print("系统管理员首次登录须绑定动态口令（TOTP）。")
    return True


def init(
    db: Db = None,
    demo: Annotated[bool, typer.Option("--demo/--no-demo", help="载入演示数据 / load demo data")] = False,
    credentials: Annotated[Path | None, typer.Option("--credentials", help="把初始账户写入此文件（0600）")] = None,
) -> None:
    """初始化数据库并创建首个系统管理员 / create the database and the first administrator."""
    if not _initialise(db, demo, credentials):
        out.print("数据库中已有用户，未做改动 / users exist: nothing changed")


def serve(
    db: Db = None,
    host: Annotated[str, typer.Option("--host", help="监听地址 / address")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="端口 / port")] = 8000,
    workers: Annotated[int, typer.Option("--workers", min=1, max=64, help="进程数 / worker processes")] = 1,
    demo: Annotated[bool | None, typer.Option("--demo/--no-demo", help="首次启动时载入演示数据（默认：使用内置 "
                                              "SQLite 时载入）/ demo data on first start")] = None,
    secure_cookies: Annotated[bool, typer.Option("--secure-cookies", help="部署在 HTTPS 之后时使用 / behind TLS")] = False,
    max_upload_mb: Annotated[int, typer.Option("--max-upload-mb", min=1, max=2048, help="单次上传上限（MB）")] = 50,
    proxy: Annotated[bool, typer.Option("--proxy-headers", help="信任反向代理的 X-Forwarded-* / behind a proxy")] = False,
) -> None:
    """启动网页应用（首次启动自动创建账户与演示数据）/ run the web application."""
    import uvicorn

    url = db or DEFAULT_WEB_URL
    default = db is None or db == DEFAULT_WEB_URL
    credentials = Path("xxgk-accounts.txt") if default else None
    _initialise(url, default if demo is None else demo, credentials)
    os.environ["XXGK_DATABASE_URL"] = url
    os.environ["XXGK_SECURE_COOKIES"] = "1" if secure_cookies else "0"
    os.environ["XXGK_MAX_UPLOAD"] = str(max_upload_mb * 1024 * 1024)
    out.print(f"xxgk 网页应用：http://{host}:{port}/ （Ctrl+C 停止）")
    uvicorn.run("xxgk.web.asgi:create", factory=True, host=host, port=port, workers=workers, log_level="warning",
                proxy_headers=proxy, server_header=False, access_log=False)


def _password(stdin: bool) -> str:
    if stdin:
        return sys.stdin.readline().rstrip("\n")
    if not sys.stdin.isatty():
        raise XxgkError("password", "请在终端输入密码，或用 --password-stdin 从标准输入读取",
                        "type the password at a terminal, or use --password-stdin")
    return typer.prompt("密码 / password", hide_input=True, confirmation_prompt=True)


@users_app.command("add")
def users_add(
    username: Annotated[str, typer.Argument(help="用户名 / user name", show_default=False)],
    role: Annotated[str, typer.Option("--role", help="admin | supervisor | agency_admin | approver | clerk | researcher",
                                      show_default=False)],
    region: Annotated[str | None, typer.Option("--region", help="地区代码（监督人员）")] = None,
    agency: Annotated[str | None, typer.Option("--agency", help="机关代码（机关工作人员）")] = None,
    name: Annotated[str | None, typer.Option("--name", help="姓名 / display name")] = None,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="从标准输入读取密码")] = False,
    db: Db = None,
    actor: Actor = "cli",
) -> None:
    """新增用户 / add a user."""
    office, _, accounts = _open(db)
    try:
        accounts.add_user(username, _password(password_stdin), role, display_name=name, region=region,
                          agency=agency, actor=actor)
    finally:
        office.close()
    out.print(f"已新增用户 / added: {username}（{role}）")


@users_app.command("list")
def users_list(db: Db = None) -> None:
    """列出用户 / list users."""
    office, _, accounts = _open(db)
    try:
        rows = accounts.users()
    finally:
        office.close()
    table = Table(title=f"用户 {len(rows)} 个")
    for col in ("用户名", "姓名", "角色", "地区", "机关", "动态口令", "状态"):
        table.add_column(col)
    for u in rows:
        table.add_row(u["username"], u["display_name"], u["role_name"], u["region_code"] or "—", u["agency"] or "—",
                      "已启用" if u["totp_enabled"] else "—", "正常" if u["active"] else "已停用")
    out.print(table)


@users_app.command("set-role")
def users_set_role(
    username: Annotated[str, typer.Argument(show_default=False)],
    role: Annotated[str, typer.Option("--role", show_default=False)],
    region: Annotated[str | None, typer.Option("--region")] = None,
    agency: Annotated[str | None, typer.Option("--agency")] = None,
    db: Db = None,
    actor: Actor = "cli",
) -> None:
    """修改角色与范围（该用户须重新登录）/ change a user's role and scope."""
    office, _, accounts = _open(db)
    try:
        accounts.set_role(username, role, region=region, agency=agency, actor=actor)
    finally:
        office.close()
    out.print(f"已修改 / changed: {username} → {role}")


@users_app.command("passwd")
def users_passwd(username: Annotated[str, typer.Argument(show_default=False)],
                 password_stdin: Annotated[bool, typer.Option("--password-stdin")] = False,
                 db: Db = None, actor: Actor = "cli") -> None:
    """重设密码 / set a new password."""
    office, _, accounts = _open(db)
    try:
        accounts.set_password(username, _password(password_stdin), actor=actor)
    finally:
        office.close()
    out.print(f"已重设密码 / password set: {username}")


@users_app.command("disable")
def users_disable(username: Annotated[str, typer.Argument(show_default=False)], db: Db = None,
                  actor: Actor = "cli") -> None:
    """停用用户（结束其会话、吊销其令牌）/ deactivate a user."""
    office, _, accounts = _open(db)
    try:
        accounts.set_active(username, False, actor=actor)
    finally:
        office.close()
    out.print(f"已停用 / deactivated: {username}")


@users_app.command("token")
def users_token(username: Annotated[str, typer.Argument(show_default=False)],
                name: Annotated[str, typer.Option("--name", help="令牌名称")] = "脚本",
                db: Db = None, actor: Actor = "cli") -> None:
    """为用户新建 API 令牌（只显示一次）/ a new API token for the user (shown once)."""
    from sqlalchemy import select

    from xxgk.web.models import WebUser

    office, _, accounts = _open(db)
    try:
        with office.session() as s:
            u = s.scalars(select(WebUser).where(WebUser.username == username)).first()
            if u is None:
                raise XxgkError("user", f"用户不存在：{username}", f"no such user: {username}")
            uid = u.id
        token = accounts.create_token(uid, name, actor=actor)
    finally:
        office.close()
    out.print(token)
