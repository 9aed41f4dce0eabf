"""The corpus as Parquet files, and SQL on them with DuckDB: a researcher's national table.

``export_parquet(store, out_dir)`` writes, from the current version of every report:

- ``reports/year=…/province=…/part-N.parquet``: a row per report (agency, its region path by level,
  kind, year, template, dates, format, match, its own errors and warnings);
- ``cells/year=…/province=…/part-N.parquet``: a row per cell (long form, with its status);
- ``wide.parquet``: the national table in one file, a row per report and a column per cell (the
  cell ids of every template, e.g. ``"requests.new.total"`` — quote them in SQL);
- ``lake.json``: what was exported, when.

Partitions are hive-style: ``year`` (an integer; a report without one under
``__HIVE_DEFAULT_PARTITION__``, read as NULL) and ``province`` (the code of the province of the
report's agency; ``unknown`` when the report is not attached to an agency). The export is built in
a temporary folder beside ``out_dir`` and renamed into place: there is never a half-written lake.

``query(sql, lake_dir)`` runs one SELECT on DuckDB over views ``reports``, ``cells`` and ``wide``;
the DuckDB session can read only the lake (no other file, no network, no writing, settings locked).
``export_result`` writes a result as CSV or XLSX (text neutralised against formula injection).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import shutil
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import pyarrow as pa

from xxgk.corpus.rollup import template_cells
from xxgk.corpus.store import CorpusStore
from xxgk.corpus.store_read import LEVEL_COLUMNS, export_chunks
from xxgk.errors import XxgkError
from xxgk.export import temp_path
from xxgk.safetext import neutralise

UNKNOWN_PROVINCE = "unknown"
TEMPLATES = ("2021", "2019")
LAKE_VERSION = 1

_REPORT_FIELDS: list[tuple[str, pa.DataType]] = [
    ("report_id", pa.int64()), ("agency", pa.string()), ("agency_name", pa.string()),
    ("printed_agency", pa.string()), ("kind", pa.string()), ("region", pa.string()),
    ("region_name", pa.string()), ("level", pa.string()),
    *[(f"{lv}_{x}", pa.string()) for lv in LEVEL_COLUMNS for x in ("code", "name")],
    ("template", pa.string()), ("title", pa.string()), ("published", pa.date32()), ("format", pa.string()),
    ("version", pa.int32()), ("match_status", pa.string()), ("match_confidence", pa.float64()),
    ("match_method", pa.string()), ("errors", pa.int32()), ("warnings", pa.int32()),
    ("source", pa.string()), ("content_hash", pa.string()), ("ingested_at", pa.timestamp("s")),
]
_PARTS: list[tuple[str, pa.DataType]] = [("year", pa.int32()), ("province", pa.string())]
REPORTS_SCHEMA = pa.schema(_REPORT_FIELDS + _PARTS)
CELLS_SCHEMA = pa.schema([("report_id", pa.int64()), ("agency", pa.string()), ("kind", pa.string()),
                          ("template", pa.string()), ("cell", pa.string()), ("value", pa.float64()),
                          ("status", pa.string()), *_PARTS])


@cache
def wide_cells() -> tuple[str, ...]:
    """The wide table's cell columns: every template's cells, the newest template's order first."""
    return tuple(dict.fromkeys(c for t in TEMPLATES for c in template_cells(t)))


@cache
def wide_schema() -> pa.Schema:
    fixed = [f for f in _REPORT_FIELDS if f[0] not in ("source", "content_hash", "ingested_at")]
    return pa.schema([*fixed[:1], ("year", pa.int32()), ("province", pa.string()), *fixed[1:],
                      *[(c, pa.float64()) for c in wide_cells()]])


@dataclass(frozen=True)
class LakeSummary:
    path: str
    reports: int
    cells: int
    seconds: float


@dataclass
class QueryResult:
    columns: list[str]
    rows: list[tuple[Any, ...]]


def _province(row: dict[str, Any]) -> str:
    return row.get("province_code") or UNKNOWN_PROVINCE


def _batches(store: CorpusStore, chunk: int, stats: dict[str, int]
             ) -> Iterator[tuple[pa.RecordBatch, pa.RecordBatch, pa.RecordBatch]]:
    cells_order = wide_cells()
    wide_names = wide_schema().names
    with store.engine.connect() as conn:
        for rows, cells in export_chunks(store, conn, chunk):
            for r in rows:
                r["province"] = _province(r)
            reports = {name: [r.get(name) for r in rows] for name in REPORTS_SCHEMA.names}
            long: dict[str, list[Any]] = {name: [] for name in CELLS_SCHEMA.names}
            wide: dict[str, list[Any]] = {name: [] for name in wide_names}
            for r in rows:
                values = {c: v for c, v, _ in cells[r["report_id"]]}
                for c, v, s in cells[r["report_id"]]:
                    for name, x in (("report_id", r["report_id"]), ("agency", r["agency"]), ("kind", r["kind"]),
                                    ("template", r["template"]), ("cell", c), ("value", v), ("status", s),
                                    ("year", r["year"]), ("province", r["province"])):
                        long[name].append(x)
                for name in wide_names[:len(wide_names) - len(cells_order)]:
                    wide[name].append(r.get(name))
                for c in cells_order:
                    wide[c].append(values.get(c))
            stats["reports"] += len(rows)
            stats["cells"] += len(long["cell"])
            yield (pa.RecordBatch.from_pydict(reports, schema=REPORTS_SCHEMA),
                   pa.RecordBatch.from_pydict(long, schema=CELLS_SCHEMA),
                   pa.RecordBatch.from_pydict(wide, schema=wide_schema()))


def export_parquet(store_or_url: CorpusStore | str | None, out_dir: str | os.PathLike[str], *,
                   chunk: int = 2000) -> LakeSummary:
    """Write the corpus's current reports to ``out_dir`` as Parquet (replacing a previous export
    whole, atomically). Memory stays flat: ``chunk`` reports at a time."""
    import pyarrow.dataset as ds
    import pyarrow.parquet as pq

    started = dt.datetime.now(dt.UTC)
    store = store_or_url if isinstance(store_or_url, CorpusStore) else CorpusStore.open(store_or_url, create=False)
    out = Path(out_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    _sweep(out)
    tmp = out.parent / f".{out.name}.tmp-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    stats = {"reports": 0, "cells": 0}
    try:
        reports_q: list[pa.RecordBatch] = []
        cells_q: list[pa.RecordBatch] = []
        partitioning = ds.partitioning(pa.schema(_PARTS), flavor="hive")
        writers = {"reports": (REPORTS_SCHEMA, reports_q), "cells": (CELLS_SCHEMA, cells_q)}
        wide = pq.ParquetWriter(tmp / "wide.parquet", wide_schema(), compression="zstd")
        part = 0
        try:
            for rb, cb, wb in _batches(store, chunk, stats):
                reports_q.append(rb)
                cells_q.append(cb)
                wide.write_batch(wb)
                for name, (schema, queue) in writers.items():  # a dataset per chunk: flat memory
                    ds.write_dataset(queue, tmp / name, schema=schema, format="parquet", partitioning=partitioning,
                                     basename_template=f"part-{part}-{{i}}.parquet",
                                     existing_data_behavior="overwrite_or_ignore",
                                     file_options=ds.ParquetFileFormat().make_write_options(compression="zstd"))
                    queue.clear()
                part += 1
        finally:
            wide.close()
        for name, (schema, _) in writers.items():
            if not (tmp / name).exists():  # an empty corpus: an empty table, with its columns
                empty = tmp / name / "year=__HIVE_DEFAULT_PARTITION__" / f"province={UNKNOWN_PROVINCE}"
                empty.mkdir(parents=True)
                columns = [f for f in schema if f.name not in ("year", "province")]
                pq.write_table(pa.schema(columns).empty_table(), empty / "part-0.parquet")
        seconds = (dt.datetime.now(dt.UTC) - started).total_seconds()
        (tmp / "lake.json").write_text(json.dumps({
            "version": LAKE_VERSION, "exported_at": started.isoformat(timespec="seconds"),
            "reports": stats["reports"], "cells": stats["cells"], "tables": ["reports", "cells", "wide"],
            "partitions": ["year", "province"], "unknown_province": UNKNOWN_PROVINCE,
        }, ensure_ascii=False, indent=2), "utf-8")
        _swap(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        if store is not store_or_url:
            store.close()
    return LakeSummary(str(out), stats["reports"], stats["cells"], seconds)


def _swap(new: Path, out: Path) -> None:
    """Put ``new`` at ``out``: one rename when nothing is there, else two (the old export is
    moved aside first, then removed): a reader finds the old lake or the new one (or, for the
    instant between the renames, none), never a mix of both."""
    if not out.exists():
        os.replace(new, out)
        return
    if not (out / "lake.json").exists() and any(out.iterdir()):
        raise XxgkError("lake-exists", f"目标文件夹已存在且不是导出的数据湖，未覆盖：{out}",
                        f"the folder exists and is not an exported lake; not overwritten: {out}")
    old = out.parent / f".{out.name}.old-{uuid.uuid4().hex[:8]}"
    os.replace(out, old)
    os.replace(new, out)
    shutil.rmtree(old, ignore_errors=True)


def _sweep(out: Path, age: float = 3600.0) -> None:
    """Remove what an export killed an hour or more ago left beside ``out`` (its temporary folder)."""
    now = dt.datetime.now().timestamp()
    for p in out.parent.glob(f".{out.name}.*-*"):
        try:
            if p.is_dir() and p.name.split(".")[-1].startswith(("tmp-", "old-")) and now - p.stat().st_mtime > age:
                shutil.rmtree(p, ignore_errors=True)
        except OSError:
            continue


def _views(lake: Path) -> dict[str, str]:
    def parquet(path: Path, hive: bool) -> str:
        p = str(path).replace("'", "''")
        if not hive:
            return f"read_parquet('{p}')"
        return f"read_parquet('{p}/**/*.parquet', hive_partitioning=true, hive_types={{'year': INTEGER, 'province': VARCHAR}})"

    return {"reports": parquet(lake / "reports", True), "cells": parquet(lake / "cells", True),
            "wide": parquet(lake / "wide.parquet", False)}


def connect(lake_dir: str | os.PathLike[str]) -> Any:
    """A DuckDB connection with the lake's views, reading nothing but the lake, settings locked."""
    import duckdb

    lake = Path(lake_dir).resolve()
    if not (lake / "lake.json").exists():
        raise XxgkError("no-lake", f"没有导出的数据（缺少 lake.json），请先导出为 Parquet：{lake}",
                        f"no exported lake here (no lake.json); export to Parquet first: {lake}")
    con = duckdb.connect(":memory:")
    for name, source in _views(lake).items():
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM {source}")
    root = str(lake).replace("'", "''")
    con.execute(f"SET allowed_directories = ['{root}/']")
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")
    return con


def query(sql: str, lake_dir: str | os.PathLike[str], *, max_rows: int | None = None) -> QueryResult:
    """Run one SELECT (or WITH … SELECT) over the lake's views ``reports``, ``cells``, ``wide``."""
    import duckdb

    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as e:
        raise _query_error(e) from None
    if len(statements) != 1 or statements[0].type != duckdb.StatementType.SELECT:
        raise XxgkError("query", "只能执行一条 SELECT 查询", "only one SELECT statement can be run")
    con = connect(lake_dir)
    try:
        cur = con.execute(sql)
        columns = [d[0] for d in cur.description or []]
        rows = cur.fetchmany(max_rows) if max_rows is not None else cur.fetchall()
    except duckdb.Error as e:
        raise _query_error(e) from None
    finally:
        con.close()
    return QueryResult(columns, [tuple(r) for r in rows])


def _query_error(e: Exception) -> XxgkError:
    first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    return XxgkError("query", f"查询出错：{first}", f"query error: {first}")


def _cell(v: Any) -> Any:
    return neutralise(v) if isinstance(v, str) else v


def export_result(result: QueryResult, path: str | os.PathLike[str]) -> Path:
    """Write a query result to ``path`` (.csv: UTF-8 with BOM, for Excel; .xlsx), atomically,
    text neutralised against formula injection."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise XxgkError("format", f"只能导出为 .csv 或 .xlsx：{p}", f"can only export to .csv or .xlsx: {p}")
    with temp_path(p) as tmp:
        if suffix == ".csv":
            with open(tmp, "w", encoding="utf-8-sig", newline="") as fh:
                w = csv.writer(fh)
                w.writerow([_cell(c) for c in result.columns])
                w.writerows([_cell(v) for v in row] for row in result.rows)
        else:
            _xlsx(result, tmp)
    return p


def _xlsx(result: QueryResult, path: Path) -> None:
    _xlsx_stream(result.columns, iter(result.rows), path, sheet="查询结果")


XLSX_MAX_ROWS = 1_048_575  # a worksheet's rows, less the header


def export_table(store_or_url: CorpusStore | str | None, path: str | os.PathLike[str], *, fmt: str) -> Path:
    """The national table (one row per current report, one column per cell) as one CSV or XLSX file.

    Written from a Parquet export in a temporary folder, streamed a batch at a time (memory stays
    flat), atomically; an XLSX that could not hold every report is refused before anything is
    written (never a file with half the reports). Text is neutralised against formula injection."""
    import tempfile

    import pyarrow.parquet as pq

    if fmt not in ("csv", "xlsx"):
        raise XxgkError("format", f"只能导出为 csv 或 xlsx：{fmt}", f"can only export csv or xlsx: {fmt}")
    p = Path(path)
    if p.suffix.lower() != f".{fmt}":
        p = Path(f"{p}.{fmt}")
    with tempfile.TemporaryDirectory(prefix="xxgk-lake-") as tmp:
        summary = export_parquet(store_or_url, Path(tmp) / "lake")
        if fmt == "xlsx" and summary.reports > XLSX_MAX_ROWS:
            raise XxgkError("too-many-rows", f"报告 {summary.reports} 份，超过一个 XLSX 工作表的行数上限；请导出为 CSV 或 "
                            "Parquet", f"{summary.reports} reports do not fit in one XLSX sheet; export CSV or Parquet")
        pf = pq.ParquetFile(Path(tmp) / "lake" / "wide.parquet")
        columns = pf.schema_arrow.names
        batches = (b.to_pylist() for b in pf.iter_batches(batch_size=2000))
        with temp_path(p) as out:
            if fmt == "csv":
                with open(out, "w", encoding="utf-8-sig", newline="") as fh:
                    w = csv.writer(fh)
                    w.writerow(columns)
                    for rows in batches:
                        w.writerows([_cell(r[c]) for c in columns] for r in rows)
            else:
                _xlsx_stream(columns, ((r[c] for c in columns) for rows in batches for r in rows), out)
    return p


def _xlsx_stream(columns: Sequence[str], rows: Iterator[Iterable[Any]], path: Path, *, sheet: str = "全国报告") -> None:
    """Rows written as they come (constant memory): numbers as numbers, dates as dates, text
    neutralised and cut to a cell's limit."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_formulas": False,
                                         "strings_to_urls": False, "strings_to_numbers": False})
    ws = wb.add_worksheet(sheet)
    head = wb.add_format({"bold": True, "bg_color": "#F2F2F2", "border": 1})
    date = wb.add_format({"num_format": "yyyy-mm-dd"})
    for c, name in enumerate(columns):
        ws.write_string(0, c, _cell(str(name)), head)
    for r, row in enumerate(rows, start=1):
        for c, v in enumerate(row):
            if v is None:
                continue
            if isinstance(v, bool):
                ws.write_boolean(r, c, v)
            elif isinstance(v, int | float | Decimal):
                ws.write_number(r, c, float(v))
            elif isinstance(v, dt.datetime):
                ws.write_datetime(r, c, v.replace(tzinfo=None), date)
            elif isinstance(v, dt.date):
                ws.write_datetime(r, c, dt.datetime(v.year, v.month, v.day), date)
            else:
                ws.write_string(r, c, _cell(str(v))[:32767])
    ws.freeze_panes(1, 0)
    wb.close()
