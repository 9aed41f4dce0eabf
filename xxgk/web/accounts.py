"""Accounts, sessions, API tokens and the audit of who did what (the Python API behind
``xxgk users`` and the sign-in pages).

Every sign-in, failed sign-in, permission change and data change is an audit entry sealed into the
database's hash chain (:mod:`xxgk.office.chain`; ``xxgk office verify`` checks it), with the actor.
Sessions are server-side: the cookie holds a random token, the database its SHA-256.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from xxgk.errors import XxgkError
from xxgk.office import chain
from xxgk.office.db import Agency, AuditEntry, utcnow
from xxgk.office.service import Office
from xxgk.web import security
from xxgk.web.models import ApiToken, SignInAttempt, WebSession, WebUser
from xxgk.web.policy import AGENCY_ROLES, REGION_ROLES, ROLES, TOTP_REQUIRED, role_name

# What the audit log's actions and entities are called on the page (codes stay in the database).
ACTION_NAMES = {
    "create": "新建", "permission": "权限变更", "activate": "启用", "deactivate": "停用", "password": "重设密码",
    "sign_in": "登录", "sign_in_failed": "登录失败", "sign_in_limited": "登录受限（失败过多）", "sign_out": "退出",
    "totp_failed": "动态口令错误", "totp_enabled": "启用动态口令", "sign_in_totp": "动态口令验证通过",
    "revoke": "吊销", "confirm": "人工确认", "open": "发起整改", "upload": "上传", "step": "整改步骤", "update": "修改", "delete": "删除",
}
ENTITY_NAMES = {"user": "用户", "api_token": "API 令牌", "checked_report": "核查报告", "cell_confirmation": "单元格确认",
                "review_case": "整改事项", "request": "申请", "setting": "设置", "document": "文件", "action": "台账"}

IDLE = dt.timedelta(hours=2)  # a session unused this long has ended
LIFETIME = dt.timedelta(hours=12)  # and none lasts longer
WINDOW = dt.timedelta(minutes=15)  # sign-in rate limit: failures counted over this window
MAX_FAILS_USER = 5
MAX_FAILS_IP = 20


def _bad(code: str, zh: str, en: str) -> XxgkError:
    return XxgkError(code, zh, en)


@dataclass(frozen=True)
class Principal:
    """The signed-in user as the routes see it."""

    id: int
    username: str
    display_name: str
    role: str
    region_code: str | None
    agency_id: int | None
    via: str  # "session" | "token"
    csrf: str | None = None
    second_factor: bool = False
    totp_enabled: bool = False

    @property
    def role_name(self) -> str:
        return role_name(self.role)

    @property
    def needs_second_factor(self) -> bool:
        """Signed in by password, but the second factor is still owed (entered, or enrolled for admins)."""
        if self.via != "session" or self.second_factor:
            return False
        return self.totp_enabled or self.role in TOTP_REQUIRED


@dataclass(frozen=True)
class SignIn:
    token: str
    principal: Principal


def _principal(u: WebUser, via: str, sess: WebSession | None = None) -> Principal:
    return Principal(id=u.id, username=u.username, display_name=u.display_name, role=u.role,
                     region_code=u.region_code, agency_id=u.agency_id, via=via,
                     csrf=sess.csrf if sess else None, second_factor=bool(sess and sess.second_factor),
                     totp_enabled=u.totp_enabled)


def user_view(u: WebUser, agencies: dict[int, str] | None = None) -> dict[str, Any]:
    return {"id": u.id, "username": u.username, "display_name": u.display_name, "role": u.role,
            "role_name": role_name(u.role), "region_code": u.region_code, "agency_id": u.agency_id,
            "agency": (agencies or {}).get(u.agency_id or 0), "totp_enabled": u.totp_enabled, "active": u.active}


class Accounts:
    """Accounts on the office's database (one engine, one hash chain)."""

    def __init__(self, office: Office) -> None:
        self.office = office

    # ------------------------------------------------------------ audit

    def audit(self, s: Session, actor: str, entity: str, entity_id: int, action: str,
              after: dict[str, Any] | None = None, before: dict[str, Any] | None = None,
              agency_id: int | None = None) -> None:
        entry = AuditEntry(agency_id=agency_id, entity=entity, entity_id=entity_id, action=action, actor=actor,
                           at=utcnow(), before=before, after=after)
        chain.seal(s, entry)
        s.add(entry)

    # ------------------------------------------------------------ users

    def _check_role(self, s: Session, role: str, region: str | None, agency: str | None) -> tuple[str | None, int | None]:
        if role not in ROLES:
            raise _bad("role", f"未知角色：{role}（可选：{'、'.join(f'{k}（{v[0]}）' for k, v in ROLES.items())}）",
                       f"unknown role: {role}")
        region_code: str | None = None
        agency_id: int | None = None
        if role in REGION_ROLES:
            if not region:
                raise _bad("role", "监督人员须指定地区（--region 地区代码）", "a supervisor needs a region (--region)")
            from xxgk.corpus.schema import Region

            if s.get(Region, region) is None:
                raise _bad("role", f"地区不存在：{region}", f"no such region: {region}")
            region_code = region
        if role in AGENCY_ROLES:
            if not agency:
                raise _bad("role", "机关工作人员须指定机关（--agency 机关代码）", "agency staff need an agency (--agency)")
            a = s.scalars(select(Agency).where(Agency.code == agency)).first()
            if a is None:
                raise _bad("role", f"机关不存在：{agency}", f"no such agency: {agency}")
            agency_id = a.id
        return region_code, agency_id

    def add_user(self, username: str, password: str, role: str, *, display_name: str | None = None,
                 region: str | None = None, agency: str | None = None, actor: str = "system") -> Principal:
        username = (username or "").strip()
        if not username or len(username) > 64 or any(ch.isspace() for ch in username):
            raise _bad("user", "用户名须为 1–64 个字符且不含空白", "a user name is 1–64 characters without spaces")
        problem = security.password_problem(password)
        if problem:
            raise _bad("password", problem.split(" / ")[0], problem.split(" / ")[-1])
        with self.office.writing() as s:
            if s.scalars(select(WebUser).where(WebUser.username == username)).first():
                raise _bad("user", f"用户已存在：{username}", f"user exists: {username}")
            region_code, agency_id = self._check_role(s, role, region, agency)
            u = WebUser(username=username, display_name=(display_name or username)[:100],
                        password_hash=security.hash_password(password), role=role, region_code=region_code,
                        agency_id=agency_id, totp_enabled=False, active=True, created_at=utcnow())
            s.add(u)
            s.flush()
            self.audit(s, actor, "user", u.id, "create", after=_public(u))
            return _principal(u, "none")

    def set_role(self, username: str, role: str, *, region: str | None = None, agency: str | None = None,
                 actor: str) -> None:
        with self.office.writing() as s:
            u = self._user(s, username)
            before = _public(u)
            u.region_code, u.agency_id = self._check_role(s, role, region, agency)
            u.role = role
            s.execute(delete(WebSession).where(WebSession.user_id == u.id))  # new rights: sign in again
            self.audit(s, actor, "user", u.id, "permission", before=before, after=_public(u))

    def set_active(self, username: str, active: bool, *, actor: str) -> None:
        with self.office.writing() as s:
            u = self._user(s, username)
            before = _public(u)
            u.active = active
            if not active:
                s.execute(delete(WebSession).where(WebSession.user_id == u.id))
                s.execute(update(ApiToken).where(ApiToken.user_id == u.id, ApiToken.revoked_at.is_(None))
                          .values(revoked_at=utcnow()))
            self.audit(s, actor, "user", u.id, "activate" if active else "deactivate", before=before, after=_public(u))

    def set_password(self, username: str, password: str, *, actor: str) -> None:
        problem = security.password_problem(password)
        if problem:
            raise _bad("password", problem.split(" / ")[0], problem.split(" / ")[-1])
        with self.office.writing() as s:
            u = self._user(s, username)
            u.password_hash = security.hash_password(password)
            s.execute(delete(WebSession).where(WebSession.user_id == u.id))
            self.audit(s, actor, "user", u.id, "password")

    def users(self) -> list[dict[str, Any]]:
        with self.office.session() as s:
            names = {i: n for i, n in s.execute(select(Agency.id, Agency.name))}
            return [user_view(u, names) for u in s.scalars(select(WebUser).order_by(WebUser.id))]

    def count(self) -> int:
        with self.office.session() as s:
            return int(s.scalar(select(func.count()).select_from(WebUser)) or 0)

    def _user(self, s: Session, username: str) -> WebUser:
        u = s.scalars(select(WebUser).where(WebUser.username == username)).first()
        if u is None:
            raise _bad("user", f"用户不存在：{username}", f"no such user: {username}")
        return u

    # ------------------------------------------------------------ signing in

    def sign_in(self, username: str, password: str, ip: str) -> SignIn:
        """A new session for ``username``, or one line saying why not (rate limit first)."""
        username = (username or "").strip()[:64]
        ip = (ip or "?")[:64]
        now = utcnow()
        with self.office.session() as s:
            since = now - WINDOW
            fails_user = s.scalar(select(func.count()).select_from(SignInAttempt).where(
                SignInAttempt.username == username, SignInAttempt.ok.is_(False), SignInAttempt.at >= since)) or 0
            fails_ip = s.scalar(select(func.count()).select_from(SignInAttempt).where(
                SignInAttempt.ip == ip, SignInAttempt.ok.is_(False), SignInAttempt.at >= since)) or 0
        if fails_user >= MAX_FAILS_USER or fails_ip >= MAX_FAILS_IP:
            with self.office.writing() as s:
                self.audit(s, username or "?", "user", 0, "sign_in_limited", after={"ip": ip})
            raise _bad("rate-limited", "登录失败次数过多，请 15 分钟后再试", "too many failed sign-ins: try again in 15 minutes")
        with self.office.session() as s:
            u = s.scalars(select(WebUser).where(WebUser.username == username)).first()
        if u is None:
            security.burn_time(password)
        ok = u is not None and u.active and security.check_password(password, u.password_hash)
        if not ok or u is None:  # recorded (committed) first: the refusal must not roll it back
            with self.office.writing() as s:
                s.add(SignInAttempt(username=username, ip=ip, ok=False, at=now))
                self.audit(s, username or "?", "user", u.id if u else 0, "sign_in_failed", after={"ip": ip})
            raise _bad("sign-in", "用户名或密码错误", "wrong user name or password")
        with self.office.writing() as s:
            s.add(SignInAttempt(username=username, ip=ip, ok=True, at=now))
            token = security.new_token()
            sess = WebSession(id=security.digest(token), user_id=u.id, csrf=security.new_token(),
                              second_factor=False, created_at=now, seen_at=now, ip=ip)
            s.add(sess)
            s.execute(delete(WebSession).where(WebSession.seen_at < now - LIFETIME))
            self.audit(s, u.username, "user", u.id, "sign_in", after={"ip": ip})
            return SignIn(token, _principal(u, "session", sess))

    def session(self, token: str | None) -> Principal | None:
        """The principal of a session cookie, or None (unknown, ended, or its user deactivated)."""
        if not token or len(token) > 100:
            return None
        now = utcnow()
        with self.office.session() as s:
            row = s.execute(select(WebSession, WebUser).join(WebUser, WebUser.id == WebSession.user_id)
                            .where(WebSession.id == security.digest(token))).first()
            if row is None:
                return None
            sess, u = row
            if not u.active or now - sess.seen_at > IDLE or now - sess.created_at > LIFETIME:
                return None
            principal = _principal(u, "session", sess)
        if now - sess.seen_at > dt.timedelta(minutes=1):
            with self.office.writing() as s:
                s.execute(update(WebSession).where(WebSession.id == sess.id).values(seen_at=now))
        return principal

    def sign_out(self, token: str | None, actor: str) -> None:
        if not token:
            return
        with self.office.writing() as s:
            sess = s.get(WebSession, security.digest(token))
            if sess is not None:
                s.delete(sess)
                self.audit(s, actor, "user", sess.user_id, "sign_out")

    # ------------------------------------------------------------ the second factor

    def start_enrolment(self, user_id: int) -> str:
        """A new TOTP secret kept (not yet enabled) until a code proves the authenticator has it."""
        secret = security.new_totp_secret()
        with self.office.writing() as s:
            u = s.get(WebUser, user_id)
            if u is None:
                raise _bad("user", "用户不存在", "no such user")
            if u.totp_enabled:
                raise _bad("totp", "已启用动态口令", "TOTP is already on")
            u.totp_secret = secret
        return secret

    def pending_secret(self, user_id: int) -> str | None:
        with self.office.session() as s:
            u = s.get(WebUser, user_id)
            return None if u is None or u.totp_enabled else u.totp_secret

    def second_factor(self, token: str, code: str, *, enrol: bool = False) -> bool:
        """Check a TOTP code for the session (enabling the second factor when enrolling). A code is
        accepted once: its time step is kept, and a code of that step or earlier is refused."""
        with self.office.writing() as s:
            sess = s.get(WebSession, security.digest(token))
            u = s.get(WebUser, sess.user_id) if sess is not None else None
            if sess is None or u is None:
                return False
            username, user_id = u.username, u.id
            step = None if u.totp_enabled == enrol else security.totp_step(u.totp_secret, code, u.totp_step)
            if step is not None:
                u.totp_step = step
                if enrol:
                    u.totp_enabled = True
                    self.audit(s, username, "user", user_id, "totp_enabled")
                sess.second_factor = True
                sess.csrf = security.new_token()  # a new privilege level, a new token
                self.audit(s, username, "user", user_id, "sign_in_totp")
                return True
        with self.office.writing() as s:  # the failure, recorded on its own
            self.audit(s, username, "user", user_id, "totp_failed")
        return False

    # ------------------------------------------------------------ API tokens

    def create_token(self, user_id: int, name: str, *, actor: str) -> str:
        token = "xxgk_" + security.new_token()
        with self.office.writing() as s:
            t = ApiToken(user_id=user_id, name=(name or "API")[:100], token_hash=security.digest(token),
                         created_at=utcnow())
            s.add(t)
            s.flush()
            self.audit(s, actor, "api_token", t.id, "create", after={"user_id": user_id, "name": t.name})
        return token

    def tokens(self, user_id: int) -> list[dict[str, Any]]:
        with self.office.session() as s:
            rows = s.scalars(select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id))
            return [{"id": t.id, "name": t.name, "created_at": t.created_at.isoformat(timespec="seconds"),
                     "used_at": t.used_at.isoformat(timespec="seconds") if t.used_at else None,
                     "revoked": t.revoked_at is not None} for t in rows]

    def revoke_token(self, user_id: int, token_id: int, *, actor: str) -> None:
        with self.office.writing() as s:
            t = s.get(ApiToken, token_id)
            if t is None or t.user_id != user_id:
                raise _bad("not-found", "令牌不存在", "no such token")
            t.revoked_at = utcnow()
            self.audit(s, actor, "api_token", t.id, "revoke")

    def token_user(self, token: str | None) -> Principal | None:
        if not token or not token.startswith("xxgk_") or len(token) > 100:
            return None
        with self.office.session() as s:
            row = s.execute(select(ApiToken, WebUser).join(WebUser, WebUser.id == ApiToken.user_id)
                            .where(ApiToken.token_hash == security.digest(token))).first()
            if row is None:
                return None
            t, u = row
            if t.revoked_at is not None or not u.active:
                return None
            return _principal(u, "token")


def _public(u: WebUser) -> dict[str, Any]:
    return {"username": u.username, "display_name": u.display_name, "role": u.role, "region_code": u.region_code,
            "agency_id": u.agency_id, "active": u.active, "totp_enabled": u.totp_enabled}
