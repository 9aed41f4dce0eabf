"""Alembic environment: run with a connection handed over by xxgk, or a URL (``alembic -x url=…``)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

import xxgk.corpus.schema  # noqa: F401 - their tables on the same metadata (autogenerate)
import xxgk.web.models  # noqa: F401
from xxgk.office.db import Base

config = context.config
target_metadata = Base.metadata


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url")
    engine = create_engine(url)
    with engine.begin() as conn:
        context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()


run()
