"""Ingest on a real Dask LocalCluster (worker processes, no mocks): sources of every kind, failures
as data, a time limit per document, a worker killed mid-ingest, and the command killed with
SIGKILL and rerun — every report stored exactly once, nothing half-written."""

from __future__ import annotations

import logging
import os
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from corpus_helpers import SlowMatcher, WorkerKiller, registry, write_reports

from xxgk.corpus.ingest import ingest
from xxgk.corpus.store import CorpusStore
from xxgk.gen import make

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def cluster():  # type: ignore[no-untyped-def]
    """Two worker processes; a task whose worker dies twice is given up (KilledWorker), not four times."""
    import dask
    from distributed import LocalCluster

    with dask.config.set({"distributed.scheduler.allowed-failures": 1}):
        c = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                         silence_logs=logging.ERROR)
    yield c
    c.close()


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'corpus.db'}"
    with CorpusStore.open(url) as s:
        s.save_registry(*registry())
    return url


def rows(url: str, sql: str) -> list[tuple]:  # type: ignore[type-arg]
    with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
        return conn.execute(sql).fetchall()


def assert_whole(url: str) -> None:
    """Every stored report has its bytes and cells; each content once; the tallies count the current ones."""
    assert rows(url, "SELECT count(*) FROM corpus_report r LEFT JOIN blob b ON b.sha256 = r.content_hash "
                     "WHERE b.sha256 IS NULL") == [(0,)]
    assert rows(url, "SELECT count(*) FROM corpus_report r WHERE NOT EXISTS "
                     "(SELECT 1 FROM corpus_cell c WHERE c.report_id = r.id)") == [(0,)]
    assert rows(url, "SELECT count(*) - count(DISTINCT content_hash) FROM corpus_report") == [(0,)]
    current = rows(url, "SELECT count(*) FROM corpus_report WHERE current")[0][0]
    assert rows(url, "SELECT coalesce(sum(reports), 0) FROM corpus_tally WHERE region_code = ''") == [(current,)]
    assert rows(url, "PRAGMA integrity_check") == [("ok",)]


class _GbkInfo(zipfile.ZipInfo):
    """A member named the way Chinese Windows writes it: GBK bytes, no UTF-8 flag."""

    __slots__ = ("raw",)

    def _encodeFilenameFlags(self):  # type: ignore[no-untyped-def]  # noqa: N802
        return self.raw, self.flag_bits & ~0x800


def gbk_member(z: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = _GbkInfo(name.encode("gbk").decode("cp437"), date_time=(2024, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.raw = name.encode("gbk")
    z.writestr(info, data)


def test_files_folders_zip_and_url_lists(cluster, db: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    samples = make("web-flat", 13, seed=21)
    folder = tmp_path / "in"
    folder.mkdir()
    for s in samples[:6]:
        (folder / f"{s.name}.txt").write_bytes(s.data)
    (folder / "copy-of-first.txt").write_bytes(samples[0].data)  # the same bytes again
    (folder / "corrected.txt").write_bytes(samples[1].data + "\n（更正）".encode())  # a new version
    (folder / "notes.txt").write_text("会议纪要：今天天气很好。\n" * 20, "utf-8")  # not a report
    (folder / "scan.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    archive = tmp_path / "pack.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        for s in samples[6:9]:
            z.writestr(f"reports/{s.name}.txt", s.data)
        gbk_member(z, "三门峡市年度报告.txt", samples[9].data)
        z.writestr("bomb.txt", b"0" * (6 * 1024 * 1024))  # compresses ~1000 times
    saved = tmp_path / "saved"
    saved.mkdir()
    (saved / "a.html").write_bytes(samples[10].data)
    (saved / "b.html").write_bytes(samples[11].data)
    urls = tmp_path / "urls.tsv"
    urls.write_text("https://www.example.gov.cn/a.html\tsaved/a.html\n"
                    "https://www.example.gov.cn/b.html\tsaved/b.html\n"
                    "https://www.example.gov.cn/c.html\tsaved/missing.html\n", "utf-8")
    calls = []
    summary = ingest([folder, archive, urls], db, scheduler=cluster.scheduler_address, batch_size=3,
                     progress=lambda *a: calls.append(a))
    assert summary.seen == 10 + 5 + 3
    assert (summary.stored, summary.duplicates, summary.new_versions) == (6 + 1 + 4 + 2, 1, 1)
    assert {f.source: f.code for f in summary.failures} == {
        str(folder / "notes.txt"): "not-a-report", str(folder / "scan.png"): "unsupported-format",
        f"{archive}!bomb.txt": "zip-bomb", "https://www.example.gov.cn/c.html": "not-found"}
    assert calls[-1][:3] == (18, 18, 4)
    sources = {r[0] for r in rows(db, "SELECT source FROM corpus_report")}
    assert {"https://www.example.gov.cn/a.html", "https://www.example.gov.cn/b.html",
            f"{archive}!三门峡市年度报告.txt"} <= sources
    assert_whole(db)
    again = ingest([folder, archive, urls], db, scheduler=cluster.scheduler_address)
    assert (again.stored, again.skipped, again.failed) == (0, 14, 4)
    assert rows(db, "SELECT min(attempts), max(attempts) FROM corpus_failure") == [(2, 2)]


def test_a_document_past_its_time_limit_fails_alone(cluster, db: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    files = write_reports(tmp_path / "in", 5, seed=3)
    slow = SlowMatcher(registry()[1], stall_on=files[2].name, stall=60)
    started = time.monotonic()
    summary = ingest([tmp_path / "in"], db, scheduler=cluster.scheduler_address, batch_size=5,
                     timeout_per_doc=2, matcher=slow)
    assert time.monotonic() - started < 30
    assert summary.stored == 4
    assert [(Path(f.source).name, f.code) for f in summary.failures] == [(files[2].name, "timeout")]
    assert rows(db, "SELECT count(*) FROM corpus_report WHERE match_status = 'accepted'") == [(4,)]


def test_a_worker_killed_mid_ingest(cluster, db: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    from distributed import Client

    write_reports(tmp_path / "in", 60, seed=4)
    with Client(cluster) as client:
        address, victim = next(iter(client.run(os.getpid).items()))
        killed: list[int] = []

        def progress(done: int, total: int, failures: int, eta: float | None) -> None:
            if done >= 8 and not killed and client.processing([address])[address]:
                os.kill(victim, signal.SIGKILL)  # it has batches: running, and waiting their turn
                killed.append(done)

        summary = ingest([tmp_path / "in"], db, scheduler=cluster.scheduler_address, batch_size=4,
                         matcher=SlowMatcher(registry()[1], delay=0.05), progress=progress)
        assert killed and killed[0] < 60, "the worker was killed while the ingest ran"
        assert (summary.stored, summary.failed, summary.skipped) == (60, 0, 0)
        assert rows(db, "SELECT count(*), count(DISTINCT content_hash) FROM corpus_report") == [(60, 60)]
        assert_whole(db)
        client.wait_for_workers(2, timeout=60)  # the nanny starts another: the cluster is whole again
        assert victim not in client.run(os.getpid).values()


def test_the_command_killed_and_rerun(cluster, db: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    n = 80
    write_reports(tmp_path / "in", n, seed=5)
    code = ("from corpus_helpers import SlowMatcher, registry\n"
            "from xxgk.corpus.ingest import ingest\n"
            f"ingest([{str(tmp_path / 'in')!r}], {db!r}, workers=2, batch_size=4,\n"
            "       matcher=SlowMatcher(registry()[1], delay=0.05))\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests")])}
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        stored = 0
        while time.monotonic() < deadline and proc.poll() is None:
            if Path(db.removeprefix("sqlite:///")).exists():
                stored = rows(db, "SELECT count(*) FROM corpus_report")[0][0]
                if stored >= 12:
                    break
            time.sleep(0.05)
        assert proc.poll() is None, "the ingest finished before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)  # kill -9 of the command, at whatever it was doing
        proc.wait(10)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # its workers, if any outlived it
        except ProcessLookupError:
            pass
    before = rows(db, "SELECT count(*) FROM corpus_report")[0][0]
    assert 12 <= before < n
    assert_whole(db)
    summary = ingest([tmp_path / "in"], db, scheduler=cluster.scheduler_address, batch_size=8)
    assert (summary.stored, summary.skipped, summary.failed) == (n - before, before, 0)
    assert rows(db, "SELECT count(*), count(DISTINCT content_hash) FROM corpus_report") == [(n, n)]
    assert_whole(db)


def test_a_document_that_kills_every_worker_is_isolated(cluster, db: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Its batch kills worker after worker (KilledWorker): split into single documents, the others
    are stored and that one is listed as a failure."""
    from distributed import Client

    files = write_reports(tmp_path / "in", 6, seed=6)
    summary = ingest([tmp_path / "in"], db, scheduler=cluster.scheduler_address, batch_size=6,
                     matcher=WorkerKiller(registry()[1], kill_on=files[3].name))
    assert summary.stored == 5
    assert [(Path(f.source).name, f.code) for f in summary.failures] == [(files[3].name, "worker-crashed")]
    assert_whole(db)
    with Client(cluster) as client:
        client.wait_for_workers(2, timeout=60)
