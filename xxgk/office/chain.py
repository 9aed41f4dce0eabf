"""The hash chains over the office's history: each event and audit entry seals the one before it.

Every agency has one chain holding its request events and its audit entries in the order they
were written; audit entries of no agency (settings, the national calendar) form chain 0. A link
stores ``chain_seq`` (its place, from 1) and ``chain_hash`` = sha256(previous hash, its place and
its canonical content). The newest link is kept in ``chain_head``, locked (``SELECT … FOR UPDATE``)
by the transaction appending to the chain, so two clerks never fork it.

What this buys: a row changed, replaced, deleted or inserted by hand no longer fits the chain, and
``xxgk office verify`` says where. What it does not: someone who can write every table can also
recompute every hash. The head printed by ``verify`` (place and hash) can be written down or sent
elsewhere; ``verify --head SEQ:HASH`` then proves the history up to that point is unchanged.

Pure functions (canonical content, links) plus two small helpers on a session or connection.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Connection,
    Date,
    DateTime,
    Integer,
    String,
    column,
    insert,
    select,
    table,
    update,
)
from sqlalchemy.orm import Session

from xxgk.office.db import AuditEntry, ChainHead, RequestEvent

GENESIS = "0" * 64
DATABASE_CHAIN = 0  # audit entries of no agency

EVENT_FIELDS = ("agency_id", "request_id", "seq", "kind", "on", "data", "actor", "recorded_at")
AUDIT_FIELDS = ("agency_id", "entity", "entity_id", "action", "actor", "at", "before", "after")


def _plain(v: Any) -> Any:
    if isinstance(v, dt.datetime | dt.date):
        return v.isoformat()
    if isinstance(v, Decimal):
        return str(v)
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_plain(x) for x in v]
    return v


def canonical(content: Mapping[str, Any]) -> str:
    """One text for one content, whatever the database handed back (sorted keys, no spaces)."""
    return json.dumps(_plain(dict(content)), sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                      allow_nan=False)


def content(table: str, row: Any) -> dict[str, Any]:
    """The sealed content of an event (``table`` 'request_event') or audit entry ('audit_entry'):
    a mapped object or a row mapping."""
    fields = EVENT_FIELDS if table == "request_event" else AUDIT_FIELDS
    get = row.__getitem__ if isinstance(row, Mapping) else lambda k: getattr(row, k)
    return {"table": table, **{f: get(f) for f in fields}}


def link(prev: str, seq: int, sealed: Mapping[str, Any]) -> str:
    """The hash of link ``seq`` after ``prev``."""
    return hashlib.sha256(f"{prev}|{seq}|{canonical(sealed)}".encode()).hexdigest()


def chain_of(agency_id: int | None) -> int:
    return DATABASE_CHAIN if agency_id is None else agency_id


# ---------------------------------------------------------------- writing (inside a transaction)


def lock_head(s: Session, chain: int) -> ChainHead:
    """The chain's head, created if new and locked until the transaction ends (once per session)."""
    heads: dict[int, ChainHead] = s.info.setdefault("xxgk_chain_heads", {})
    head = heads.get(chain)
    if head is None:
        _insert_head(s.connection(), chain)
        head = s.scalars(select(ChainHead).where(ChainHead.chain == chain).with_for_update()
                         .execution_options(populate_existing=True)).one()
        heads[chain] = head
    return head


def _insert_head(conn: Connection, chain: int) -> None:
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    conn.execute(dialect_insert(ChainHead.__table__).values(chain=chain, seq=0, hash=GENESIS)
                 .on_conflict_do_nothing(index_elements=["chain"]))


def seal(s: Session, row: RequestEvent | AuditEntry) -> None:
    """Make ``row`` (every field set) the next link of its agency's chain."""
    table = "request_event" if isinstance(row, RequestEvent) else "audit_entry"
    head = lock_head(s, chain_of(row.agency_id))
    head.seq += 1
    head.hash = link(head.hash, head.seq, content(table, row))
    row.chain_seq, row.chain_hash = head.seq, head.hash


# ---------------------------------------------------------------- sealing a history written before the chains


def _history_table(name: str) -> Any:
    """The columns a link covers, as a lightweight table: the migration that seals must not depend
    on columns later migrations add to the models."""
    fields = EVENT_FIELDS if name == "request_event" else AUDIT_FIELDS
    json_fields = {"data", "before", "after"}
    types = {"on": Date(), "recorded_at": DateTime(), "at": DateTime()}
    return table(name, column("id", Integer()), column("chain_seq", Integer()), column("chain_hash", String()),
                 *(column(f, JSON() if f in json_fields else types.get(f)) for f in fields))


def seal_unsealed(conn: Connection) -> int:
    """Chain the events and audit entries that have no link yet (a database from before migration
    0004), in the order they were written; returns how many. The caller lifts the append-only
    triggers for this one update."""
    heads = table("chain_head", column("chain", Integer()), column("seq", Integer()), column("hash", String()))
    rows: dict[int, list[tuple[Any, str, int, dict[str, Any]]]] = {}
    tables = {name: _history_table(name) for name in ("request_event", "audit_entry")}
    for name, t in tables.items():
        when = "recorded_at" if name == "request_event" else "at"
        for r in conn.execute(select(t).where(t.c.chain_seq.is_(None))).mappings():
            rows.setdefault(chain_of(r["agency_id"]), []).append((r[when], name, r["id"], content(name, r)))
    n = 0
    for key, items in sorted(rows.items()):
        _insert_head(conn, key)
        seq, h = conn.execute(select(heads.c.seq, heads.c.hash).where(heads.c.chain == key)).one()
        for _, name, rid, sealed in sorted(items, key=lambda x: (x[0], x[1], x[2])):
            seq += 1
            h = link(h, seq, sealed)
            t = tables[name]
            conn.execute(update(t).where(t.c.id == rid).values(chain_seq=seq, chain_hash=h))
            n += 1
        conn.execute(update(heads).where(heads.c.chain == key).values(seq=seq, hash=h))
    return n


def append_baseline(conn: Connection, entity: str, agency_id: int | None, entity_id: int, action: str,
                    after: dict[str, Any]) -> None:
    """An audit entry recording a row as found when the chains were installed (sealed afterwards)."""
    t = table("audit_entry", *(column(c) for c in ("agency_id", "entity", "entity_id", "action", "actor", "at",
                                                    "before")), column("after", JSON()))
    conn.execute(insert(t).values(
        agency_id=agency_id, entity=entity, entity_id=entity_id, action=action, actor="xxgk 迁移 0004",
        at=dt.datetime.now(dt.UTC).replace(tzinfo=None), before=None, after=after))


# ---------------------------------------------------------------- personal data: audited by digest only

APPLICANT_PRIVATE = ("name", "id_type", "id_number", "phone", "email", "address")


def applicant_digest(row: Any, salt: str) -> dict[str, Any]:
    """What the audit keeps of an applicant: the kind, and for each personal field a salted digest —
    enough for ``verify`` to say which field was changed by hand, without copying ID numbers and
    phone numbers into a table that can never be corrected or erased."""
    get = row.__getitem__ if isinstance(row, Mapping) else lambda k: getattr(row, k)
    return {"id": get("id"), "agency_id": get("agency_id"), "kind": get("kind"), "salt": salt,
            "digest": {f: field_digest(salt, f, get(f)) for f in APPLICANT_PRIVATE}}


def field_digest(salt: str, name: str, value: Any) -> str:
    return hashlib.sha256(f"{salt}|{name}|{json.dumps(value, ensure_ascii=False)}".encode()).hexdigest()
