"""Rollups kept current at ingest: what one report adds to the sums of its region, kind and year.

A current report counts in the tally of every region on its agency's path (township, county, city,
province) and of the whole corpus (``ALL``), and adds its non-zero and blank cells to the cell
rollups of the ``ROLLUP_LEVELS`` regions on the path and ``ALL``; an unmatched or pending report
only to ``ALL``. The contributions of a transaction are gathered in :class:`Deltas` and written
once, as upserts that add to what is stored (sorted, so two writers never lock rows in opposite
orders). A report superseded by a newer version is subtracted the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import Connection, select

from xxgk.corpus.schema import ALL, NO_KIND, NO_YEAR, ROLLUP_LEVELS, CorpusRollup, CorpusTally
from xxgk.corpus.schema import Region as RegionRow
from xxgk.office.db import Agency

MAX_DEPTH = 8  # a region path longer than this is a cycle in the registry


@dataclass(frozen=True)
class AgencyInfo:
    id: int
    code: str
    name: str
    kind: str
    region: str | None


@dataclass(frozen=True)
class RollupRow:
    region: str
    kind: str
    year: int
    cell: str
    total: float  # sum of the values
    reports: int  # current reports whose template has the cell
    valued: int  # of which with a value (not blank)
    nonzero: int  # of which with a value other than 0


@dataclass(frozen=True)
class TallyRow:
    region: str
    kind: str
    year: int
    reports: int
    accepted: int
    with_errors: int
    errors: int
    warnings: int


@dataclass(frozen=True)
class Contribution:
    """What one report adds to (or, superseded, takes from) the rollups."""

    regions: tuple[str, ...]  # the agency's region path, then ALL (tally)
    cell_regions: tuple[str, ...]  # those of ROLLUP_LEVELS, then ALL (cell rollups)
    kind: str
    year: int
    template: str
    cells: dict[str, float | None]
    accepted: bool
    errors: int
    warnings: int


class RegistryCache:
    """Regions (all, loaded once) and agencies (by code and id, loaded as asked) of one store.

    A store's registry does not change during an ingest; :func:`save_registry` clears the cache."""

    def __init__(self) -> None:
        self.regions: dict[str, tuple[str, str, str | None]] | None = None  # code -> (name, level, parent)
        self.by_code: dict[str, AgencyInfo | None] = {}
        self.by_id: dict[int, AgencyInfo] = {}

    def clear(self) -> None:
        self.regions, self.by_code, self.by_id = None, {}, {}

    def region_map(self, conn: Connection) -> dict[str, tuple[str, str, str | None]]:
        if self.regions is None:
            rows = conn.execute(select(RegionRow.code, RegionRow.name, RegionRow.level, RegionRow.parent))
            self.regions = {r.code: (r.name, r.level, r.parent) for r in rows}
        return self.regions

    def path(self, conn: Connection, code: str | None) -> tuple[str, ...]:
        """The region's code and its ancestors' (nearest first); unknown codes are kept as given."""
        regions = self.region_map(conn)
        out: list[str] = []
        while code and code not in out and len(out) < MAX_DEPTH:
            out.append(code)
            code = regions.get(code, ("", "", None))[2]
        return tuple(out)

    def agency(self, conn: Connection, code: str) -> AgencyInfo | None:
        if code not in self.by_code:
            row = conn.execute(select(Agency.id, Agency.code, Agency.name, Agency.kind, Agency.region_code)
                               .where(Agency.code == code)).first()
            info = AgencyInfo(row.id, row.code, row.name, row.kind, row.region_code) if row else None
            self.by_code[code] = info
            if info:
                self.by_id[info.id] = info
        return self.by_code[code]

    def agency_by_id(self, conn: Connection, agency_id: int) -> AgencyInfo | None:
        if agency_id not in self.by_id:
            code = conn.scalar(select(Agency.code).where(Agency.id == agency_id))
            return self.agency(conn, code) if code is not None else None
        return self.by_id[agency_id]

    def contribution(self, conn: Connection, agency: AgencyInfo | None, reader_kind: str | None,
                     year: int | None, template: str, cells: dict[str, float | None], errors: int,
                     warnings: int) -> Contribution:
        if agency is not None:
            path = self.path(conn, agency.region)
            levels = self.region_map(conn)
            regions = (*path, ALL)
            cell_regions = (*(c for c in path if c in levels and levels[c][1] in ROLLUP_LEVELS), ALL)
            kind = agency.kind
        else:
            regions = cell_regions = (ALL,)
            kind = reader_kind or NO_KIND
        return Contribution(regions, cell_regions, kind, NO_YEAR if year is None else year, template, cells,
                            agency is not None, errors, warnings)


class Deltas:
    """The rollup changes of one transaction, written by :meth:`flush`."""

    def __init__(self) -> None:
        # (region, kind, year) -> cell -> [total, nonzero, blank]
        self.cells: dict[tuple[str, str, int], dict[str, list[float]]] = {}
        # (region, kind, year, template) -> [reports, accepted, with_errors, errors, warnings]
        self.tally: dict[tuple[str, str, int, str], list[int]] = {}

    def add(self, c: Contribution, sign: int = 1) -> None:
        for region in c.regions:
            t = self.tally.setdefault((region, c.kind, c.year, c.template), [0, 0, 0, 0, 0])
            t[0] += sign
            t[1] += sign * c.accepted
            t[2] += sign * (c.errors > 0)
            t[3] += sign * c.errors
            t[4] += sign * c.warnings
        values = [(cell, sign * v, sign, 0) if v is not None else (cell, 0.0, 0, sign)
                  for cell, v in c.cells.items() if v != 0]
        for region in c.cell_regions:
            sums = self.cells.setdefault((region, c.kind, c.year), {})
            for cell, v, nz, blank in values:
                d = sums.get(cell)
                if d is None:
                    sums[cell] = [v, nz, blank]
                else:
                    d[0] += v
                    d[1] += nz
                    d[2] += blank

    def flush(self, conn: Connection) -> None:
        cells = sorted((*k, cell, d[0], d[1], d[2]) for k, sums in self.cells.items()
                       for cell, d in sums.items() if d[0] or d[1] or d[2])
        tally = sorted((*k, *v) for k, v in self.tally.items() if any(v))
        if cells:
            _add_to(conn, "corpus_rollup", ["region_code", "kind", "year", "cell"], ["total", "nonzero", "blank"],
                    cells)
        if tally:
            _add_to(conn, "corpus_tally", ["region_code", "kind", "year", "template"],
                    ["reports", "accepted", "with_errors", "errors", "warnings"], tally)
        self.cells.clear()
        self.tally.clear()


def _add_to(conn: Connection, table: str, keys: list[str], sums: list[str], rows: list[tuple[Any, ...]]) -> None:
    """INSERT … ON CONFLICT (keys) DO UPDATE SET s = s + excluded.s, straight to the driver's
    executemany (SQLite and PostgreSQL; rows sorted, so two writers lock in the same order)."""
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    cols = [*keys, *sums]
    sql = (f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join([mark] * len(cols))}) "
           f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET "
           + ", ".join(f"{s} = {table}.{s} + excluded.{s}" for s in sums))
    conn.exec_driver_sql(sql, rows)


@cache
def template_cells(template: str) -> tuple[str, ...]:
    from xxgk.template import load_template

    try:
        return tuple(load_template(template).cell_ids)
    except Exception:  # noqa: BLE001 - a template this version does not know: no cells to list
        return ()


def read_tally(conn: Connection, region: str, year: int | None, kind: str | None,
               by_template: bool = False) -> dict[tuple[str, ...], list[int]]:
    """(kind, year[, template]) -> [reports, accepted, with_errors, errors, warnings] of a region."""
    q = select(CorpusTally).where(CorpusTally.region_code == region, CorpusTally.reports > 0)
    if year is not None:
        q = q.where(CorpusTally.year == year)
    if kind is not None:
        q = q.where(CorpusTally.kind == kind)
    out: dict[tuple[str, ...], list[int]] = {}
    for r in conn.execute(q):
        key = (r.kind, r.year, r.template) if by_template else (r.kind, r.year)
        t = out.setdefault(key, [0, 0, 0, 0, 0])
        for i, n in enumerate((r.reports, r.accepted, r.with_errors, r.errors, r.warnings)):
            t[i] += n
    return out


def read_rollup(conn: Connection, cell: str | None, region: str, year: int | None,
                kind: str | None) -> list[RollupRow]:
    """The cell rollups of a region of ``ROLLUP_LEVELS`` (or ``ALL``), zeros restored from the tally."""
    counts = read_tally(conn, region, year, kind, by_template=True)
    q = select(CorpusRollup).where(CorpusRollup.region_code == region)
    if cell is not None:
        q = q.where(CorpusRollup.cell == cell)
    if year is not None:
        q = q.where(CorpusRollup.year == year)
    if kind is not None:
        q = q.where(CorpusRollup.kind == kind)
    sums = {(r.kind, r.year, r.cell): (r.total, r.nonzero, r.blank) for r in conn.execute(q)}
    groups: dict[tuple[str, int], dict[str, int]] = {}
    for (k, y, template), t in counts.items():
        groups.setdefault((k, y), {})[template] = t[0]
    out = []
    for (k, y), templates in sorted(groups.items(), key=lambda g: (g[0][1], g[0][0])):
        cells = [cell] if cell is not None else list(dict.fromkeys(
            c for t in sorted(templates, reverse=True) for c in template_cells(t)))
        for c in cells:
            reports = sum(n for t, n in templates.items() if c in _cell_set(t))
            if reports:
                total, nonzero, blank = sums.get((k, y, c), (0.0, 0, 0))
                out.append(RollupRow(region, k, y, c, total, reports, reports - blank, nonzero))
    return out


@cache
def _cell_set(template: str) -> frozenset[str]:
    return frozenset(template_cells(template))
