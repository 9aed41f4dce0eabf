"""The web application's records (migration 0005): accounts, sessions, API tokens, sign-in
attempts, reports checked in the browser, people's confirmations of ambiguous cells, and the
supervisor's rectification cases (整改) with their steps.

Sessions, tokens and attempts are working state (deleted when they end). A confirmation and a
case step are history: append-only, like the office's events (triggers in the migration), and
every change is also an audit entry sealed into the hash chain (:mod:`xxgk.office.chain`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from xxgk.office.db import Base, utcnow


class WebUser(Base):
    __tablename__ = "web_user"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))  # a key of xxgk.web.policy.ROLES
    region_code: Mapped[str | None] = mapped_column(String(12))  # a supervisor's region (its subtree)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))  # agency staff's agency
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    totp_step: Mapped[int | None] = mapped_column(Integer)  # the last time step accepted: a code works once
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class WebSession(Base):
    __tablename__ = "web_session"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the cookie's token
    user_id: Mapped[int] = mapped_column(ForeignKey("web_user.id", ondelete="CASCADE"), index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    second_factor: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    seen_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    ip: Mapped[str | None] = mapped_column(String(64))


class ApiToken(Base):
    __tablename__ = "api_token"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("web_user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class SignInAttempt(Base):
    __tablename__ = "sign_in_attempt"
    __table_args__ = (Index("ix_sign_in_attempt_user_at", "username", "at"), Index("ix_sign_in_attempt_ip_at", "ip", "at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    ip: Mapped[str] = mapped_column(String(64))
    ok: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class CheckedReport(Base):
    """A report uploaded (or pasted) into the checker; its bytes are a corpus ``blob``."""

    __tablename__ = "checked_report"
    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("web_user.id"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    content_hash: Mapped[str] = mapped_column(ForeignKey("blob.sha256"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # agency, year, counts


class CellConfirmation(Base):
    """A person's reading of an ambiguous cell of one subject — an upload (``check:ID``, its
    owner's) or a stored report (``report:ID``, confirmed in scope): the newest confirmation of a
    cell is applied where that subject is shown, never to another upload of the same bytes.
    Append-only."""

    __tablename__ = "cell_confirmation"
    __table_args__ = (Index("ix_cell_confirmation_subject", "subject", "cell"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(String(40))
    content_hash: Mapped[str] = mapped_column(String(64))
    cell: Mapped[str] = mapped_column(String(80))
    value: Mapped[float | None] = mapped_column(Float)
    candidates: Mapped[list[Any]] = mapped_column(JSON, default=list)
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class ReviewCase(Base):
    """A problem a supervisor follows through rectification (整改) with the agency."""

    __tablename__ = "review_case"
    __table_args__ = (Index("ix_review_case_region_year", "region_code", "year"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("corpus_report.id"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    region_code: Mapped[str | None] = mapped_column(String(12))
    year: Mapped[int] = mapped_column(Integer)
    rule: Mapped[str] = mapped_column(String(80))
    severity: Mapped[str] = mapped_column(String(10))
    message: Mapped[str] = mapped_column(Text)
    cells: Mapped[list[Any]] = mapped_column(JSON, default=list)
    state: Mapped[str] = mapped_column(String(20))  # a key of xxgk.web.review.STATES
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class ReviewStep(Base):
    """One step of a case (append-only): the state it moved to, who, when, and what they wrote."""

    __tablename__ = "review_step"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("review_case.id"), index=True)
    state: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    note: Mapped[str | None] = mapped_column(Text)


WEB_TABLES = ("web_user", "web_session", "api_token", "sign_in_attempt", "checked_report", "cell_confirmation",
              "review_case", "review_step")
APPEND_ONLY = ("cell_confirmation", "review_step")
