"""Batches that never hang: a document that hangs, balloons or crashes its reader is killed and
reported as a failure, the batch goes on in order, and output files are all or nothing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import SEEDS

from xxgk import api, batch, export

SEED_FILES = sorted(SEEDS.glob("*.txt"))
real_parse = api.parse


def hostile_parse(path: str, **kw: object) -> object:
    """The real parser, except for files named to hang, balloon or crash their reader (the
    batch's workers are forked from the test process, so they run this)."""
    name = Path(path).name
    if "hang" in name:
        time.sleep(120)
    if "balloon" in name:
        bytearray(64 << 30)  # asks for 64 GB at once
    if "grow" in name:
        hoard = []
        for _ in range(1000):
            hoard.append(bytearray(32 << 20))  # 32 GB, a bit at a time, if nothing stopped it
    if "crash" in name:
        os.kill(os.getpid(), signal.SIGSEGV)
    if "slow" in name:
        time.sleep(0.3)
    return real_parse(path, **kw)  # type: ignore[arg-type]


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(api, "parse", hostile_parse)
    data = SEED_FILES[0].read_bytes()
    names = ["a0.txt", "hang1.txt", "a2.txt", "balloon3.txt", "a4.txt", "crash5.txt", "slow6.txt", "a7.txt"]
    for n in names:
        (tmp_path / n).write_bytes(data)
    return tmp_path


def by_name(items: list[batch.Item]) -> dict[str, batch.Item]:
    return {Path(i.path).name: i for i in items}


@pytest.mark.parametrize("jobs", [1, 2])
def test_hang_balloon_crash_become_failures_and_the_batch_goes_on(folder: Path, jobs: int) -> None:
    files, _ = batch.collect([folder])
    t0 = time.monotonic()
    items = list(batch.run(files, jobs=jobs, limits=batch.Limits(timeout=6, memory_mb=512)))
    assert time.monotonic() - t0 < 60
    assert [i.path for i in items] == [str(f) for f in files]  # in order, every file once
    got = by_name(items)
    assert got["hang1.txt"].failure and got["hang1.txt"].failure.code == "timeout"
    assert "超时" in got["hang1.txt"].failure.message and "timed out" in got["hang1.txt"].failure.message_en
    assert got["balloon3.txt"].failure and got["balloon3.txt"].failure.code == "memory-limit"
    assert "内存超限" in got["balloon3.txt"].failure.message
    assert got["crash5.txt"].failure and got["crash5.txt"].failure.code == "worker-crashed"
    for n in ("a0.txt", "a2.txt", "a4.txt", "slow6.txt", "a7.txt"):  # the rest read, before and after
        assert got[n].report is not None and got[n].report.cells["requests.new.total"] is not None, n


def test_a_growing_document_is_stopped_and_the_worker_replaced(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(api, "parse", hostile_parse)
    data = SEED_FILES[2].read_bytes()
    for n in ("c0.txt", "grow1.txt", "c2.txt", "c3.txt"):
        (tmp_path / n).write_bytes(data)
    files, _ = batch.collect([tmp_path])
    items = list(batch.run(files, jobs=1, limits=batch.Limits(timeout=120, memory_mb=192)))
    got = by_name(items)
    assert got["grow1.txt"].failure and got["grow1.txt"].failure.code == "memory-limit"
    assert "192 MB" in got["grow1.txt"].failure.message
    assert all(got[n].report is not None for n in ("c0.txt", "c2.txt", "c3.txt"))


def test_documents_after_a_hang_in_the_same_chunk_are_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(api, "parse", hostile_parse)
    data = SEED_FILES[1].read_bytes()
    names = ["a_hang.txt"] + [f"b{i:02d}.txt" for i in range(40)]
    for n in names:
        (tmp_path / n).write_bytes(data)
    files, _ = batch.collect([tmp_path])
    items = list(batch.run(files, jobs=1, limits=batch.Limits(timeout=6)))
    assert len(items) == 41
    assert items[0].failure and items[0].failure.code == "timeout"
    assert all(i.report is not None for i in items[1:])


def test_workers_are_recycled_and_nothing_is_lost(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batch, "RECYCLE_AFTER", 3)
    starts = []
    start = batch._Pool._start

    def counted(self: batch._Pool) -> batch._Slot:
        starts.append(1)
        return start(self)

    monkeypatch.setattr(batch._Pool, "_start", counted)
    d = copies(tmp_path, 20)
    files, _ = batch.collect([d])
    items = list(batch.run(files, jobs=2, encode=export.encode_jsonl, keep_report=False))
    assert [i.path for i in items] == [str(f) for f in files]
    assert all(i.failure is None and i.payload for i in items)
    assert len(starts) >= 20 // 3  # a fresh worker every three documents


def test_workers_serialise_and_the_parent_holds_no_report(tmp_path: Path) -> None:
    for f in SEED_FILES:
        (tmp_path / f.name).write_bytes(f.read_bytes())
    files, _ = batch.collect([tmp_path])
    items = list(batch.run(files, jobs=2, encode=export.encode_jsonl, keep_report=False))
    assert all(i.report is None and i.payload for i in items)
    assert [json.loads(i.payload)["source_path"] for i in items if i.payload] == [str(f) for f in files]


def test_auto_timeout_grows_with_size() -> None:
    lim = batch.Limits()
    assert lim.seconds(0) == batch.BASE_TIMEOUT
    assert lim.seconds(10 * 1048576) == batch.BASE_TIMEOUT + 10 * batch.TIMEOUT_PER_MB
    assert lim.seconds(0, converted=True) == batch.BASE_TIMEOUT + batch.CONVERSION_TIMEOUT  # LibreOffice first
    assert batch.Limits(timeout=3).seconds(10 * 1048576, converted=True) == 3


# ---------------------------------------------------------------- through the command line

def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "xxgk.cli", *args], capture_output=True, text=True,
                          env={k: v for k, v in os.environ.items() if k != "COLUMNS"})


def copies(tmp_path: Path, n: int) -> Path:
    d = tmp_path / "in"
    d.mkdir()
    for i in range(n):
        f = SEED_FILES[i % len(SEED_FILES)]
        (d / f"{i:03d}_{f.name}").write_bytes(f.read_bytes())
    return d


def test_cli_time_limit_fails_every_file_and_lists_them(tmp_path: Path) -> None:
    d = copies(tmp_path, 3)
    out = tmp_path / "out.json"
    p = cli("parse", str(d), "--timeout", "0.001", "-o", str(out))
    assert p.returncode == 1, p.stderr
    assert json.loads(out.read_text("utf-8")) == []
    assert p.stderr.count("超时") == 3 and "Traceback" not in p.stderr
    for f in d.iterdir():
        assert f.name in p.stderr


def test_cli_memory_limit_single_file(tmp_path: Path) -> None:
    p = cli("parse", str(SEED_FILES[0]), "--memory", "1")
    assert p.returncode == 2
    assert "内存超限" in p.stderr and "memory limit" in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1 and p.stdout == ""


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_ctrl_c_leaves_no_half_file(tmp_path: Path, fmt: str) -> None:
    d = copies(tmp_path, 300)
    out = tmp_path / f"out.{fmt}"
    proc = subprocess.Popen([sys.executable, "-m", "xxgk.cli", "parse", str(d), "-f", fmt, "-o", str(out),
                             "--jobs", "1"], stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # wait until part of the output has been written
        temps = list(tmp_path.glob(f".out.{fmt}.*"))
        if temps and temps[0].stat().st_size > 0:
            break
        time.sleep(0.05)
    else:
        pytest.fail("the output was never started")
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 130, stderr
    assert not out.exists()
    assert not list(tmp_path.glob(f".out.{fmt}.*"))  # the temporary file is gone too
    assert "Traceback" not in stderr


def test_output_piped_into_head(tmp_path: Path) -> None:
    d = copies(tmp_path, 20)
    p = subprocess.run(f"{sys.executable} -m xxgk.cli parse {d} -f jsonl --jobs 1 | head -c 100", shell=True,
                       capture_output=True)
    assert len(p.stdout) == 100 and p.stdout.startswith(b'{"schema_version"')
    stderr = p.stderr.decode("utf-8", "replace")
    assert "Traceback" not in stderr and "错误" not in stderr, stderr
