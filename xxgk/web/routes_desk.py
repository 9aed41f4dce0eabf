"""The supervisor's desk (督查工作台) and rectification (整改事项): pages and ``/api/v1``.

- ``GET /desk`` — every agency expected in a region for a year with the status sheet's flags,
  sortable (``?sort=&dir=``) and filtered (``?only=``); ``GET /desk/export.xlsx`` / ``.csv``.
- ``GET /cases/new`` — a row's problems, each with the form that opens a case; ``POST /cases``.
- ``GET /cases``, ``GET /cases/{id}`` (the timeline and the forms of the allowed next steps),
  ``POST /cases/{id}/steps``.
- JSON: ``GET /api/v1/desk``, ``GET /api/v1/desk/findings``, ``GET|POST /api/v1/cases``,
  ``GET /api/v1/cases/{id}``, ``POST /api/v1/cases/{id}/steps``.

The desk is computed as ``xxgk corpus status`` computes it (:mod:`xxgk.web.desk`); the workflow,
its permissions and scope are :mod:`xxgk.web.review`'s. Every page and call names its permission,
every state change needs the CSRF token, and a region outside the user's scope is refused (403).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any, TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import func, select

from xxgk.corpus.answers import status_csv, status_xlsx
from xxgk.corpus.registry import Registry
from xxgk.office.db import Agency
from xxgk.web import desk as desks
from xxgk.web.accounts import Principal
from xxgk.web.app import render
from xxgk.web.deps import Csrf, Refused, in_scope, need, scope_of, web
from xxgk.web.models import ReviewCase
from xxgk.web.policy import allowed
from xxgk.web.review import STATES, Review, ReviewError

router = APIRouter()
T = TypeVar("T")


def review(request: Request) -> Review:
    r = getattr(request.app.state, "review", None)
    if r is None:
        r = request.app.state.review = Review(web(request).office, web(request).store)
    return r  # type: ignore[no-any-return]


def _call(fn: Callable[..., T], *args: Any, **kw: Any) -> T:
    """The review service's refusals as HTTP errors (403, 404, 409 …), Chinese first."""
    try:
        return fn(*args, **kw)
    except ReviewError as e:
        raise Refused(e.status, e.code, e.message, e.message_en) from None


# ---------------------------------------------------------------- the desk


def _parse_day(value: str | None) -> dt.date:
    if not value:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise Refused(422, "invalid", f"日期无效：{value}（应为 YYYY-MM-DD）", f"invalid date: {value}") from None


def _region(request: Request, p: Principal, reg: Registry, region: str | None) -> str:
    """The region asked for (default: the user's own; an administrator's: the first province),
    refused unless it exists and is in the user's scope."""
    code = region or p.region_code
    if not code:
        provinces = sorted(r.code for r in reg.regions.values() if r.level == "province")
        code = provinces[0] if provinces else None
    if code is None or code not in reg.regions:
        raise Refused(404, "not-found", f"地区不存在：{region or '（未指定）'}", f"no such region: {region}")
    in_scope(request, p, region=code)
    return code


def _desk(request: Request, p: Principal, region: str | None, year: int | None, as_of: str | None) -> desks.Desk:
    store = web(request).store
    reg = desks.registry(store)
    code = _region(request, p, reg, region)
    if year is None:
        year = desks.latest_year(store, code) or dt.date.today().year - 1
    d = desks.compute(store, reg, code, year, _parse_day(as_of))
    counts = _open_cases(request, code, year)
    for row in d.rows:
        row.open_cases = counts.get(row.row.agency, 0)
    return d


def _open_cases(request: Request, region: str, year: int) -> dict[str, int]:
    with web(request).office.session() as s:
        rows = s.execute(select(Agency.code, func.count()).join(ReviewCase, ReviewCase.agency_id == Agency.id)
                         .where(ReviewCase.year == year, ReviewCase.state != "closed",
                                ReviewCase.region_code.in_(sorted(web(request).store.subtree(region))))
                         .group_by(Agency.code)).all()
    return {code: int(n) for code, n in rows}


def _choices(request: Request, p: Principal, reg: Registry, code: str) -> list[tuple[str, str]]:
    """The regions offered: the path down to this one (within the user's scope) and its children."""
    scope = scope_of(request, p)
    path = [r for r in reg.region_path(code) if scope.region(r.code)]
    children = sorted((r for r in reg.regions.values() if r.parent == code), key=lambda r: r.code)
    out = [(r.code, "　" * i + r.name) for i, r in enumerate(path)]
    out += [(r.code, "　" * len(path) + r.name) for r in children if scope.region(r.code)]
    return out


@router.get("/desk", include_in_schema=False)
def desk_page(request: Request, p: Annotated[Principal, Depends(need("desk.read"))], region: str | None = None,
              year: int | None = None, as_of: str | None = None, sort: str = "", dir: str = "asc",
              only: str = "") -> Response:
    d = _desk(request, p, region, year, as_of)
    rows = desks.arrange(d.rows, sort=sort, direction=dir, only=only)
    base = {"region": d.region, "year": d.year, **({"as_of": as_of} if as_of else {}), **({"only": only} if only else {})}

    def sort_link(key: str) -> str:
        flip = "desc" if sort == key and dir != "desc" else "asc"
        return "/desk?" + urlencode({**base, "sort": key, "dir": flip})

    export = urlencode({**base, **({"sort": sort, "dir": dir} if sort else {})})
    reg = desks.registry(web(request).store)
    return render(request, "desk.html", d=d, rows=rows, sorts=desks.SORTS, filters=desks.FILTERS, sort=sort,
                  dir=dir, only=only, sort_link=sort_link, export=export, as_of=as_of or "",
                  regions=_choices(request, p, reg, d.region), years=desks.years(web(request).store, d.region),
                  manage=allowed(p.role, "case.manage"), crumbs=[("督查工作台", None)])


@router.get("/desk/export.{fmt}", include_in_schema=False)
def desk_export(request: Request, fmt: str, p: Annotated[Principal, Depends(need("desk.read"))],
                region: str | None = None, year: int | None = None, as_of: str | None = None, sort: str = "",
                dir: str = "asc", only: str = "") -> Response:
    if fmt not in ("xlsx", "csv"):
        raise Refused(404, "not-found", "不支持的导出格式（可用 xlsx、csv）", "unsupported format (xlsx, csv)")
    d = _desk(request, p, region, year, as_of)
    rows = [r.row for r in desks.arrange(d.rows, sort=sort, direction=dir, only=only)]
    name = f"报送情况-{d.region}-{d.year}.{fmt}"
    if fmt == "xlsx":
        body, media = status_xlsx(rows, d.summary), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        body, media = status_csv(rows), "text/csv; charset=utf-8"
    from urllib.parse import quote

    return Response(body, media_type=media, headers={
        "Content-Disposition": f"attachment; filename=status-{d.region}-{d.year}.{fmt}; filename*=UTF-8''{quote(name)}"})


# ---------------------------------------------------------------- cases (pages)


@router.get("/cases/new", include_in_schema=False)
def case_new(request: Request, p: Annotated[Principal, Depends(need("case.manage"))], agency: str,
             year: int) -> Response:
    a = _agency(request, p, agency)
    found = review(request).candidates(agency, year)
    return render(request, "case_new.html", agency=a, year=year, found=found,
                  crumbs=[("督查工作台", f"/desk?{urlencode({'year': year})}"), ("发起整改", None)])


def _agency(request: Request, p: Principal, code: str) -> dict[str, Any]:
    with web(request).office.session() as s:
        a = s.scalars(select(Agency).where(Agency.code == code)).first()
        if a is None:
            raise Refused(404, "not-found", f"机关不存在：{code}", f"no such agency: {code}")
        out = {"id": a.id, "code": a.code, "name": a.name, "region": a.region_code}
    in_scope(request, p, agency_id=out["id"], agency_region=out["region"])
    return out


@router.post("/cases", include_in_schema=False, dependencies=[Csrf])
def case_open(request: Request, p: Annotated[Principal, Depends(need("case.manage"))],
              agency: Annotated[str, Form(max_length=64)], year: Annotated[int, Form(ge=1990, le=2200)],
              rule: Annotated[str, Form(max_length=80)], report_id: Annotated[str, Form(max_length=20)] = "",
              note: Annotated[str, Form(max_length=4000)] = "") -> Response:
    rid = int(report_id) if report_id.strip().isdigit() else None
    case_id = _call(review(request).open, p, agency, year, rule, rid, note)
    return RedirectResponse(f"/cases/{case_id}", status_code=303)


@router.get("/cases", include_in_schema=False)
def cases_page(request: Request, p: Annotated[Principal, Depends(need("case.read"))], state: str = "",
               region: str = "", year: int | None = None, agency: str = "") -> Response:
    rows = _call(review(request).cases, p, state=state or None, region=region or None, year=year, agency=agency or None)
    return render(request, "cases.html", rows=rows, states=STATES, state=state, region=region, year=year or "",
                  agency=agency, crumbs=[("整改事项", None)])


@router.get("/cases/{case_id}", include_in_schema=False)
def case_page(request: Request, case_id: int, p: Annotated[Principal, Depends(need("case.read"))]) -> Response:
    c = _call(review(request).case, case_id, p)
    return render(request, "case.html", c=c, crumbs=[("整改事项", "/cases"), (f"#{c['id']}", None)])


@router.post("/cases/{case_id}/steps", include_in_schema=False, dependencies=[Csrf])
def case_step(request: Request, case_id: int, p: Annotated[Principal, Depends(need("case.read"))],
              to: Annotated[str, Form(max_length=20)], note: Annotated[str, Form(max_length=4000)] = "") -> Response:
    _call(review(request).step, case_id, to, p, note)
    return RedirectResponse(f"/cases/{case_id}", status_code=303)


# ---------------------------------------------------------------- JSON API


@router.get("/api/v1/desk", tags=["督查"], summary="督查工作台：地区某年度应报机关的报送情况")
def api_desk(request: Request, p: Annotated[Principal, Depends(need("desk.read"))], region: str | None = None,
             year: int | None = None, as_of: str | None = None, sort: str = "", dir: str = "asc",
             only: str = "") -> dict[str, Any]:
    d = _desk(request, p, region, year, as_of)
    s = d.summary
    return {"region": d.region, "region_name": d.region_name, "year": d.year, "as_of": d.as_of.isoformat(),
            "summary": {"expected": s.expected, "received": s.received, "on_time": s.on_time, "late": s.late,
                        "missing": s.missing, "not_due": s.not_due, "date_unknown": s.date_unknown,
                        "with_errors": s.with_errors, "zh": s.zh()},
            "rows": [r.as_dict() for r in desks.arrange(d.rows, sort=sort, direction=dir, only=only)]}


@router.get("/api/v1/desk/findings", tags=["督查"], summary="某机关某年度可发起整改的问题")
def api_findings(request: Request, p: Annotated[Principal, Depends(need("case.manage"))], agency: str,
                 year: int) -> list[dict[str, Any]]:
    _agency(request, p, agency)
    return [{"rule": c.rule, "severity": c.severity, "message": c.message, "cells": list(c.cells),
             "report_id": c.report_id} for c in review(request).candidates(agency, year)]


class OpenCase(BaseModel):
    agency: str = Field(max_length=64, description="机关代码")
    year: int = Field(ge=1990, le=2200)
    rule: str = Field(max_length=80, description="规则代码（见 /api/v1/desk/findings）")
    report_id: int | None = None
    note: str | None = Field(default=None, max_length=4000)


class Step(BaseModel):
    to: str = Field(max_length=20, description="目标状态：" + "、".join(f"{k}（{v}）" for k, v in STATES.items()))
    note: str | None = Field(default=None, max_length=4000)


@router.get("/api/v1/cases", tags=["整改"], summary="整改事项列表（本人范围内）")
def api_cases(request: Request, p: Annotated[Principal, Depends(need("case.read"))], state: str | None = None,
              region: str | None = None, year: int | None = None, agency: str | None = None) -> list[dict[str, Any]]:
    return _call(review(request).cases, p, state=state, region=region, year=year, agency=agency)


@router.post("/api/v1/cases", tags=["整改"], summary="发起整改事项", status_code=201, dependencies=[Csrf])
def api_case_open(request: Request, body: OpenCase, p: Annotated[Principal, Depends(need("case.manage"))]) -> dict[str, Any]:
    case_id = _call(review(request).open, p, body.agency, body.year, body.rule, body.report_id, body.note)
    return _call(review(request).case, case_id, p)


@router.get("/api/v1/cases/{case_id}", tags=["整改"], summary="整改事项及其各步骤")
def api_case(request: Request, case_id: int, p: Annotated[Principal, Depends(need("case.read"))]) -> dict[str, Any]:
    return _call(review(request).case, case_id, p)


@router.post("/api/v1/cases/{case_id}/steps", tags=["整改"], summary="整改事项的下一步", dependencies=[Csrf])
def api_case_step(request: Request, case_id: int, body: Step,
                  p: Annotated[Principal, Depends(need("case.read"))]) -> dict[str, Any]:
    _call(review(request).step, case_id, body.to, p, body.note)
    return _call(review(request).case, case_id, p)
