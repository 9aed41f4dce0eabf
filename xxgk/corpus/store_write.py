"""Writing reports: a batch of digests stored in the caller's transaction, in a few statements.

For a batch: one query finds the hashes stored before, one the versions already stored under the
batch's report keys; which version of each key is current (latest published date, then latest
stored) is decided before anything is written, so each report is inserted once with its flag and
its version; cells, parts, findings and blobs are inserted per batch; the rollups move once.
The hot inserts (cells, rollups: hundreds of rows a report) go straight to the driver's
``executemany`` (SQLAlchemy's per-row parameter processing would cost more than the database).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from xxgk.corpus.digest import Digest, clean
from xxgk.corpus.rollup import AgencyInfo, Contribution, Deltas
from xxgk.corpus.schema import Blob, CorpusCell, CorpusFailure, CorpusFinding, CorpusPart, CorpusReport
from xxgk.corpus.types import Match
from xxgk.errors import XxgkError

if TYPE_CHECKING:
    from xxgk.corpus.store import CorpusStore, FailureRecord, StoreResult

CHUNK = 500


def report_key(status: str, agency_code: str | None, printed: str | None, year: int | None,
               content_hash: str) -> str:
    """Reports with the same key are versions of one report: the agency and year when the match is
    accepted, else the printed name and year (else the bytes themselves)."""
    y = "?" if year is None else str(year)
    if status == "accepted" and agency_code:
        return f"agency:{agency_code}|{y}"[:300]
    name = re.sub(r"\s+", "", printed or "")
    return f"name:{name[:200]}|{y}" if name else f"hash:{content_hash}"


def failure_key(source: str, content_hash: str | None) -> str:
    if content_hash:
        return f"sha256:{content_hash}"
    return "source:" + hashlib.sha256(source.encode("utf-8", "surrogatepass")).hexdigest()


def newest(rows: Sequence[Any]) -> Any:
    """The current version among rows with ``published`` and ``version``."""
    return max(rows, key=lambda r: (r.published or dt.date.min, r.version))


def resolve(store: CorpusStore, conn: Connection, m: Match | None
            ) -> tuple[str, AgencyInfo | None, str | None, list[str]]:
    """(status, agency when accepted, proposed agency code, reasons) of a match decision."""
    if m is None:
        return "unmatched", None, None, []
    reasons = list(m.reasons)
    if m.agency and m.accepted:
        info = store.cache.agency(conn, m.agency)
        if info is not None:
            return "accepted", info, m.agency, reasons
        reasons.append(f"机关代码 {m.agency} 不在名录中，待人工确认")
        return "pending", None, m.agency, reasons
    proposal = m.agency or (m.candidates[0][0] if m.candidates else None)
    return ("pending" if proposal else "unmatched"), None, proposal, reasons


def match_values(status: str, agency: AgencyInfo | None, proposal: str | None, reasons: list[str],
                 m: Match | None) -> dict[str, Any]:
    return {"agency_id": agency.id if agency else None, "match_status": status, "match_agency": proposal,
            "match_confidence": float(m.confidence) if m else 0.0, "match_method": m.method if m else "none",
            "match_reasons": reasons, "match_candidates": [list(c) for c in m.candidates] if m else []}


@dataclass
class _Version:
    id: int | None  # None: not inserted yet
    version: int
    published: dt.date | None
    current: bool
    item: int = -1  # index in the batch, for a new one


def _in(conn: Connection, column: Any, values: list[Any], *cols: Any) -> list[Any]:
    out: list[Any] = []
    for i in range(0, len(values), CHUNK):
        out.extend(conn.execute(select(*cols).where(column.in_(values[i:i + CHUNK]))).all())
    return out


def _placeholders(conn: Connection, n: int) -> str:
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    return ", ".join([mark] * n)


def write_batch(store: CorpusStore, conn: Connection, items: Sequence[tuple[Digest, bytes, str]],
                deltas: Deltas) -> list[StoreResult]:
    from xxgk.corpus.store import StoreResult

    t = CorpusReport.__table__
    for d, data, source in items:
        if hashlib.sha256(data).hexdigest() != d.content_hash:
            raise XxgkError("hash-mismatch", f"报告内容与其哈希不符：{source}",
                            f"the report's bytes do not match its hash: {source}")
    hashes = list(dict.fromkeys(d.content_hash for d, _, _ in items))
    before = {r.content_hash: r for r in _in(conn, t.c.content_hash, hashes, t.c.content_hash, t.c.id,
                                             t.c.version, t.c.current)}
    # the new reports: their match, key and version, and which version of each key is current
    created: dict[str, StoreResult] = {}
    first: dict[str, int] = {}  # hash -> index in ``plans``
    keys: dict[str, list[_Version]] = {}
    plans = []
    for d, data, source in items:
        if d.content_hash in before or d.content_hash in first:
            continue
        status, agency, proposal, reasons = resolve(store, conn, d.match)
        key = report_key(status, agency.code if agency else None, d.printed_agency, d.year, d.content_hash)
        plans.append((d, data, source, status, agency, proposal, reasons, key))
        first[d.content_hash] = len(plans) - 1
        keys[key] = []
    for r in _in(conn, t.c.report_key, list(keys), t.c.report_key, t.c.id, t.c.version, t.c.published_date,
                 t.c.current):
        keys[r.report_key].append(_Version(r.id, r.version, r.published_date, r.current))
    for i, (d, *_, key) in enumerate(plans):
        versions = keys[key]
        versions.append(_Version(None, max((v.version for v in versions), default=0) + 1, d.published, False, i))
    current_of = {key: newest(vs) for key, vs in keys.items() if vs}
    losing = [v.id for key, vs in keys.items() for v in vs if v.current and v is not current_of[key]]
    for rid in losing:
        deltas.add(stored_contribution(store, conn, rid), -1)
    if losing:
        conn.execute(update(t).where(t.c.id.in_(losing)).values(current=False))
    if plans:
        dialect_insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
        conn.execute(dialect_insert(Blob.__table__).on_conflict_do_nothing(), [
            {"sha256": d.content_hash, "size": len(data), "data": data} for d, data, *_ in plans])
    cells: list[tuple[Any, ...]] = []
    parts: list[dict[str, Any]] = []
    findings: list[dict[str, Any]] = []
    for i, (d, _, source, status, agency, proposal, reasons, key) in enumerate(plans):
        version = next(v for v in keys[key] if v.item == i)
        is_current = current_of[key] is version
        rid = conn.execute(insert(t).returning(t.c.id), {
            "content_hash": d.content_hash, "source": clean(source) or "", "format": d.format,
            **match_values(status, agency, proposal, reasons, d.match),
            "printed_agency": d.printed_agency, "signature_agency": d.signature_agency,
            "agency_kind": d.agency_kind, "year": d.year, "template": d.template, "title": d.title,
            "published_date": d.published, "report_key": key, "version": version.version,
            "current": is_current, "errors": d.errors, "warnings": d.warnings,
        }).scalar_one()
        version.id = rid
        cells.extend((rid, k, v, d.statuses.get(k, "read")) for k, v in d.cells.items())
        parts.extend({"report_id": rid, "part": k, "heading": h, "text": text} for k, h, text in d.parts)
        findings.extend({"report_id": rid, "rule": r, "severity": s, "message": msg, "message_en": en,
                         "cells": cs} for r, s, msg, en, cs in d.findings)
        if is_current:
            deltas.add(store.cache.contribution(conn, agency, d.agency_kind, d.year, d.template, d.cells,
                                                d.errors, d.warnings))
        created[d.content_hash] = StoreResult(rid, True, version.version, is_current)
    if cells:
        conn.exec_driver_sql("INSERT INTO corpus_cell (report_id, cell, value, status) VALUES ("
                             + _placeholders(conn, 4) + ")", cells)
    if parts:
        conn.execute(insert(CorpusPart.__table__), parts)
    if findings:
        conn.execute(insert(CorpusFinding.__table__), findings)
    gone = [failure_key(source, d.content_hash) for d, _, source, *_ in plans]
    gone += [failure_key(source, None) for _, _, source, *_ in plans]
    for i in range(0, len(gone), CHUNK):
        conn.execute(delete(CorpusFailure).where(CorpusFailure.key.in_(gone[i:i + CHUNK])))
    out: list[StoreResult] = []
    done: dict[str, StoreResult] = {}
    for d, _, _ in items:
        h = d.content_hash
        if h in done:  # the same bytes earlier in this batch
            r = StoreResult(done[h].id, False, done[h].version, done[h].current)
        elif h in before:
            r = StoreResult(before[h].id, False, before[h].version, before[h].current)
        else:
            r = created[h]
        done.setdefault(h, r)
        out.append(r)
    return out


def settle(store: CorpusStore, conn: Connection, key: str, deltas: Deltas) -> int | None:
    """Flag the newest stored version of ``key`` current, moving the rollups from the one it
    supersedes (after a report changed key). Returns the current version's id."""
    t = CorpusReport.__table__
    rows = [_Version(r.id, r.version, r.published_date, r.current) for r in conn.execute(
        select(t.c.id, t.c.version, t.c.published_date, t.c.current).where(t.c.report_key == key))]
    if not rows:
        return None
    top = newest(rows)
    flagged = [r.id for r in rows if r.current]
    if flagged == [top.id]:
        return top.id
    for rid in flagged:
        if rid != top.id:
            deltas.add(stored_contribution(store, conn, rid), -1)
    conn.execute(update(t).where(t.c.id.in_(flagged)).values(current=False))
    conn.execute(update(t).where(t.c.id == top.id).values(current=True))
    if top.id not in flagged:
        deltas.add(stored_contribution(store, conn, top.id), +1)
    return top.id


def stored_contribution(store: CorpusStore, conn: Connection, rid: int) -> Contribution:
    t = CorpusReport.__table__
    r = conn.execute(select(t.c.agency_id, t.c.agency_kind, t.c.year, t.c.template, t.c.errors, t.c.warnings)
                     .where(t.c.id == rid)).one()
    cells = {c: v for c, v in conn.execute(select(CorpusCell.cell, CorpusCell.value)
                                           .where(CorpusCell.report_id == rid))}
    agency = store.cache.agency_by_id(conn, r.agency_id) if r.agency_id is not None else None
    return store.cache.contribution(conn, agency, r.agency_kind, r.year, r.template, cells, r.errors,
                                    r.warnings)


def next_version(conn: Connection, key: str) -> int:
    t = CorpusReport.__table__
    return (conn.scalar(select(func.max(t.c.version)).where(t.c.report_key == key)) or 0) + 1


def record_failure(conn: Connection, f: FailureRecord) -> None:
    """Insert a failure, or count one more attempt of the same one."""
    key = failure_key(f.source, f.content_hash)
    row = conn.execute(select(CorpusFailure.id, CorpusFailure.attempts).where(CorpusFailure.key == key)).first()
    values = {"source": clean(f.source) or "", "code": f.code, "message": clean(f.message) or "",
              "message_en": clean(f.message_en) or "", "content_hash": f.content_hash}
    if row is None:
        conn.execute(insert(CorpusFailure.__table__), {"key": key, "attempts": 1, **values})
    else:
        conn.execute(update(CorpusFailure).where(CorpusFailure.id == row.id).values(
            attempts=row.attempts + 1, at=dt.datetime.now(dt.UTC).replace(tzinfo=None), **values))
