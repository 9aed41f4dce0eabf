"""The corpus explorer's queries (xxgk.corpus.explore, explore_charts) on a small synthetic country,
ingested for real, plus a few reports on the 2019 template: every number checked against a
computation of its own from the stored cells, findings and the country's truth; filters, scope,
pagination, the minimum sample, the downloads read back; and the same answers on PostgreSQL."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import math
import random
import uuid
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from xxgk.checks.rules import arithmetic_rules
from xxgk.corpus.checks import deadline
from xxgk.corpus.country import Rates, make_country
from xxgk.corpus.digest import Digest
from xxgk.corpus.explore import ReportQuery, agency_years, list_reports
from xxgk.corpus.explore_charts import (
    Measure,
    chart,
    chart_bytes,
    chart_table,
    measure,
    measures,
    region_tree,
)
from xxgk.corpus.ingest import ingest
from xxgk.corpus.registry import Registry
from xxgk.corpus.store import CorpusStore
from xxgk.corpus.types import Match, ReportEntry
from xxgk.errors import XxgkError
from xxgk.export import cell_labels
from xxgk.synth import random_cells
from xxgk.template import load_template

EVERYTHING = None
ARITHMETIC = {r.code for r in arithmetic_rules()}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[CorpusStore, Path]]:
    """~150 reports on 2023 and 2024 (late and wrong totals injected at 10 %), ingested on the local
    cluster, and a dozen agencies' reports on 2020 stored on the 2019 template."""
    root = tmp_path_factory.mktemp("explore")
    make_country(root / "demo", reports=150, years=(2023, 2024), seed=4, rates=Rates(late=0.1, wrong_total=0.1))
    reg, errors = Registry.load(root / "demo/registry/地区.csv", root / "demo/registry/机关.csv")
    assert not errors
    url = f"sqlite:///{root / 'corpus.db'}"
    with CorpusStore.open(url) as s:
        s.save_registry(list(reg.regions.values()), list(reg.agencies.values()))
    summary = ingest([root / "demo/reports"], url, workers=2)
    assert summary.stored > 100 and not summary.failures
    rng = random.Random(7)
    items = []
    for a in sorted(reg.agencies.values(), key=lambda a: a.code)[::7]:
        cells = {k: (None if v is None else float(v)) for k, v in random_cells("2019", rng).items()}
        data = f"2019 template report of {a.code}".encode()
        items.append((Digest(hashlib.sha256(data).hexdigest(), "text", "2019", 2020, a.name, None, a.kind,
                             f"{a.name}2020年政府信息公开工作年度报告", dt.date(2021, 1, rng.choice([10, 30]) + 1),
                             cells, {k: "read" for k in cells},
                             findings=[("requests-balance", "error", "勾稽不符", "unbalanced", [])] if rng.random() < .3
                             else [], match=Match(a.code, 0.99, "title", True)), data, f"old/{a.code}.txt"))
    store = CorpusStore.open(url)
    store.store_many(items)
    yield store, root
    store.close()


def entries(store: CorpusStore) -> list[ReportEntry]:
    return store.entries(None, None, cells=True, parts=False)


def truth(root: Path) -> dict[tuple[str, int], dict[str, Any]]:
    lines = [json.loads(x) for x in (root / "demo/truth.jsonl").open(encoding="utf-8")]
    return {(t["agency"], t["year"]): t for t in lines}


def every_page(store: CorpusStore, q: ReportQuery, allowed: set[str] | None = None) -> list[int]:
    ids: list[int] = []
    page = 1
    while True:
        p = list_reports(store, q.model_copy(update={"page": page}), allowed_regions=allowed)
        ids += [r.id for r in p.rows]
        if page >= p.pages:
            assert len(ids) == p.total
            return ids
        assert len(p.rows) == p.per_page
        page += 1


# ---------------------------------------------------------------- the list


def test_every_report_once_across_pages(corpus: tuple[CorpusStore, Path]) -> None:
    store, _ = corpus
    current = {int(e.id) for e in entries(store)}
    p = list_reports(store, ReportQuery(per_page=7), allowed_regions=EVERYTHING)
    assert p.total == len(current) == store.counts().current and p.pages == math.ceil(len(current) / 7)
    ids = every_page(store, ReportQuery(per_page=7, sort="id"))
    assert ids == sorted(current)
    beyond = list_reports(store, ReportQuery(page=p.pages + 1, per_page=7), allowed_regions=EVERYTHING)
    assert beyond.rows == [] and beyond.total == p.total
    with pytest.raises(ValueError):
        ReportQuery(per_page=201)
    with pytest.raises(ValueError):
        ReportQuery(sort="source")


def test_rows_say_what_is_stored(corpus: tuple[CorpusStore, Path]) -> None:
    store, root = corpus
    known = truth(root)
    reg = Registry(*store.registry())
    rows = [r for page in range(1, 5) for r in list_reports(store, ReportQuery(page=page, per_page=50),
                                                            allowed_regions=EVERYTHING).rows]
    assert len(rows) == store.counts().current
    for r in rows:
        s = store.report(r.id)
        assert s is not None
        assert (r.agency_code, r.year, r.template, r.published, r.errors, r.warnings) == (
            s.agency, s.year, s.template, s.published, s.errors, s.warnings)
        a = reg.agencies[r.agency_code]
        assert r.kind == a.kind and r.region_code == a.region and r.agency_name == a.name
        assert r.region_path == [x.name for x in reg.region_path(a.region)]
        assert r.level == reg.regions[a.region].level
        assert r.late == (None if s.published is None else s.published > deadline(a.kind, s.year))
        if (r.agency_code, r.year) in known and s.published is not None:  # the country's truth
            assert r.late == ("late" in known[r.agency_code, r.year]["defects"])
        assert r.copied is False  # the store keeps no findings across reports (yet)


def ids_where(store: CorpusStore, pred: Any) -> set[int]:
    return {int(e.id) for e in entries(store) if pred(e)}


def test_filters_narrow_as_computed(corpus: tuple[CorpusStore, Path]) -> None:
    store, root = corpus
    reg = Registry(*store.registry())
    found = {int(e.id): store.report(int(e.id)).findings for e in entries(store)}  # type: ignore[union-attr]
    city = next(r for r in reg.regions.values() if r.level == "city")
    within = {r.code for r in reg.descendants(city.code)}
    name = next(a.name for a in reg.agencies.values() if a.kind == "department")
    word = name[-3:]
    cases: list[tuple[ReportQuery, Any]] = [
        (ReportQuery(year=2024), lambda e: e.year == 2024),
        (ReportQuery(template="2019"), lambda e: e.template == "2019"),
        (ReportQuery(kind="government"), lambda e: e.kind == "government"),
        (ReportQuery(level="county"), lambda e: reg.regions[e.region].level == "county"),
        (ReportQuery(region=city.code), lambda e: e.region in within),
        (ReportQuery(region=city.code, kind="department", year=2023),
         lambda e: e.region in within and e.kind == "department" and e.year == 2023),
        (ReportQuery(q=word), lambda e: word in reg.agencies[e.agency].name),
        (ReportQuery(severity="error"), lambda e: e.errors > 0),
        (ReportQuery(rule="requests-balance"), lambda e: any(f.rule == "requests-balance" for f in found[int(e.id)])),
        (ReportQuery(rule="requests-column-total", severity="error"),
         lambda e: any(f.rule == "requests-column-total" and f.severity == "error" for f in found[int(e.id)])),
        (ReportQuery(late=True), lambda e: e.published is not None and e.published > deadline(e.kind, e.year)),
        (ReportQuery(late=False, year=2024),
         lambda e: e.year == 2024 and not (e.published is not None and e.published > deadline(e.kind, e.year))),
    ]
    for q, pred in cases:
        want = ids_where(store, pred)
        assert want, q
        assert set(every_page(store, q.model_copy(update={"per_page": 40}))) == want, q
    assert list_reports(store, ReportQuery(q="没有这个机关%_"), allowed_regions=EVERYTHING).total == 0
    assert list_reports(store, ReportQuery(region="no-such"), allowed_regions=EVERYTHING).total == 0
    late = {e.agency for e in entries(store) if e.year == 2024 and e.published and e.published > deadline(e.kind, 2024)}
    assert late == {a for (a, y), t in truth(root).items() if y == 2024 and "late" in t["defects"]}


def test_sorting(corpus: tuple[CorpusStore, Path]) -> None:
    store, _ = corpus
    for key, get in [("agency", lambda r: r.agency_name), ("published", lambda r: r.published),
                     ("errors", lambda r: r.errors), ("year", lambda r: r.year)]:
        for sort in (key, f"-{key}"):
            rows = list_reports(store, ReportQuery(sort=sort, per_page=200), allowed_regions=EVERYTHING).rows
            values = [get(r) for r in rows]
            known = [v for v in values if v is not None]
            assert known == sorted(known, reverse=sort.startswith("-")), sort
            assert values == known + [None] * (len(values) - len(known))  # unknown last, either way


def test_scope_fails_closed_and_keeps_to_its_subtree(corpus: tuple[CorpusStore, Path]) -> None:
    store, _ = corpus
    reg = Registry(*store.registry())
    county = next(r for r in reg.regions.values() if r.level == "county" and
                  list_reports(store, ReportQuery(region=r.code), allowed_regions=EVERYTHING).total)
    other = next(r for r in reg.regions.values() if r.level == "county" and r.code != county.code)
    inside = {r.code for r in reg.descendants(county.code)}
    # nothing allowed: nothing at all
    assert list_reports(store, ReportQuery(), allowed_regions=set()).total == 0
    assert all(p.value is None or p.n == 0 for s in chart(store, "requests_received", allowed_regions=set()).series
               for p in s.points)
    assert chart(store, "late_share", allowed_regions=set()).series[0].points == []
    assert region_tree(store, None, None, "requests_received", set()).nodes == []
    some = list_reports(store, ReportQuery(), allowed_regions=EVERYTHING).rows[0]
    assert agency_years(store, some.agency_id, set()) is None  # type: ignore[arg-type]
    # a county: only it
    ids = every_page(store, ReportQuery(per_page=30), {county.code})
    assert set(ids) == ids_where(store, lambda e: e.region in inside)
    assert list_reports(store, ReportQuery(region=other.code), allowed_regions={county.code}).total == 0
    parent = county.parent
    assert set(every_page(store, ReportQuery(region=parent), {county.code})) == set(ids)
    mine = store.entries(None, county.code, cells=False, parts=False)
    theirs = store.entries(None, other.code, cells=False, parts=False)
    agency_id = {r.agency_code: r.agency_id for r in list_reports(store, ReportQuery(per_page=200),
                                                                   allowed_regions=EVERYTHING).rows}
    assert agency_years(store, agency_id[mine[0].agency], {county.code}) is not None  # type: ignore[index]
    if theirs:
        assert agency_years(store, agency_id[theirs[0].agency], {county.code}) is None  # type: ignore[index]
    # charts and the tree within the scope equal the county's own
    own = chart(store, "requests_received", region=county.code, allowed_regions=EVERYTHING)
    assert chart(store, "requests_received", allowed_regions={county.code}) .series == own.series
    assert chart(store, "requests_received", region=parent, allowed_regions={county.code}).series == own.series
    tree = region_tree(store, parent, None, "requests_received", {county.code})
    assert [n.code for n in tree.nodes] == [county.code] and not tree.nodes[0].partial
    top = region_tree(store, None, None, "requests_received", {county.code})
    assert len(top.nodes) == 1 and top.nodes[0].partial and top.nodes[0].n == sum(
        p.n for p in own.series[0].points)


def test_large_scopes_walked_by_the_database(corpus: tuple[CorpusStore, Path],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """A scope of many regions is the same scope when the database walks the tree (recursive CTE)."""
    import xxgk.corpus.explore as explore

    store, _ = corpus
    reg = Registry(*store.registry())
    province = next(r.code for r in reg.regions.values() if r.level == "province")
    cities = {r.code for r in reg.regions.values() if r.level == "city"}

    def answers() -> list[Any]:
        return [every_page(store, ReportQuery(region=province, per_page=200)),
                every_page(store, ReportQuery(per_page=200), cities),
                asdict(chart(store, "late_share", allowed_regions=cities)),
                asdict(region_tree(store, None, 2024, "arithmetic_error_share", cities))]

    inline = answers()
    monkeypatch.setattr(explore, "INLINE_CODES", 0)
    assert answers() == inline and inline[0] and inline[1]


# ---------------------------------------------------------------- an agency's years


def test_agency_years_side_by_side(corpus: tuple[CorpusStore, Path]) -> None:
    store, _ = corpus
    rows = list_reports(store, ReportQuery(per_page=200, template="2019"), allowed_regions=EVERYTHING).rows
    by_agency: dict[int, list[ReportEntry]] = {}
    for e in entries(store):
        by_agency.setdefault(next((r.agency_id for r in rows if r.agency_code == e.agency), 0), []).append(e)
    agency_id, own = max(((a, es) for a, es in by_agency.items() if a), key=lambda x: len(x[1]))
    assert len(own) >= 2
    h = agency_years(store, agency_id, EVERYTHING)
    assert h is not None
    own.sort(key=lambda e: e.year)  # type: ignore[arg-type, return-value]
    assert [y.year for y in h.years] == [e.year for e in own] and [y.template for y in h.years][0] == "2019"
    labels = {**cell_labels("2019"), **cell_labels("2021")}
    shown = {r.cell for r in h.rows}
    assert "requests.new.total" in shown and "requests.new.natural" not in shown
    assert "requests.other.total" in shown and "requests.other.overdue_fee.total" in shown  # both templates
    for row in h.rows:
        assert (row.table_zh, row.row_zh, row.column_zh) == labels[row.cell]
        assert row.values == [e.cells.get(row.cell) for e in own]
        pairs = [(own[i - 1], own[i]) for i in range(1, len(own))
                 if own[i - 1].cells.get(row.cell) is not None and own[i].cells.get(row.cell) is not None]
        assert len(row.changes) == len(pairs)
        for c, (a, b) in zip(row.changes, pairs, strict=True):
            x, y = a.cells[row.cell], b.cells[row.cell]
            assert (c.from_year, c.to_year, c.absolute) == (a.year, b.year, y - x)  # type: ignore[operator]
            assert c.relative == ((y - x) / x if x else None)  # type: ignore[operator]
            assert c.large == (abs(y - x) >= 10 and (not x or abs((y - x) / x) >= 0.5))  # type: ignore[operator]
    for y, e in zip(h.years, own, strict=True):
        s = store.report(int(e.id))
        assert s is not None
        assert [(f.rule, f.severity, f.message) for f in y.findings] == [
            (f.rule, f.severity, f.message) for f in s.findings]
        assert all(f.rule_zh and f.severity_zh for f in y.findings)
    every = agency_years(store, agency_id, EVERYTHING, all_cells=True)
    assert every is not None and {r.cell for r in every.rows} == set(load_template("2021").cell_ids) | set(
        load_template("2019").cell_ids)
    assert agency_years(store, 10**9, EVERYTHING) is None


# ---------------------------------------------------------------- charts


def expected(m: Measure, es: list[ReportEntry], findings: dict[int, set[str]]) -> dict[int, tuple[Any, ...]]:
    """year -> (value, n) (a mix: ((category sums), n)), computed from the stored reports."""
    out: dict[int, tuple[Any, ...]] = {}
    for y in sorted({e.year for e in es if e.year}):
        ys = [e for e in es if e.year == y]

        def total(cells: tuple[str, ...], ys: list[ReportEntry] = ys) -> float:
            return float(sum(e.cells.get(c) or 0 for e in ys for c in cells))

        def having(cells: tuple[str, ...], ys: list[ReportEntry] = ys) -> int:
            return sum(1 for e in ys if set(cells) & set(load_template(e.template).cell_ids))

        if m.kind == "sum":
            out[y] = (total(m.cells), having(m.cells))
        elif m.kind == "mix":
            out[y] = (tuple(total(c.cells) for c in m.categories), having(m.all_cells))
        elif m.kind == "ratio":
            den = total(m.denominator)
            out[y] = (100 * total(m.numerator) / den if den else None, int(den))
        elif m.source == "late":
            dated = [e for e in ys if e.published]
            late = sum(1 for e in dated if e.published > deadline(e.kind or "other", y))  # type: ignore[operator]
            out[y] = (100 * late / len(dated) if dated else None, len(dated))
        else:
            bad = sum(1 for e in ys if findings[int(e.id)] & ARITHMETIC)
            out[y] = (100 * bad / len(ys), len(ys))
    return out


def got(m: Measure, c: Any) -> dict[int, tuple[Any, ...]]:
    if m.kind == "mix":
        years = [p.x for p in c.series[0].points]
        return {y: (tuple(s.points[i].value for s in c.series), c.series[0].points[i].n) for i, y in enumerate(years)
                if c.series[0].points[i].n}
    return {p.x: (p.value, p.n) for p in c.series[0].points if p.n}


def test_every_measure_equals_its_own_computation(corpus: tuple[CorpusStore, Path]) -> None:
    store, _ = corpus
    reg = Registry(*store.registry())
    es = entries(store)
    findings = {int(e.id): {f.rule for f in store.report(int(e.id)).findings} for e in es}  # type: ignore[union-attr]
    province = next(r for r in reg.regions.values() if r.level == "province")
    city = next(r for r in reg.regions.values() if r.level == "city")
    busy = max((r for r in reg.regions.values() if r.level == "township"),
               key=lambda r: sum(1 for e in es if e.region == r.code))
    scopes: list[tuple[str | None, str | None]] = [(None, None), (None, "department"), (province.code, None),
                                                   (city.code, "government"), (busy.code, None)]
    for key, m in measures().items():
        for region, kind in scopes:
            within = {r.code for r in reg.descendants(region)} if region else None
            mine = [e for e in es if (within is None or e.region in within) and (kind is None or e.kind == kind)]
            c = chart(store, key, region=region, kind=kind, allowed_regions=EVERYTHING)
            assert c.definition and c.name and c.unit and c.min_sample == m.min_sample
            want = {y: v for y, v in expected(m, mine, findings).items() if v[-1]}
            assert got(m, c) == pytest.approx(want), (key, region, kind)
    two = chart(store, "outcome_mix", years=[2020, 2024], allowed_regions=EVERYTHING, by="category")
    assert [s.name for s in two.series] == ["2020年", "2024年"] and two.x_label == "类别"
    assert [p.x for p in two.series[0].points] == [c.name for c in measure("outcome_mix").categories]
    assert sum(p.share for p in two.series[1].points) == pytest.approx(100)  # type: ignore[misc]
    other = next(p for p in two.series[0].points if p.x == "其他处理")  # 2019: one row; 2021: three
    assert other.value == sum(e.cells.get("requests.other.total") or 0 for e in es if e.year == 2020) > 0
    with pytest.raises(XxgkError):
        chart(store, "no-such", allowed_regions=EVERYTHING)


def test_measures_declared_once_over_both_templates() -> None:
    cells = {t: set(load_template(t).cell_ids) for t in ("2019", "2021")}
    for m in measures().values():
        assert m.definition and m.name and m.min_sample > 0
        assert all(c in cells["2019"] | cells["2021"] for c in m.all_cells)
        for part in [c.cells for c in m.categories] or ([m.cells] if m.cells else []) + (
                [m.numerator, m.denominator] if m.numerator else []):
            assert all(set(part) & cells[t] for t in cells), (m.key, part)  # each template has a cell of it
    assert {"requests_received", "outcome_mix", "withholding_reasons", "appeals", "correction_rate", "late_share",
            "arithmetic_error_share"} <= set(measures())


def test_region_tree_ranks_only_above_the_minimum(corpus: tuple[CorpusStore, Path]) -> None:
    store, _ = corpus
    reg = Registry(*store.registry())
    seen_unranked = seen_ranked = False
    for parent in [None, *(r.code for r in reg.regions.values() if r.level in ("province", "city"))]:
        for key in ("late_share", "requests_received", "outcome_mix", "correction_rate"):
            m = measure(key)
            tree = region_tree(store, parent, 2024, key, EVERYTHING)
            kids = [r.code for r in reg.regions.values() if r.parent == parent] if parent else [
                r.code for r in reg.regions.values() if r.parent is None]
            assert sorted(n.code for n in tree.nodes) == sorted(kids)
            for node in tree.nodes:
                c = chart(store, key, region=node.code, years=[2024], allowed_regions=EVERYTHING)
                p = c.series[0].points[0]
                assert node.n == p.n and node.value == pytest.approx(p.share if m.kind == "mix" else p.value)
                assert node.ranked == (node.n >= m.min_sample and node.value is not None)
                assert (node.rank is None) == (not node.ranked)
                seen_ranked |= node.ranked
                seen_unranked |= not node.ranked and node.n > 0
            ranked = sorted((n for n in tree.nodes if n.ranked), key=lambda n: n.rank)  # type: ignore[arg-type, return-value]
            assert [n.value for n in ranked] == sorted((n.value for n in ranked), reverse=True)  # type: ignore[type-var]
    assert seen_ranked and seen_unranked


def test_chart_downloads_read_back_equal(corpus: tuple[CorpusStore, Path]) -> None:
    store, _ = corpus
    for key in ("outcome_mix", "correction_rate"):
        c = chart(store, key, allowed_regions=EVERYTHING)
        header, rows = chart_table(c)
        assert len(rows) == sum(len(s.points) for s in c.series)
        text = chart_bytes(c, "csv")
        assert text.startswith(b"\xef\xbb\xbf")
        back = list(csv.reader(io.StringIO(text.decode("utf-8-sig"))))
        assert back[0] == header

        def num(v: str) -> Any:
            return None if v == "" else float(v)

        assert [(r[0], int(r[1]), *map(num, r[2:])) for r in back[1:]] == [
            (r[0], r[1], *(None if v is None else float(v) for v in r[2:])) for r in rows]
        ws = openpyxl.load_workbook(io.BytesIO(chart_bytes(c, "xlsx"))).active
        cells = [[x.value for x in row] for row in ws.iter_rows()]
        assert cells[0] == header
        assert [(r[0], int(r[1]), *r[2:]) for r in cells[1:]] == [pytest.approx(r) for r in rows]  # 15 digits
        assert asdict(c)["series"][0]["points"]  # plain data


# ---------------------------------------------------------------- PostgreSQL


@pytest.fixture
def pg_url() -> Iterator[str]:
    from conftest import PG_URL, _pg_admin
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    name = f"xxgk_test_{uuid.uuid4().hex[:12]}"
    try:
        admin = _pg_admin()
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as e:  # noqa: BLE001 - any failure to reach the server means: skip, and say why
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}: {str(e).splitlines()[0]}")
    yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_the_same_answers_on_postgresql(corpus: tuple[CorpusStore, Path], pg_url: str) -> None:
    """The corpus copied report by report into PostgreSQL answers every query as SQLite does."""
    store, _ = corpus
    pg = CorpusStore.open(pg_url)
    try:
        pg.save_registry(*store.registry())
        items = []
        for e in entries(store):
            s = store.report(int(e.id))
            assert s is not None
            items.append((Digest(s.content_hash, s.format, s.template, s.year, s.printed_agency, None, s.kind, s.title,
                                 s.published, {k: (None if v is None else float(v)) for k, v in s.cells.items()},
                                 s.statuses, [(k, None, v) for k, v in s.parts.items()],
                                 [(f.rule, f.severity, f.message, f.message_en, f.cells) for f in s.findings], s.match),
                          store.data(s.content_hash) or b"", s.source))
        pg.store_many(items)
        reg = Registry(*store.registry())
        city = next(r.code for r in reg.regions.values() if r.level == "city")

        def rows(st: CorpusStore, q: ReportQuery, allowed: set[str] | None = None) -> list[tuple[Any, ...]]:
            p = list_reports(st, q, allowed_regions=allowed)
            return [(r.agency_code, r.year, r.late, r.errors, r.region_path) for r in p.rows] + [p.total]

        for q in (ReportQuery(sort="agency", per_page=200), ReportQuery(region=city, late=False, sort="-published"),
                  ReportQuery(rule="requests-balance", q="局"), ReportQuery(level="township", page=2, per_page=5)):
            assert rows(pg, q) == rows(store, q), q
        assert rows(pg, ReportQuery(), {city}) == rows(store, ReportQuery(), {city})
        for key in measures():
            for region in (None, city):
                a = chart(store, key, region=region, allowed_regions=EVERYTHING)
                b = chart(pg, key, region=region, allowed_regions=EVERYTHING)
                assert _same(asdict(a), asdict(b)), key
            assert _same(asdict(region_tree(store, city, 2024, key, EVERYTHING)),
                         asdict(region_tree(pg, city, 2024, key, EVERYTHING)))
        one = list_reports(store, ReportQuery(per_page=1, sort="agency"), allowed_regions=EVERYTHING).rows[0]
        two = list_reports(pg, ReportQuery(per_page=1, sort="agency"), allowed_regions=EVERYTHING).rows[0]
        h1, h2 = agency_years(store, one.agency_id, EVERYTHING), agency_years(pg, two.agency_id, EVERYTHING)  # type: ignore[arg-type]
        assert h1 is not None and h2 is not None
        assert [(r.cell, r.values, r.changes) for r in h1.rows] == [(r.cell, r.values, r.changes) for r in h2.rows]
        assert [(y.year, y.late, [f.rule for f in y.findings]) for y in h1.years] == [
            (y.year, y.late, [f.rule for f in y.findings]) for y in h2.years]
    finally:
        pg.close()


def _same(a: Any, b: Any) -> bool:
    """Equal, floats up to rounding (sums in another order)."""
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    return bool(a == b)
