"""Benchmark: the web application under load — locust on loopback at a fixed arrival rate.

    python bench/bench_web.py                                  # 20 req/s for 60 s, 1 and 2 workers
    python bench/bench_web.py --workers 2 --rate 40 --run-time 30s
    python bench/bench_web.py --endpoints me --db /tmp/empty.db  # the harness alone (/api/v1/me)

The database is a corpus of 10⁵ reports, built once (about 10 minutes of CPU) and kept outside the
repository::

    python bench/bench_corpus.py --engine local --no-questions --keep-db /work/bench-data/corpus-100k.db

For each worker count: ``xxgk serve --db … --workers N --no-demo`` (the first start migrates the
database and creates the administrator), a researcher account and an API token made with
``xxgk users`` (the token reaches locust through the environment), then
``locust -f bench/locustfile.py --headless`` with ``users × rate-per-user`` = ``--rate`` requests a
second (``constant_throughput``: a fixed arrival rate while responses take less than
1 / rate-per-user), each request one of the endpoints below with parameters drawn from the
database (years, pages, agencies, regions, measures). Three warm-up requests per endpoint first: an
error there stops the run. Prints p50/p95/p99 and failures per endpoint, the server's CPU per
request and the machine; writes locust's CSVs and ``results.json`` to ``--out``.

Exits non-zero with one line if the server does not start, an endpoint answers an error, or more
than 1 % of an endpoint's requests fail.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import psutil

ROOT = Path(__file__).resolve().parents[1]
XXGK = [sys.executable, "-m", "xxgk.cli"]
LOCUST = str(Path(sys.executable).parent / "locust")
DEFAULT_DB = Path("/work/bench-data/corpus-100k.db")
USER = "loadtest"
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
MAX_FAILURE_RATIO = 0.01


class Failed(SystemExit):
    def __init__(self, message: str) -> None:
        super().__init__(f"bench_web: {message}")


def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(psutil.virtual_memory().total / 2**30),
            "python": platform.python_version(), "sqlite": sqlite3.sqlite_version,
            "system": f"{platform.system()} {platform.release()}", "load_before": round(os.getloadavg()[0], 2)}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*XXGK, *args], input=stdin, capture_output=True, text=True, cwd=ROOT, env=ENV)


def last_line(text: str) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return lines[-1][:300] if lines else "(no output)"


def get(url: str, token: str | None = None, accept: str = "application/json") -> tuple[int, bytes]:
    req = urllib.request.Request(url, headers={"Accept": accept,
                                               **({"Authorization": f"Bearer {token}"} if token else {})})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


class Server:
    """``xxgk serve`` in its own process group, its output in a log file."""

    def __init__(self, db_url: str, workers: int, log: Path, start_timeout: float) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.logf = log.open("w")
        self.proc = subprocess.Popen([*XXGK, "serve", "--db", db_url, "--host", "127.0.0.1", "--port", str(self.port),
                                      "--workers", str(workers), "--no-demo"], stdout=self.logf,
                                     stderr=subprocess.STDOUT, cwd=ROOT, env=ENV, start_new_session=True)
        try:
            self._wait(workers, start_timeout)
        except BaseException:
            self.stop()
            raise

    def _wait(self, workers: int, start_timeout: float) -> None:
        log = self.log
        t0 = time.monotonic()
        while True:
            if self.proc.poll() is not None:
                self.logf.flush()
                raise Failed(f"xxgk serve exited ({self.proc.returncode}) before answering: "
                             f"{last_line(log.read_text(errors='replace'))}")
            try:
                status, _ = get(f"{self.base}/api/v1/me")
                if status == 401:  # up, and refusing the anonymous
                    break
                raise Failed(f"xxgk serve answered {status} to an anonymous /api/v1/me (expected 401)")
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            if time.monotonic() - t0 > start_timeout:
                raise Failed(f"xxgk serve did not answer within {start_timeout:.0f} s "
                             f"(log {log}: {last_line(log.read_text(errors='replace'))})")
            time.sleep(0.5)
        self.started_in = time.monotonic() - t0
        # with several workers, wait until every worker process is up (uvicorn spawns them)
        while workers > 1 and len(self.tree()) < workers + 1 and time.monotonic() - t0 < start_timeout:
            time.sleep(0.5)

    def tree(self) -> list[psutil.Process]:
        try:
            root = psutil.Process(self.proc.pid)
            return [root, *root.children(recursive=True)]
        except psutil.Error:
            return []

    def cpu_seconds(self) -> float:
        total = 0.0
        for p in self.tree():
            try:
                t = p.cpu_times()
                total += t.user + t.system
            except psutil.Error:
                pass
        return total

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)  # the group we started: uvicorn and its workers
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.logf.close()


def account(db_url: str) -> str:
    """A researcher account (made once) and a new API token for it."""
    made = cli("users", "add", USER, "--role", "researcher", "--name", "负载测试", "--password-stdin", "--db", db_url,
               stdin=f"{random.SystemRandom().getrandbits(128):032x}Aa1!\n")
    if made.returncode != 0:
        listed = cli("users", "list", "--db", db_url)
        if USER not in listed.stdout:
            raise Failed(f"xxgk users add failed: {last_line(made.stderr or made.stdout)}")
    tok = cli("users", "token", USER, "--name", "bench_web", "--db", db_url)
    token = next((w for w in tok.stdout.split() if w.startswith("xxgk_")), None)
    if tok.returncode != 0 or token is None:
        raise Failed(f"xxgk users token failed: {last_line(tok.stderr or tok.stdout)}")
    return token


def sample(db: Path, n: int, seed: int) -> dict[str, Any]:
    """Parameters drawn from the corpus: its years, agencies that have reports, regions, and how
    many current reports each year has (nationally and per province: the list's last page)."""
    rng = random.Random(seed)
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        years = [r[0] for r in con.execute("SELECT DISTINCT year FROM corpus_report WHERE year > 0 ORDER BY year")]
        ids = [r[0] for r in con.execute("SELECT DISTINCT agency_id FROM corpus_report WHERE agency_id IS NOT NULL")]
        ids = rng.sample(ids, min(n, len(ids)))
        marks = ",".join("?" * len(ids))
        codes = dict(con.execute(f"SELECT id, code FROM agency WHERE id IN ({marks})", ids)) if ids else {}
        provinces = [r[0] for r in con.execute("SELECT code FROM region WHERE level = 'province'")]
        counties = [r[0] for r in con.execute("SELECT code FROM region WHERE level = 'county'")]
        count: dict[str, int] = {}
        for region, year, k in con.execute("SELECT region_code, year, sum(reports) FROM corpus_tally "
                                           "WHERE year > 0 GROUP BY region_code, year"):
            count[f"{region}|{year}"] = int(k)
        reports = con.execute("SELECT count(*) FROM corpus_report").fetchone()[0]
    finally:
        con.close()
    return {"years": years, "agency_ids": ids, "agency_codes": [codes[i] for i in ids if i in codes],
            "provinces": provinces, "counties": rng.sample(counties, min(n, len(counties))), "count": count,
            "reports": reports}


LIST = re.compile(r"^/api/v1/reports/?$")
AGENCY = re.compile(r"^/api/v1/agencies/\{([^}/]+)\}/?$")
CHART = re.compile(r"^/api/v1/charts/\{([^}/]+)\}/?$")


def _params(openapi: dict[str, Any], path: str) -> dict[str, dict[str, Any]]:
    """The GET operation's parameters by name, each schema with its enum resolved ($ref, anyOf)."""
    def resolve(schema: dict[str, Any]) -> dict[str, Any]:
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            return resolve(openapi.get("components", {}).get("schemas", {}).get(name, {}))
        for alt in schema.get("anyOf", []):
            r = resolve(alt)
            if r.get("type") != "null":
                return {**schema, **r}
        return schema
    op = openapi["paths"][path].get("get", {})
    return {p["name"]: {**resolve(p.get("schema", {})), "in": p.get("in"), "required": p.get("required", False)}
            for p in op.get("parameters", [])}


def _measures(schema: dict[str, Any]) -> list[str]:
    if schema.get("enum"):
        return list(schema["enum"])
    try:  # the declaration the chart endpoint reads (xxgk/templates/measures.toml)
        sys.path.insert(0, str(ROOT))
        from xxgk.corpus.explore_charts import measures

        return list(measures())
    except ImportError as e:
        raise Failed(f"no measure list: the chart route declares no enum and {e}") from None


def plan(kind: str, s: dict[str, Any], openapi: dict[str, Any], n: int, seed: int,
         pages: bool = False) -> list[dict[str, Any]]:
    """The endpoints and n concrete URLs for each, found in the server's OpenAPI (the explorer's
    routes, xxgk/web/routes_explorer.py): the report list with a random year, page and (half the
    time) province; an agency by id (or code); a chart of a random measure, everywhere, in a
    province or in a county, all years or one. With ``pages``, also the HTML pages of the list and
    of an agency (``/reports``, ``/agencies/{id}``: not in the OpenAPI) with the same parameters."""
    rng = random.Random(seed)
    if kind == "me":
        return [{"name": "GET /api/v1/me", "weight": 1, "urls": ["/api/v1/me"]}]
    gets = [p for p, ops in openapi.get("paths", {}).items() if "get" in ops]
    found = {name: next((p for p in gets if rx.match(p)), None) for name, rx in
             (("list", LIST), ("agency", AGENCY), ("chart", CHART))}
    if None in found.values():
        missing = [LIST.pattern, AGENCY.pattern, CHART.pattern][list(found.values()).index(None)]
        api = sorted(p for p in gets if p.startswith("/api/v1/"))
        raise Failed(f"the server has no GET {missing} (explorer routes not merged?); its API: {', '.join(api)}; "
                     f"--endpoints me tests the harness alone")
    years = s["years"]

    # the report list
    lp = _params(openapi, found["list"])
    per_page = int(lp.get("per_page", {}).get("default", 50))
    list_urls = []
    for _ in range(n):
        y = rng.choice(years)
        q: dict[str, Any] = {"year": y}
        region = rng.choice(s["provinces"]) if "region" in lp and rng.random() < 0.5 else None
        if region:
            q["region"] = region
        total = s["count"].get(f"{region or ''}|{y}", 0)
        q["page"] = rng.randint(1, max(1, -(-total // per_page)))
        list_urls.append(f"{found['list']}?{urlencode({k: v for k, v in q.items() if k in lp})}")

    # an agency
    ap = AGENCY.match(found["agency"])
    assert ap is not None
    by_code = "code" in ap.group(1) or _params(openapi, found["agency"]).get(ap.group(1), {}).get("type") == "string"
    ids = s["agency_codes"] if by_code else s["agency_ids"]
    agency_urls = [found["agency"].replace("{" + ap.group(1) + "}", quote(str(a), safe="")) for a in ids[:n]]

    # a chart
    cm = CHART.match(found["chart"])
    assert cm is not None
    cp = _params(openapi, found["chart"])
    keys = _measures(cp.get(cm.group(1), {}))
    chart_urls = []
    for _ in range(n):
        q = {}
        where = rng.random()
        if "region" in cp and where < 2 / 3:
            q["region"] = rng.choice(s["provinces"] if where < 1 / 3 else s["counties"])
        year_key = "years" if "years" in cp else "year"
        if year_key in cp and rng.random() < 0.5:
            q[year_key] = rng.choice(years)
        path = found["chart"].replace("{" + cm.group(1) + "}", quote(rng.choice(keys), safe=""))
        chart_urls.append(f"{path}?{urlencode(q)}" if q else path)
    out = [{"name": f"report list: GET {found['list']}", "weight": 1, "urls": list_urls},
           {"name": f"agency: GET {found['agency']}", "weight": 1, "urls": agency_urls},
           {"name": f"chart: GET {found['chart']}", "weight": 1, "urls": chart_urls}]
    if pages:
        out += [{"name": "report list page: GET /reports", "weight": 1, "accept": "text/html",
                 "urls": [u.replace(found["list"], "/reports", 1) for u in list_urls]},
                {"name": "agency page: GET /agencies/{id}", "weight": 1, "accept": "text/html",
                 "urls": [f"/agencies/{a}" for a in s["agency_ids"][:n]]}]
    return out


def warm(base: str, token: str, endpoints: list[dict[str, Any]]) -> None:
    """Three requests per endpoint before the run (not counted): each must answer 200."""
    for e in endpoints:
        for url in e["urls"][:3]:
            status, body = get(base + url, token, e.get("accept", "application/json"))
            if status != 200:
                raise Failed(f"{url} answered {status}: {body[:200].decode('utf-8', 'replace')}")


def run_locust(base: str, token: str, plan_file: Path, users: int, rate: float, run_time: str,
               prefix: Path, log: Path) -> None:
    cmd = [LOCUST, "-f", str(ROOT / "bench" / "locustfile.py"), "--headless", "--host", base, "-u", str(users),
           "-r", str(users), "--run-time", run_time, "--stop-timeout", "10", "--csv", str(prefix),
           "--plan", str(plan_file), "--rate-per-user", f"{rate / users:g}", "--only-summary",
           "--loglevel", "WARNING", "--exit-code-on-error", "0"]
    with log.open("w") as f:
        p = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, cwd=ROOT, env={**ENV, "XXGK_BENCH_TOKEN": token})
    if p.returncode != 0:
        raise Failed(f"locust exited {p.returncode}: {last_line(log.read_text(errors='replace'))}")


def read_stats(prefix: Path) -> list[dict[str, Any]]:
    rows = []
    with open(f"{prefix}_stats.csv", newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            def ms(key: str, r: dict[str, str] = r) -> float | None:
                v = r.get(key, "N/A")
                return None if v in ("N/A", "") else float(v)
            rows.append({"name": r["Name"], "requests": int(r["Request Count"]), "failures": int(r["Failure Count"]),
                         "rps": float(r["Requests/s"]), "p50": ms("50%"), "p95": ms("95%"), "p99": ms("99%"),
                         "max": ms("Max Response Time"), "mean": ms("Average Response Time")})
    return rows


def one_run(args: argparse.Namespace, workers: int, token: str | None, endpoints_of: Any,
            out: Path) -> tuple[str, dict[str, Any]]:
    db_url = f"sqlite:///{args.db}"
    server = Server(db_url, workers, out / f"serve-w{workers}.log", args.start_timeout)
    try:
        token = token or account(db_url)
        _, raw = get(f"{server.base}/api/openapi.json")
        endpoints = endpoints_of(json.loads(raw or b"{}"))
        plan_file = out / "plan.json"
        plan_file.write_text(json.dumps({"endpoints": endpoints}, ensure_ascii=False, indent=1), "utf-8")
        warm(server.base, token, endpoints)
        cpu0, t0 = server.cpu_seconds(), time.monotonic()
        run_locust(server.base, token, plan_file, args.users, args.rate, args.run_time, out / f"w{workers}",
                   out / f"locust-w{workers}.log")
        cpu, wall = server.cpu_seconds() - cpu0, time.monotonic() - t0
        load = os.getloadavg()[0]  # the machine's 1-minute load over the run (locust and others included)
    finally:
        server.stop()
    rows = read_stats(out / f"w{workers}")
    total = next((r for r in rows if r["name"] == "Aggregated"), None)
    result = {"workers": workers, "started_in_s": round(server.started_in, 1), "rows": rows,
              "server_cpu_s": round(cpu, 1), "wall_s": round(wall, 1),
              "load_after": round(load, 2),
              "cpu_ms_per_request": round(1000 * cpu / total["requests"], 1) if total and total["requests"] else None}
    return token, result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", type=Path, default=DEFAULT_DB, help="the corpus's SQLite file (bench_corpus.py --keep-db)")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="xxgk serve --workers, one run each")
    ap.add_argument("--rate", type=float, default=20.0, help="requests a second, all users together")
    ap.add_argument("--users", type=int, default=20, help="locust users (each at rate / users requests a second)")
    ap.add_argument("--run-time", default="60s", help="locust --run-time of each run")
    ap.add_argument("--endpoints", choices=("explorer", "me"), default="explorer",
                    help="explorer: report list, agency, chart; me: /api/v1/me only (the harness alone)")
    ap.add_argument("--pages", action="store_true",
                    help="also the HTML pages /reports and /agencies/{id} (the same total rate over five endpoints)")
    ap.add_argument("--urls", type=int, default=2000, help="concrete URLs drawn per endpoint")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--start-timeout", type=float, default=900, help="seconds for the first start (migration)")
    ap.add_argument("--out", type=Path, help="folder for locust's CSVs, the logs and results.json")
    args = ap.parse_args()
    if args.endpoints == "explorer" and not args.db.exists():
        raise Failed(f"no database at {args.db}: build it with bench/bench_corpus.py --keep-db {args.db}")
    args.db = args.db.resolve()
    out = args.out or Path(tempfile.mkdtemp(prefix="xxgk-bench-web-"))
    out.mkdir(parents=True, exist_ok=True)
    m = machine()
    s = sample(args.db, args.urls, args.seed) if args.endpoints == "explorer" else {"reports": None}
    token = None
    results = []
    for w in args.workers:
        token, r = one_run(args, w, token, lambda api: plan(args.endpoints, s, api, args.urls, args.seed, args.pages), out)
        results.append(r)
    (out / "results.json").write_text(json.dumps({"machine": m, "reports": s["reports"], "rate": args.rate,
                                                   "users": args.users, "run_time": args.run_time,
                                                   "runs": results}, ensure_ascii=False, indent=1), "utf-8")
    print(f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, Python {m['python']}, SQLite "
          f"{m['sqlite']}, {m['system']}, load average {m['load_before']} before the runs\n")
    reports = f"{s['reports']:,} stored reports, " if s["reports"] else ""
    print(f"{reports}{args.rate:g} requests/s ({args.users} locust users at {args.rate / args.users:g}/s each, "
          f"constant_throughput) for {args.run_time}, loopback:\n")
    print("| workers | endpoint | requests | failures | req/s | p50 ms | p95 ms | p99 ms | max ms |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in results:
        for row in r["rows"]:
            print(f"| {r['workers']} | {row['name']} | {row['requests']} | {row['failures']} | {row['rps']:.1f} | "
                  f"{row['p50']:.0f} | {row['p95']:.0f} | {row['p99']:.0f} | {row['max']:.0f} |")
    print("\n| workers | server CPU ms per request | load average at the end | first answer after start (s) |")
    print("|---|---|---|---|")
    for r in results:
        print(f"| {r['workers']} | {r['cpu_ms_per_request']} | {r['load_after']} | {r['started_in_s']} |")
    print(f"\nCSVs, logs and results.json: {out}")
    bad = [(r["workers"], row) for r in results for row in r["rows"]
           if row["name"] != "Aggregated" and (row["requests"] == 0 or row["failures"] > MAX_FAILURE_RATIO *
                                               row["requests"])]
    if bad:
        w, row = bad[0]
        raise Failed(f"{row['name']} with {w} worker(s): {row['failures']} of {row['requests']} requests failed "
                     f"(> {MAX_FAILURE_RATIO:.0%}); see {out}/w{w}_failures.csv")
    slow = [(r["workers"], row) for r in results for row in r["rows"] if row["rps"] < 0.9 * args.rate
            and row["name"] == "Aggregated"]
    for w, row in slow:
        print(f"warning: {w} worker(s) reached {row['rps']:.1f} req/s of {args.rate:g} (responses slower than "
              f"the pacing)", file=sys.stderr)


if __name__ == "__main__":
    main()
