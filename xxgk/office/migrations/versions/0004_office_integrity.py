"""office integrity: hash chains, tracking counters, REPLACE/TRUNCATE/DELETE refused

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01

- ``request_event`` and ``audit_entry`` get ``chain_seq`` and ``chain_hash``; ``chain_head`` holds
  each chain's newest link. The history already in the database is sealed here, in the order it
  was written, after a baseline audit entry for every applicant (digests only) and every
  administrative ledger (its entries), so ``verify`` can check those rows too.
- ``tracking_counter``: the per-agency-per-year counter behind ``YEAR-NNNN``.
- SQLite: a BEFORE INSERT trigger refuses an event or audit entry whose id (or request and seq, or
  chain place) is taken — ``INSERT OR REPLACE`` / ``REPLACE INTO`` would otherwise delete the old
  row without firing the DELETE trigger. PostgreSQL: BEFORE TRUNCATE triggers (row triggers do not
  fire for TRUNCATE). Both: requests and applicants are never deleted (nor truncated).
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

from xxgk.office import chain

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

HISTORY = ("request_event", "audit_entry")
KEPT = ("request", "applicant")  # rows the office never deletes
REPLACE_MESSAGE = "append-only: %s rows are never replaced"
KEEP_MESSAGE = "kept: %s rows are never deleted"


def _pg() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    op.create_table('chain_head',
    sa.Column('chain', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('chain')
    )
    op.create_table('tracking_counter',
    sa.Column('agency_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], ),
    sa.PrimaryKeyConstraint('agency_id', 'year')
    )
    for table in HISTORY:
        op.add_column(table, sa.Column('chain_seq', sa.Integer(), nullable=True))
        op.add_column(table, sa.Column('chain_hash', sa.String(length=64), nullable=True))
    _baseline()
    _lift_append_only()
    chain.seal_unsealed(op.get_bind())
    _restore_append_only()
    op.create_index('ix_event_chain', 'request_event', ['agency_id', 'chain_seq'], unique=True)
    op.create_index('ix_audit_chain', 'audit_entry', ['agency_id', 'chain_seq'], unique=True)
    if _pg():
        for table in HISTORY:  # the function refusing UPDATE/DELETE (0001) refuses TRUNCATE too
            op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                       f"FOR EACH STATEMENT EXECUTE FUNCTION {table}_append_only()")
        for table in KEPT:
            op.execute(f"""
                CREATE OR REPLACE FUNCTION {table}_kept() RETURNS trigger AS $$
                BEGIN RAISE EXCEPTION '{KEEP_MESSAGE % table}'; END; $$ LANGUAGE plpgsql""")
            op.execute(f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
                       f"FOR EACH ROW EXECUTE FUNCTION {table}_kept()")
            op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                       f"FOR EACH STATEMENT EXECUTE FUNCTION {table}_kept()")
    else:
        # works for any connection, the sqlite3 shell included: no pragma needs setting
        taken = {"request_event": "id = NEW.id OR (request_id = NEW.request_id AND seq = NEW.seq) "
                                  "OR (agency_id = NEW.agency_id AND chain_seq = NEW.chain_seq)",
                 "audit_entry": "id = NEW.id OR (agency_id IS NEW.agency_id AND chain_seq = NEW.chain_seq)"}
        for table in HISTORY:
            op.execute(f"CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table} "
                       f"WHEN EXISTS (SELECT 1 FROM {table} WHERE {taken[table]}) "
                       f"BEGIN SELECT RAISE(ABORT, '{REPLACE_MESSAGE % table}'); END")
        for table in KEPT:
            op.execute(f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
                       f"BEGIN SELECT RAISE(ABORT, '{KEEP_MESSAGE % table}'); END")


def _baseline() -> None:
    """Audit entries for rows the audit could not check before: applicants (digests of their personal
    fields, never the fields) and the entries of every administrative ledger."""
    conn = op.get_bind()
    app = sa.table("applicant", *(sa.column(c) for c in ("id", "agency_id", "kind", *chain.APPLICANT_PRIVATE)))
    for row in conn.execute(sa.select(app).order_by(app.c.id)).mappings():
        chain.append_baseline(conn, "applicant", row["agency_id"], row["id"], "baseline",
                              chain.applicant_digest(row, secrets.token_hex(8)))
    act = sa.table("action", sa.column("agency_id"), sa.column("kind"), sa.column("ref"), sa.column("on"),
                   sa.column("amount", sa.Numeric(18, 2)))
    ledgers: dict[tuple[int, str], list[list[str | None]]] = {}
    for aid, kind, ref, on, amount in conn.execute(sa.select(act).order_by(act.c.agency_id, act.c.kind, act.c.ref)):
        on = on if isinstance(on, str) else on.isoformat()
        ledgers.setdefault((aid, kind), []).append([ref, on, None if amount is None else str(amount)])
    for (aid, kind), rows in ledgers.items():
        chain.append_baseline(conn, "action", aid, 0, f"baseline-{kind}", {"kind": kind, "rows": rows})


def _lift_append_only() -> None:
    for table in HISTORY:
        if _pg():
            op.execute(f"ALTER TABLE {table} DISABLE TRIGGER {table}_no_update")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")


def _restore_append_only() -> None:
    for table in HISTORY:
        if _pg():
            op.execute(f"ALTER TABLE {table} ENABLE TRIGGER {table}_no_update")
        else:
            op.execute(f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
                       f"BEGIN SELECT RAISE(ABORT, 'append-only: {table} rows are never updated or deleted'); END")


def downgrade() -> None:
    if _pg():
        for table in (*HISTORY, *KEPT):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        for table in KEPT:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS {table}_kept()")
    else:
        for table in HISTORY:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_replace")
        for table in KEPT:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
    op.drop_index('ix_audit_chain', table_name='audit_entry')
    op.drop_index('ix_event_chain', table_name='request_event')
    for table in HISTORY:  # plain ALTER TABLE DROP COLUMN (SQLite ≥ 3.35): the triggers stay
        op.drop_column(table, 'chain_hash')
        op.drop_column(table, 'chain_seq')
    op.drop_table('tracking_counter')
    op.drop_table('chain_head')
