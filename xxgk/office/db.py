"""The office's records: SQLAlchemy 2 models (schema managed by Alembic, see ``migrations/``).

Every record belongs to an agency. Request events and audit entries are append-only: the
migrations install triggers that refuse UPDATE, DELETE, ``INSERT OR REPLACE`` over an existing row
(SQLite) and TRUNCATE (PostgreSQL) on them. Each event and audit entry is also a link of its
agency's hash chain (``chain_seq``, ``chain_hash``; the newest link in :class:`ChainHead`), so that
what the triggers cannot stop (the database owner) is still detected by ``xxgk office verify``.
The request row itself is a projection of its events (status, due date, outcome), kept for lists;
the annual tally counts table 三 from the events, and ``verify`` checks the projection against them.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, Decimal: Numeric(18, 2)}


class Agency(Base):
    __tablename__ = "agency"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200), index=True)  # index: the explorer sorts by name (0005)
    kind: Mapped[str] = mapped_column(String(20), default="department")  # department | government
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    # The corpus's registry (xxgk.corpus.schema, migration 0003): where the agency is, its parent
    # agency (a department's people's government) and the agency that reviews its report.
    region_code: Mapped[str | None] = mapped_column(ForeignKey("region.code"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    supervisor_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))


class Applicant(Base):
    __tablename__ = "applicant"
    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # a column key of table 三 (natural, commercial, …)
    name: Mapped[str] = mapped_column(String(200))
    id_type: Mapped[str | None] = mapped_column(String(40))
    id_number: Mapped[str | None] = mapped_column(String(80))
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(400))


class Request(Base):
    __tablename__ = "request"
    __table_args__ = (
        UniqueConstraint("agency_id", "tracking_no", name="uq_request_tracking"),
        Index("ix_request_agency_received", "agency_id", "received_on"),
        Index("ix_request_agency_closed", "agency_id", "closed_on"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    tracking_no: Mapped[str] = mapped_column(String(64))
    year: Mapped[int] = mapped_column(Integer)
    applicant_id: Mapped[int] = mapped_column(ForeignKey("applicant.id"))
    applicant_kind: Mapped[str] = mapped_column(String(20))  # as filed: the column it counts in
    channel: Mapped[str] = mapped_column(String(20))
    submitted_on: Mapped[dt.date | None] = mapped_column(Date)
    received_on: Mapped[dt.date] = mapped_column(Date)
    description: Mapped[str] = mapped_column(Text)
    form: Mapped[str | None] = mapped_column(String(40))  # 纸质 / 电子 / …
    # projection of the events
    status: Mapped[str] = mapped_column(String(30))
    due_on: Mapped[dt.date | None] = mapped_column(Date)
    correction_due_on: Mapped[dt.date | None] = mapped_column(Date)
    payment_due_on: Mapped[dt.date | None] = mapped_column(Date)
    closed_on: Mapped[dt.date | None] = mapped_column(Date)
    outcome: Mapped[str | None] = mapped_column(String(40))  # a result row key of table 三
    outcome_template: Mapped[str | None] = mapped_column(String(8))
    legal_basis: Mapped[str | None] = mapped_column(Text)
    reasons: Mapped[str | None] = mapped_column(Text)
    fee_method: Mapped[str | None] = mapped_column(String(20))
    fee_amount: Mapped[int | None] = mapped_column(Integer)
    on_time: Mapped[bool | None] = mapped_column(Boolean)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    applicant: Mapped[Applicant] = relationship(lazy="joined")
    events: Mapped[list[RequestEvent]] = relationship(order_by="RequestEvent.seq", viewonly=True)


class RequestEvent(Base):
    """One thing that happened to a request. Append-only."""

    __tablename__ = "request_event"
    __table_args__ = (UniqueConstraint("request_id", "seq", name="uq_event_seq"),
                      Index("ix_event_chain", "agency_id", "chain_seq", unique=True))
    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    request_id: Mapped[int] = mapped_column(ForeignKey("request.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(30))
    on: Mapped[dt.date] = mapped_column(Date)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    actor: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    chain_seq: Mapped[int | None] = mapped_column(Integer)
    chain_hash: Mapped[str | None] = mapped_column(String(64))


class AuditEntry(Base):
    """Who changed what, when, with the record before and after. Append-only."""

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entity", "entity", "entity_id"),
                      Index("ix_audit_chain", "agency_id", "chain_seq", unique=True))
    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"), index=True)
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(100))
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    chain_seq: Mapped[int | None] = mapped_column(Integer)
    chain_hash: Mapped[str | None] = mapped_column(String(64))


class Document(Base):
    """A rule (规章) or normative document (行政规范性文件) in the agency's register."""

    __tablename__ = "document"
    __table_args__ = (UniqueConstraint("agency_id", "kind", "number", name="uq_document_number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # rules | normative
    title: Mapped[str] = mapped_column(String(400))
    number: Mapped[str] = mapped_column(String(100))  # 文号
    issued_on: Mapped[dt.date] = mapped_column(Date)
    repealed_on: Mapped[dt.date | None] = mapped_column(Date)


class Action(Base):
    """One entry of an administrative ledger: a licensing, penalty or coercion decision, or fee income."""

    __tablename__ = "action"
    __table_args__ = (UniqueConstraint("agency_id", "kind", "ref", name="uq_action_ref"),
                      Index("ix_action_agency_kind_on", "agency_id", "kind", "on"))
    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    kind: Mapped[str] = mapped_column(String(20))  # licensing | penalty | coercion | fees
    ref: Mapped[str] = mapped_column(String(120))  # the ledger's own number
    on: Mapped[dt.date] = mapped_column(Date)
    amount: Mapped[Decimal | None] = mapped_column()  # 元, for fee income


class Appeal(Base):
    """An administrative reconsideration or lawsuit arising from a request."""

    __tablename__ = "appeal"
    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("request.id"))
    kind: Mapped[str] = mapped_column(String(30))  # a row key of table 四
    ref: Mapped[str | None] = mapped_column(String(120))
    filed_on: Mapped[dt.date] = mapped_column(Date)
    outcome: Mapped[str | None] = mapped_column(String(20))  # a column key of table 四, None while pending
    concluded_on: Mapped[dt.date | None] = mapped_column(Date)


class ReportText(Base):
    """The narrative the officer writes for one part of one year's report."""

    __tablename__ = "report_text"
    __table_args__ = (UniqueConstraint("agency_id", "year", "part", name="uq_report_text"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    year: Mapped[int] = mapped_column(Integer)
    part: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)


class ReportFigure(Base):
    """A cell the records do not determine, entered by the officer (e.g. 2019 item counts)."""

    __tablename__ = "report_figure"
    __table_args__ = (UniqueConstraint("agency_id", "year", "cell", name="uq_report_figure"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    year: Mapped[int] = mapped_column(Integer)
    cell: Mapped[str] = mapped_column(String(80))
    value: Mapped[Decimal] = mapped_column(Numeric(18, 4))


class CalendarDay(Base):
    """The local override table of the working-day calendar (``agency_id`` null: every agency)."""

    __tablename__ = "calendar_day"
    __table_args__ = (UniqueConstraint("agency_id", "on", name="uq_calendar_day"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    on: Mapped[dt.date] = mapped_column(Date)
    workday: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(String(200), default="")


class CalendarYear(Base):
    """A year declared in the override table (its notice came after chinesecalendar's release)."""

    __tablename__ = "calendar_year"
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(200), default="")


class Setting(Base):
    """A setting of the whole database (e.g. whether an unpaid fee notice stops the clock)."""

    __tablename__ = "setting"
    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(JSON)


class ChainHead(Base):
    """The newest link of one hash chain: an agency's events and audit entries (``chain`` = its id),
    or the database-wide audit entries (``chain`` = 0). Locked while a transaction appends to it."""

    __tablename__ = "chain_head"
    chain: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))


class TrackingCounter(Base):
    """The last tracking number generated for one agency and year (``YEAR-NNNN``), taken atomically."""

    __tablename__ = "tracking_counter"
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), primary_key=True, autoincrement=False)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    n: Mapped[int] = mapped_column(Integer)


# The corpus's tables share this Base (one schema, one migration history): declared on import.
from xxgk.corpus import schema as _corpus_schema  # noqa: E402, F401
