"""The corpus explorer's queries (web pages call these): every stored report, filtered and paged,
and one agency's years side by side. Charts and the region tree: :mod:`xxgk.corpus.explore_charts`.

Everything is filtered, counted, sorted and paged by the database; a page reads at most
``per_page`` reports (and their findings) back. ``allowed_regions`` is the caller's scope: region
codes whose subtrees the caller may see (None: everything, unmatched reports included; an empty
set: nothing — fail closed). A report outside the scope is never read, counted or named.

Returns plain dataclasses (``dataclasses.asdict``) with Chinese labels next to the codes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator
from sqlalchemy import Connection, and_, case, extract, func, or_, select

from xxgk.agency import KIND_ZH
from xxgk.corpus.checks import COPY_RULES, deadline
from xxgk.corpus.schema import CorpusFinding, CorpusReport
from xxgk.corpus.schema import Region as RegionRow
from xxgk.corpus.store import CorpusStore, number
from xxgk.corpus.store_read import read_cells
from xxgk.corpus.types import LEVEL_ZH
from xxgk.office.db import Agency

__all__ = ["AgencyHistory", "CellRow", "Change", "FindingRow", "Page", "ReportQuery", "ReportRow", "Scope",
           "YearReport", "agency_years", "list_reports"]

R = CorpusReport.__table__
A = Agency.__table__
G = RegionRow.__table__
F = CorpusFinding.__table__
SEVERITY_ZH = {"error": "错误", "warning": "警告", "info": "提示"}
MATCH_ZH = {"accepted": "已归属", "pending": "待确认", "unmatched": "未匹配"}
SORTS = ("id", "year", "published", "agency", "errors", "warnings")
Number = int | float
INLINE_CODES = 500  # a scope of more regions is walked by the database


# ---------------------------------------------------------------- scope


class Scope:
    """The region tree of a store (read once per call) and the caller's scope over it."""

    _trees: dict[int, tuple[Any, dict[str | None, list[str]]]] = {}  # id(store.cache) -> (regions, children)

    def __init__(self, store: CorpusStore, conn: Connection) -> None:
        self.regions = store.cache.region_map(conn)  # code -> (name, level, parent); cached by the store
        kept = Scope._trees.get(id(store.cache))
        if kept is None or kept[0] is not self.regions:  # the registry was saved again since
            children: dict[str | None, list[str]] = {}
            for code, (_, _, parent) in self.regions.items():
                children.setdefault(parent if parent in self.regions else None, []).append(code)
            for v in children.values():
                v.sort()
            kept = Scope._trees[id(store.cache)] = (self.regions, children)
        self.children = kept[1]

    def path(self, code: str | None) -> list[str]:
        """The region and its ancestors, province first."""
        out: list[str] = []
        while code and code not in out and len(out) < 8:
            out.append(code)
            code = self.regions.get(code, ("", "", None))[2]
        return out[::-1]

    def names(self, code: str | None) -> list[str]:
        return [self.regions[c][0] for c in self.path(code) if c in self.regions]

    def subtree(self, code: str) -> set[str]:
        out: set[str] = set()
        todo = [code]
        while todo:
            c = todo.pop()
            if c not in out:
                out.add(c)
                todo.extend(self.children.get(c, ()))
        return out

    def roots(self, region: str | None, allowed: set[str] | None) -> list[str] | None:
        """The regions whose subtrees together are what may be seen of ``region`` (None: the whole
        corpus, unmatched reports too; []: nothing)."""
        if allowed is None:
            return None if region is None else [region]
        top = sorted(c for c in allowed if not any(p in allowed for p in self.path(c)[:-1]))
        if region is None:
            return top
        if any(p in allowed for p in self.path(region)) or region in allowed:
            return [region]
        return [c for c in top if region in self.path(c)]

    def codes(self, roots: Iterable[str]) -> set[str]:
        out: set[str] = set()
        for r in roots:
            out |= self.subtree(r)
        return out

    def where(self, column: Any, codes: set[str], roots: Iterable[str]) -> Any:
        """``column`` is a region of the roots' subtrees: the codes themselves when few, else the
        subtrees walked by the database (a recursive CTE over ``region.parent``), so a scope of
        tens of thousands of townships never becomes as many bound parameters."""
        if len(codes) <= INLINE_CODES:
            return column.in_(sorted(codes))
        top = select(G.c.code).where(G.c.code.in_(sorted(set(roots)))).cte("scope", recursive=True)
        below = G.alias("below")
        tree = top.union(select(below.c.code).where(below.c.parent == top.c.code))
        return column.in_(select(tree.c.code))

    def agencies(self, codes: set[str], roots: Iterable[str]) -> Any:
        """The report's agency is in the roots' subtrees (agency ids picked first: an index walk
        on ``corpus_report (current, agency_id, …)`` rather than a scan of every report)."""
        sub = A.alias("scope_agency")
        return R.c.agency_id.in_(select(sub.c.id).where(self.where(sub.c.region_code, codes, roots)))

    def visible(self, code: str | None, allowed: set[str] | None) -> bool:
        if allowed is None:
            return True
        return code is not None and any(p in allowed for p in self.path(code))


def late_sql(kind: Any, year: Any, published: Any) -> Any:
    """Published after the statutory deadline (:func:`xxgk.corpus.checks.deadline`: a
    government's own report 31 March of the next year, others 31 January), as SQL."""
    py = extract("year", published)
    md = extract("month", published) * 100 + extract("day", published)
    due = case((kind == "government", 331), else_=131)
    return and_(published.is_not(None), or_(py > year + 1, and_(py == year + 1, md > due)))


def is_late(kind: str | None, year: int | None, published: dt.date | None) -> bool | None:
    if year is None or published is None:
        return None
    return published > deadline(kind or "other", year)


# ---------------------------------------------------------------- the list of reports


class ReportQuery(BaseModel):
    """Filters, order and page of the list of reports (all optional)."""

    region: str | None = None  # a region code: its subtree
    kind: str | None = None  # government | office | department | township | other
    level: str | None = None  # the agency's region's level: province | city | county | township
    year: int | None = None
    template: str | None = None  # "2019" | "2021"
    rule: str | None = None  # a finding's rule code (docs/rules.md)
    severity: Literal["error", "warning", "info"] | None = None
    q: str | None = Field(None, max_length=100)  # text in the agency's name (or the printed name)
    match_status: Literal["accepted", "pending", "unmatched"] | None = None
    late: bool | None = None
    current: bool = True  # False: every stored version
    sort: str = "-year"  # a key of SORTS, "-" for descending
    page: int = Field(1, ge=1)
    per_page: int = Field(50, ge=1, le=200)

    @field_validator("sort")
    @classmethod
    def _sort(cls, v: str) -> str:
        if v.removeprefix("-") not in SORTS:
            raise ValueError(f"排序只能是 {', '.join(SORTS)}（前加“-”为降序）")
        return v


@dataclass
class ReportRow:
    id: int
    agency_id: int | None
    agency_code: str | None
    agency_name: str | None  # the registry's name; the printed name when not attached
    match_status: str
    match_zh: str
    region_code: str | None
    region_path: list[str]  # names, province first
    kind: str | None
    kind_zh: str | None
    level: str | None
    level_zh: str | None
    year: int | None
    template: str
    published: dt.date | None
    deadline: dt.date | None
    late: bool | None  # None: no publication date
    errors: int
    warnings: int
    copied: bool  # a stored copied-text finding (corpus-text-copied, …) names this report
    version: int
    current: bool


@dataclass
class Page:
    rows: list[ReportRow]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _conditions(query: ReportQuery, within: Any) -> list[Any]:
    kind = A.c.kind if within is not None else func.coalesce(A.c.kind, R.c.agency_kind)
    where: list[Any] = []
    if query.current:
        where.append(R.c.current.is_(True))
    if within is not None:
        where.append(within)
    if query.kind is not None:
        where.append(kind == query.kind)
    if query.level is not None:
        where.append(G.c.level == query.level)
    if query.year is not None:
        where.append(R.c.year == query.year)
    if query.template is not None:
        where.append(R.c.template == query.template)
    if query.match_status is not None:
        where.append(R.c.match_status == query.match_status)
    if query.rule is not None:
        found = select(F.c.report_id).where(F.c.rule == query.rule)
        if query.severity is not None:
            found = found.where(F.c.severity == query.severity)
        where.append(R.c.id.in_(found))
    elif query.severity == "error":
        where.append(R.c.errors > 0)
    elif query.severity == "warning":
        where.append(R.c.warnings > 0)
    elif query.severity == "info":
        where.append(R.c.id.in_(select(F.c.report_id).where(F.c.severity == "info")))
    if query.q:
        where.append(or_(A.c.name.contains(query.q, autoescape=True),
                         and_(R.c.agency_id.is_(None), R.c.printed_agency.contains(query.q, autoescape=True))))
    if query.late is not None:
        late = late_sql(kind, R.c.year, R.c.published_date)
        where.append(late if query.late else ~late)
    return where


def _order(sort: str) -> list[Any]:
    col = {"id": R.c.id, "year": R.c.year, "published": R.c.published_date, "agency": A.c.name,
           "errors": R.c.errors, "warnings": R.c.warnings}[sort.removeprefix("-")]
    desc = sort.startswith("-")
    out = [(col.desc() if desc else col.asc()).nulls_last()]
    return [*out, R.c.id.desc() if desc else R.c.id.asc()] if sort.removeprefix("-") != "id" else out


def list_reports(store: CorpusStore, query: ReportQuery, *, allowed_regions: set[str] | None) -> Page:
    """One page of the stored reports that match ``query`` and lie in the caller's scope, with the
    total that match."""
    empty = Page([], 0, query.page, query.per_page)
    with store.engine.connect() as conn:
        scope = Scope(store, conn)
        roots = scope.roots(query.region, allowed_regions)
        codes = scope.codes(roots) if roots is not None else None
        if codes is not None and not codes:
            return empty
        frm = R.outerjoin(A, A.c.id == R.c.agency_id).outerjoin(G, G.c.code == A.c.region_code)
        where = _conditions(query, None if codes is None else scope.agencies(codes, roots or ()))
        joined = query.q or any(x is not None for x in (query.level, query.kind, query.late))
        total = conn.scalar(select(func.count()).select_from(frm if joined else R).where(*where)) or 0
        if not total:
            return empty
        # the page's ids first (from the report table alone when the filters and order allow: an
        # index walk), then those few reports' details
        by_name = query.sort.removeprefix("-") == "agency"
        page = (select(R.c.id).select_from(frm if joined or by_name else R).where(*where)
                .order_by(*_order(query.sort)).limit(query.per_page).offset((query.page - 1) * query.per_page))
        ids = list(conn.scalars(page))
        q = (select(R.c.id, R.c.agency_id, A.c.code, A.c.name, R.c.printed_agency, R.c.match_status,
                    A.c.region_code, A.c.kind, R.c.agency_kind, G.c.level, R.c.year, R.c.template,
                    R.c.published_date, R.c.errors, R.c.warnings, R.c.version, R.c.current)
             .select_from(frm).where(R.c.id.in_(ids)))
        found = {r.id: r for r in conn.execute(q)}
        rows = [found[i] for i in ids]
        copied = set(conn.scalars(select(F.c.report_id).where(F.c.report_id.in_(ids), F.c.rule.in_(COPY_RULES))))
        out = []
        for r in rows:
            kind = r.kind or r.agency_kind
            out.append(ReportRow(
                id=r.id, agency_id=r.agency_id, agency_code=r.code, agency_name=r.name or r.printed_agency,
                match_status=r.match_status, match_zh=MATCH_ZH.get(r.match_status, r.match_status),
                region_code=r.region_code, region_path=scope.names(r.region_code), kind=kind,
                kind_zh=KIND_ZH.get(kind) if kind else None, level=r.level,
                level_zh=LEVEL_ZH.get(r.level) if r.level else None, year=r.year, template=r.template,
                published=r.published_date, deadline=deadline(kind or "other", r.year) if r.year else None,
                late=is_late(kind, r.year, r.published_date), errors=r.errors, warnings=r.warnings,
                copied=r.id in copied, version=r.version, current=bool(r.current)))
        return Page(out, total, query.page, query.per_page)


# ---------------------------------------------------------------- one agency, year by year


@dataclass
class FindingRow:
    rule: str
    rule_zh: str
    severity: str
    severity_zh: str
    message: str


@dataclass
class YearReport:
    year: int
    report_id: int
    template: str
    template_zh: str
    published: dt.date | None
    deadline: dt.date
    late: bool | None
    errors: int
    warnings: int
    versions: int  # stored versions of this year's report (the current one is shown)
    findings: list[FindingRow] = field(default_factory=list)


@dataclass
class Change:
    from_year: int
    to_year: int
    before: Number
    after: Number
    absolute: Number
    relative: float | None  # None when the earlier value is 0
    large: bool


@dataclass
class CellRow:
    cell: str
    table_zh: str
    row_zh: str
    column_zh: str
    values: list[Number | None]  # one per year of AgencyHistory.years (None: empty, or not in its template)
    changes: list[Change] = field(default_factory=list)


@dataclass
class AgencyHistory:
    agency_id: int
    code: str
    name: str
    kind: str
    kind_zh: str
    region_code: str | None
    region_path: list[str]
    level: str | None
    level_zh: str | None
    years: list[YearReport]
    rows: list[CellRow]
    large_definition: str  # 口径 of a large change


@cache
def _rule_titles() -> dict[str, str]:
    from xxgk.checks.rules import all_rules

    return {r.code: r.title for r in all_rules()}


def _cells_shown(templates: list[str], every: bool) -> list[str]:
    """Cells of the templates in declaration order (newest template first, then cells only an
    older one has): every cell, or the headline cells of measures.toml."""
    from xxgk.corpus.explore_charts import headline
    from xxgk.template import load_template

    spec = headline()
    out: dict[str, None] = {}
    for tid in sorted(set(templates), reverse=True):
        for cid in load_template(tid).cell_ids:
            table, column = cid.split(".")[0], cid.rsplit(".", 1)[1]
            if every or (table in spec.tables and (not spec.tables[table] or column in spec.tables[table])):
                out.setdefault(cid, None)
    return list(out)


def _change(y0: int, y1: int, a: Number, b: Number) -> Change:
    from xxgk.corpus.explore_charts import headline

    spec = headline()
    diff = number(b - a)
    rel = (b - a) / a if a else None
    large = abs(diff or 0) >= spec.large_absolute and (rel is None or abs(rel) >= spec.large_relative)
    return Change(y0, y1, a, b, diff or 0, rel, large)


def agency_years(store: CorpusStore, agency_id: int, allowed_regions: set[str] | None, *,
                 all_cells: bool = False) -> AgencyHistory | None:
    """The agency's current reports year by year, the headline cells (every cell with
    ``all_cells``) side by side with the changes between consecutive reports, and each year's
    findings. None: no such agency, or outside the caller's scope."""
    from xxgk.export import cell_labels
    from xxgk.template import load_template

    with store.engine.connect() as conn:
        scope = Scope(store, conn)
        a = conn.execute(select(A.c.id, A.c.code, A.c.name, A.c.kind, A.c.region_code)
                         .where(A.c.id == agency_id)).first()
        if a is None or not scope.visible(a.region_code, allowed_regions):
            return None
        reports = conn.execute(select(R.c.id, R.c.year, R.c.template, R.c.published_date, R.c.errors,
                                      R.c.warnings).where(R.c.agency_id == agency_id, R.c.current.is_(True),
                                                          R.c.year.is_not(None)).order_by(R.c.year, R.c.id)).all()
        versions = dict(conn.execute(select(R.c.year, func.count()).where(R.c.agency_id == agency_id)
                                     .group_by(R.c.year)).all())
        ids = [r.id for r in reports]
        shown = _cells_shown([r.template for r in reports] or ["2021"], all_cells)
        cells = read_cells(conn, ids, None if all_cells else shown)
        found: dict[int, list[FindingRow]] = {i: [] for i in ids}
        titles = _rule_titles()
        for f in conn.execute(select(F.c.report_id, F.c.rule, F.c.severity, F.c.message)
                              .where(F.c.report_id.in_(ids)).order_by(F.c.id)):
            found[f.report_id].append(FindingRow(f.rule, titles.get(f.rule, f.rule), f.severity,
                                                 SEVERITY_ZH.get(f.severity, f.severity), f.message))
    years = [YearReport(r.year, r.id, r.template, load_template(r.template).title, r.published_date,
                        deadline(a.kind, r.year), is_late(a.kind, r.year, r.published_date), r.errors, r.warnings,
                        versions.get(r.year, 1), found[r.id]) for r in reports]
    templates = [r.template for r in reports] or ["2021"]
    labels: dict[str, tuple[str, str, str]] = {}
    for tid in sorted(set(templates)):
        labels.update(cell_labels(tid))
    values = {r.id: {c: number(v) for c, v, _ in cells[r.id]} for r in reports}
    rows = []
    for cid in shown:
        vals = [values[r.id].get(cid) for r in reports]
        row = CellRow(cid, *labels[cid], vals)
        for i in range(1, len(reports)):
            x, y = vals[i - 1], vals[i]
            if x is not None and y is not None:
                row.changes.append(_change(reports[i - 1].year, reports[i].year, x, y))
        rows.append(row)
    region = scope.regions.get(a.region_code) if a.region_code else None
    level = region[1] if region else None
    from xxgk.corpus.explore_charts import headline

    return AgencyHistory(a.id, a.code, a.name, a.kind, KIND_ZH.get(a.kind, a.kind), a.region_code,
                         scope.names(a.region_code), level, LEVEL_ZH.get(level) if level else None, years, rows,
                         headline().large_definition)
