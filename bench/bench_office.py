"""Benchmark: the disclosure office on SQLite and PostgreSQL — loading requests, tallying a year.

    python bench/bench_office.py                          # 10,000 requests; county 100 × 100
    python bench/bench_office.py --county-requests 100,1000
    python bench/bench_office.py --quick                  # small sizes, a smoke run
    python bench/bench_office.py --backends sqlite --postgres-url postgresql+psycopg://u@host/

Measures, for each backend (a temporary SQLite file; a throwaway PostgreSQL database
``xxgk_bench_<random>`` created with an AUTOCOMMIT engine and dropped afterwards):

1. loading: N requests for one agency registered through ``Office.add_requests`` in batches
   (500 per call by default) — a realistic mix of applicant kinds (mostly natural persons),
   channels, receipt dates over 2024, ~85% decided within 1–25 working days (outcomes from the
   2021 template's result rows; the late December ones decided in early 2025) and the rest never
   decided (carried over); requests per second;
2. the year's tables: ``Office.tally(code, 2024)`` for that agency (median of 5 runs), and for a
   county of A agencies × R requests both ``county_tally`` in one pass and A separate ``tally``
   calls. Every tallied report must pass ``xxgk.check`` with no ``requests-*`` (arithmetic)
   finding, and its new / carried-over totals must match the generated data (county_tally's
   cells must equal tally's);
3. peak memory: tracemalloc's peak for one extra run of each step (not timed), and the largest
   resident set of the process.

Prints the machine and a Markdown table for README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import platform
import random
import resource
import secrets
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

import xxgk  # noqa: E402
from xxgk.office.service import Office  # noqa: E402
from xxgk.office.tally import county_tally  # noqa: E402
from xxgk.office.vocab import OVERDUE_CORRECTION, OVERDUE_FEE, outcomes  # noqa: E402
from xxgk.template import load_template  # noqa: E402
from xxgk.workdays import Calendar  # noqa: E402

YEAR = 2024
TODAY = dt.date(2025, 6, 30)
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/"

# --------------------------------------------------------------------------- the generated requests

KINDS = {"natural": 80, "commercial": 9, "legal": 4, "social": 2, "research": 1, "other_org": 4}
CHANNELS = {"online": 55, "registered_post": 20, "in_person": 12, "email": 6, "ordinary_letter": 4, "fax": 3}
# weight of each 2021 result row (a request decided in 2024 or 2025 takes a row of the 2021 template)
OUTCOME_WEIGHTS = {
    "granted": 38, "partial": 9, "denied": 10, "unable.not_held": 20, "unable.need_creation": 3,
    "unable.unclear": 4, "not_processed": 8, "other.other": 8,
}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志文斌海波辉鹏飞宇浩然欣怡晨阳"
TOPICS = [
    "本村征地补偿安置方案及补偿款发放明细", "某路段道路改造工程的立项批复和环评文件",
    "2023年度本单位财政预算执行情况", "某小区规划许可证及总平面图", "本镇农村危房改造补助名单",
    "某企业排污许可证及监测数据", "城区老旧小区改造项目招标文件", "某地块国有土地使用权出让合同",
    "本县义务教育学校划片方案", "某建设项目竣工验收备案材料", "最低生活保障对象审批情况",
    "行政处罚决定书（编号不详）", "某河道整治工程资金使用情况", "本街道拆迁评估报告",
]
ORGS = ["有限公司", "律师事务所", "公益基金会", "研究院", "合作社"]


def _outcome_choices() -> tuple[list[str], list[float]]:
    """The 2021 template's result rows (minus the two that need prior events), with weights."""
    keys = [k for k in outcomes(load_template("2021")) if k not in (OVERDUE_CORRECTION["2021"], OVERDUE_FEE["2021"])]
    weights = []
    for k in keys:
        group = k.split(".")[0]
        if k in OUTCOME_WEIGHTS:
            weights.append(OUTCOME_WEIGHTS[k])
        else:  # a group's weight shared by its rows
            siblings = [x for x in keys if x.split(".")[0] == group and x not in OUTCOME_WEIGHTS]
            weights.append(OUTCOME_WEIGHTS.get(group, 1) / len(siblings))
    return keys, weights


@dataclass
class Expected:
    new: int = 0  # received in 2024 (all of them)
    closed: int = 0  # decided in 2024
    carried_out: int = 0  # never decided, or decided in 2025


def generate(n: int, rng: random.Random, cal: Calendar) -> tuple[list[dict[str, Any]], Expected]:
    outcome_keys, outcome_w = _outcome_choices()
    days = [dt.date(YEAR, 1, 1) + dt.timedelta(i) for i in range(366 if YEAR % 4 == 0 else 365)]
    workdays = [d for d in days if cal.is_workday(d)]
    kinds, kind_w = list(KINDS), list(KINDS.values())
    channels, channel_w = list(CHANNELS), list(CHANNELS.values())
    out: list[dict[str, Any]] = []
    exp = Expected()
    for _ in range(n):
        kind = rng.choices(kinds, kind_w)[0]
        channel = rng.choices(channels, channel_w)[0]
        # online/e-mail/fax requests arrive any day; post and counters on working days
        received = rng.choice(days if channel in ("online", "email", "fax") else workdays)
        if kind == "natural":
            name = rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2))))
        else:
            name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(ORGS)
        req: dict[str, Any] = {
            "applicant": {"kind": kind, "name": name, "phone": f"13{rng.randrange(10**9):09d}"},
            "channel": channel,
            "received_on": received.isoformat(),
            "description": f"申请公开{rng.choice(TOPICS)}",
        }
        exp.new += 1
        if rng.random() < 0.85:
            decided = cal.add(received, rng.randint(1, 25)).due
            assert decided <= TODAY
            req["decided_on"] = decided.isoformat()
            req["outcome"] = rng.choices(outcome_keys, outcome_w)[0]
            if decided.year == YEAR:
                exp.closed += 1
            else:
                exp.carried_out += 1
        else:
            exp.carried_out += 1
        out.append(req)
    return out, exp


# --------------------------------------------------------------------------- databases


@dataclass
class Backend:
    name: str  # "sqlite" | "postgresql"
    label: str  # e.g. "SQLite 3.40.1"
    new_database: Callable[[], Any]  # a context manager yielding a URL


def sqlite_backend() -> Backend:
    @contextmanager
    def new_database() -> Iterator[str]:
        with tempfile.TemporaryDirectory(prefix="xxgk-bench-") as tmp:
            yield f"sqlite:///{Path(tmp) / 'office.db'}"

    return Backend("sqlite", f"SQLite {sqlite3.sqlite_version}", new_database)


def postgres_backend(url: str) -> Backend | str:
    """The backend, or the reason it cannot be used."""
    base = make_url(url)
    admin_url = base.set(database=base.database or "postgres")
    try:
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})
        with admin.connect() as conn:
            version = conn.execute(text("SHOW server_version")).scalar_one()
    except Exception as e:  # no driver, no server, refused login
        first = (str(e).strip().splitlines() or [type(e).__name__])[0]
        return f"PostgreSQL skipped: cannot connect to {admin_url.render_as_string(hide_password=True)}: {first}"

    @contextmanager
    def new_database() -> Iterator[str]:
        name = f"xxgk_bench_{secrets.token_hex(4)}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield base.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    return Backend("postgresql", f"PostgreSQL {version.split()[0]}", new_database)


# --------------------------------------------------------------------------- measurements


@dataclass
class Row:
    backend: str
    step: str
    size: str
    seconds: float
    rate: str
    peak_mb: float | None
    check: str


def traced_peak(fn: Callable[[], Any]) -> float:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 1048576
    finally:
        tracemalloc.stop()


def median_time(fn: Callable[[], Any], runs: int) -> float:
    fn()  # warm: imports, template, connection pool, the database's caches
    gc.collect()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def load(office: Office, code: str, reqs: list[dict[str, Any]], batch: int) -> float:
    gc.collect()
    t0 = time.perf_counter()
    for i in range(0, len(reqs), batch):
        office.add_requests(code, reqs[i:i + batch], today=TODAY)
    return time.perf_counter() - t0


def verify(report: Any, exp: Expected) -> list[str]:
    """Problems with a tallied report: arithmetic findings, totals that differ from the data."""
    problems = [f"{f.rule}: {f.message_en}" for f in xxgk.check(report) if f.rule.startswith("requests-")]
    c = report.cells
    for cell, want in (("requests.new.total", exp.new), ("requests.carried_in.total", 0),
                       ("requests.total.total", exp.closed), ("requests.carried_out.total", exp.carried_out)):
        if c.get(cell) != want:
            problems.append(f"{cell} = {c.get(cell)}, expected {want}")
    return problems


def verdict(problems: list[str]) -> str:
    if problems:
        for p in problems[:10]:
            print(f"  FAIL: {p}", file=sys.stderr)
        return f"FAIL ({len(problems)})"
    return "OK"


def bench_one_agency(be: Backend, n: int, batch: int, runs: int, rng: random.Random, cal: Calendar) -> list[Row]:
    reqs, exp = generate(n, rng, cal)
    rows = []
    with be.new_database() as url:
        office = Office.open(url)
        try:
            office.add_agency("A001", "某某县人民政府办公室", "government")
            secs = load(office, "A001", reqs, batch)
            # traced peak of one more batch, into another agency (the tallies below do not see it)
            office.add_agency("Z999", "另一机关")
            extra, _ = generate(min(batch, n), random.Random(1), cal)
            peak = traced_peak(lambda: office.add_requests("Z999", extra, today=TODAY))
            rows.append(Row(be.label, f"load: add_requests, {batch} per call", f"1 × {n:,}", secs,
                            f"{n / secs:,.0f} requests/s", peak, "—"))

            report = office.tally("A001", YEAR)
            check = verdict(verify(report, exp))
            secs = median_time(lambda: office.tally("A001", YEAR), runs)
            peak = traced_peak(lambda: office.tally("A001", YEAR))
            rows.append(Row(be.label, f"tally one agency (median of {runs})", f"1 × {n:,}", secs, "", peak, check))
        finally:
            office.close()
    return rows


def bench_county(be: Backend, agencies: int, per: int, batch: int, runs: int, rng: random.Random,
                 cal: Calendar) -> list[Row]:
    codes = [f"C{i:03d}" for i in range(1, agencies + 1)]
    data = {code: generate(per, rng, cal) for code in codes}
    expected = {code: exp for code, (_, exp) in data.items()}
    size = f"{agencies} × {per:,}"
    rows = []
    with be.new_database() as url:
        office = Office.open(url)
        try:
            for i, code in enumerate(codes):
                office.add_agency(code, f"某某县第{i + 1}部门")
            gc.collect()
            t0 = time.perf_counter()
            for code in codes:
                load(office, code, data[code][0], batch)
            secs = time.perf_counter() - t0
            del data  # the timings below should not pay the garbage collector for the input
            n = agencies * per
            rows.append(Row(be.label, f"load: add_requests, ≤{batch} per call", size, secs,
                            f"{n / secs:,.0f} requests/s", None, "—"))

            def one_pass() -> dict[str, dict[str, int]]:
                with office.session() as s:
                    return county_tally(s, YEAR)

            def separately() -> dict[str, Any]:
                return {code: office.tally(code, YEAR) for code in codes}

            reports = separately()
            county = one_pass()
            problems = []
            for code in codes:
                problems += [f"{code}: {p}" for p in verify(reports[code], expected[code])]
                mine = {k: v for k, v in reports[code].cells.items() if k.startswith("requests.")}
                if county.get(code) != mine:
                    problems.append(f"{code}: county_tally differs from tally")
            check = verdict(problems)
            del reports, county

            secs = median_time(one_pass, runs)
            peak = traced_peak(one_pass)
            rows.append(Row(be.label, f"county_tally, one pass (median of {runs})", size, secs,
                            f"{agencies / secs:,.0f} agencies/s", peak, check))
            secs = median_time(separately, runs)
            peak = traced_peak(separately)
            rows.append(Row(be.label, f"{agencies} × tally (median of {runs})", size, secs,
                            f"{agencies / secs:,.0f} agencies/s", peak, check))
        finally:
            office.close()
    return rows


# --------------------------------------------------------------------------- machine and output


def revision() -> str:
    """The commit measured, marked when the working tree differs from it."""
    root = Path(__file__).resolve().parents[1]
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "xxgk"], cwd=root,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown revision"
    return f"xxgk {head}" + (" + uncommitted changes to xxgk/" if dirty else "")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def fmt_time(s: float) -> str:
    return f"{s * 1000:.1f} ms" if s < 1 else f"{s:.2f} s"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--requests", type=int, default=10_000, help="requests of the one agency (default 10000)")
    ap.add_argument("--agencies", type=int, default=100, help="agencies of the county (default 100)")
    ap.add_argument("--county-requests", default="100",
                    help="requests per county agency; a comma list runs each size (e.g. 100,1000)")
    ap.add_argument("--batch", type=int, default=500, help="requests per add_requests call (default 500)")
    ap.add_argument("--runs", type=int, default=5, help="timed runs of each tally (median; default 5)")
    ap.add_argument("--backends", default="sqlite,postgresql")
    ap.add_argument("--postgres-url", default=DEFAULT_PG,
                    help=f"server to create the throwaway database on (default {DEFAULT_PG})")
    ap.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    ap.add_argument("--seed", type=int, default=2024)
    args = ap.parse_args()
    county_sizes = [int(x) for x in str(args.county_requests).split(",") if x.strip()]
    if args.quick:
        args.requests, args.agencies, county_sizes, args.runs = 1000, 10, [20], 3

    measured = revision()  # before the run: the code imported is the code at start
    cal = Calendar()
    backends: list[Backend] = []
    notes: list[str] = []
    for name in [b.strip().lower() for b in args.backends.split(",") if b.strip()]:
        if name == "sqlite":
            backends.append(sqlite_backend())
        elif name in ("postgresql", "postgres", "pg"):
            be = postgres_backend(args.postgres_url)
            if isinstance(be, str):
                notes.append(be)
                print(be, file=sys.stderr)
            else:
                backends.append(be)
        else:
            ap.error(f"unknown backend {name!r} (sqlite, postgresql)")

    rows: list[Row] = []
    for be in backends:
        print(f"{be.label}: one agency × {args.requests:,} …", file=sys.stderr, flush=True)
        rows += bench_one_agency(be, args.requests, args.batch, args.runs, random.Random(args.seed), cal)
        for per in county_sizes:
            print(f"{be.label}: county {args.agencies} × {per:,} …", file=sys.stderr, flush=True)
            rows += bench_county(be, args.agencies, per, args.batch, args.runs, random.Random(args.seed + per), cal)

    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"Machine: {cpu_model()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{platform.system()} {platform.release()}; " + ", ".join(b.label for b in backends)
          + f"; {measured}")
    print()
    print("| backend | step | agencies × requests | time | rate | peak traced MB | arithmetic check |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        peak = "—" if r.peak_mb is None else f"{r.peak_mb:.1f}"
        print(f"| {r.backend} | {r.step} | {r.size} | {fmt_time(r.seconds)} | {r.rate or '—'} | {peak} | {r.check} |")
    print()
    print(f"Requests received over {YEAR}, ~85% decided within 1–25 working days (outcomes from the 2021 "
          f"template's result rows), the rest carried over; tallies of {YEAR}. Peak traced MB: tracemalloc "
          f"for one run of the step (for loading, one {args.batch}-request call). "
          f"Peak resident memory of the benchmark process: {rss:.0f} MB.")
    for n in notes:
        print(f"Note: {n}")


if __name__ == "__main__":
    main()
