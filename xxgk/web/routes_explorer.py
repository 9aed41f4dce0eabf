"""The corpus explorer: every stored report, filtered (``/reports``); an agency's years side by
side with the changes between them (``/agencies/{id}``); charts of the declared measures with
their definitions (口径), a region tree coloured by a chosen measure, and every chart's data as
CSV/XLSX (``/explore``). Pages and ``/api/v1`` call the same functions of
:mod:`xxgk.corpus.explore` and :mod:`xxgk.corpus.explore_charts`; the scope of the user limits
every query (supervisors: their region's subtree; agency staff: their agency's page)."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import RedirectResponse, Response
from pydantic import TypeAdapter, ValidationError
from sqlalchemy import select

from xxgk.agency import KIND_ZH
from xxgk.corpus import explore as ex
from xxgk.corpus import explore_charts as charts
from xxgk.corpus.schema import CorpusReport
from xxgk.corpus.types import LEVEL_ZH
from xxgk.errors import XxgkError
from xxgk.web import explorer_view as view
from xxgk.web.accounts import Principal
from xxgk.web.app import render
from xxgk.web.deps import Refused, in_scope, need, scope_of, web
from xxgk.web.policy import AGENCY_ROLES

router = APIRouter()
FIGURES = view.FigureCache()


def _corpus_version(request: Request) -> int:
    """The newest stored report's id: a new ingest changes it (index lookup)."""
    from sqlalchemy import func

    with web(request).office.session() as s:
        return int(s.scalar(select(func.max(CorpusReport.id))) or 0)


def _json(value: Any) -> Response:
    """JSON of dataclasses straight through pydantic's serializer (dates as ISO strings)."""
    return Response(_ADAPTER.dump_json(value), media_type="application/json")


_ADAPTER: TypeAdapter[Any] = TypeAdapter(Any)
Reader = Annotated[Principal, Depends(need("corpus.read"))]
SEVERITY_ZH = {"error": "错误", "warning": "警告", "info": "提示"}


def _query(**params: Any) -> ex.ReportQuery:
    try:
        return ex.ReportQuery(**{k: v for k, v in params.items() if v not in (None, "")})
    except ValidationError as e:
        first = e.errors()[0]
        raise Refused(422, "invalid", f"筛选条件有误：{'.'.join(map(str, first['loc']))}",
                      f"invalid filter: {first['msg']}") from None


def _years(request: Request) -> list[int]:
    with web(request).office.session() as s:
        return sorted((y for y in s.scalars(select(CorpusReport.year).distinct()) if y), reverse=True)


def _region_choices(request: Request, allowed: set[str] | None) -> list[tuple[str, str]]:
    """Regions to filter by: provinces and cities (with their province) the user may see."""
    regions, _ = web(request).store.registry()
    names = {r.code: r for r in regions}
    out = []
    for r in sorted(regions, key=lambda r: r.code):
        if r.level not in ("province", "city") or (allowed is not None and r.code not in allowed):
            continue
        parent = names.get(r.parent or "")
        out.append((r.code, f"{parent.name} · {r.name}" if r.level == "city" and parent else r.name))
    return out


def _staff_home(p: Principal) -> Response | None:
    if p.role in AGENCY_ROLES and p.agency_id:
        return RedirectResponse(f"/agencies/{p.agency_id}", status_code=303)
    return None


def _page(request: Request, p: Principal, query: ex.ReportQuery) -> ex.Page:
    allowed = view.regions_for(p, scope_of(request, p))
    return ex.list_reports(web(request).store, query, allowed_regions=allowed)


# ---------------------------------------------------------------- the report list


@router.get("/reports", include_in_schema=False)
def reports_page(request: Request, p: Reader, region: str | None = None, kind: str | None = None,
                 level: str | None = None, year: int | None = None, template: str | None = None,
                 rule: str | None = None, severity: str | None = None, q: str | None = None,
                 late: str | None = None, sort: str = "-year", page: int = 1) -> Response:
    home = _staff_home(p)
    if home is not None:
        return home
    query = _query(region=region, kind=kind, level=level, year=year, template=template, rule=rule,
                   severity=severity, q=q, late={"1": True, "0": False}.get(late or ""), sort=sort, page=page)
    result = _page(request, p, query)
    allowed = view.regions_for(p, scope_of(request, p))
    from xxgk.checks.rules import all_rules

    args = {k: v for k, v in query.model_dump().items() if v not in (None, "", False) and k not in ("page", "current")}
    return render(request, "reports.html", result=result, query=query, years=_years(request),
                  regions=_region_choices(request, allowed), kinds=KIND_ZH, levels=LEVEL_ZH,
                  rules=[(r.code, r.title) for r in all_rules()],
                  severities=SEVERITY_ZH, late=late or "", args=args, crumbs=[("报告库", None)])


@router.get("/api/v1/reports", tags=["报告库"])
def api_reports(request: Request, p: Reader, region: str | None = None, kind: str | None = None,
                level: str | None = None, year: int | None = None, template: str | None = None,
                rule: str | None = None, severity: Literal["error", "warning", "info"] | None = None,
                q: Annotated[str | None, Query(max_length=100)] = None, late: bool | None = None,
                sort: str = "-year", page: int = 1, per_page: Annotated[int, Query(ge=1, le=200)] = 50) -> Any:
    """已入库的报告（当前版本），可按地区、机关类别、层级、年度、模板、问题筛选，分页 / stored reports, filtered."""
    query = _query(region=region, kind=kind, level=level, year=year, template=template, rule=rule,
                   severity=severity, q=q, late=late, sort=sort, page=page, per_page=per_page)
    result = _page(request, p, query)
    return _json({"total": result.total, "page": result.page, "per_page": result.per_page,
                  "pages": result.pages, "rows": result.rows})


# ---------------------------------------------------------------- an agency's years


def _history(request: Request, p: Principal, agency_id: int, all_cells: bool = False) -> ex.AgencyHistory:
    if p.role in AGENCY_ROLES:
        in_scope(request, p, agency_id=agency_id)  # their own agency only
        allowed: set[str] | None = None
    else:
        allowed = view.regions_for(p, scope_of(request, p))
    h = ex.agency_years(web(request).store, agency_id, allowed, all_cells=all_cells)
    if h is None:
        raise Refused(404, "not-found", "机关不存在或不在您的数据范围内", "no such agency in your scope")
    return h


@router.get("/agencies/{agency_id}", include_in_schema=False)
def agency_page(request: Request, agency_id: int, p: Reader, all: int = 0) -> Response:
    h = _history(request, p, agency_id, bool(all))
    return render(request, "agency.html", h=h, all=bool(all), severities=SEVERITY_ZH,
                  crumbs=[("报告库", "/reports"), (h.name, None)])


@router.get("/api/v1/agencies/{agency_id}", tags=["报告库"])
def api_agency(request: Request, agency_id: int, p: Reader, all: bool = False) -> Any:
    """一个机关历年报告并列、年度间变化与各年核查意见 / an agency's years side by side."""
    return _json(_history(request, p, agency_id, all))


# ---------------------------------------------------------------- charts


def _chart(request: Request, p: Principal, measure: str, region: str | None, kind: str | None,
           by: str = "year") -> charts.ChartData:
    scope = scope_of(request, p)
    if region and not scope.region(region):
        raise Refused(403, "out-of-scope", "超出您的数据范围", "outside your scope")
    allowed = view.regions_for(p, scope)
    key = ("chart", _corpus_version(request), measure, region or None, kind or None, by,
           None if allowed is None else frozenset(allowed))
    try:
        return FIGURES.get(key, lambda: charts.chart(
            web(request).store, measure, region=region or None, kind=kind or None, allowed_regions=allowed,
            by="category" if by == "category" else "year"))
    except XxgkError as e:
        raise Refused(404, e.code, e.message, e.message_en) from None


def _tree(request: Request, p: Principal, measure: str, region: str | None, year: int | None, kind: str | None,
          category: str | None) -> charts.RegionTree:
    scope = scope_of(request, p)
    if region and not scope.region(region):
        raise Refused(403, "out-of-scope", "超出您的数据范围", "outside your scope")
    allowed = view.regions_for(p, scope)
    key = ("tree", _corpus_version(request), measure, region or None, year, kind or None, category or None,
           None if allowed is None else frozenset(allowed))
    try:
        return FIGURES.get(key, lambda: charts.region_tree(
            web(request).store, region or None, year, measure, allowed, kind=kind or None, category=category or None))
    except XxgkError as e:
        raise Refused(404, e.code, e.message, e.message_en) from None


@router.get("/explore", include_in_schema=False)
def explore_page(request: Request, p: Reader, measure: str = "requests_received", region: str | None = None,
                 kind: str | None = None, year: int | None = None, category: str | None = None,
                 by: str = "year") -> Response:
    home = _staff_home(p)
    if home is not None:
        return home
    all_measures = charts.measures()
    if measure not in all_measures:
        raise Refused(404, "no-measure", f"没有这个指标：{measure}", f"no such measure: {measure}")
    scope = scope_of(request, p)
    if not region and not scope.everything and p.region_code:
        region = p.region_code
    c = _chart(request, p, measure, region, kind, by)
    t = _tree(request, p, measure, region, year, kind, category)
    allowed = view.regions_for(p, scope)
    args = {k: v for k, v in {"measure": measure, "region": region, "kind": kind, "by": by}.items() if v}
    return render(request, "explore.html", chart=c, tree=t, m=all_measures[measure], measures=all_measures,
                  chart_json=view.as_json(view.chart_options(c)), tree_json=view.as_json(view.tree_options(t)),
                  colour=lambda v: view.tree_colour(t, v), regions=_region_choices(request, allowed), kinds=KIND_ZH,
                  years=_years(request), region=region or "", kind=kind or "", year=year, category=category or "",
                  by=by, args=args, crumbs=[("统计图表", None)])


@router.get("/explore/data.{fmt}", include_in_schema=False)
def explore_data(request: Request, fmt: str, p: Reader, measure: str = "requests_received",
                 region: str | None = None, kind: str | None = None, by: str = "year") -> Response:
    if fmt not in ("csv", "xlsx"):
        raise Refused(404, "bad-format", "只能下载 CSV 或 XLSX", "csv or xlsx only")
    c = _chart(request, p, measure, region, kind, by)
    media = "text/csv; charset=utf-8" if fmt == "csv" else \
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    from urllib.parse import quote

    name = quote(f"{c.name}-{c.region_name}.{fmt}")
    return Response(charts.chart_bytes(c, fmt), media_type=media,  # type: ignore[arg-type]
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{name}"})


@router.get("/api/v1/measures", tags=["统计图表"])
def api_measures(p: Reader) -> Any:
    """全部统计指标及其口径 / every measure with its definition (口径)."""
    return jsonable_encoder([dataclasses.asdict(m) for m in charts.measures().values()])


@router.get("/api/v1/charts/{measure}", tags=["统计图表"])
def api_chart(request: Request, measure: str, p: Reader, region: str | None = None, kind: str | None = None,
              by: Literal["year", "category"] = "year") -> Any:
    """一个指标按年度（或类别）的数值、样本量与口径 / a measure by year, with n and its definition."""
    return _json(_chart(request, p, measure, region, kind, by))


@router.get("/api/v1/trees/{measure}", tags=["统计图表"])
def api_tree(request: Request, measure: str, p: Reader, region: str | None = None, year: int | None = None,
             kind: str | None = None, category: str | None = None) -> Any:
    """下级地区按指标着色与排名（样本量不足者不排名）/ the children regions by a measure, ranked above n."""
    return _json(_tree(request, p, measure, region, year, kind, category))
