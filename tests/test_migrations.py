"""The Alembic migrations build exactly the schema the models declare, and undo it (SQLite and PostgreSQL)."""

from __future__ import annotations

from importlib import resources

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from xxgk.office.db import Base


def _config(conn) -> Config:  # type: ignore[no-untyped-def]
    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("xxgk.office") / "migrations"))
    cfg.attributes["connection"] = conn
    return cfg


def test_upgrade_matches_the_models_and_downgrade_removes_everything(office_url: str):
    engine = create_engine(office_url)
    try:
        with engine.begin() as conn:
            command.upgrade(_config(conn), "head")
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
            assert diff == []
            assert set(Base.metadata.tables) <= set(inspect(conn).get_table_names())
        with engine.begin() as conn:
            command.downgrade(_config(conn), "base")
        with engine.connect() as conn:
            assert set(inspect(conn).get_table_names()) <= {"alembic_version"}
        with engine.begin() as conn:  # and up again: the downgrade left nothing behind (triggers, functions)
            command.upgrade(_config(conn), "head")
    finally:
        engine.dispose()
