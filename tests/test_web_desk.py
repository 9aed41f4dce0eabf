"""The supervisor's desk and rectification in the browser and over the JSON API: the desk lists
exactly the agencies the registry expects with the counts ``xxgk corpus status`` computes, sorts,
exports a sheet that reads back (formulas neutralised); a case goes from the desk through every
step by the supervisor and the agency's staff; outsiders see and do nothing; CSRF is required."""

from __future__ import annotations

import csv as csvlib
import datetime as dt
import io
import re

import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from webkit import copy_db, sign_in

from xxgk.corpus.answers import STATUS_HEADER, status, summarize
from xxgk.corpus.checks import check_corpus
from xxgk.corpus.registry import Registry
from xxgk.corpus.store import CorpusStore
from xxgk.office.db import Agency
from xxgk.office.service import Office
from xxgk.web.accounts import Accounts
from xxgk.web.app import create_app

YEAR = 2024
HOSTILE = '=HYPERLINK("http://example.invalid","点我")'


def _status(url: str, region: str) -> tuple[list[str], object]:
    """What ``xxgk corpus status --region … 2024`` computes, called here independently."""
    store = CorpusStore.open(url, create=False)
    try:
        regions, agencies = store.registry()
        reg = Registry(regions, agencies)
        entries = store.entries(YEAR, region) + store.entries(YEAR - 1, region)
    finally:
        store.close()
    expected = reg.expected_reporters(region)
    day = dt.date.today()
    rows = status(expected, entries, YEAR, day, check_corpus(entries, agencies=expected, year=YEAR, as_of=day))
    return [a.code for a in expected], (rows, summarize(rows, YEAR, day))


@pytest.fixture(scope="module")
def site(web_demo, tmp_path_factory):  # type: ignore[no-untyped-def]
    path, made = web_demo
    url = copy_db(path, tmp_path_factory.mktemp("desk") / "desk.db")
    codes, (rows, summary) = _status(url, made["province"])
    late = next(r for r in rows if r.state == "late")
    office = Office.open(url)
    Accounts(office).set_role("agency_admin", "agency_admin", agency=late.agency, actor="test")
    hostile = next(r.agency for r in rows if r.agency != late.agency)
    with office.writing() as s:  # a name a spreadsheet would run as a formula
        s.execute(update(Agency).where(Agency.code == hostile).values(name=HOSTILE))
    office.close()
    codes, (rows, summary) = _status(url, made["province"])
    app = create_app(url)
    yield {"app": app, "made": made, "codes": codes, "rows": rows, "summary": summary, "late": late.agency}
    app.state.web.close()


def _client(site, username: str) -> TestClient:  # type: ignore[no-untyped-def]
    return sign_in(TestClient(site["app"]), username)


def _order(html: str) -> list[str]:
    return re.findall(r'<tr data-agency="([^"]+)"', html)


def test_the_desk_lists_the_expected_agencies_with_the_cli_counts(site) -> None:  # type: ignore[no-untyped-def]
    sup = _client(site, "sup")
    page = sup.get("/desk")
    assert page.status_code == 200 and "督查工作台" in page.text
    assert _order(page.text) == site["codes"]  # the registry's order, every agency once
    assert site["summary"].zh() in page.text
    api = sup.get(f"/api/v1/desk?region={site['made']['province']}&year={YEAR}").json()
    assert [r["agency"] for r in api["rows"]] == site["codes"]
    s = site["summary"]
    assert (api["summary"]["expected"], api["summary"]["received"], api["summary"]["missing"], api["summary"]["late"]) == \
        (s.expected, s.received, s.missing, s.late)
    assert sum(r["received"] for r in api["rows"]) == s.received
    assert sum(r["missing"] for r in api["rows"]) == s.missing and sum(r["late"] for r in api["rows"]) == s.late
    by = {r.agency: r for r in site["rows"]}
    for r in api["rows"]:
        assert (r["errors"], r["warnings"], r["state"]) == (by[r["agency"]].errors, by[r["agency"]].warnings,
                                                          by[r["agency"]].state)
    for rid in (x for r in site["rows"] for x in r.reports):
        assert f'href="/reports/{rid}"' in page.text
    assert f"/cases/new?agency={site['late']}&amp;year={YEAR}" in page.text


def test_sorting_and_filtering(site) -> None:  # type: ignore[no-untyped-def]
    sup = _client(site, "sup")
    by = {r.agency: r for r in site["rows"]}
    errors = [by[c].errors for c in _order(sup.get("/desk?sort=errors&dir=desc").text)]
    assert errors == sorted(errors, reverse=True) and len(errors) == len(site["codes"])
    names = [by[c].name for c in _order(sup.get("/desk?sort=name&dir=asc").text)]
    assert names == sorted(names)
    page = sup.get("/desk?sort=name&dir=asc")
    assert 'aria-sort="ascending"' in page.text and "sort=name&amp;dir=desc" in page.text  # the link flips
    late = _order(sup.get("/desk?only=late").text)
    assert late == [r.agency for r in site["rows"] if r.state == "late"]


def test_export_reads_back_with_formulas_neutralised(site) -> None:  # type: ignore[no-untyped-def]
    sup = _client(site, "sup")
    r = sup.get("/desk/export.xlsx")
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    ws = openpyxl.load_workbook(io.BytesIO(r.content)).active
    values = list(ws.iter_rows(values_only=True))
    assert list(values[0]) == [h for h, _ in STATUS_HEADER]
    assert [v[1] for v in values[1:len(site["codes"]) + 1]] == site["codes"]
    names = [v[2] for v in values[1:]]
    assert "'" + HOSTILE in names and HOSTILE not in names
    assert not any(c.data_type == "f" for row in ws.iter_rows() for c in row)
    csv = sup.get("/desk/export.csv")
    assert csv.status_code == 200 and csv.content.startswith(b"\xef\xbb\xbf")
    table = list(csvlib.reader(io.StringIO(csv.content.decode("utf-8-sig"))))
    assert [row[1] for row in table[1:]] == site["codes"] and "'" + HOSTILE in [row[2] for row in table]


def test_the_case_from_the_desk_to_closed(site) -> None:  # type: ignore[no-untyped-def]
    sup, agency = _client(site, "sup"), _client(site, "agency_admin")
    late = site["late"]
    page = sup.get(f"/cases/new?agency={late}&year={YEAR}")
    assert page.status_code == 200 and "corpus-report-late" in page.text
    r = sup.post("/cases", data={"agency": late, "year": YEAR, "rule": "corpus-report-late"}, follow_redirects=False)
    assert r.status_code == 303
    url = r.headers["location"]
    case_id = int(url.rsplit("/", 1)[1])
    assert "确认问题" in sup.get(url).text
    assert agency.get(url).status_code == 404  # not sent yet: the agency does not see it
    assert sup.post(f"{url}/steps", data={"to": "confirmed"}, follow_redirects=False).status_code == 303
    assert sup.post(f"{url}/steps", data={"to": "sent"}).status_code == 400  # the requirement is required
    assert sup.post(f"{url}/steps", data={"to": "sent", "note": "请说明逾期原因并整改"}, follow_redirects=False).status_code == 303
    listing = agency.get("/cases")
    assert listing.status_code == 200 and f'href="/cases/{case_id}"' in listing.text
    view = agency.get(url)
    assert "请说明逾期原因并整改" in view.text and "提交整改答复" in view.text and "确认问题" not in view.text
    assert agency.post(f"{url}/steps", data={"to": "responded", "note": "已完善发布流程"}, follow_redirects=False).status_code == 303
    assert agency.post(f"{url}/steps", data={"to": "rechecked"}).status_code == 403  # not the agency's to do
    assert sup.post(f"{url}/steps", data={"to": "rechecked"}, follow_redirects=False).status_code == 303
    view = sup.get(url).text
    assert "问题仍存在" in view  # a late report stays late: back to the agency
    assert agency.post(f"{url}/steps", data={"to": "responded", "note": "逾期已无法补救，已制定制度"}).status_code == 200
    assert sup.post(f"{url}/steps", data={"to": "closed", "note": "已约谈，办结"}).status_code == 200
    case = sup.get(f"/api/v1/cases/{case_id}").json()
    assert case["state"] == "closed" and [s["actor"] for s in case["steps"]] == [
        "sup", "sup", "sup", "agency_admin", "sup", "agency_admin", "sup"]
    assert all(s["at"] for s in case["steps"]) and case["next"] == []
    audit = _client(site, "admin").get("/admin/audit?entity=review_case")
    assert audit.status_code == 200 and f"review_case#{case_id}" in audit.text
    assert site["app"].state.web.office.verify().ok

    for outsider, code in (("clerk_other", 404), ("clerk", 404), ("sup_other", 403)):
        c = _client(site, outsider)
        assert f'href="/cases/{case_id}"' not in c.get("/cases").text
        assert c.get(url).status_code == code
        assert c.post(f"{url}/steps", data={"to": "responded", "note": "x"}).status_code in (403, code)
    sup_other = _client(site, "sup_other")
    assert sup_other.post("/cases", data={"agency": late, "year": YEAR, "rule": "corpus-report-late"}).status_code == 403
    assert sup_other.get(f"/desk?region={site['made']['province']}").status_code == 403
    assert sup.get(f"/desk?region={site['made']['other_province']}").status_code == 403


def test_who_may_not(site) -> None:  # type: ignore[no-untyped-def]
    researcher = _client(site, "researcher")
    for path in ("/desk", "/cases", "/desk/export.xlsx", "/api/v1/desk", "/api/v1/cases"):
        assert researcher.get(path).status_code == 403, path
    agency = _client(site, "agency_admin")
    assert agency.get("/desk").status_code == 403
    assert agency.post("/cases", data={"agency": site["late"], "year": YEAR, "rule": "corpus-report-late"}).status_code == 403
    assert TestClient(site["app"]).get("/api/v1/desk").status_code == 401
    sup = _client(site, "sup")
    token = sup.headers.pop("X-CSRF-Token")
    r = sup.post("/cases", data={"agency": site["late"], "year": YEAR, "rule": "corpus-report-late"})
    assert r.status_code == 403 and "CSRF" in r.text
    assert sup.post("/api/v1/cases", json={"agency": site["late"], "year": YEAR, "rule": "x"}).status_code == 403
    assert sup.post("/cases/1/steps", data={"to": "confirmed", "csrf_token": "forged"}).status_code == 403
    assert token


def test_the_json_api_with_tokens(site) -> None:  # type: ignore[no-untyped-def]
    accounts = site["app"].state.web.accounts
    ids = {u["username"]: u["id"] for u in accounts.users()}
    sup = TestClient(site["app"], headers={"Authorization": "Bearer " + accounts.create_token(ids["sup"], "t", actor="sup")})
    agency = TestClient(site["app"], headers={
        "Authorization": "Bearer " + accounts.create_token(ids["agency_admin"], "t", actor="agency_admin")})
    found = sup.get(f"/api/v1/desk/findings?agency={site['late']}&year={YEAR}").json()
    own = next(f for f in found if not f["rule"].startswith("corpus-"))
    r = sup.post("/api/v1/cases", json={"agency": site["late"], "year": YEAR, "rule": own["rule"],
                                        "report_id": own["report_id"]})
    assert r.status_code == 201, r.text
    case = r.json()
    assert case["state"] == "finding" and case["report_id"] == own["report_id"]
    assert sup.post("/api/v1/cases", json={"agency": site["late"], "year": YEAR, "rule": own["rule"]}).status_code == 409
    path = f"/api/v1/cases/{case['id']}"
    assert agency.get(path).status_code == 404
    assert sup.post(f"{path}/steps", json={"to": "sent", "note": "x"}).status_code == 409  # not from 发现问题
    for to in ("confirmed", "sent"):
        assert sup.post(f"{path}/steps", json={"to": to, "note": "请更正"}).json()["state"] == to
    assert case["id"] in [c["id"] for c in agency.get("/api/v1/cases").json()]
    assert agency.post(f"{path}/steps", json={"to": "responded", "note": "已更正"}).json()["state"] == "responded"
    after = sup.post(f"{path}/steps", json={"to": "rechecked"}).json()
    assert after["state"] == "sent" and "问题仍存在" in after["steps"][-1]["note"]  # the stored report is unchanged
    assert sup.post(f"{path}/steps", json={"to": "closed", "note": "转入年度考核"}).json()["state"] == "closed"
    assert [c["state"] for c in sup.get(f"/api/v1/cases?state=closed&year={YEAR}").json()].count("closed") >= 1
    assert sup.get(f"/api/v1/cases?region={site['made']['other_province']}").status_code == 403
