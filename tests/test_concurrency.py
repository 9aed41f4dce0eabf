"""Clerks at once (issue 10, item 2): four real processes registering requests in one agency at the same
moment, on SQLite and PostgreSQL, must all succeed, with distinct numbers and one unforked history;
and a long ledger import must not lock the other clerks out."""

from __future__ import annotations

import csv
import datetime as dt
import multiprocessing as mp
import time
from pathlib import Path
from typing import Any

from xxgk.office.service import Office

WRITERS = 4
EACH = 12
TODAY = dt.date(2025, 6, 30)
CTX = mp.get_context("fork")  # the parent holds no open connection when it forks


def _clerk(url: str, who: int, start: Any, results: Any, decide: bool) -> None:
    """One clerk: register EACH requests (a transaction each), deciding every other one."""
    taken, errors = [], []
    o = Office.open(url, actor=f"经办人{who}", create=False)
    try:
        start.wait(timeout=60)
        for i in range(EACH):
            try:
                v = o.add_request("fgw", {"applicant": {"kind": "自然人", "name": f"申请人{who}-{i}"},
                                          "channel": "online", "received_on": "2024-10-08",
                                          "description": f"第{who}号经办人的第{i}件"}, today=TODAY)
                taken.append(v.tracking_no)
                if decide and i % 2:
                    o.decide("fgw", v.tracking_no, dt.date(2024, 10, 10), "granted", today=TODAY)
            except Exception as e:  # noqa: BLE001 - every failure is counted and shown, none may happen
                errors.append(f"{type(e).__name__}: {str(e).splitlines()[0]}")
    finally:
        o.close()
        results.put((who, taken, errors))


def _run(procs: list[Any], results: Any) -> list[tuple[int, list[str], list[str]]]:
    for p in procs:
        p.start()
    out = [results.get(timeout=180) for _ in procs]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    return out


def test_four_clerks_register_at_once(office_url: str):
    o = Office.open(office_url)
    o.add_agency("fgw", "某市发展和改革委员会")
    o.close()
    start, results = CTX.Barrier(WRITERS), CTX.Queue()
    procs = [CTX.Process(target=_clerk, args=(office_url, w, start, results, True)) for w in range(WRITERS)]
    t0 = time.perf_counter()
    out = _run(procs, results)
    elapsed = time.perf_counter() - t0
    errors = [e for _, _, errs in out for e in errs]
    numbers = [n for _, taken, _ in out for n in taken]
    assert errors == [], errors
    assert sorted(numbers) == [f"2024-{i:04d}" for i in range(1, WRITERS * EACH + 1)]  # none lost, none twice
    o = Office.open(office_url, create=False)
    try:
        assert len(o.requests("fgw")) == WRITERS * EACH
        assert len([v for v in o.requests("fgw") if v.outcome == "granted"]) == WRITERS * (EACH // 2)
        v = o.verify()
        assert v.ok, v.problems  # one chain, no fork, every request as its events say
        assert o.tally("fgw", 2024).cells["requests.new.total"] == WRITERS * EACH
    finally:
        o.close()
    assert elapsed < 120


def test_a_long_import_does_not_lock_the_others_out(tmp_path: Path):
    """SQLite: a ledger import writes in short transactions; clerks registering meanwhile wait
    milliseconds, never fail with "database is locked"."""
    url = f"sqlite:///{tmp_path / 'office.db'}"
    o = Office.open(url)
    o.add_agency("fgw", "某市发展和改革委员会")
    o.close()
    ledger = tmp_path / "ledger.csv"
    with ledger.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["申请人", "申请人类型", "申请方式", "收到日期", "申请内容"])
        for i in range(600):
            w.writerow([f"导入{i}", "自然人", "网上申请", f"2024-{1 + i % 12:02d}-{10 + i % 15:02d}", f"台账第{i}行"])
    start, results = CTX.Barrier(WRITERS), CTX.Queue()

    def importer() -> None:
        from xxgk.office.ledger import import_ledger

        o = Office.open(url, create=False)
        try:
            start.wait(timeout=60)
            r = import_ledger(o, "fgw", ledger, today=TODAY)
            results.put((-1, r.taken, [x[1] for x in r.rejected]))
        finally:
            o.close()

    procs = [CTX.Process(target=importer)]
    procs += [CTX.Process(target=_clerk, args=(url, w, start, results, False)) for w in range(WRITERS - 1)]
    out = _run(procs, results)
    errors = [e for _, _, errs in out for e in errs]
    assert errors == [], errors
    taken = [n for _, t, _ in out for n in t]
    assert len(taken) == len(set(taken)) == 600 + (WRITERS - 1) * EACH
    o = Office.open(url, create=False)
    try:
        assert o.verify().ok
    finally:
        o.close()
