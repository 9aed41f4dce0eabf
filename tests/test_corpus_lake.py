"""The Parquet lake: a DuckDB aggregate over it equals the same figure from the database's rollups;
the export replaces a previous one whole or not at all; queries only read; results export safely."""

from __future__ import annotations

import csv
import os
import time
from pathlib import Path

import pytest
from corpus_helpers import registry, write_reports

import xxgk.corpus.lake as lake
from xxgk.api import check, parse_bytes
from xxgk.corpus.ingest import ingest
from xxgk.corpus.lake import UNKNOWN_PROVINCE, export_parquet, export_result, query
from xxgk.corpus.schema import ALL
from xxgk.corpus.store import CorpusStore
from xxgk.errors import XxgkError

CELL = "requests.new.total"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Three dozen generated reports ingested on the local cluster, and one no agency claims."""
    root = tmp_path_factory.mktemp("corpus")
    url = f"sqlite:///{root / 'corpus.db'}"
    with CorpusStore.open(url) as s:
        s.save_registry(*registry())
    write_reports(root / "in", 20, seed=31)
    write_reports(root / "in", 16, seed=32, family="web-flat")
    summary = ingest([root / "in"], url, workers=2)
    assert summary.stored == 36 and not summary.failures
    data = write_reports(root / "odd", 1, seed=33)[0].read_bytes().replace("人民政府".encode(), "管委会".encode())
    report = parse_bytes(data, "odd.txt")
    with CorpusStore.open(url) as s:
        s.store_report(report, check(report), data, "odd.txt")  # no match: province unknown
    return url


def test_duckdb_sums_equal_the_rollups(corpus: str, tmp_path: Path):
    out = export_parquet(corpus, tmp_path / "lake")
    with CorpusStore.open(corpus) as store:
        current = store.counts().current
        provinces = {r.code for r in store.registry()[0] if r.level == "province"}
        by_rollup = {p: store.total(CELL, region=p) for p in provinces}
        everything = store.total(CELL, region=ALL)
        tally = {p: sum(t.reports for t in store.tally(region=p)) for p in provinces}
    assert out.reports == current
    long = dict(query(f"SELECT province, sum(value) FROM cells WHERE cell = '{CELL}' GROUP BY 1",
                      out.path).rows)
    wide = dict(query(f'SELECT province, sum("{CELL}") FROM wide GROUP BY 1', out.path).rows)
    assert long == pytest.approx(wide)
    assert {p: v for p, v in long.items() if p != UNKNOWN_PROVINCE} == pytest.approx(
        {p: v for p, v in by_rollup.items() if tally[p]})
    assert sum(long.values()) == pytest.approx(everything)
    assert long[UNKNOWN_PROVINCE] == pytest.approx(everything - sum(by_rollup.values()))
    counts = dict(query("SELECT province, count(*) FROM reports GROUP BY 1", out.path).rows)
    assert {p: n for p, n in counts.items() if p != UNKNOWN_PROVINCE} == {p: n for p, n in tally.items() if n}
    years = query("SELECT DISTINCT year FROM reports ORDER BY 1", out.path).rows
    assert all(isinstance(y, int) for (y,) in years)
    one = query("SELECT * FROM wide WHERE province <> 'unknown' LIMIT 1", out.path)
    row = dict(zip(one.columns, one.rows[0], strict=True))
    assert row["province_code"] == row["province"] and row["agency"] and CELL in row


def test_an_export_replaces_the_last_whole_or_not_at_all(corpus: str, tmp_path: Path, monkeypatch):  # type: ignore[no-untyped-def]
    target = tmp_path / "lake"
    stale = tmp_path / ".lake.tmp-0dead000"  # what an export killed yesterday left behind
    stale.mkdir()
    os.utime(stale, (time.time() - 86400, time.time() - 86400))
    first = export_parquet(corpus, target)
    assert not stale.exists()
    stamp = (target / "lake.json").read_text("utf-8")

    original = lake.export_chunks

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        for n, chunk in enumerate(original(*args, **kwargs)):
            if n == 2:
                raise OSError("disk full")  # the disk fills up in the middle of the export
            yield chunk

    monkeypatch.setattr(lake, "export_chunks", broken)
    with pytest.raises(OSError):
        export_parquet(corpus, target, chunk=10)
    monkeypatch.undo()
    assert (target / "lake.json").read_text("utf-8") == stamp
    assert query("SELECT count(*) FROM reports", target).rows == [(first.reports,)]
    assert [p.name for p in tmp_path.iterdir()] == ["lake"]  # no temporary folder left behind
    again = export_parquet(corpus, target, chunk=7)
    assert again.reports == first.reports
    assert query("SELECT count(*) FROM cells", target).rows == [(first.cells,)]
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("x")
    with pytest.raises(XxgkError):  # a folder that is not a lake is never replaced
        export_parquet(corpus, tmp_path / "mine")


def test_queries_only_read_and_results_export_safely(corpus: str, tmp_path: Path):
    target = tmp_path / "lake"
    export_parquet(corpus, target)
    for sql in ("COPY (SELECT 1) TO 'x.csv'", "SELECT 1; SELECT 2", "DROP VIEW reports",
                "SELECT * FROM read_csv('/etc/passwd')", "SELECT nonsense FROM nowhere"):
        with pytest.raises(XxgkError):
            query(sql, target)
    with pytest.raises(XxgkError):
        query("SELECT 1", tmp_path / "nothing-here")
    result = query("SELECT '=1+1' AS formula, agency_name, year, published FROM reports "
                   "WHERE agency IS NOT NULL ORDER BY report_id LIMIT 3", target)
    export_result(result, tmp_path / "out.csv")
    export_result(result, tmp_path / "out.xlsx")
    with open(tmp_path / "out.csv", encoding="utf-8-sig", newline="") as fh:
        table = list(csv.reader(fh))
    assert table[0] == ["formula", "agency_name", "year", "published"] and table[1][0] == "'=1+1"
    from openpyxl import load_workbook

    ws = load_workbook(tmp_path / "out.xlsx").active
    assert ws.cell(2, 1).value == "'=1+1" and ws.cell(2, 1).data_type == "s"
    assert ws.cell(2, 3).value == result.rows[0][2]
    with pytest.raises(XxgkError):
        export_result(result, tmp_path / "out.json")


def test_an_empty_corpus_exports_empty_tables(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    CorpusStore.open(url).close()
    out = export_parquet(url, tmp_path / "lake")
    assert out.reports == 0
    assert query("SELECT count(*) FROM reports", out.path).rows == [(0,)]
    assert query("SELECT count(*) FROM wide", out.path).rows == [(0,)]
