"""The corpus's tables: SQLAlchemy 2 models on the office's ``Base`` (one schema, one Alembic history).

The office's ``agency`` table is the registry's agency too; the corpus adds where it is (a region),
its parent and supervisor agencies (columns on ``agency``) and the names it is printed under
(``agency_alias``). A stored report keeps its original bytes once by content hash (``blob``),
its cells in long form with the reader's status, its findings and its parts' text.

Versions: reports of the same agency and year share a ``report_key``; a corrected re-publication
(same key, other bytes) is stored as the next ``version``; the newest one (latest published date,
then latest stored) is ``current``. Rollups (``corpus_rollup`` per cell, ``corpus_tally`` per
report) hold the current versions' sums per region (the levels of the region's path, plus the
whole corpus ``ALL``), agency kind and year, kept up to date in the transaction that stores a
report, so a summary reads a few rows instead of every cell.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from xxgk.office.db import Base, utcnow

# Rollup keys that are not a region / kind / year.
ALL = ""  # region_code of the rows summing the whole corpus (matched or not)
NO_KIND = ""  # an unmatched report whose reader could not tell the agency's kind
NO_YEAR = 0  # a report whose year could not be read

MATCH_STATUSES = ("accepted", "pending", "unmatched")
# Region levels with per-cell rollups (a township's few reports are summed from their cells).
ROLLUP_LEVELS = ("province", "city", "county")


class Region(Base):
    """A region of the tree (province → city → county → township). ``parent`` is not a foreign key:
    a registry may be saved in any order; :mod:`xxgk.corpus.registry` validates the tree."""

    __tablename__ = "region"
    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(12))
    parent: Mapped[str | None] = mapped_column(String(12), index=True)


class AgencyAlias(Base):
    """Another name an agency is printed under (陕州区人民政府, 区政府)."""

    __tablename__ = "agency_alias"
    __table_args__ = (UniqueConstraint("agency_id", "name", name="uq_agency_alias"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200), index=True)


class Blob(Base):
    """A file's original bytes, stored once by their SHA-256."""

    __tablename__ = "blob"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class CorpusReport(Base):
    """One stored report (one file's content), with its agency match and its version."""

    __tablename__ = "corpus_report"
    __table_args__ = (
        UniqueConstraint("report_key", "version", name="uq_corpus_report_version"),
        Index("ix_corpus_report_year_current", "year", "current"),
        Index("ix_corpus_report_agency_year", "agency_id", "year"),
        Index("ix_corpus_report_current_year_id", "current", "year", "id"),  # the explorer's pages (0005)
        Index("ix_corpus_report_current_agency_year", "current", "agency_id", "year"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    content_hash: Mapped[str] = mapped_column(ForeignKey("blob.sha256"), unique=True)
    source: Mapped[str] = mapped_column(Text)  # the path, "archive.zip!member" or the page's URL
    format: Mapped[str] = mapped_column(String(20))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))  # accepted matches only
    match_status: Mapped[str] = mapped_column(String(10))  # accepted | pending | unmatched
    match_agency: Mapped[str | None] = mapped_column(String(64))  # the proposed agency's code
    match_confidence: Mapped[float] = mapped_column(Float, default=0.0)
    match_method: Mapped[str] = mapped_column(String(20), default="none")
    match_reasons: Mapped[list[Any]] = mapped_column(JSON, default=list)
    match_candidates: Mapped[list[Any]] = mapped_column(JSON, default=list)
    printed_agency: Mapped[str | None] = mapped_column(String(200))  # as the title (or signature) says
    signature_agency: Mapped[str | None] = mapped_column(String(200))
    agency_kind: Mapped[str | None] = mapped_column(String(20))  # the reader's decision, from the text
    year: Mapped[int | None] = mapped_column(Integer)
    template: Mapped[str] = mapped_column(String(4))
    title: Mapped[str | None] = mapped_column(Text)
    published_date: Mapped[dt.date | None] = mapped_column(Date)
    report_key: Mapped[str] = mapped_column(String(300), index=True)
    version: Mapped[int] = mapped_column(Integer)
    current: Mapped[bool] = mapped_column(Boolean, default=False)
    errors: Mapped[int] = mapped_column(Integer, default=0)  # the report's own findings by severity
    warnings: Mapped[int] = mapped_column(Integer, default=0)
    ingested_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class CorpusCell(Base):
    """One cell of one report (long form), with its status from the reader's contract."""

    __tablename__ = "corpus_cell"
    __table_args__ = {"sqlite_with_rowid": False}  # SQLite: the primary key is the table
    report_id: Mapped[int] = mapped_column(ForeignKey("corpus_report.id", ondelete="CASCADE"), primary_key=True)
    cell: Mapped[str] = mapped_column(String(80), primary_key=True, index=True)
    value: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(10))


class CorpusFinding(Base):
    """What the checker found in one report on its own."""

    __tablename__ = "corpus_finding"
    __table_args__ = (Index("ix_corpus_finding_rule_report", "rule", "report_id"),)  # the explorer's rule filter (0005)
    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("corpus_report.id", ondelete="CASCADE"), index=True)
    rule: Mapped[str] = mapped_column(String(80))
    severity: Mapped[str] = mapped_column(String(10))
    message: Mapped[str] = mapped_column(Text)
    message_en: Mapped[str] = mapped_column(Text)
    cells: Mapped[list[Any]] = mapped_column(JSON, default=list)


class CorpusPart(Base):
    """The text of one part (一、总体情况 …) of one report."""

    __tablename__ = "corpus_part"
    report_id: Mapped[int] = mapped_column(ForeignKey("corpus_report.id", ondelete="CASCADE"), primary_key=True)
    part: Mapped[str] = mapped_column(String(40), primary_key=True)
    heading: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)


class CorpusFailure(Base):
    """A file that could not be read or stored (by content hash, or by source when never read)."""

    __tablename__ = "corpus_failure"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(128), unique=True)  # "sha256:<hex>" or "source:<sha256 of source>"
    content_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    source: Mapped[str] = mapped_column(Text)
    code: Mapped[str] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(Text)
    message_en: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class CorpusRollup(Base):
    """Sum of one cell over the current reports of a region (``ROLLUP_LEVELS``; ``ALL``: the whole
    corpus), agency kind and year. Zeros are not counted here (most cells of a report are 0): a
    report adds a row only where its value is non-zero or blank, so how many reports have the cell
    comes from :class:`CorpusTally` (per template), and ``valued`` = that − ``blank``."""

    __tablename__ = "corpus_rollup"
    __table_args__ = {"sqlite_with_rowid": False}  # SQLite: the primary key is the table
    region_code: Mapped[str] = mapped_column(String(12), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    cell: Mapped[str] = mapped_column(String(80), primary_key=True)
    total: Mapped[float] = mapped_column(Float, default=0.0)  # sum of the values
    nonzero: Mapped[int] = mapped_column(Integer, default=0)  # reports with a value other than 0
    blank: Mapped[int] = mapped_column(Integer, default=0)  # reports with no value (null)


class CorpusTally(Base):
    """Counts of the current reports of a region (every level; ``ALL``), agency kind, year and template."""

    __tablename__ = "corpus_tally"
    __table_args__ = {"sqlite_with_rowid": False}  # SQLite: the primary key is the table
    region_code: Mapped[str] = mapped_column(String(12), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    template: Mapped[str] = mapped_column(String(4), primary_key=True)
    reports: Mapped[int] = mapped_column(Integer, default=0)
    accepted: Mapped[int] = mapped_column(Integer, default=0)  # attached to an agency
    with_errors: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    warnings: Mapped[int] = mapped_column(Integer, default=0)


CORPUS_TABLES = ("region", "agency_alias", "blob", "corpus_report", "corpus_cell", "corpus_finding",
                 "corpus_part", "corpus_failure", "corpus_rollup", "corpus_tally")
