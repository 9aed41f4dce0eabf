"""The registry in the database: regions, agencies (the office's ``agency`` rows) and their aliases.

:func:`save_registry` upserts :class:`~xxgk.corpus.types.Region` and
:class:`~xxgk.corpus.types.AgencyRecord` lists in one transaction; :func:`load_registry` gives them
back. Validation of a registry (codes, tree, names) is :mod:`xxgk.corpus.registry`'s; here a
reference to an agency that exists nowhere is refused, since it cannot be stored.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.orm import Session

from xxgk.corpus.schema import AgencyAlias, CorpusReport
from xxgk.corpus.schema import Region as RegionRow
from xxgk.corpus.types import AgencyRecord, Region
from xxgk.errors import XxgkError
from xxgk.office.db import Agency

if TYPE_CHECKING:
    from xxgk.corpus.store import CorpusStore

CHUNK = 500


@contextmanager
def _connection(target: CorpusStore | Session | Connection) -> Iterator[tuple[Connection, Any]]:
    """A connection in a transaction, and the store whose cache must forget the old registry."""
    from xxgk.corpus.store import CorpusStore

    if isinstance(target, CorpusStore):
        with target.engine.begin() as conn:
            yield conn, target
        target.cache.clear()
    elif isinstance(target, Session):
        yield target.connection(), None
    else:
        yield target, None


def _rows_by(conn: Connection, column: Any, keys: list[str], *cols: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for i in range(0, len(keys), CHUNK):
        for r in conn.execute(select(column, *cols).where(column.in_(keys[i:i + CHUNK]))):
            out[r[0]] = r
    return out


def save_registry(target: CorpusStore | Session | Connection, regions: Sequence[Region],
                  agencies: Sequence[AgencyRecord]) -> tuple[int, int]:
    """Insert or update regions and agencies (by code), with their parents, supervisors and aliases
    (an agency's aliases are replaced by those given). Rollups follow when an agency with stored
    reports moved to another region or kind, or a region to another parent. Returns the counts
    saved. One transaction when given a store; the caller's when given a Session or Connection."""
    from xxgk.corpus.store import CorpusStore

    with _connection(target) as (conn, store):
        moved = _save_regions(conn, regions)
        moved |= _save_agencies(conn, agencies)
        if moved and conn.scalar(select(CorpusReport.id).limit(1)) is not None:
            (store or CorpusStore(conn.engine)).rebuild_rollups(conn)
    return len(regions), len(agencies)


def _save_regions(conn: Connection, regions: Sequence[Region]) -> bool:
    t = RegionRow.__table__
    old = _rows_by(conn, t.c.code, [r.code for r in regions], t.c.parent)
    moved = False
    new = []
    for r in dict((r.code, r) for r in regions).values():
        values = {"name": r.name, "level": r.level, "parent": r.parent}
        if r.code in old:
            moved |= old[r.code].parent != r.parent
            conn.execute(update(t).where(t.c.code == r.code).values(**values))
        else:
            new.append({"code": r.code, **values})
    if new:
        conn.execute(insert(t), new)
    return moved


def _save_agencies(conn: Connection, agencies: Sequence[AgencyRecord]) -> bool:
    t = Agency.__table__
    agencies = list(dict((a.code, a) for a in agencies).values())
    places = sorted({a.region for a in agencies if a.region})
    known = _rows_by(conn, RegionRow.code, places)
    unplaced = [c for c in places if c not in known]
    if unplaced:
        shown = "、".join(unplaced[:5]) + ("…" if len(unplaced) > 5 else "")
        raise XxgkError("registry", f"机关所在地区的代码不在名录中：{shown}",
                        f"agencies' region codes not in the registry: {', '.join(unplaced[:5])}")
    old = _rows_by(conn, t.c.code, [a.code for a in agencies], t.c.id, t.c.kind, t.c.region_code)
    moved = False
    new = []
    for a in agencies:
        values = {"name": a.name, "kind": a.kind, "region_code": a.region}
        if a.code in old:
            o = old[a.code]
            moved |= (o.kind, o.region_code) != (a.kind, a.region)
            conn.execute(update(t).where(t.c.id == o.id).values(**values))
        else:
            new.append({"code": a.code, **values})
    if new:
        conn.execute(insert(t), new)
    refs = sorted({c for a in agencies for c in (a.code, a.parent, a.supervisor) if c})
    ids = {code: r.id for code, r in _rows_by(conn, t.c.code, refs, t.c.id).items()}
    unknown = [c for c in refs if c not in ids]
    if unknown:
        shown = "、".join(unknown[:5]) + ("…" if len(unknown) > 5 else "")
        raise XxgkError("registry", f"上级机关或监督机关的代码不在名录中：{shown}",
                        f"parent or supervisor agency codes not in the registry: {', '.join(unknown[:5])}")
    for a in agencies:
        conn.execute(update(t).where(t.c.id == ids[a.code]).values(
            parent_id=ids.get(a.parent) if a.parent else None,
            supervisor_id=ids.get(a.supervisor) if a.supervisor else None))
    mine = [ids[a.code] for a in agencies]
    for i in range(0, len(mine), CHUNK):
        conn.execute(delete(AgencyAlias).where(AgencyAlias.agency_id.in_(mine[i:i + CHUNK])))
    aliases = [{"agency_id": ids[a.code], "name": n} for a in agencies
               for n in dict.fromkeys(x.strip() for x in a.aliases) if n and n != a.name]
    if aliases:
        conn.execute(insert(AgencyAlias.__table__), aliases)
    return moved


def load_registry(target: CorpusStore | Session | Connection) -> tuple[list[Region], list[AgencyRecord]]:
    """Every region, and every agency placed in a region (the office's own agencies may have none)."""
    with _connection(target) as (conn, _):
        regions = [Region(r.code, r.name, r.level, r.parent)
                   for r in conn.execute(select(RegionRow).order_by(RegionRow.code))]
        rows = conn.execute(select(Agency.id, Agency.code, Agency.name, Agency.kind, Agency.region_code,
                                   Agency.parent_id, Agency.supervisor_id).order_by(Agency.code)).all()
        codes = {r.id: r.code for r in rows}
        aliases: dict[int, list[str]] = {}
        for a in conn.execute(select(AgencyAlias.agency_id, AgencyAlias.name).order_by(AgencyAlias.id)):
            aliases.setdefault(a.agency_id, []).append(a.name)
        agencies = [AgencyRecord(r.code, r.name, r.kind, r.region_code, codes.get(r.parent_id),  # type: ignore[arg-type]
                                 codes.get(r.supervisor_id), tuple(aliases.get(r.id, ())))
                    for r in rows if r.region_code]
    return regions, agencies


def region_path(store: CorpusStore, conn: Connection, code: str) -> list[Region]:
    """The region and its ancestors, province first (codes unknown to the registry left out)."""
    regions = store.cache.region_map(conn)
    return [Region(c, regions[c][0], regions[c][1], regions[c][2])  # type: ignore[arg-type]
            for c in reversed(store.cache.path(conn, code)) if c in regions]


def subtree(store: CorpusStore, conn: Connection, code: str) -> set[str]:
    """The region's code and all its descendants'."""
    children: dict[str | None, list[str]] = {}
    for c, (_, _, parent) in store.cache.region_map(conn).items():
        children.setdefault(parent, []).append(c)
    out, todo = set(), [code]
    while todo:
        c = todo.pop()
        if c not in out:
            out.add(c)
            todo.extend(children.get(c, ()))
    return out
