"""Benchmark: reading and checking text reports, in process and end to end through the CLI.

    python bench/bench_parse.py                       # seeds + 1,000 generated, in process
    python bench/bench_parse.py --e2e 1000 10000      # + `xxgk parse DIR --jobs 1 --format jsonl`
    python bench/bench_parse.py --e2e 1000 --tree /tmp/xxgk-before   # the same, another checkout

In process: reports per CPU-second of parse + check, median ms per report, tracemalloc's peak
for one report, and the time per stage (read bytes, decode/read the document, extract, check,
serialise) against the floor (read the file, one regex pass over its text, write the same JSON).

End to end: ``xxgk parse DIR --jobs 1 --format jsonl -o out.jsonl`` as a user runs it, process
start included, over N generated reports written to files (xxgk.synth.corpus): reports per
wall-second and per CPU-second (the CLI and every process it started), and the peak resident
memory of the whole process tree (sampled every 20 ms) — flat is the aim. ``--tree`` runs the
CLI of another checkout (e.g. ``git archive <commit> | tar -x -C /tmp/xxgk-before``) to compare.

Prints Markdown tables for README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import xxgk  # noqa: E402
from xxgk.api import check  # noqa: E402
from xxgk.extract import extract  # noqa: E402
from xxgk.readers import read_bytes, read_document  # noqa: E402

SEEDS = ROOT / "tests" / "fixtures" / "seeds"
CACHE = Path(tempfile.gettempdir()) / "xxgk-bench-corpus"


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


# ---------------------------------------------------------------- the corpus on disk

def corpus_dir(n: int, seed: int = 7) -> Path:
    """N generated reports written to files, cached between runs (generation takes a while)."""
    d = CACHE / f"{n}-{seed}"
    if (d / ".done").exists():
        return d
    from xxgk.synth import corpus

    d.mkdir(parents=True, exist_ok=True)
    for i, (text, _) in enumerate(corpus(n, seed=seed)):
        (d / f"r{i:05d}.txt").write_text(text, "utf-8")
    (d / ".done").touch()
    return d


# ---------------------------------------------------------------- stages and floor

_DIGITS = re.compile(r"\d+")


def stages(folder: Path, limit: int) -> dict[str, float]:
    """CPU seconds spent in each stage over the first ``limit`` files of ``folder`` (one process)."""
    files = sorted(p for p in folder.iterdir() if p.suffix == ".txt")[:limit]
    t = dict.fromkeys(("read bytes", "decode/read document", "extract", "check",
                       "serialise (pydantic-core)", "serialise (json.dumps of model_dump)"), 0.0)
    xxgk.check(xxgk.parse_bytes(files[0].read_bytes()))  # warm imports and caches
    import hashlib

    for f in files:
        t0 = time.process_time()
        data = read_bytes(f)
        t1 = time.process_time()
        doc = read_document(data, str(f))
        t2 = time.process_time()
        report = extract(doc, source_path=str(f), content_hash=hashlib.sha256(data).hexdigest())
        t3 = time.process_time()
        check(report)
        t4 = time.process_time()
        report.model_dump_json()
        t5 = time.process_time()
        json.dumps(report.model_dump(mode="json"), ensure_ascii=False)
        t6 = time.process_time()
        for k, a, b in (("read bytes", t0, t1), ("decode/read document", t1, t2), ("extract", t2, t3),
                        ("check", t3, t4), ("serialise (pydantic-core)", t4, t5),
                        ("serialise (json.dumps of model_dump)", t5, t6)):
            t[k] += b - a
    return t


def floor(folder: Path, limit: int, payloads: list[bytes]) -> float:
    """CPU seconds to read the files, make one regex pass over each text and write the same JSON."""
    files = sorted(p for p in folder.iterdir() if p.suffix == ".txt")[:limit]
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.process_time()
        with open(Path(tmp) / "out.jsonl", "wb") as out:
            for f, payload in zip(files, payloads, strict=False):
                text = f.read_bytes().decode("utf-8")
                _DIGITS.findall(text)
                out.write(payload)
        return time.process_time() - t0


def payloads(folder: Path, limit: int) -> list[bytes]:
    files = sorted(p for p in folder.iterdir() if p.suffix == ".txt")[:limit]
    return [xxgk.parse(f).model_dump_json().encode() + b"\n" for f in files]


# ---------------------------------------------------------------- end to end

def _tree_rss(root: int) -> int:
    """Resident bytes of ``root`` and all its descendants."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    page = os.sysconf("SC_PAGE_SIZE")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2:].split()
        parents[int(entry)] = int(fields[1])
        rss[int(entry)] = int(fields[21]) * page
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(p for p, pp in parents.items() if pp == pid)
    return total


def e2e(folder: Path, tree: Path) -> dict[str, float]:
    """Run ``xxgk parse folder --jobs 1 --format jsonl -o out`` from ``tree``; wall time, CPU
    time of the process tree, peak RSS of the tree, reports written."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.jsonl"
        env = {**os.environ, "PYTHONPATH": str(tree)}
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "xxgk.cli", "parse", str(folder), "--jobs", "1",
                                 "--format", "jsonl", "-o", str(out)], env=env, cwd=tmp,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        peak = [0]
        done = threading.Event()

        def sample() -> None:
            while not done.wait(0.02):
                peak[0] = max(peak[0], _tree_rss(proc.pid))

        th = threading.Thread(target=sample, daemon=True)
        th.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        done.set()
        th.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
        err = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
        if proc.returncode not in (0, 1):
            raise SystemExit(f"xxgk parse failed ({proc.returncode}): {err[-2000:]}")
        with out.open("rb") as fh:
            n = sum(1 for _ in fh)
        failed = [ln for ln in err.splitlines() if ln.startswith("失败")]
        for ln in failed[:10]:
            print(f"  ({ln[:160]})", file=sys.stderr)
        return {"reports": n, "failed": len(failed), "wall": wall, "cpu": usage.ru_utime + usage.ru_stime,
                "peak_mb": peak[0] / 1048576, "maxrss_mb": usage.ru_maxrss / 1024}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--generated", type=int, default=1000, help="generated reports, in process (0: skip)")
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--e2e", type=int, nargs="*", default=[], help="corpus sizes for the end-to-end run")
    ap.add_argument("--tree", type=Path, default=ROOT, help="the checkout whose CLI runs end to end")
    ap.add_argument("--stages", type=int, default=1000, help="files timed stage by stage (0: skip)")
    args = ap.parse_args()

    print(f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, {platform.system()} {platform.release()}, "
          f"load average {os.getloadavg()[0]:.1f}")
    print()
    if args.generated:
        seeds = [p.read_bytes() for p in sorted(SEEDS.glob("*.txt"))]
        rows = []
        rate, med = per_core(seeds, args.rounds)
        rows.append(("5 real seeds", len(seeds) * args.rounds, rate, med, max(peak_one(d) for d in seeds)))
        gen = [p.read_bytes() for p in sorted(corpus_dir(args.generated).glob("*.txt"))]
        rate, med = per_core(gen, 1)
        rows.append((f"{len(gen)} generated", len(gen), rate, med, max(peak_one(d) for d in gen[:50])))
        print("| corpus | reports | parse+check per core (reports/s) | median ms/report | peak traced MB/report |")
        print("|---|---|---|---|---|")
        for name, n, rate, med, peak in rows:
            print(f"| {name} | {n} | {rate:.0f} | {med:.1f} | {peak:.1f} |")
        print()

    if args.stages:
        folder = corpus_dir(max(args.stages, 1000))
        st = stages(folder, args.stages)
        fl = floor(folder, args.stages, payloads(folder, args.stages))
        total = sum(v for k, v in st.items() if "json.dumps" not in k)
        print(f"Stages over {args.stages} generated reports, one process (CPU ms per report):")
        print()
        print("| stage | ms/report | share |")
        print("|---|---|---|")
        for k, v in st.items():
            share = f"{100 * v / total:.0f} %" if "json.dumps" not in k else "(the old way)"
            print(f"| {k} | {1000 * v / args.stages:.2f} | {share} |")
        print(f"| **total** (pydantic-core serialiser) | {1000 * total / args.stages:.2f} | 100 % |")
        print(f"| floor: read, one regex pass, write the same JSON | {1000 * fl / args.stages:.3f} | "
              f"ratio {total / fl:.0f}× |")
        print()

    if args.e2e:
        print(f"End to end: `xxgk parse DIR --jobs 1 --format jsonl -o out.jsonl` ({args.tree}):")
        print()
        print("| reports | failed | wall s | reports/s | reports per CPU-second | peak RSS, process tree (MB) |")
        print("|---|---|---|---|---|---|")
        for n in args.e2e:
            r = e2e(corpus_dir(n), args.tree)
            print(f"| {r['reports']:,} | {r['failed']} | {r['wall']:.1f} | {r['reports'] / r['wall']:.0f} | "
                  f"{r['reports'] / r['cpu']:.0f} | {r['peak_mb']:.0f} |", flush=True)
        print()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"Peak resident memory of the benchmark process: {rss:.0f} MB")


if __name__ == "__main__":
    main()
