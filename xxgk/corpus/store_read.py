"""Reading the stored corpus back: one report, the entries the cross-report checks need, and the
current reports in chunks for an export (each chunk one query per table, never the whole corpus)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select

from xxgk.corpus.schema import CorpusCell, CorpusFinding, CorpusPart, CorpusReport
from xxgk.corpus.types import Match, ReportEntry
from xxgk.model import Finding

if TYPE_CHECKING:
    from xxgk.corpus.store import CorpusStore, StoredReport

CHUNK = 500
LEVEL_COLUMNS = ("province", "city", "county", "township")


def read_cells(conn: Connection, ids: list[int], only: Sequence[str] | None = None
               ) -> dict[int, list[tuple[str, float | None, str]]]:
    """Cells of the reports ``ids`` (only the cells ``only``, if given)."""
    out: dict[int, list[tuple[str, float | None, str]]] = {i: [] for i in ids}
    for i in range(0, len(ids), CHUNK):
        q = select(CorpusCell.report_id, CorpusCell.cell, CorpusCell.value, CorpusCell.status).where(
            CorpusCell.report_id.in_(ids[i:i + CHUNK]))
        if only is not None:
            q = q.where(CorpusCell.cell.in_(list(only)))
        for r in conn.execute(q):
            out[r.report_id].append((r.cell, r.value, r.status))
    return out


def _parts(conn: Connection, ids: list[int]) -> dict[int, dict[str, str]]:
    out: dict[int, dict[str, str]] = {i: {} for i in ids}
    for i in range(0, len(ids), CHUNK):
        q = select(CorpusPart.report_id, CorpusPart.part, CorpusPart.text).where(
            CorpusPart.report_id.in_(ids[i:i + CHUNK]))
        for r in conn.execute(q):
            out[r.report_id][r.part] = r.text
    return out


def stored_report(store: CorpusStore, conn: Connection, report_id: int) -> StoredReport | None:
    from xxgk.corpus.store import StoredReport, number

    t = CorpusReport.__table__
    r = conn.execute(select(t).where(t.c.id == report_id)).first()
    if r is None:
        return None
    agency = store.cache.agency_by_id(conn, r.agency_id) if r.agency_id is not None else None
    cells = read_cells(conn, [r.id])[r.id]
    findings = [Finding(rule=f.rule, severity=f.severity, message=f.message, message_en=f.message_en,
                        cells=list(f.cells or []))
                for f in conn.execute(select(CorpusFinding).where(CorpusFinding.report_id == r.id)
                                      .order_by(CorpusFinding.id))]
    match = Match(agency=r.match_agency, confidence=r.match_confidence, method=r.match_method,
                  accepted=r.match_status == "accepted",
                  candidates=tuple((str(c[0]), float(c[1])) for c in r.match_candidates or []),
                  reasons=tuple(r.match_reasons or []))
    return StoredReport(
        id=r.id, content_hash=r.content_hash, source=r.source, format=r.format,
        agency=agency.code if agency else None, agency_name=agency.name if agency else None,
        kind=agency.kind if agency else r.agency_kind, region=agency.region if agency else None,
        match=match, match_status=r.match_status, printed_agency=r.printed_agency, year=r.year,
        template=r.template, title=r.title, published=r.published_date, report_key=r.report_key,
        version=r.version, current=r.current, ingested_at=r.ingested_at, errors=r.errors, warnings=r.warnings,
        cells={c: number(v) for c, v, _ in cells}, statuses={c: s for c, _, s in cells},
        parts=_parts(conn, [r.id])[r.id], findings=findings,
    )


def entries(store: CorpusStore, conn: Connection, year: int | None, region: str | None, *, cells: bool,
            parts: bool, current: bool, agency: str | None = None) -> list[ReportEntry]:
    from xxgk.corpus.store import number
    from xxgk.corpus.store_registry import subtree

    t = CorpusReport.__table__
    q = select(t.c.id, t.c.agency_id, t.c.year, t.c.template, t.c.published_date, t.c.agency_kind,
               t.c.errors, t.c.warnings).order_by(t.c.id)
    if year is not None:
        q = q.where(t.c.year == year)
    if current:
        q = q.where(t.c.current.is_(True))
    from xxgk.office.db import Agency

    if region is not None:
        q = q.where(t.c.agency_id.is_not(None))
    within = subtree(store, conn, region) if region is not None else None
    if within is not None:  # the database picks the region's agencies: no row of another region is read
        q = q.where(t.c.agency_id.in_(select(Agency.id).where(Agency.region_code.in_(sorted(within)))))
    if agency is not None:
        q = q.where(t.c.agency_id.in_(select(Agency.id).where(Agency.code == agency)))
    regions = store.cache.region_map(conn)
    out: list[ReportEntry] = []
    for r in conn.execute(q).all():
        agency = store.cache.agency_by_id(conn, r.agency_id) if r.agency_id is not None else None
        if within is not None and (agency is None or agency.region not in within):
            continue
        place = regions.get(agency.region) if agency and agency.region else None
        out.append(ReportEntry(
            id=str(r.id), agency=agency.code if agency else None, year=r.year, template=r.template,
            published=r.published_date, kind=(agency.kind if agency else r.agency_kind),  # type: ignore[arg-type]
            region=agency.region if agency else None, level=place[1] if place else None,  # type: ignore[arg-type]
            errors=r.errors, warnings=r.warnings))
    ids = [int(e.id) for e in out]
    if cells:
        by_id = read_cells(conn, ids)
        for e in out:
            rows = by_id[int(e.id)]
            e.cells = {c: number(v) for c, v, _ in rows}
            e.statuses = {c: s for c, _, s in rows}
    if parts:
        texts = _parts(conn, ids)
        for e in out:
            e.parts = texts[int(e.id)]
    return out


def export_chunks(store: CorpusStore, conn: Connection, chunk: int = 2000
                  ) -> Iterator[tuple[list[dict[str, Any]], dict[int, list[tuple[str, float | None, str]]]]]:
    """The current reports, ``chunk`` at a time: a row each (agency, region path by level, province,
    match, counts) and their cells."""
    t = CorpusReport.__table__
    regions = store.cache.region_map(conn)
    last = 0
    while True:
        rows = conn.execute(select(t).where(t.c.current.is_(True), t.c.id > last)
                            .order_by(t.c.id).limit(chunk)).all()
        if not rows:
            return
        last = rows[-1].id
        out = []
        for r in rows:
            agency = store.cache.agency_by_id(conn, r.agency_id) if r.agency_id is not None else None
            path = store.cache.path(conn, agency.region) if agency and agency.region else ()
            row: dict[str, Any] = {
                "report_id": r.id, "content_hash": r.content_hash, "source": r.source, "format": r.format,
                "agency": agency.code if agency else None, "agency_name": agency.name if agency else None,
                "printed_agency": r.printed_agency, "kind": agency.kind if agency else r.agency_kind,
                "region": agency.region if agency else None,
                "region_name": regions[agency.region][0] if agency and agency.region in regions else None,
                "level": regions[agency.region][1] if agency and agency.region in regions else None,
                "year": r.year, "template": r.template, "title": r.title, "published": r.published_date,
                "version": r.version, "match_status": r.match_status, "match_confidence": r.match_confidence,
                "match_method": r.match_method, "errors": r.errors, "warnings": r.warnings,
                "ingested_at": r.ingested_at,
            }
            for level in LEVEL_COLUMNS:
                row[f"{level}_code"] = row[f"{level}_name"] = None
            for code in path:
                if code in regions and regions[code][1] in LEVEL_COLUMNS:
                    row[f"{regions[code][1]}_code"] = code
                    row[f"{regions[code][1]}_name"] = regions[code][0]
            out.append(row)
        yield out, read_cells(conn, [r.id for r in rows])
