"""Secrets: Argon2id password hashes (pwdlib), random tokens stored as their SHA-256, TOTP codes
(RFC 6238, pyotp) and constant-time comparisons."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

import pyotp
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

_hasher = PasswordHash((Argon2Hasher(),))  # Argon2id, the library's (OWASP) parameters
MIN_PASSWORD = 10
ISSUER = "xxgk 信息公开"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(password: str, hashed: str) -> bool:
    try:
        return _hasher.verify(password, hashed)
    except Exception:  # noqa: BLE001 - a malformed hash never signs anyone in
        return False


_DUMMY = hash_password(secrets.token_urlsafe(16))


def burn_time(password: str) -> None:
    """Verify against a dummy hash, so an unknown user name takes as long as a wrong password."""
    check_password(password, _DUMMY)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def same(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(str(a), str(b))


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(secret: str, username: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def totp_step(secret: str | None, code: str, after: int | None = None, now: float | None = None) -> int | None:
    """The time step (30 s) whose code ``code`` is — the current one or a neighbour, for clocks a
    little apart — if later than ``after`` (a code once accepted never works again); else None."""
    code = "".join(ch for ch in code if ch.isdigit())
    if not secret or len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    current = int((time.time() if now is None else now) // totp.interval)
    for step in (current - 1, current, current + 1):
        if (after is None or step > after) and hmac.compare_digest(totp.at(step * totp.interval), code):
            return step
    return None


def password_problem(password: str) -> str | None:
    if len(password) < MIN_PASSWORD:
        return f"密码至少 {MIN_PASSWORD} 个字符 / at least {MIN_PASSWORD} characters"
    if len(password) > 200:
        return "密码过长 / password too long"
    return None
