"""The numbers an agency of a synthetic country reports, year after year.

Drawn for the agency's kind, level and field: a township gets a request or two a year, a
province's natural-resources department hundreds; a market-supervision bureau decides thousands of
licences, a police bureau thousands of penalties. Each agency has its own size (a log-normal
factor drawn once) and each year its own swing. What runs from one year to the next is kept in
:class:`State`: this year's 上年结转 is last year's 结转下年度继续办理 (per applicant column), and
现行有效件数 of 规章 and 规范性文件 continues (last year's + 本年制发 − 本年废止). Every 勾稽关系 of
the 2021 template holds (checked by ``xxgk.synth.check_cells`` in the tests).

Two defects are injected here, on the numbers as printed: a total printed wrong
(:func:`wrong_total`) and a break in continuity (:func:`break_continuity`). Pure functions of
their arguments and the ``rng`` passed in.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from dataclasses import dataclass, field

from xxgk.template import load_template

Number = int | float
Cells = dict[str, Number | None]

APPLICANTS = ("natural", "commercial", "research", "social", "legal", "other_org")
_APPLICANT_WEIGHTS = (0.80, 0.10, 0.004, 0.006, 0.03, 0.06)
RESULTS: dict[str, float] = {
    "granted": 0.38, "partial": 0.08,
    "denied.state_secret": 0.002, "denied.law_prohibited": 0.005, "denied.security_stability": 0.002,
    "denied.third_party": 0.01, "denied.internal_affairs": 0.015, "denied.process_info": 0.02,
    "denied.enforcement_file": 0.01, "denied.admin_query": 0.01,
    "unable.not_held": 0.25, "unable.need_creation": 0.02, "unable.unclear": 0.04,
    "not_processed.petition": 0.05, "not_processed.duplicate": 0.03, "not_processed.publication": 0.01,
    "not_processed.excessive": 0.005, "not_processed.confirm": 0.01,
    "other.overdue_correction": 0.02, "other.overdue_fee": 0.001, "other.other": 0.03,
}
_RESULT_KEYS = tuple(RESULTS)
_RESULT_WEIGHTS = tuple(RESULTS.values())

# Requests a year (the mean) by level and kind; departments scaled by their field.
_REQUESTS = {
    "province": {"government": 400, "office": 40, "department": 60, "other": 8},
    "city": {"government": 120, "office": 12, "department": 15, "other": 3},
    "county": {"government": 30, "office": 3, "department": 4, "other": 1},
    "township": {"township": 1.2},
}
_FIELD_REQUESTS = {
    "land": 3.0, "housing": 2.5, "police": 2.0, "labour": 1.5, "market": 1.5, "ecology": 1.2,
    "transport": 1.2, "agriculture": 1.0, "education": 1.0, "health": 1.0, "urban": 1.2, "approval": 1.0,
    "development": 0.8, "finance": 0.8, "civil": 0.7, "water": 0.6, "emergency": 0.5, "medical": 0.5,
    "statistics": 0.3, "audit": 0.3, "petition": 0.4, "justice": 0.5, "veterans": 0.4, "culture": 0.4,
}
_LEVEL = {"province": 5.0, "city": 2.5, "county": 1.0, "township": 0.3}
# (licensing, penalty, coercion) decisions a year at county level, by field
_ENFORCEMENT = {
    "market": (2500, 120, 15), "approval": (4000, 0, 0), "police": (600, 1500, 40),
    "housing": (300, 20, 1), "transport": (500, 200, 5), "land": (150, 30, 2), "ecology": (80, 40, 5),
    "health": (400, 60, 2), "education": (60, 2, 0), "agriculture": (200, 30, 2), "water": (60, 10, 1),
    "commerce": (40, 5, 0), "culture": (80, 20, 1), "urban": (200, 400, 20), "emergency": (30, 40, 2),
    "civil": (20, 0, 0), "labour": (30, 10, 0), "forestry": (60, 20, 1), "medical": (10, 15, 0),
    "drugs": (200, 40, 2), "township": (40, 8, 0),
}
_FEES = {"land": 300.0, "police": 120.0, "housing": 60.0, "transport": 40.0, "market": 15.0}
_APPEALS = (("reconsideration", 0.04), ("litigation_direct", 0.012), ("litigation_after", 0.006))


@dataclass(frozen=True)
class Profile:
    """An agency's expected numbers a year (its own size already applied)."""

    requests: float
    rules: float  # 规章 issued a year (province and city governments only)
    normative: float  # 规范性文件 issued a year
    licensing: float
    penalty: float
    coercion: float
    fees: float  # 万元 a year (0: the agency collects none)
    items: float  # items published proactively a year (the prose states it)


@dataclass
class State:
    """What continues from one year to the next."""

    carried_out: dict[str, int] = field(default_factory=lambda: dict.fromkeys(APPLICANTS, 0))
    rules_in_force: int = 0
    normative_in_force: int = 0


def poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def binomial(rng: random.Random, n: int, p: float) -> int:
    if n <= 60:
        return sum(1 for _ in range(n) if rng.random() < p)
    return min(n, max(0, round(rng.gauss(n * p, math.sqrt(n * p * (1 - p))))))


def profile(kind: str, level: str, fld: str, rng: random.Random) -> Profile:
    """The expected numbers of an agency of ``kind`` at ``level`` in ``fld``, with its own size."""
    size = rng.lognormvariate(0, 0.7)
    group = "other" if kind == "other" else kind
    req = _REQUESTS[level].get(group, 1.0) * size
    if kind == "department":
        req *= _FIELD_REQUESTS.get(fld, 0.5)
    lev = _LEVEL[level]
    rules = {"province": 4.0, "city": 1.5}.get(level, 0.0) if kind == "government" else 0.0
    normative = {"government": 8.0, "office": 4.0, "department": 1.5, "township": 0.15, "other": 0.1}[kind]
    normative *= {"province": 2.0, "city": 1.3, "county": 1.0, "township": 1.0}[level] * size
    lic, pen, coe = _ENFORCEMENT.get(fld, (0, 0, 0)) if kind in ("department", "township") else (0, 0, 0)
    scale = lev * size if kind == "department" else size
    fees = _FEES.get(fld, 0.0) * lev * size if kind == "department" else 0.0
    items = {"government": 1500, "office": 600, "department": 250, "township": 120, "other": 60}[kind]
    items *= {"province": 3.0, "city": 2.0, "county": 1.0, "township": 1.0}[level] * size
    return Profile(req, rules, normative, lic * scale, pen * scale, coe * scale, fees, items)


def first_state(p: Profile, rng: random.Random) -> State:
    """The agency's state before the first year written: some requests pending, documents in force."""
    s = State()
    for a, w in zip(APPLICANTS, _APPLICANT_WEIGHTS, strict=True):
        s.carried_out[a] = poisson(rng, p.requests * w * 0.05)
    s.rules_in_force = poisson(rng, p.rules * 25) if p.rules else 0
    s.normative_in_force = poisson(rng, p.normative * 6)
    return s


def _money(rng: random.Random, mean: float) -> Number:
    """An amount in 万元 with up to 4 decimal places (an int when it has none)."""
    if mean <= 0 or rng.random() < 0.4:
        return 0
    v = round(rng.lognormvariate(math.log(mean), 1.0), rng.choice([0, 2, 2, 4, 4]))
    return int(v) if float(v).is_integer() else v


def year_cells(p: Profile, state: State, rng: random.Random) -> tuple[Cells, State, dict[str, int]]:
    """One year's cells (every template cell, as numbers), the state after it, and the figures the
    prose states that are not cells (items published, interpretations, trainings)."""
    swing = rng.lognormvariate(0, 0.25)
    cells: Cells = {}
    nxt = State()
    # --- table 二
    for row, lam, in_force in (("rules", p.rules, state.rules_in_force),
                               ("normative", p.normative, state.normative_in_force)):
        issued = poisson(rng, lam * swing)
        repealed = min(in_force + issued, poisson(rng, lam * 0.4))
        now = in_force + issued - repealed
        cells[f"proactive.{row}.issued"] = issued
        cells[f"proactive.{row}.repealed"] = repealed
        cells[f"proactive.{row}.in_force"] = now
        setattr(nxt, f"{row}_in_force", now)
    cells["proactive.licensing.decisions"] = poisson(rng, p.licensing * swing)
    cells["proactive.penalty.decisions"] = poisson(rng, p.penalty * swing)
    cells["proactive.coercion.decisions"] = poisson(rng, p.coercion * swing)
    cells["proactive.fees.amount"] = _money(rng, p.fees * swing)
    # --- table 三: new requests by applicant; some carried out; the rest handled
    n_new = poisson(rng, p.requests * swing)
    new = Counter(rng.choices(APPLICANTS, _APPLICANT_WEIGHTS, k=n_new))
    rows: dict[str, dict[str, int]] = {r: dict.fromkeys(APPLICANTS, 0) for r in _RESULT_KEYS}
    table: dict[str, dict[str, int]] = {"new": {}, "carried_in": {}, "total": {}, "carried_out": {}}
    for a in APPLICANTS:
        cin = state.carried_out[a]
        cout = binomial(rng, new[a], 0.05)
        handled = new[a] + cin - cout
        for r, k in Counter(rng.choices(_RESULT_KEYS, _RESULT_WEIGHTS, k=handled)).items():
            rows[r][a] = k
        table["new"][a], table["carried_in"][a] = new[a], cin
        table["total"][a], table["carried_out"][a] = handled, cout
        nxt.carried_out[a] = cout
    for r in ("new", "carried_in"):
        _row(cells, r, table[r])
    for r in _RESULT_KEYS:
        _row(cells, r, rows[r])
    for r in ("total", "carried_out"):
        _row(cells, r, table[r])
    # --- table 四
    for row, share in _APPEALS:
        n = poisson(rng, p.requests * swing * share)
        parts = Counter(rng.choices(("upheld", "corrected", "other", "pending"), (0.6, 0.08, 0.17, 0.15), k=n))
        for c in ("upheld", "corrected", "other", "pending"):
            cells[f"appeals.{row}.{c}"] = parts[c]
        cells[f"appeals.{row}.total"] = n
    t = load_template("2021")
    facts = {
        "items": max(5, poisson(rng, p.items * swing)),
        "interpretations": poisson(rng, 2 + p.normative * 2),
        "trainings": 1 + poisson(rng, 1.5),
        "hotline": poisson(rng, p.requests * 30),
    }
    return {cid: cells[cid] for cid in t.cell_ids}, nxt, facts


def _row(cells: Cells, row: str, vals: dict[str, int]) -> None:
    for a in APPLICANTS:
        cells[f"requests.{row}.{a}"] = vals[a]
    cells[f"requests.{row}.total"] = sum(vals.values())


def blank_zeros(cells: Cells) -> Cells:
    """The cells as a report printing zeros as empty cells prints them (None)."""
    return {cid: (None if v == 0 else v) for cid, v in cells.items()}


# ----------------------------------------------------------------------------- defects


def wrong_total(cells: Cells, rng: random.Random) -> dict[str, object]:
    """Print one total wrong (a small amount off, never negative), in place; what was changed.

    The totals of table 三 (the 总计 row and each result row's 总计 column, not the carried rows,
    whose continuity is checked on its own) and of table 四."""
    choices = sorted(cid for cid in cells
                     if (cid.startswith("requests.total.") or (cid.startswith(("requests.", "appeals."))
                         and cid.endswith(".total")))
                     and not cid.startswith(("requests.carried_in.", "requests.carried_out.")))
    live = [c for c in choices if cells[c]]
    cid = rng.choice(live or choices)
    v = cells[cid] or 0
    delta = rng.choice([-3, -2, -1, 1, 1, 2, 5, 10])
    if v + delta < 0:
        delta = abs(delta)
    cells[cid] = v + delta
    return {"cell": cid, "printed": v + delta, "correct": v}


def break_continuity(cells: Cells, rng: random.Random) -> dict[str, object]:
    """Break continuity with the previous year, in place, keeping this report's own arithmetic:
    上年结转 of one applicant changed (and 本年新收 with it), or 现行有效件数 of 规范性文件 changed."""
    cols = [a for a in APPLICANTS if (cells[f"requests.new.{a}"] or 0) > 0]
    if cols and rng.random() < 0.6:
        a = rng.choice(cols)
        new = cells[f"requests.new.{a}"] or 0
        delta = rng.choice([d for d in (1, 2, 3, 5) if d <= new] or [1])
        cin = cells[f"requests.carried_in.{a}"] or 0
        if cin >= delta and rng.random() < 0.4:
            delta = -delta  # fewer carried in than were carried out: more new
        cells[f"requests.carried_in.{a}"] = cin + delta
        cells["requests.carried_in.total"] = (cells["requests.carried_in.total"] or 0) + delta
        cells[f"requests.new.{a}"] = new - delta
        cells["requests.new.total"] = (cells["requests.new.total"] or 0) - delta
        return {"cells": [f"requests.carried_in.{a}"], "delta": delta}
    delta = rng.choice([1, 2, 3, 5, 8, 12])
    cid = "proactive.normative.in_force"
    cells[cid] = (cells[cid] or 0) + delta
    return {"cells": [cid], "delta": delta}
