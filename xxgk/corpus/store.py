"""The corpus's storage: every report stored once, with its bytes, cells, findings, parts and agency.

SQLite by default, PostgreSQL by URL; the schema is the office's (one Base, one Alembic history,
``xxgk/office/migrations``), so a supervisor's office and its corpus can share one database.
Every write is one transaction: a report is stored whole (bytes, row, cells, findings, parts,
rollups) or not at all, and storing the same bytes again changes nothing (idempotent by content
hash). Tables and versions: :mod:`xxgk.corpus.schema`; rollups: :mod:`xxgk.corpus.rollup`.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, delete, event, func, inspect, select, update
from sqlalchemy.exc import DatabaseError, OperationalError, ProgrammingError

from xxgk.corpus.digest import Digest, digest
from xxgk.corpus.rollup import Deltas, RegistryCache, RollupRow, TallyRow, read_rollup, read_tally
from xxgk.corpus.schema import (
    ALL,
    ROLLUP_LEVELS,
    Blob,
    CorpusCell,
    CorpusFailure,
    CorpusFinding,
    CorpusReport,
    CorpusRollup,
    CorpusTally,
)
from xxgk.corpus.store_read import entries as read_entries
from xxgk.corpus.store_read import export_chunks, read_cells, stored_report
from xxgk.corpus.store_registry import load_registry, region_path, save_registry, subtree
from xxgk.corpus.store_write import (
    match_values,
    next_version,
    record_failure,
    report_key,
    resolve,
    settle,
    stored_contribution,
    write_batch,
)
from xxgk.corpus.types import Match, ReportEntry
from xxgk.errors import XxgkError
from xxgk.model import Finding, Report

DEFAULT_URL = "sqlite:///xxgk-corpus.db"
CHUNK = 500  # ids per IN (…) query

__all__ = ["ALL", "DEFAULT_URL", "CorpusStore", "Counts", "FailureRecord", "RollupRow", "StoreResult",
           "StoredReport", "TallyRow", "load_registry", "report_key", "save_registry"]


@dataclass(frozen=True)
class StoreResult:
    id: int
    created: bool  # False: these bytes were stored before (nothing written)
    version: int
    current: bool

    @property
    def new_version(self) -> bool:
        return self.created and self.version > 1


@dataclass(frozen=True)
class FailureRecord:
    """A file that could not be read or stored, with the reason (Chinese and English)."""

    source: str
    code: str
    message: str
    message_en: str
    content_hash: str | None = None
    attempts: int = 1
    at: dt.datetime | None = None


@dataclass
class StoredReport:
    id: int
    content_hash: str
    source: str
    format: str
    agency: str | None  # agency code, when the match is accepted
    agency_name: str | None
    kind: str | None  # the registry's kind when matched, else the reader's
    region: str | None
    match: Match
    match_status: str
    printed_agency: str | None
    year: int | None
    template: str
    title: str | None
    published: dt.date | None
    report_key: str
    version: int
    current: bool
    ingested_at: dt.datetime
    errors: int
    warnings: int
    cells: dict[str, float | int | None] = field(default_factory=dict)
    statuses: dict[str, str] = field(default_factory=dict)
    parts: dict[str, str] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)


@dataclass(frozen=True)
class Counts:
    reports: int  # stored reports (every version)
    current: int
    superseded: int
    accepted: int
    pending: int
    unmatched: int
    cells: int
    findings: int
    failures: int
    blobs: int
    blob_bytes: int


def number(v: float | None) -> float | int | None:
    """A stored value as the reader gave it (whole numbers as int)."""
    return int(v) if v is not None and float(v).is_integer() else v


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")  # WAL: a crash loses no committed transaction's consistency
    cur.close()


class CorpusStore:
    """The corpus in one database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.cache = RegistryCache()

    @classmethod
    def open(cls, url: str | None = None, *, create: bool = True) -> CorpusStore:
        """Open (and by default create or upgrade) the database at ``url`` (default: $XXGK_DATABASE_URL,
        else ``sqlite:///xxgk-corpus.db``)."""
        from xxgk.office.service import _connect_error, create_database_engine, migrate, safe_url

        url = url or os.environ.get("XXGK_DATABASE_URL") or DEFAULT_URL
        if url.startswith("sqlite:///") and not create:
            path = url.removeprefix("sqlite:///")
            if path and path != ":memory:" and not os.path.exists(path):
                raise XxgkError("database", f"数据库不存在：{path}", f"no database at {path}")
        engine = create_database_engine(url, example="sqlite:///corpus.db")
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        try:
            if create:
                migrate(engine)
            else:
                with engine.connect() as conn:
                    if not inspect(conn).has_table("corpus_report"):
                        engine.dispose()
                        raise XxgkError("database", f"数据库中还没有报告库（请先导入报告）：{safe_url(url)}",
                                        f"the database holds no corpus yet (ingest reports first): {safe_url(url)}")
        except (OperationalError, ProgrammingError, DatabaseError) as e:
            engine.dispose()
            raise _connect_error(url, e) from None
        return cls(engine)

    def close(self) -> None:
        self.engine.dispose()

    def analyze(self) -> None:
        """Refresh the planner's table statistics after many writes (SQLite: ANALYZE over a
        sample, a second or so at 10⁵ reports; PostgreSQL's autovacuum keeps its own)."""
        if self.engine.dialect.name != "sqlite":
            return
        with self.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA analysis_limit=1000")
            conn.exec_driver_sql("ANALYZE")
            conn.commit()

    def __enter__(self) -> CorpusStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        with self.engine.begin() as conn:
            yield conn

    # ------------------------------------------------------------ registry

    def save_registry(self, regions: Sequence[Any], agencies: Sequence[Any]) -> tuple[int, int]:
        return save_registry(self, regions, agencies)

    def registry(self) -> tuple[list[Any], list[Any]]:
        return load_registry(self)

    # ------------------------------------------------------------ writing

    def stored(self, hashes: Iterable[str]) -> set[str]:
        """Which of these content hashes are stored already."""
        hashes = list(hashes)
        out: set[str] = set()
        with self.engine.connect() as conn:
            for i in range(0, len(hashes), CHUNK):
                chunk = hashes[i:i + CHUNK]
                out.update(conn.scalars(select(CorpusReport.content_hash)
                                        .where(CorpusReport.content_hash.in_(chunk))))
        return out

    def failed_hashes(self, hashes: Iterable[str]) -> set[str]:
        """Which of these content hashes failed before."""
        hashes = list(hashes)
        out: set[str] = set()
        with self.engine.connect() as conn:
            for i in range(0, len(hashes), CHUNK):
                out.update(h for h in conn.scalars(select(CorpusFailure.content_hash)
                                                   .where(CorpusFailure.content_hash.in_(hashes[i:i + CHUNK]))) if h)
        return out

    def store_report(self, report: Report, findings: list[Finding] | None, data: bytes, source: str,
                     match: Match | None = None) -> StoreResult:
        """Store one read report with its original bytes, in one transaction (nothing when stored before)."""
        return self.store_many([(digest(report, findings, match), data, source)])[0]

    def store_many(self, items: Sequence[tuple[Digest, bytes, str]],
                   failures: Sequence[FailureRecord] = ()) -> list[StoreResult]:
        """Store several reports (and record failures) in ONE transaction: all or nothing."""
        with self.engine.begin() as conn:
            deltas = Deltas()
            out = write_batch(self, conn, items, deltas) if items else []
            for f in failures:
                record_failure(conn, f)
            deltas.flush(conn)
        return out

    def record_failure(self, failure: FailureRecord) -> None:
        with self.engine.begin() as conn:
            record_failure(conn, failure)

    def attach(self, report_id: int, match: Match) -> StoredReport:
        """Record a new match decision for a stored report (a person's, or a better matcher's):
        its key, version and current flags and the rollups follow."""
        t = CorpusReport.__table__
        with self.engine.begin() as conn:
            r = conn.execute(select(t).where(t.c.id == report_id)).first()
            if r is None:
                raise XxgkError("no-report", f"没有编号为 {report_id} 的报告", f"no report with id {report_id}")
            deltas = Deltas()
            status, agency, proposal, reasons = resolve(self, conn, match)
            key = report_key(status, agency.code if agency else None, r.printed_agency, r.year, r.content_hash)
            if r.current:
                deltas.add(stored_contribution(self, conn, r.id), -1)
            conn.execute(update(t).where(t.c.id == r.id).values(
                **match_values(status, agency, proposal, reasons, match), report_key=key, current=False,
                version=r.version if key == r.report_key else next_version(conn, key)))
            for k in dict.fromkeys([r.report_key, key]):
                settle(self, conn, k, deltas)
            deltas.flush(conn)
        out = self.report(report_id)
        assert out is not None
        return out

    def rebuild_rollups(self, conn: Connection | None = None) -> None:
        """Recompute every rollup from the current reports (after the registry moved agencies)."""
        if conn is None:
            with self.engine.begin() as c:
                return self.rebuild_rollups(c)
        self.cache.clear()
        conn.execute(delete(CorpusRollup))
        conn.execute(delete(CorpusTally))
        t = CorpusReport.__table__
        rows = conn.execute(select(t.c.id, t.c.agency_id, t.c.agency_kind, t.c.year, t.c.template, t.c.errors,
                                   t.c.warnings)
                            .where(t.c.current.is_(True)).order_by(t.c.id)).all()
        for i in range(0, len(rows), CHUNK):
            deltas = Deltas()
            chunk = rows[i:i + CHUNK]
            cells = read_cells(conn, [r.id for r in chunk])
            for r in chunk:
                agency = self.cache.agency_by_id(conn, r.agency_id) if r.agency_id is not None else None
                deltas.add(self.cache.contribution(conn, agency, r.agency_kind, r.year, r.template,
                                                   {c: v for c, v, _ in cells[r.id]}, r.errors, r.warnings))
            deltas.flush(conn)
        return None

    # ------------------------------------------------------------ reading

    def report(self, report_id: int) -> StoredReport | None:
        with self.engine.connect() as conn:
            return stored_report(self, conn, report_id)

    def pending(self) -> list[StoredReport]:
        """The current reports whose agency waits for a person (doubtful or unmatched), oldest first."""
        t = CorpusReport.__table__
        with self.engine.connect() as conn:
            ids = conn.execute(select(t.c.id).where(t.c.match_status != "accepted", t.c.current.is_(True))
                               .order_by(t.c.id)).scalars().all()
            return [r for i in ids if (r := stored_report(self, conn, i)) is not None]

    def export_rows(self, chunk: int = 2000) -> Iterator[tuple[list[dict[str, Any]],
                                                                dict[int, list[tuple[str, float | None, str]]]]]:
        """The current reports, ``chunk`` at a time: a row each (agency, region path by level,
        match, counts) and their cells (cell, value, status) by report id."""
        with self.engine.connect() as conn:
            yield from export_chunks(self, conn, chunk)

    def data(self, content_hash: str) -> bytes | None:
        """The original bytes of a stored file."""
        with self.engine.connect() as conn:
            return conn.scalar(select(Blob.data).where(Blob.sha256 == content_hash))

    def entries(self, year: int | None = None, region: str | None = None, *, cells: bool = True,
                parts: bool = True, current: bool = True, agency: str | None = None) -> list[ReportEntry]:
        """The stored reports as the checks across reports see them: of ``year`` (all years: None),
        of agencies in ``region``'s subtree (None: every report, matched or not), of one ``agency``
        (its code), current versions only unless ``current=False``."""
        with self.engine.connect() as conn:
            return read_entries(self, conn, year, region, cells=cells, parts=parts, current=current,
                                agency=agency)

    def counts(self) -> Counts:
        t = CorpusReport.__table__
        with self.engine.connect() as conn:
            by_status = dict(conn.execute(select(t.c.match_status, func.count()).group_by(t.c.match_status)).all())
            reports = sum(by_status.values())
            current = conn.scalar(select(func.count()).where(t.c.current.is_(True))) or 0

            def n(model: Any) -> int:
                return conn.scalar(select(func.count()).select_from(model.__table__)) or 0

            return Counts(reports, current, reports - current, by_status.get("accepted", 0),
                          by_status.get("pending", 0), by_status.get("unmatched", 0), n(CorpusCell),
                          n(CorpusFinding), n(CorpusFailure), n(Blob),
                          conn.scalar(select(func.coalesce(func.sum(Blob.size), 0))) or 0)

    def failures(self) -> list[FailureRecord]:
        with self.engine.connect() as conn:
            return [FailureRecord(f.source, f.code, f.message, f.message_en, f.content_hash, f.attempts, f.at)
                    for f in conn.execute(select(CorpusFailure).order_by(CorpusFailure.id))]

    def rollup(self, cell: str | None = None, *, region: str = ALL, year: int | None = None,
               kind: str | None = None) -> list[RollupRow]:
        """A cell's (or every cell's) sum and counts over the current reports of a region (a code of
        any level; ``ALL``: the whole corpus), by agency kind and year; from the rollups, or summed
        from the cells for a region below ``ROLLUP_LEVELS`` (a township: a few reports)."""
        with self.engine.connect() as conn:
            level = self.cache.region_map(conn).get(region, ("", "", None))[1]
            if region == ALL or level in ROLLUP_LEVELS:
                return read_rollup(conn, cell, region, year, kind)
            out: dict[tuple[str, int, str], list[float]] = {}
            for e in read_entries(self, conn, year, region, cells=True, parts=False, current=True):
                if kind is not None and e.kind != kind:
                    continue
                for c, v in e.cells.items():
                    if cell is None or c == cell:
                        d = out.setdefault((e.kind or "", e.year or 0, c), [0.0, 0, 0, 0])
                        d[0] += v or 0
                        d[1] += 1
                        d[2] += v is not None
                        d[3] += v not in (None, 0)
            return [RollupRow(region, k, y, c, d[0], int(d[1]), int(d[2]), int(d[3]))
                    for (k, y, c), d in sorted(out.items(), key=lambda i: (i[0][1], i[0][0], i[0][2]))]

    def total(self, cell: str, *, region: str = ALL, year: int | None = None, kind: str | None = None) -> float:
        """The sum of a cell over the current reports of a region (and year, kind)."""
        return sum(r.total for r in self.rollup(cell, region=region, year=year, kind=kind))

    def tally(self, *, region: str = ALL, year: int | None = None, kind: str | None = None) -> list[TallyRow]:
        """How many current reports a region has (any level; ``ALL``), by agency kind and year, with
        how many are attached to their agency and their errors and warnings."""
        with self.engine.connect() as conn:
            rows = read_tally(conn, region, year, kind)
        return [TallyRow(region, k, y, *t) for (k, y), t in sorted(rows.items(), key=lambda i: (i[0][1], i[0][0]))]

    def region_path(self, code: str) -> list[Any]:
        """The region and its ancestors as types.Region, province first."""
        with self.engine.connect() as conn:
            return region_path(self, conn, code)

    def subtree(self, code: str) -> set[str]:
        with self.engine.connect() as conn:
            return subtree(self, conn, code)
