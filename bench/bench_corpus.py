"""Benchmark: the corpus at national scale — make a country, ingest it, ask a supervisor's questions.

    python bench/bench_corpus.py --reports 100000                 # local engine and a Dask cluster
    python bench/bench_corpus.py --reports 10000 --engine local   # one engine only
    python bench/bench_corpus.py --engine local --no-questions --keep-db /work/bench-data/corpus-100k.db
                                                                  # build the web load test's database

1. ``xxgk corpus make-demo`` writes a synthetic country of N text reports (cached in the temp folder).
2. For each engine, a fresh SQLite database: the registry imported, then
   ``xxgk corpus ingest REPORTS --json`` run as a user runs it — ``local``: the default local cluster,
   one worker process per core; ``dask``: a ``dask scheduler`` and one ``dask worker --nthreads 1``
   per core started as separate processes, the command given ``--scheduler tcp://…``. The whole
   process tree's memory is sampled every 0.2 s: the peak of the client and of each worker.
3. On the last database: ``status`` of a province and of a county, ``compare`` of one agency's two
   years, ``check`` of a whole year, ``export --to parquet`` and a DuckDB aggregate over every cell.

Prints Markdown tables for README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
XXGK = [sys.executable, "-m", "xxgk.cli"]
CACHE = Path(tempfile.gettempdir()) / "xxgk-bench-country"


def country(n: int, seed: int = 1) -> Path:
    d = CACHE / f"{n}-{seed}"
    if (d / "manifest.json").exists():
        return d
    if d.exists():
        shutil.rmtree(d)
    t0 = time.perf_counter()
    subprocess.run([*XXGK, "corpus", "make-demo", "-o", str(d), "--reports", str(n), "--seed", str(seed)],
                   check=True, stdout=subprocess.DEVNULL)
    print(f"make-demo {n}: {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    return d


class Sampler(threading.Thread):
    """Peak RSS of a process and of each of its descendants, sampled every 0.2 s."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.root = psutil.Process(pid)
        self.peaks: dict[int, tuple[str, int]] = {}
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                procs = [self.root, *self.root.children(recursive=True)]
            except psutil.Error:
                break
            for p in procs:
                try:
                    rss = p.memory_info().rss
                    name = " ".join(p.cmdline()[1:4])
                except psutil.Error:
                    continue
                old = self.peaks.get(p.pid, ("", 0))
                self.peaks[p.pid] = (name, max(old[1], rss))
            time.sleep(0.2)


def run_sampled(cmd: list[str], extra_roots: list[int] = ()) -> tuple[float, str, int, dict[int, tuple[str, int]]]:
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    samplers = [Sampler(proc.pid), *(Sampler(p) for p in extra_roots)]
    for s in samplers:
        s.start()
    stdout, _ = proc.communicate()
    for s in samplers:
        s.stop.set()
    wall = time.perf_counter() - t0
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode})")
    peaks: dict[int, tuple[str, int]] = {}
    for s in samplers:
        peaks.update(s.peaks)
    return wall, stdout, proc.pid, peaks


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ingest(engine: str, reports: Path, registry: Path, db: Path, workers: int) -> dict[str, object]:
    if db.exists():
        db.unlink()
    url = f"sqlite:///{db}"
    subprocess.run([*XXGK, "corpus", "agencies", "import", str(registry / "地区.csv"), str(registry / "机关.csv"),
                    "--db", url], check=True, stdout=subprocess.DEVNULL)
    cluster: list[subprocess.Popen[bytes]] = []
    cmd = [*XXGK, "corpus", "ingest", str(reports), "--db", url, "--json"]
    try:
        if engine == "dask":
            port = free_port()
            addr = f"tcp://127.0.0.1:{port}"
            bin_dir = Path(sys.executable).parent
            cluster.append(subprocess.Popen([str(bin_dir / "dask"), "scheduler", "--host", "127.0.0.1", "--port",
                                             str(port), "--no-dashboard"], stdout=subprocess.DEVNULL,
                                            stderr=subprocess.DEVNULL))
            time.sleep(3)
            for _ in range(workers):
                cluster.append(subprocess.Popen([str(bin_dir / "dask"), "worker", addr, "--nthreads", "1",
                                                 "--nworkers", "1", "--no-dashboard"], stdout=subprocess.DEVNULL,
                                                stderr=subprocess.DEVNULL))
            time.sleep(5)
            cmd += ["--scheduler", addr]
        else:
            cmd += ["--workers", str(workers)]
        wall, stdout, client_pid, peaks = run_sampled(cmd, [p.pid for p in cluster[1:]])
    finally:
        for p in reversed(cluster):
            p.terminate()
        for p in cluster:
            p.wait(timeout=30)
    summary = json.loads(stdout.strip().splitlines()[-1])
    mb = {pid: rss / 2**20 for pid, (_, rss) in peaks.items()}
    client = mb.get(client_pid, 0.0)
    worker = max((v for pid, v in mb.items() if pid != client_pid), default=0.0)
    return {"engine": engine, "stored": summary["stored"], "failed": summary["failed"], "wall": wall,
            "rate": summary["stored"] / wall, "client_mb": client, "worker_mb": worker,
            "db_mb": db.stat().st_size / 2**20}


def timed(args: list[str]) -> tuple[float, str]:
    t0 = time.perf_counter()
    p = subprocess.run([*XXGK, *args], capture_output=True, text=True)
    if p.returncode not in (0, 1):
        raise SystemExit(f"xxgk {' '.join(args)} failed: {p.stderr.strip()[-300:]}")
    return time.perf_counter() - t0, p.stdout


def questions(db: Path, demo: Path, lake: Path) -> list[tuple[str, float]]:
    url = f"sqlite:///{db}"
    regions = [ln.split(",") for ln in (demo / "registry" / "地区.csv").read_text("utf-8-sig").splitlines()[1:]]
    province = next(r[0] for r in regions if r[2] == "省级")
    county = next(r[0] for r in regions if r[2] == "县级")
    truth = json.loads((demo / "truth.jsonl").open(encoding="utf-8").readline())
    agency = truth["agency"]
    years = json.loads((demo / "manifest.json").read_text("utf-8"))["years"]
    y = years[-1]
    out = []
    for label, args in (
        (f"status, a county ({county}), {y}", ["corpus", "status", "--region", county, "--year", str(y), "--db", url,
                                               "-o", str(lake.parent / "status-county.xlsx")]),
        (f"status, a province ({province}), {y}", ["corpus", "status", "--region", province, "--year", str(y),
                                                   "--db", url, "-o", str(lake.parent / "status-province.xlsx")]),
        (f"compare one agency, {years[-2]} and {y}", ["corpus", "compare", agency, "--years", str(years[-2]), str(y),
                                                     "--db", url]),
        (f"check, the whole corpus, {y}", ["corpus", "check", "--year", str(y), "--db", url,
                                           "-o", str(lake.parent / "findings.csv")]),
        ("export --to parquet (whole corpus)", ["corpus", "export", "--to", "parquet", "-o", str(lake), "--db", url]),
        ("DuckDB: sum of every cell by province and year", [
            "corpus", "query", "SELECT province, year, cell, sum(value) FROM cells GROUP BY ALL ORDER BY ALL",
            "--lake", str(lake), "-o", str(lake.parent / "sums.csv")]),
    ):
        secs, _ = timed(args)
        out.append((label, secs))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reports", type=int, default=100_000)
    ap.add_argument("--engine", choices=("local", "dask", "both"), default="both")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--keep-db", type=Path, metavar="PATH",
                    help="keep the last engine's database at PATH (bench/bench_web.py's corpus) instead of deleting it")
    ap.add_argument("--no-questions", action="store_true", help="ingest only: skip the supervisor's questions")
    args = ap.parse_args()
    demo = country(args.reports)
    work = Path(tempfile.mkdtemp(prefix="xxgk-bench-corpus-"))
    engines = ("local", "dask") if args.engine == "both" else (args.engine,)
    rows = [ingest(e, demo / "reports", demo / "registry", work / f"{e}.db", args.workers) for e in engines]
    qs = [] if args.no_questions else questions(work / f"{engines[-1]}.db", demo, work / "lake")
    lake_mb = sum(f.stat().st_size for f in (work / "lake").rglob("*") if f.is_file()) / 2**20
    print(f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{platform.system()} {platform.release()}, load average {os.getloadavg()[0]:.1f}\n")
    print(f"Ingest of {args.reports:,} generated text reports (`xxgk corpus ingest`, {args.workers} workers):\n")
    print("| engine | stored | failed | wall s | reports/s | peak RSS client (MB) | peak RSS a worker (MB) | SQLite (MB) |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['engine']} | {r['stored']:,} | {r['failed']} | {r['wall']:.0f} | {r['rate']:.0f} | "
              f"{r['client_mb']:.0f} | {r['worker_mb']:.0f} | {r['db_mb']:.0f} |")
    if qs:
        print(f"\nParquet export: {lake_mb:.0f} MB\n")
        print("| question | seconds |")
        print("|---|---|")
        for label, secs in qs:
            print(f"| {label} | {secs:.1f} |")
    if args.keep_db:
        args.keep_db.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            src = work / f"{engines[-1]}.db{suffix}"
            if src.exists():
                shutil.move(src, f"{args.keep_db}{suffix}")
        print(f"\nDatabase kept: {args.keep_db}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
