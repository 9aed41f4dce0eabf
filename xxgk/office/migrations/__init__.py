"""Alembic migrations of the office database (run by ``xxgk office init`` / ``Office.open``)."""
