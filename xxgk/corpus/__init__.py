"""The corpus: every report of a region, stored with its agency, checked against the others.

Modules (each with one job; the CLI ``xxgk corpus …`` is a thin shell over them):

- :mod:`xxgk.corpus.types` — the shared records (regions, agencies, stored reports, findings);
- :mod:`xxgk.corpus.registry` — the region tree and agencies: import/export CSV/XLSX;
- :mod:`xxgk.corpus.match` — which agency a report is from, with its confidence;
- :mod:`xxgk.corpus.checks` — rules across reports (continuity, missing/late, copied text, outliers);
- :mod:`xxgk.corpus.answers` — a supervisor's answers: status per agency, two years compared;
- :mod:`xxgk.corpus.store` — storage (SQLAlchemy, the office's Alembic migrations);
- :mod:`xxgk.corpus.ingest` — reading many reports on all cores or a Dask cluster, resumably;
- :mod:`xxgk.corpus.lake` — Parquet export and DuckDB queries;
- :mod:`xxgk.corpus.country` — a synthetic country for demos and benchmarks.
"""
