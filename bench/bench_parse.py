"""Benchmark: reading and checking text reports.

    python bench/bench_parse.py                 # seeds + 1000 generated reports
    python bench/bench_parse.py --generated 5000 --jobs 2

Measures, for the five real seeds and for N generated reports (every layout the seeds show,
both templates, some damaged): reports per second on one core (CPU time of parse+check in one
process), wall-clock throughput of the batch runner on all cores, and peak memory (the largest
resident set of the process, and tracemalloc's peak for one report). Prints a Markdown table for
README.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import xxgk  # noqa: E402
from xxgk import batch  # noqa: E402

SEEDS = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "seeds"


def per_core(datas: list[bytes], rounds: int) -> tuple[float, float]:
    """(reports per CPU-second, median ms per report) for parse + check in this process."""
    for d in datas[:5]:
        xxgk.check(xxgk.parse_bytes(d))  # warm caches and imports
    times = []
    start = time.process_time()
    n = 0
    for _ in range(rounds):
        for d in datas:
            t0 = time.perf_counter()
            xxgk.check(xxgk.parse_bytes(d))
            times.append(time.perf_counter() - t0)
            n += 1
    cpu = time.process_time() - start
    return n / cpu, statistics.median(times) * 1000


def peak_one(data: bytes) -> float:
    tracemalloc.start()
    xxgk.check(xxgk.parse_bytes(data))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 1024 / 1024


def batch_wall(datas: list[bytes], jobs: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for i, d in enumerate(datas):
            p = Path(tmp) / f"r{i:05d}.txt"
            p.write_bytes(d)
            files.append(p)
        t0 = time.perf_counter()
        items = list(batch.run(files, do_check=True, jobs=jobs))
        wall = time.perf_counter() - t0
        assert all(i.report is not None for i in items), [i.failure for i in items if i.failure][:3]
    return len(datas) / wall


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--generated", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = ap.parse_args()

    seeds = [p.read_bytes() for p in sorted(SEEDS.glob("*.txt"))]
    rows = []
    rate, med = per_core(seeds, args.rounds)
    rows.append(("5 real seeds", len(seeds) * args.rounds, rate, med,
                 max(peak_one(d) for d in seeds), batch_wall(seeds * 40, args.jobs)))

    from xxgk.synth import corpus

    gen = [text.encode("utf-8") for text, _ in corpus(args.generated, seed=7)]
    rate, med = per_core(gen, 1)
    rows.append((f"{len(gen)} generated", len(gen), rate, med, max(peak_one(d) for d in gen[:50]),
                 batch_wall(gen, args.jobs)))

    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, {platform.system()} {platform.release()}")
    print()
    print(f"| corpus | reports | parse+check per core (reports/s) | median ms/report | "
          f"peak traced MB/report | batch, {args.jobs} processes (reports/s) |")
    print("|---|---|---|---|---|---|")
    for name, n, rate, med, peak, wall in rows:
        print(f"| {name} | {n} | {rate:.0f} | {med:.1f} | {peak:.1f} | {wall:.0f} |")
    print()
    print(f"Peak resident memory of the benchmark process: {rss:.0f} MB")


if __name__ == "__main__":
    main()
