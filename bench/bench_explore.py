"""Benchmark: the corpus explorer's queries (xxgk.corpus.explore, explore_charts), p50/p95 per call.

    python bench/bench_explore.py --db sqlite:///big.db          # an existing corpus (bench_corpus.py's)
    python bench/bench_explore.py --reports 100000               # a synthetic one, cached in the temp folder
    python bench/bench_explore.py --reports 100000 --indexes     # … after creating the indexes proposed

Without ``--db`` a corpus is made without reading any file: the synthetic country's registry
(xxgk.corpus.country_tree) and, for each agency and year, a report's digest (random valid cells of
the 2021 template, 3 % with an arithmetic finding, 5 % published late) stored through the store's
own writer (rollups kept as at ingest). Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from xxgk.corpus.country_tree import build_country  # noqa: E402
from xxgk.corpus.digest import Digest  # noqa: E402
from xxgk.corpus.explore import ReportQuery, agency_years, list_reports  # noqa: E402
from xxgk.corpus.explore_charts import chart, chart_table, measures, region_tree  # noqa: E402
from xxgk.corpus.store import CorpusStore  # noqa: E402
from xxgk.corpus.types import Match  # noqa: E402
from xxgk.synth import random_cells  # noqa: E402

YEARS = (2022, 2023, 2024)
INDEXES = [  # the indexes this benchmark proposes (reported to the integrator, not migrated here)
    "CREATE INDEX IF NOT EXISTS ix_corpus_report_current_year ON corpus_report (current, year, id)",
    "CREATE INDEX IF NOT EXISTS ix_corpus_report_current_agency ON corpus_report (current, agency_id, year)",
    "CREATE INDEX IF NOT EXISTS ix_corpus_finding_rule_report ON corpus_finding (rule, report_id)",
    "CREATE INDEX IF NOT EXISTS ix_agency_name ON agency (name)",
]


def make(url: str, reports: int, seed: int = 1) -> None:
    t0 = time.perf_counter()
    country = build_country(max(1, reports // len(YEARS)), seed)
    rng = random.Random(seed)
    with CorpusStore.open(url) as store:
        store.save_registry(country.regions, [a.record for a in country.agencies])
        batch: list[tuple[Digest, bytes, str]] = []
        n = 0
        for a in country.agencies:
            r = a.record
            for y in YEARS:
                cells = {k: (None if v is None else float(v)) for k, v in random_cells("2021", rng).items()}
                findings = [("requests-balance", "error", "勾稽不符", "unbalanced", [])] if rng.random() < .03 else []
                due = dt.date(y + 1, 3 if r.kind == "government" else 1, 31)
                published = due + dt.timedelta(days=rng.randint(1, 60) if rng.random() < .05 else -rng.randint(0, 25))
                data = f"{r.code}|{y}".encode()
                batch.append((Digest(hashlib.sha256(data).hexdigest(), "text", "2021", y, r.name, None, r.kind,
                                     f"{r.name}{y}年政府信息公开工作年度报告", published, cells,
                                     {k: "read" for k in cells}, findings=findings,
                                     match=Match(r.code, 0.99, "title", True)), data, f"bench/{r.code}/{y}.txt"))
                n += 1
                if len(batch) == 500:
                    store.store_many(batch)
                    batch = []
        if batch:
            store.store_many(batch)
    print(f"made {n} reports in {time.perf_counter() - t0:.0f} s", file=sys.stderr)


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, float]:
    fn()  # warm (the region tree is cached per store)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", help="an existing corpus (default: a synthetic one of --reports)")
    ap.add_argument("--reports", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--indexes", action="store_true", help="create the proposed indexes first")
    args = ap.parse_args()
    url = args.db
    if url is None:
        db = Path(tempfile.gettempdir()) / f"xxgk-bench-explore-{args.reports}.db"
        url = f"sqlite:///{db}"
        if not db.exists():
            make(url, args.reports)
    store = CorpusStore.open(url, create=False)
    if args.indexes:
        with store.begin() as conn:
            for sql in INDEXES:
                conn.exec_driver_sql(sql)
            conn.exec_driver_sql("ANALYZE") if store.engine.dialect.name == "sqlite" else None
    regions, agencies = store.registry()
    province = next(r.code for r in regions if r.level == "province")
    county = next(r.code for r in regions if r.level == "county")
    word = next(a.name for a in agencies if a.kind == "department")[-3:]
    some = list_reports(store, ReportQuery(region=county, per_page=1), allowed_regions=None).rows[0]
    years = sorted({r for r in YEARS})
    cases: list[tuple[str, Callable[[], Any]]] = [
        ("list: first page, everything", lambda: list_reports(store, ReportQuery(), allowed_regions=None)),
        ("list: page 200, by agency name", lambda: list_reports(store, ReportQuery(sort="agency", page=200),
                                                                allowed_regions=None)),
        ("list: a province, a year", lambda: list_reports(store, ReportQuery(region=province, year=years[-1]),
                                                          allowed_regions=None)),
        ("list: scope of one county", lambda: list_reports(store, ReportQuery(), allowed_regions={county})),
        ("list: a rule (requests-balance)", lambda: list_reports(store, ReportQuery(rule="requests-balance"),
                                                                 allowed_regions=None)),
        ("list: late, a year", lambda: list_reports(store, ReportQuery(late=True, year=years[-1]),
                                                    allowed_regions=None)),
        (f"list: name search “{word}”", lambda: list_reports(store, ReportQuery(q=word), allowed_regions=None)),
        ("agency_years", lambda: agency_years(store, some.agency_id, None)),  # type: ignore[arg-type]
    ]
    for key in measures():
        cases.append((f"chart {key}: everything", lambda k=key: chart(store, k, allowed_regions=None)))
        cases.append((f"chart {key}: a province", lambda k=key: chart(store, k, region=province,
                                                                      allowed_regions=None)))
    for key in ("requests_received", "late_share", "arithmetic_error_share"):
        cases.append((f"region_tree {key}: provinces", lambda k=key: region_tree(store, None, years[-1], k, None)))
        cases.append((f"region_tree {key}: a province's cities",
                      lambda k=key: region_tree(store, province, years[-1], k, None)))
        cases.append((f"region_tree {key}: a county's townships",
                      lambda k=key: region_tree(store, county, years[-1], k, None)))
    cases.append(("chart_table outcome_mix", lambda: chart_table(chart(store, "outcome_mix", allowed_regions=None))))
    current = store.counts().current
    print(f"{current} current reports, {store.engine.dialect.name}{' + proposed indexes' if args.indexes else ''}")
    print("| query | p50 ms | p95 ms |")
    print("|---|---:|---:|")
    for name, fn in cases:
        p50, p95 = timed(fn, args.repeat)
        print(f"| {name} | {p50:.1f} | {p95:.1f} |", flush=True)
    store.close()


if __name__ == "__main__":
    main()
