"""Locust: the web application's read paths at a fixed arrival rate (run by bench/bench_web.py).

Each simulated user sends one request every ``1 / --rate-per-user`` seconds whatever the response
time (``constant_throughput``), its first one at a random phase, so ``users × rate`` requests a
second arrive evenly spread instead of in bursts. What to ask comes from ``--plan`` (JSON written
by bench_web.py: for each endpoint a name, a weight and concrete URLs sampled from the database);
without a plan, ``/api/v1/me`` only. The API token comes from $XXGK_BENCH_TOKEN (never the command
line). By hand::

    XXGK_BENCH_TOKEN=xxgk_… locust -f bench/locustfile.py --headless --host http://127.0.0.1:8000 \\
        -u 20 -r 20 --run-time 60s --rate-per-user 1 --plan plan.json --csv out/load
"""

from __future__ import annotations

import json
import os
import random
from typing import Any

import gevent
from locust import FastHttpUser, constant_throughput, events, task


@events.init_command_line_parser.add_listener
def _options(parser: Any) -> None:
    parser.add_argument("--plan", default="", help="JSON of endpoints and URLs (bench/bench_web.py)")
    parser.add_argument("--rate-per-user", type=float, default=1.0, help="requests a second per user")


_PLAN: list[dict[str, Any]] = []


@events.init.add_listener
def _load(environment: Any, **_: Any) -> None:
    path = getattr(environment.parsed_options, "plan", "") if environment.parsed_options else ""
    if path:
        _PLAN[:] = [e for e in json.loads(open(path, encoding="utf-8").read())["endpoints"] if e["urls"]]
    else:
        _PLAN[:] = [{"name": "/api/v1/me", "weight": 1, "urls": ["/api/v1/me"]}]
    rate = environment.parsed_options.rate_per_user if environment.parsed_options else 1.0
    Reader.wait_time = constant_throughput(rate)
    Reader.rate = rate


class Reader(FastHttpUser):
    """A researcher's script reading the corpus with an API token."""

    wait_time = constant_throughput(1.0)
    rate = 1.0

    def on_start(self) -> None:
        token = os.environ.get("XXGK_BENCH_TOKEN", "")
        self.auth = {"Authorization": f"Bearer {token}"} if token else {}
        gevent.sleep(random.uniform(0, 1 / self.rate))  # spread the users' phases over one interval

    @task
    def read(self) -> None:
        e = random.choices(_PLAN, weights=[p["weight"] for p in _PLAN])[0]
        url = random.choice(e["urls"])
        accept = e.get("accept", "application/json")  # a page: text/html
        with self.client.get(url, name=e["name"], headers={"Accept": accept, **self.auth}, catch_response=True) as r:
            if r.status_code != 200:
                r.failure(f"HTTP {r.status_code}: {r.text[:120]}")
