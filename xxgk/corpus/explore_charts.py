"""The corpus explorer's charts: measures declared once (``templates/measures.toml``), their
series by year or by category, their tables for CSV/XLSX, and a region's children coloured by a
measure (ranked only above the measure's minimum sample).

Sums come from the rollups (``corpus_tally`` for the reports, ``corpus_rollup`` for the cells:
a few rows per region, kind, year and cell), never from the cells — except below the rollups'
levels (a township: its few reports' cells). The shares of late reports and of reports with
arithmetic errors are counted by the database over the reports of the scope (one grouped query).
A scope of several regions (the caller's ``allowed_regions``) is the sum of their disjoint
subtrees. See :mod:`xxgk.corpus.explore` for the scope's rules.
"""

from __future__ import annotations

import tempfile
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Connection, case, exists, func, select

from xxgk.corpus.explore import A, F, R, Scope, late_sql
from xxgk.corpus.rollup import template_cells
from xxgk.corpus.schema import ALL, NO_YEAR, ROLLUP_LEVELS, CorpusCell, CorpusRollup, CorpusTally
from xxgk.corpus.store import CorpusStore
from xxgk.corpus.types import LEVEL_ZH
from xxgk.errors import XxgkError

__all__ = ["Category", "ChartData", "Headline", "Measure", "Point", "RegionTree", "Series", "TreeNode", "chart",
           "chart_bytes", "chart_file", "chart_table", "headline", "measure", "measures", "region_tree"]

T = CorpusTally.__table__
U = CorpusRollup.__table__
C = CorpusCell.__table__
KINDS = ("sum", "mix", "ratio", "share")


# ---------------------------------------------------------------- the declaration


@dataclass(frozen=True)
class Category:
    key: str
    name: str
    cells: tuple[str, ...]


@dataclass(frozen=True)
class Measure:
    key: str
    name: str
    unit: str
    kind: str  # sum | mix | ratio | share
    definition: str  # 口径
    min_sample: int
    cells: tuple[str, ...] = ()  # sum
    categories: tuple[Category, ...] = ()  # mix
    numerator: tuple[str, ...] = ()  # ratio
    denominator: tuple[str, ...] = ()
    sample: str = "reports"  # ratio: "reports" | "denominator"
    source: str | None = None  # share: "late" | "arithmetic"

    @property
    def all_cells(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys([*self.cells, *(c for k in self.categories for c in k.cells), *self.numerator,
                                    *self.denominator]))


@dataclass(frozen=True)
class Headline:
    tables: dict[str, tuple[str, ...]]  # table -> columns shown (empty: all)
    large_relative: float
    large_absolute: float
    large_definition: str


@cache
def _raw() -> dict[str, Any]:
    return tomllib.loads(resources.files("xxgk.templates").joinpath("measures.toml").read_text("utf-8"))


@cache
def measures() -> dict[str, Measure]:
    """Every measure by key, checked against the templates (each cell known to one of them)."""
    known = {c for t in ("2019", "2021") for c in template_cells(t)}
    out: dict[str, Measure] = {}
    for m in _raw()["measures"]:
        cats = tuple(Category(c["key"], c["name"], tuple(c["cells"])) for c in m.get("categories", []))
        x = Measure(m["key"], m["name"], m["unit"], m["kind"], m["definition"], int(m["min_sample"]),
                    tuple(m.get("cells", [])), cats, tuple(m.get("numerator", [])), tuple(m.get("denominator", [])),
                    m.get("sample", "reports"), m.get("source"))
        unknown = [c for c in x.all_cells if c not in known]
        if x.kind not in KINDS or unknown or x.key in out or (x.kind == "share") != (x.source is not None):
            raise ValueError(f"measures.toml: bad measure {x.key!r} (kind {x.kind}, unknown cells {unknown})")
        out[x.key] = x
    return out


def measure(key: str) -> Measure:
    try:
        return measures()[key]
    except KeyError:
        raise XxgkError("no-measure", f"没有这个统计指标：{key}（可选：{'、'.join(measures())}）",
                        f"no measure {key!r}; known: {', '.join(measures())}") from None


@cache
def headline() -> Headline:
    h = _raw()["headline"]
    return Headline({k: tuple(v) for k, v in h["tables"].items()}, float(h["large_relative"]),
                    float(h["large_absolute"]), h["large_definition"])


@cache
def _covers(template: str, cells: tuple[str, ...]) -> bool:
    return bool(set(cells) & set(template_cells(template)))


# ---------------------------------------------------------------- sums per scope key and year


@dataclass
class _Agg:
    reports: dict[str, int] = field(default_factory=dict)  # template -> current reports
    sums: dict[str, float] = field(default_factory=dict)  # cell -> total
    judged: int = 0  # share measures: reports judged, and those with the property
    hits: int = 0

    def add(self, o: _Agg) -> None:
        for t, n in o.reports.items():
            self.reports[t] = self.reports.get(t, 0) + n
        for c, v in o.sums.items():
            self.sums[c] = self.sums.get(c, 0.0) + v
        self.judged += o.judged
        self.hits += o.hits

    def n(self, cells: tuple[str, ...]) -> int:
        return sum(n for t, n in self.reports.items() if _covers(t, cells))

    def total(self, cells: Sequence[str]) -> float:
        return sum(self.sums.get(c, 0.0) for c in cells)


Aggs = dict[str, dict[int, _Agg]]  # scope key -> year -> sums


def _filters(col_year: Any, col_kind: Any, years: Sequence[int] | None, kind: str | None) -> list[Any]:
    out = [col_year != NO_YEAR]
    if years is not None:
        out.append(col_year.in_(list(years)))
    if kind is not None:
        out.append(col_kind == kind)
    return out


def _aggregate(conn: Connection, scope: Scope, keys: list[str], m: Measure, years: Sequence[int] | None,
               kind: str | None) -> Aggs:
    out: Aggs = {k: {} for k in keys}

    def at(key: str, year: int) -> _Agg:
        return out[key].setdefault(year, _Agg())

    if not keys:
        return out
    q = (select(T.c.region_code, T.c.year, T.c.template, func.sum(T.c.reports))
         .where(T.c.region_code.in_(keys), *_filters(T.c.year, T.c.kind, years, kind))
         .group_by(T.c.region_code, T.c.year, T.c.template))
    for key, year, template, n in conn.execute(q):
        if n:
            at(key, year).reports[template] = int(n)
    cells = list(m.all_cells)
    if cells:
        rolled = [k for k in keys if k == ALL or scope.regions.get(k, ("", "", None))[1] in ROLLUP_LEVELS]
        q = (select(U.c.region_code, U.c.year, U.c.cell, func.sum(U.c.total))
             .where(U.c.region_code.in_(rolled), U.c.cell.in_(cells), *_filters(U.c.year, U.c.kind, years, kind))
             .group_by(U.c.region_code, U.c.year, U.c.cell))
        for key, year, cell, total in conn.execute(q) if rolled else ():
            at(key, year).sums[cell] = float(total or 0)
        for key in (k for k in keys if k not in rolled):  # below the rollups: a few reports' cells
            q = (select(R.c.year, C.c.cell, func.sum(C.c.value)).select_from(C.join(R, R.c.id == C.c.report_id)
                                                                           .join(A, A.c.id == R.c.agency_id))
                 .where(A.c.region_code.in_(sorted(scope.subtree(key))), R.c.current.is_(True), C.c.cell.in_(cells),
                        *_filters(R.c.year, A.c.kind, years, kind))
                 .group_by(R.c.year, C.c.cell))
            for year, cell, total in conn.execute(q):
                at(key, year).sums[cell] = float(total or 0)
    if m.source is not None:
        _shares(conn, scope, keys, m.source, years, kind, at)
    return out


def _shares(conn: Connection, scope: Scope, keys: list[str], source: str, years: Sequence[int] | None,
            kind: str | None, at: Any) -> None:
    """Reports judged and reports late (or with an arithmetic finding), grouped by the agency's
    region and folded into the scope keys (disjoint subtrees; ``ALL``: every current report)."""
    from xxgk.checks.rules import arithmetic_rules

    whole = keys == [ALL]
    agency_kind = func.coalesce(A.c.kind, R.c.agency_kind, "") if whole else A.c.kind
    if source == "late":
        judged = func.count(R.c.published_date)
        hit = func.sum(case((late_sql(agency_kind, R.c.year, R.c.published_date), 1), else_=0))
    else:
        judged = func.count()
        codes = [r.code for r in arithmetic_rules()]
        hit = func.sum(case((exists().where(F.c.report_id == R.c.id, F.c.rule.in_(codes)), 1), else_=0))
    q = (select(A.c.region_code, R.c.year, judged, hit)
         .select_from(R.outerjoin(A, A.c.id == R.c.agency_id) if whole else R.join(A, A.c.id == R.c.agency_id))
         .where(R.c.current.is_(True), *_filters(R.c.year, agency_kind, years, kind))
         .group_by(A.c.region_code, R.c.year))
    if not whole:
        q = q.where(scope.agencies(scope.codes(keys), keys))
    wanted = set(keys)
    for code, year, n, h in conn.execute(q):
        key = ALL if whole else next((c for c in reversed(scope.path(code)) if c in wanted), None)
        if key is not None:
            agg = at(key, year)
            agg.judged += int(n or 0)
            agg.hits += int(h or 0)


# ---------------------------------------------------------------- charts


@dataclass
class Point:
    x: int | str  # a year, or a category's name
    value: float | None  # the measure (None: nothing to divide by)
    n: int  # sample size (see the measure's definition)
    numerator: float | None = None
    denominator: float | None = None
    share: float | None = None  # mix: the category's share of the whole, %


@dataclass
class Series:
    key: str
    name: str
    points: list[Point]


@dataclass
class ChartData:
    measure: str
    name: str
    unit: str
    kind: str
    definition: str  # 口径
    min_sample: int
    by: str  # "year" | "category"
    x_label: str  # 年度 | 类别
    region: str | None
    region_name: str  # 全部 for the whole corpus (or the caller's scope)
    agency_kind: str | None
    series: list[Series]


def _value(m: Measure, agg: _Agg, x: int | str) -> Point:
    if m.kind == "sum":
        return Point(x, agg.total(m.cells), agg.n(m.cells))
    if m.kind == "ratio":
        num, den = agg.total(m.numerator), agg.total(m.denominator)
        n = int(den) if m.sample == "denominator" else agg.n(m.denominator)
        return Point(x, 100.0 * num / den if den else None, n, num, den)
    return Point(x, 100.0 * agg.hits / agg.judged if agg.judged else None, agg.judged, agg.hits, agg.judged)


def _mix(m: Measure, agg: _Agg, cat: Category, x: int | str) -> Point:
    whole = sum(agg.total(c.cells) for c in m.categories)
    v = agg.total(cat.cells)
    return Point(x, v, agg.n(m.all_cells), v, whole, 100.0 * v / whole if whole else None)


def chart(store: CorpusStore, measure_key: str, *, region: str | None = None, years: Sequence[int] | None = None,
          kind: str | None = None, allowed_regions: set[str] | None,
          by: Literal["year", "category"] = "year") -> ChartData:
    """A measure over the current reports of ``region`` (None: everything the caller may see),
    ``years`` (None: every year stored) and agency ``kind``: one series by year (a mix: one per
    category; ``by="category"``: one per year, the categories along the x axis)."""
    m = measure(measure_key)
    with store.engine.connect() as conn:
        scope = Scope(store, conn)
        roots = scope.roots(region, allowed_regions)
        keys = [ALL] if roots is None else roots
        aggs = _aggregate(conn, scope, keys, m, years, kind)
    merged: dict[int, _Agg] = {}
    for per_year in aggs.values():
        for y, agg in per_year.items():
            merged.setdefault(y, _Agg()).add(agg)
    ys = sorted(merged) if years is None else sorted(set(years))
    at = {y: merged.get(y, _Agg()) for y in ys}
    if m.kind != "mix":
        series = [Series(m.key, m.name, [_value(m, at[y], y) for y in ys])]
    elif by == "year":
        series = [Series(c.key, c.name, [_mix(m, at[y], c, y) for y in ys]) for c in m.categories]
    else:
        series = [Series(str(y), f"{y}年", [_mix(m, at[y], c, c.name) for c in m.categories]) for y in ys]
    name = scope.regions.get(region, (region or "全部",))[0] if region else "全部"
    return ChartData(m.key, m.name, m.unit, m.kind, m.definition, m.min_sample, by if m.kind == "mix" else "year",
                     "类别" if by == "category" and m.kind == "mix" else "年度", region, name, kind, series)


CHART_HEADER = ("系列", "数值", "样本量n", "分子", "分母", "占比（%）")


def chart_table(c: ChartData) -> tuple[list[str], list[tuple[Any, ...]]]:
    """The chart as one table (a row per point) for CSV/XLSX: series, x, value, n, numerator,
    denominator, share."""
    header = [CHART_HEADER[0], c.x_label, f"{CHART_HEADER[1]}（{c.unit}）", *CHART_HEADER[2:]]
    rows = [(s.name, p.x, p.value, p.n, p.numerator, p.denominator, p.share) for s in c.series for p in s.points]
    return header, rows


def chart_file(c: ChartData, path: str | Path) -> Path:
    """The chart's table written to ``path`` (.csv UTF-8 with BOM, or .xlsx) by the lake's result
    writer: atomic, text neutralised against formula injection."""
    from xxgk.corpus.lake import QueryResult, export_result

    header, rows = chart_table(c)
    return export_result(QueryResult(header, rows), path)


def chart_bytes(c: ChartData, fmt: Literal["csv", "xlsx"]) -> bytes:
    """The chart's table as the bytes of a .csv or .xlsx file (for a download)."""
    if fmt not in ("csv", "xlsx"):
        raise XxgkError("format", f"只能导出为 csv 或 xlsx：{fmt}", f"can only export csv or xlsx: {fmt}")
    with tempfile.TemporaryDirectory(prefix="xxgk-chart-") as d:
        return chart_file(c, Path(d) / f"chart.{fmt}").read_bytes()


# ---------------------------------------------------------------- the region tree


@dataclass
class TreeNode:
    code: str
    name: str
    level: str
    level_zh: str
    value: float | None
    n: int
    ranked: bool  # n ≥ the measure's min_sample
    rank: int | None  # 1 = highest value among the ranked
    partial: bool  # only part of the region is in the caller's scope (the value is that part's)
    has_children: bool


@dataclass
class RegionTree:
    region: str | None
    region_name: str
    measure: str
    name: str
    unit: str
    definition: str
    min_sample: int
    year: int | None
    category: str | None  # a mix: the category whose share colours the tree
    nodes: list[TreeNode]


def region_tree(store: CorpusStore, region: str | None, year: int | None, measure_key: str,
                allowed_regions: set[str] | None, *, kind: str | None = None,
                category: str | None = None) -> RegionTree:
    """The children of ``region`` (None: the top regions) the caller may see, each with the
    measure's value for ``year`` (None: every year together) and its sample size n, ranked only
    when n reaches the measure's ``min_sample``. A mix is shown as one category's share (%)
    (``category``, default the first)."""
    m = measure(measure_key)
    cat = None
    if m.kind == "mix":
        cat = next((c for c in m.categories if c.key == (category or m.categories[0].key)), None)
        if cat is None:
            raise XxgkError("no-category", f"指标“{m.name}”没有类别：{category}", f"{m.key} has no category {category}")
    years = None if year is None else [year]
    with store.engine.connect() as conn:
        scope = Scope(store, conn)
        children = scope.children.get(region, []) if region is None or region in scope.regions else []
        parts = {c: r for c in children if (r := scope.roots(c, allowed_regions))}
        keys = sorted({k for r in parts.values() for k in r})
        aggs = _aggregate(conn, scope, keys, m, years, kind)
    nodes = []
    for c, roots in parts.items():
        agg = _Agg()
        for k in roots:
            for a in aggs[k].values():
                agg.add(a)
        p = _mix(m, agg, cat, c) if cat else _value(m, agg, c)
        value = p.share if cat else p.value
        name, level, _ = scope.regions[c]
        nodes.append(TreeNode(c, name, level, LEVEL_ZH.get(level, level), value, p.n,
                              p.n >= m.min_sample and value is not None, None, roots != [c],
                              bool(scope.children.get(c))))
    for i, node in enumerate(sorted((x for x in nodes if x.ranked), key=lambda x: (-(x.value or 0), x.code)), 1):
        node.rank = i
    name = scope.regions[region][0] if region in scope.regions else "全部"
    unit = "%" if cat else m.unit
    return RegionTree(region, name, m.key, m.name + (f"：{cat.name}占比" if cat else ""), unit, m.definition,
                      m.min_sample, year, cat.key if cat else None, nodes)
