"""The corpus explorer over the web: the report list, an agency's years and the charts answer what
xxgk.corpus.explore computes for the same scope (independently asked here), limited to the user's
scope; every chart's data downloads as CSV/XLSX equal to the chart; rankings only above the
minimum sample; the definition (口径) on the page."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from fastapi.testclient import TestClient
from webkit import copy_db, sign_in

from xxgk.corpus import explore as ex
from xxgk.corpus import explore_charts as charts
from xxgk.web.app import create_app

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def env(web_demo, tmp_path_factory):  # type: ignore[no-untyped-def]
    path, made = web_demo
    app = create_app(copy_db(path, tmp_path_factory.mktemp("explore") / "e.db"))
    yield app, made
    app.state.web.close()


def test_report_list_is_the_scopes_and_matches_the_query_layer(env) -> None:  # type: ignore[no-untyped-def]
    app, made = env
    store = app.state.web.store
    sup = sign_in(TestClient(app), "sup")
    body = sup.get("/api/v1/reports", params={"per_page": 200}).json()
    province = store.subtree(made["province"])
    expected = ex.list_reports(store, ex.ReportQuery(per_page=200), allowed_regions=province)
    assert body["total"] == expected.total > 0
    assert {r["id"] for r in body["rows"]} == {r.id for r in expected.rows}
    assert all(r["region_code"] in province for r in body["rows"] if r["region_code"])
    everything = ex.list_reports(store, ex.ReportQuery(), allowed_regions=None).total
    assert body["total"] < everything
    researcher = sign_in(TestClient(app), "researcher")
    assert researcher.get("/api/v1/reports").json()["total"] == everything
    page = sup.get("/reports", params={"year": 2024, "sort": "agency"})
    assert page.status_code == 200 and "共" in page.text
    n2024 = ex.list_reports(store, ex.ReportQuery(year=2024), allowed_regions=province).total
    assert f"共 {n2024} 份" in page.text


def test_filters_narrow_the_list(env) -> None:  # type: ignore[no-untyped-def]
    app, _ = env
    r = sign_in(TestClient(app), "researcher")
    total = r.get("/api/v1/reports").json()["total"]
    for params in ({"year": 2023}, {"kind": "government"}, {"template": "2021"}, {"late": "true"},
                   {"severity": "error"}, {"level": "province"}):
        body = r.get("/api/v1/reports", params={**params, "per_page": 200}).json()
        assert body["total"] <= total, params
        for row in body["rows"]:
            if "year" in params:
                assert row["year"] == params["year"]
            if "kind" in params:
                assert row["kind"] == "government"
            if "late" in params:
                assert row["late"] is True
            if "severity" in params:
                assert row["errors"] > 0
    assert r.get("/api/v1/reports", params={"per_page": 500}).status_code == 422


def test_agency_page_side_by_side_and_scope(env) -> None:  # type: ignore[no-untyped-def]
    app, made = env
    store = app.state.web.store
    mine = next(a for a in store.registry()[1] if a.code == made["agency"])
    with app.state.web.office.session() as s:
        from sqlalchemy import select

        from xxgk.office.db import Agency

        ids = {c: i for c, i in s.execute(select(Agency.code, Agency.id))}
    sup = sign_in(TestClient(app), "sup")
    h = ex.agency_years(store, ids[mine.code], None)
    assert h is not None and h.years
    page = sup.get(f"/agencies/{ids[mine.code]}")
    assert page.status_code == 200 and mine.name in page.text
    for y in h.years:
        assert f'/reports/{y.report_id}"' in page.text
    api = sup.get(f"/api/v1/agencies/{ids[mine.code]}").json()
    assert [y["year"] for y in api["years"]] == [y.year for y in h.years]
    assert sup.get(f"/agencies/{ids[made['other_agency']]}").status_code == 404
    clerk = sign_in(TestClient(app), "clerk")  # staff: their agency's page, and no other
    assert clerk.get("/reports", follow_redirects=False).headers["location"] == f"/agencies/{ids[mine.code]}"
    assert clerk.get(f"/agencies/{ids[mine.code]}").status_code == 200
    assert clerk.get(f"/agencies/{ids[made['other_agency']]}").status_code == 403
    assert clerk.get("/api/v1/reports").json()["total"] == 0  # lists fail closed for staff


def test_charts_downloads_and_definitions(env) -> None:  # type: ignore[no-untyped-def]
    app, made = env
    store = app.state.web.store
    sup = sign_in(TestClient(app), "sup")
    province = store.subtree(made["province"])
    for key, m in charts.measures().items():
        expected = charts.chart(store, key, region=made["province"], allowed_regions=province)
        got = sup.get(f"/api/v1/charts/{key}", params={"region": made["province"]}).json()
        assert [[p["value"] for p in s["points"]] for s in got["series"]] == \
            [[p.value for p in s.points] for s in expected.series], key
        page = sup.get("/explore", params={"measure": key})
        assert page.status_code == 200 and m.definition in page.text and 'data-chart="chart-opts"' in page.text
        header, rows = charts.chart_table(expected)
        data = sup.get("/explore/data.csv", params={"measure": key, "region": made["province"]}).content
        read = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
        assert read[0] == header and len(read) - 1 == len(rows)
        wb = openpyxl.load_workbook(io.BytesIO(sup.get("/explore/data.xlsx", params={"measure": key}).content))
        assert [c.value for c in next(wb.active.iter_rows(max_row=1))] == header
    assert sup.get("/api/v1/charts/requests_received", params={"region": made["other_province"]}).status_code == 403
    assert sup.get("/api/v1/charts/nope").status_code == 404


def test_region_tree_ranks_only_above_the_minimum_sample(env) -> None:  # type: ignore[no-untyped-def]
    app, _ = env
    r = sign_in(TestClient(app), "researcher")
    tree = r.get("/api/v1/trees/requests_received").json()
    assert tree["nodes"]
    for n in tree["nodes"]:
        assert n["ranked"] == (n["n"] >= tree["min_sample"])
        assert (n["rank"] is not None) == n["ranked"]
    page = r.get("/explore", params={"measure": "requests_received"})
    assert 'data-chart="tree-opts"' in page.text
    if any(not n["ranked"] for n in tree["nodes"]):
        assert "不排名" in page.text
