"""The report checker in the browser and the API: uploads (one file, a ZIP, pasted text; limits,
bombs, junk), the tables coloured by status, a cell's source highlighted, confirming an ambiguous
cell (stored, audited, re-checked), downloads that read back, owners and scope."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from webkit import copy_db, sign_in

from xxgk.corpus.schema import Blob, CorpusReport
from xxgk.office.db import AuditEntry
from xxgk.web.app import WebSettings, create_app
from xxgk.web.models import CellConfirmation, CheckedReport, WebUser

SEEDS = Path(__file__).parent / "fixtures" / "seeds"
SEED_001 = (SEEDS / "001_319638bbe0944d0f.txt").read_bytes()  # 行政规范性文件 printed as 221148: ambiguous
SEED_000 = (SEEDS / "000_623b78143b223035.txt").read_bytes()  # sound: no error
SEED_003 = (SEEDS / "003_7097c5c10f7e9ea9.txt").read_bytes()
AMBIGUOUS = "proactive.normative.issued"
MAX_UPLOAD = 2 * 1024 * 1024


@pytest.fixture(scope="module")
def app(web_demo, tmp_path_factory):  # type: ignore[no-untyped-def]
    path, _ = web_demo
    url = copy_db(path, tmp_path_factory.mktemp("checker") / "checker.db")
    application = create_app(settings=WebSettings(url=url, max_upload=MAX_UPLOAD))
    yield application
    application.state.web.close()


@pytest.fixture(scope="module")
def clerk(app):  # type: ignore[no-untyped-def]
    return sign_in(TestClient(app), "clerk")


@pytest.fixture(scope="module")
def seed001(clerk) -> str:  # type: ignore[no-untyped-def]
    r = clerk.post("/check", files={"files": ("001.txt", SEED_001, "text/plain")}, follow_redirects=False)
    assert r.status_code == 303, r.text[:300]
    return r.headers["location"]


@pytest.fixture(scope="module")
def seed000(clerk) -> str:  # type: ignore[no-untyped-def]
    r = clerk.post("/check", data={"text": SEED_000.decode("utf-8")}, follow_redirects=False)
    assert r.status_code == 303, r.text[:300]
    return r.headers["location"]


def _count(app, model) -> int:  # type: ignore[no-untyped-def]
    with app.state.web.office.session() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def _cell_td(html: str, cell: str) -> str:
    m = re.search(r'<td class="([^"]*)" id="c-' + re.escape(cell) + r'"', html)
    assert m, f"no cell {cell} in the page"
    return m.group(1)


def test_upload_shows_the_ambiguous_cell_with_its_candidates(clerk, seed001) -> None:  # type: ignore[no-untyped-def]
    page = clerk.get(seed001)
    assert page.status_code == 200
    assert "st-ambiguous" in _cell_td(page.text, AMBIGUOUS).split()
    assert "st-read" in _cell_td(page.text, "proactive.rules.issued").split() or \
        "st-placed" in _cell_td(page.text, "proactive.rules.issued").split()
    assert 'tabindex="0"' in page.text and f'hx-get="{seed001}/cell/{AMBIGUOUS}"' in page.text
    section = page.text.split("待确认的单元格", 1)[1].split("</section>", 1)[0]
    assert AMBIGUOUS in section and all(f">{v}<" in section for v in ("2", "22", "221", "221148"))
    assert "cell-ambiguous" in page.text  # the finding, with its rule code
    for zh in ("读取", "定位", "空白", "计算", "正文确定", "待定", "缺失"):  # the legend
        assert zh in page.text.split('class="legend"', 1)[1].split("</ul>", 1)[0]


def test_cell_fragment_shows_the_source_line_highlighted(clerk, seed001) -> None:  # type: ignore[no-untyped-def]
    r = clerk.get(f"{seed001}/cell/{AMBIGUOUS}", headers={"HX-Request": "true"})
    assert r.status_code == 200 and "<html" not in r.text  # a fragment
    assert "待定" in r.text
    assert '<mark class="hl">221148</mark>' in r.text
    assert re.search(r"行政规范性文件<mark", r.text)
    assert 'name="value" value="22"' in r.text and "csrf_token" in r.text
    full = clerk.get(f"{seed001}/source", params={"cell": AMBIGUOUS})
    assert full.status_code == 200 and 'id="L31" class="line marked"' in full.text


def test_finding_marks_the_two_sides_of_a_relation(app, clerk) -> None:  # type: ignore[no-untyped-def]
    bad = SEED_003.decode("utf-8")
    r = clerk.post("/check", data={"text": bad}, follow_redirects=False)
    page = clerk.get(r.headers["location"])
    sides = re.findall(r'<li class="finding [a-z]+">\s*<span class="badge error">错误</span> <code>(requests-[a-z-]+|appeals-[a-z-]+)',
                       page.text)
    if not sides:  # make a relation fail: change one printed total
        from xxgk.api import parse_bytes
        rep = parse_bytes(SEED_003)
        src = rep.provenance["appeals.reconsideration.total"].source
        assert src is not None and src.text.isdigit()
        bad = bad[:src.offset] + str(int(src.text) + 7) + bad[src.offset + src.length:]
        r = clerk.post("/check", data={"text": bad}, follow_redirects=False)
        page = clerk.get(r.headers["location"])
    base = r.headers["location"]
    m = re.search(r'\?finding=(\d+)#tables-h"[^>]*>在表中标出', page.text)
    idx = [int(i) for i in re.findall(r'\?finding=(\d+)#tables-h', page.text)]
    api = clerk.get(f"/api/v1/checks/{base.rsplit('/', 1)[1]}").json()
    rel = [i for i in idx if api["findings"][i]["rule"].startswith(("appeals-", "requests-"))]
    assert m and rel, "no failed relation to mark"
    marked = clerk.get(base, params={"finding": rel[0]}).text
    assert "side-a" in marked and "side-b" in marked
    cells = api["findings"][rel[0]]["cells"]
    classes = [_cell_td(marked, c).split() for c in cells]
    assert any("side-a" in c for c in classes) and any("side-b" in c for c in classes)
    src = clerk.get(f"{base}/source", params={"finding": rel[0]}).text
    assert 'class="side-a"' in src and 'class="side-b"' in src


def test_confirming_a_candidate_is_stored_audited_and_rechecked(app, clerk, seed001) -> None:  # type: ignore[no-untyped-def]
    before = clerk.get(f"/api/v1/checks/{seed001.rsplit('/', 1)[1]}").json()
    assert any(f["rule"] == "cell-ambiguous" and f["cells"] == [AMBIGUOUS] for f in before["findings"])
    r = clerk.post(f"{seed001}/cell/{AMBIGUOUS}/confirm", data={"value": "22"}, follow_redirects=False)
    assert r.status_code == 303, r.text[:300]
    with app.state.web.office.session() as s:
        row = s.scalars(select(CellConfirmation).where(CellConfirmation.cell == AMBIGUOUS)).one()
        assert row.actor == "clerk" and row.value == 22 and row.at is not None and 22 in row.candidates
        audit = s.scalars(select(AuditEntry).where(AuditEntry.entity == "cell_confirmation",
                                                   AuditEntry.entity_id == row.id)).one()
        assert audit.actor == "clerk" and audit.action == "confirm" and audit.after["value"] == 22
    page = clerk.get(seed001)
    assert "st-resolved" in _cell_td(page.text, AMBIGUOUS).split()
    assert re.search(r'id="c-' + re.escape(AMBIGUOUS) + r'"[^>]*>22<', page.text, re.S)
    after = clerk.get(f"/api/v1/checks/{seed001.rsplit('/', 1)[1]}").json()
    assert after["report"]["cells"][AMBIGUOUS] == 22
    assert after["report"]["provenance"][AMBIGUOUS]["status"] == "resolved"
    assert after["report"]["provenance"][AMBIGUOUS]["note"].startswith("人工确认：clerk ")
    assert AMBIGUOUS not in after["report"]["ambiguous"]
    assert not any(f["rule"] == "cell-ambiguous" and f["cells"] == [AMBIGUOUS] for f in after["findings"])
    assert any(f["rule"] == "cell-ambiguous" for f in after["findings"])  # the other two remain
    panel = clerk.get(f"{seed001}/cell/{AMBIGUOUS}", headers={"HX-Request": "true"}).text
    assert "clerk 确认为 22" in panel


def test_a_value_that_is_no_candidate_is_refused(app, clerk, seed001) -> None:  # type: ignore[no-untyped-def]
    n = _count(app, CellConfirmation)
    r = clerk.post(f"{seed001}/cell/proactive.normative.in_force/confirm", data={"value": "9999"})
    assert r.status_code == 400 and "候选值" in r.text
    r = clerk.post(f"{seed001}/cell/proactive.normative.issued/confirm", data={"value": ""})  # issued may not be empty
    assert r.status_code == 400
    r = clerk.post(f"{seed001}/cell/proactive.rules.issued/confirm", data={"value": "3"})  # not ambiguous
    assert r.status_code == 400
    assert _count(app, CellConfirmation) == n
    ok = clerk.post(f"{seed001}/cell/proactive.normative.in_force/confirm", data={"value": ""}, follow_redirects=False)
    assert ok.status_code == 303  # the empty cell is one of its candidates


def test_confirming_needs_the_csrf_token(app, seed001) -> None:  # type: ignore[no-untyped-def]
    c = sign_in(TestClient(app), "clerk")
    c.headers.pop("X-CSRF-Token")
    r = c.post(f"{seed001}/cell/{AMBIGUOUS}/confirm", data={"value": "2"})
    assert r.status_code == 403


def test_zip_with_two_reports_and_junk(app, clerk) -> None:  # type: ignore[no-untyped-def]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("a/000.txt", SEED_000)
        z.writestr("a/003.txt", SEED_003)
        z.writestr("a/photo.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    n = _count(app, CheckedReport)
    r = clerk.post("/check", files={"files": ("批量.zip", buf.getvalue(), "application/zip")})
    assert r.status_code == 200
    assert _count(app, CheckedReport) == n + 2
    assert "已核查 2 份报告" in r.text
    refused = r.text.split('class="refused"', 1)[1].split("</ul>", 1)[0]
    assert refused.count("<li>") == 1 and "photo.png" in refused and "PNG" in refused


def test_zip_bomb_is_refused_with_one_message_and_nothing_stored(app, clerk) -> None:  # type: ignore[no-untyped-def]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("zeros.txt", b"0" * (30 * 1024 * 1024))
    assert len(buf.getvalue()) < MAX_UPLOAD
    reports, blobs = _count(app, CheckedReport), _count(app, Blob)
    r = clerk.post("/check", files={"files": ("bomb.zip", buf.getvalue(), "application/zip")})
    assert r.status_code == 400
    refused = r.text.split('class="refused"', 1)[1].split("</ul>", 1)[0]
    assert refused.count("<li>") == 1 and "zeros.txt" in refused and ("过大" in refused or "压缩炸弹" in refused)
    assert (_count(app, CheckedReport), _count(app, Blob)) == (reports, blobs)


def test_oversize_upload_is_413_in_one_line(app, clerk) -> None:  # type: ignore[no-untyped-def]
    n = _count(app, CheckedReport)
    r = clerk.post("/check", files={"files": ("big.txt", SEED_000 + b" " * MAX_UPLOAD, "text/plain")})
    assert r.status_code == 413 and "文件过大" in r.text
    api = clerk.post("/api/v1/checks", files={"files": ("big.txt", SEED_000 + b" " * MAX_UPLOAD, "text/plain")})
    assert api.status_code == 413 and "\n" not in api.json()["message"]
    assert _count(app, CheckedReport) == n


def test_uploaded_html_never_runs(clerk) -> None:  # type: ignore[no-untyped-def]
    text = SEED_000.decode("utf-8").replace("\r\n", "\n")
    lines = text.split("\n")
    lines.insert(3, "&lt;script&gt;alert(1)&lt;/script&gt;<script>alert(2)</script>")
    body = "".join(f"<p>{ln}</p>\n" for ln in lines)
    page = f"<html><head><script>alert(3)</script></head><body>{body}<img src=x onerror=alert(4)></body></html>"
    r = clerk.post("/check", files={"files": ("<script>alert(5)</script>.html", page.encode("utf-8"), "text/html")},
                   follow_redirects=False)
    assert r.status_code == 303, r.text[:300]
    base = r.headers["location"]
    seen = [clerk.get(base).text, clerk.get(f"{base}/source").text, clerk.get("/check").text]
    seen.append(clerk.get(f"{base}/cell/requests.new.total", headers={"HX-Request": "true"}).text)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in seen[1]  # the text shows, escaped
    for html in seen:
        assert "<script>alert" not in html and "onerror=alert" not in html.replace("&lt;", "")


def test_another_user_cannot_open_my_check(app, seed001) -> None:  # type: ignore[no-untyped-def]
    other = sign_in(TestClient(app), "clerk_other")
    for path in (seed001, f"{seed001}/cell/{AMBIGUOUS}", f"{seed001}/source", f"{seed001}/download/json"):
        assert other.get(path).status_code == 404
    assert other.post(f"{seed001}/cell/{AMBIGUOUS}/confirm", data={"value": "2"}).status_code == 404
    assert "001.txt" not in other.get("/check").text
    researcher = sign_in(TestClient(app), "researcher")  # no report.check at all
    assert researcher.get(seed001).status_code == 403


def test_downloads_read_back(clerk, seed000, seed001) -> None:  # type: ignore[no-untyped-def]
    import docx
    import openpyxl

    j = clerk.get(f"{seed000}/download/json")
    assert j.status_code == 200 and j.headers["content-type"].startswith("application/json")
    data = json.loads(j.content)
    assert data["agency"] == "三门峡市陕州区人民政府办公室" and len(data["cells"]) == 200
    c = clerk.get(f"{seed000}/download/csv")
    rows = list(csv.reader(io.StringIO(c.content.decode("utf-8-sig"))))
    assert len(rows) == 201 and "attachment" in c.headers["content-disposition"]
    x = clerk.get(f"{seed000}/download/xlsx")
    book = openpyxl.load_workbook(io.BytesIO(x.content))
    assert book.sheetnames
    d = clerk.get(f"{seed000}/download/docx")
    assert d.status_code == 200, d.text[:300]
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(d.content)).paragraphs)
    assert "政府信息公开工作年度报告" in text
    assert zipfile.ZipFile(io.BytesIO(d.content)).testzip() is None
    p = clerk.get(f"{seed000}/download/pdf")
    if p.status_code == 200:
        assert p.content.startswith(b"%PDF-")
    else:  # the writer refused here (fonts): its one line is passed on
        assert p.status_code == 400 and "\n" not in p.text.strip().split("</div>")[0][-200:]
    refused = clerk.get(f"{seed001}/download/docx")  # two cells still ambiguous: the writer refuses
    assert refused.status_code == 400 and "拒绝输出" in refused.text
    assert clerk.get(f"{seed000}/download/exe").status_code == 404


def test_csv_and_xlsx_neutralise_formulas(clerk) -> None:  # type: ignore[no-untyped-def]
    import openpyxl

    text = SEED_000.decode("utf-8").replace("三门峡市陕州区人民政府办公室", "=HYPERLINK某局", 1)
    r = clerk.post("/check", data={"text": text}, follow_redirects=False)
    base = r.headers["location"]
    data = json.loads(clerk.get(f"{base}/download/json").content)
    assert data["agency"] == "=HYPERLINK某局"  # the data keeps what was printed
    rows = list(csv.reader(io.StringIO(clerk.get(f"{base}/download/csv").content.decode("utf-8-sig"))))
    values = [v for row in rows for v in row]
    assert "'=HYPERLINK某局" in values and not any(v.startswith("=") for v in values)
    book = openpyxl.load_workbook(io.BytesIO(clerk.get(f"{base}/download/xlsx").content))
    cells = [v for ws in book.worksheets for row in ws.iter_rows(values_only=True) for v in row if isinstance(v, str)]
    assert any("HYPERLINK" in v for v in cells) and not any(v.startswith("=") for v in cells)


def _report_in(app, province: str, inside: bool) -> int:  # type: ignore[no-untyped-def]
    store = app.state.web.store
    codes = store.subtree(province)
    with app.state.web.office.session() as s:
        ids = list(s.scalars(select(CorpusReport.id).order_by(CorpusReport.id)))
    for rid in ids:
        r = store.report(rid)
        if r is not None and r.region is not None and (r.region in codes) == inside:
            return rid
    raise AssertionError("no such report")


def test_corpus_report_opens_within_scope_only(app, web_demo) -> None:  # type: ignore[no-untyped-def]
    _, made = web_demo
    rid = _report_in(app, made["province"], inside=True)
    sup = sign_in(TestClient(app), "sup")
    page = sup.get(f"/reports/{rid}")
    assert page.status_code == 200 and 'class="cell' in page.text and "st-" in page.text
    cell = re.search(r'id="c-([a-z_.]+)"', page.text).group(1)  # type: ignore[union-attr]
    assert sup.get(f"/reports/{rid}/cell/{cell}", headers={"HX-Request": "true"}).status_code == 200
    assert sup.get(f"/reports/{rid}/download/csv").status_code == 200
    for name in ("sup_other", "clerk_other"):
        c = sign_in(TestClient(app), name)
        assert c.get(f"/reports/{rid}").status_code == 403
        assert c.get(f"/reports/{rid}/source").status_code == 403
        assert c.get(f"/api/v1/reports/{rid}").status_code == 403
    assert sup.get("/reports/999999").status_code == 404
    outside = _report_in(app, made["province"], inside=False)
    assert sup.get(f"/reports/{outside}").status_code == 403


def test_unmatched_corpus_report_only_for_the_whole_country(app) -> None:  # type: ignore[no-untyped-def]
    from xxgk.api import check, parse_bytes

    store = app.state.web.store
    data = SEED_001 + b"\n"
    rep = parse_bytes(data, "unmatched.txt")
    res = store.store_report(rep, check(rep), data, "unmatched.txt")
    with app.state.web.office.session() as s:
        assert s.scalar(select(CorpusReport.agency_id).where(CorpusReport.id == res.id)) is None
    assert sign_in(TestClient(app), "sup").get(f"/reports/{res.id}").status_code == 403
    researcher = sign_in(TestClient(app), "researcher")
    assert researcher.get(f"/reports/{res.id}").status_code == 200
    # a researcher reads but may not confirm; confirming a corpus cell needs cell.confirm
    assert researcher.post(f"/reports/{res.id}/cell/{AMBIGUOUS}/confirm", data={"value": "2"}).status_code == 403


def test_api_with_a_token(app) -> None:  # type: ignore[no-untyped-def]
    accounts = app.state.web.accounts
    with app.state.web.office.session() as s:
        uid = s.scalars(select(WebUser.id).where(WebUser.username == "approver")).one()
    token = accounts.create_token(uid, "test", actor="approver")
    c = TestClient(app, headers={"Authorization": f"Bearer {token}"})
    r = c.post("/api/v1/checks", files={"files": ("001.txt", SEED_001 + b"\n\n", "text/plain")})
    assert r.status_code == 201, r.text[:300]
    cid = r.json()["checks"][0]["id"]
    got = c.get(f"/api/v1/checks/{cid}").json()
    assert got["report"]["provenance"][AMBIGUOUS]["status"] == "ambiguous" and got["confirmations"] == []
    bad = c.post(f"/api/v1/checks/{cid}/cells/{AMBIGUOUS}/confirm", json={"value": 5})
    assert bad.status_code == 400 and bad.json()["error"] == "not-a-candidate"
    ok = c.post(f"/api/v1/checks/{cid}/cells/{AMBIGUOUS}/confirm", json={"value": 221})
    assert ok.status_code == 200
    body = ok.json()
    assert body["report"]["cells"][AMBIGUOUS] == 221 and body["confirmations"][-1]["actor"] == "approver"
    junk = c.post("/api/v1/checks", files={"files": ("x.png", b"\x89PNG\r\n\x1a\n0000", "image/png")})
    assert junk.status_code == 400 and junk.json()["refused"][0]["name"] == "x.png"
    assert TestClient(app).get(f"/api/v1/checks/{cid}").status_code == 401
    with app.state.web.office.session() as s:
        sup = s.scalars(select(WebUser.id).where(WebUser.username == "sup")).one()
    theirs = accounts.create_token(sup, "sup", actor="sup")
    assert TestClient(app, headers={"Authorization": f"Bearer {theirs}"}).get(f"/api/v1/checks/{cid}").status_code == 404


def test_the_list_shows_only_my_own_checks(app, seed001) -> None:  # type: ignore[no-untyped-def]
    mine = sign_in(TestClient(app), "clerk").get("/check").text
    assert f'href="{seed001}"' in mine
    approver = sign_in(TestClient(app), "approver").get("/check").text
    assert f'href="{seed001}"' not in approver
    admin = sign_in(TestClient(app), "admin")
    assert f'href="{seed001}"' in admin.get("/check").text and admin.get(seed001).status_code == 200


def test_pdf_cell_opens_on_its_page_with_the_box_drawn(clerk) -> None:  # type: ignore[no-untyped-def]
    from PIL import Image, ImageChops

    pdf = (Path(__file__).parent / "fixtures" / "real" / "official-template-filled-libreoffice.pdf").read_bytes()
    r = clerk.post("/check", files={"files": ("安泽.pdf", pdf, "application/pdf")}, follow_redirects=False)
    assert r.status_code == 303, r.text[:300]
    base = r.headers["location"]
    cell = "requests.new.natural"
    panel = clerk.get(f"{base}/cell/{cell}", headers={"HX-Request": "true"}).text
    m = re.search(r'src="(' + re.escape(base) + r'/page/(\d+)\.png\?cell=' + re.escape(cell) + ')"', panel)
    assert m, "no page image in the cell's panel"
    boxed = clerk.get(m.group(1))
    plain = clerk.get(f"{base}/page/{m.group(2)}.png")
    assert boxed.status_code == plain.status_code == 200 and boxed.headers["content-type"] == "image/png"
    a, b = Image.open(io.BytesIO(boxed.content)).convert("RGB"), Image.open(io.BytesIO(plain.content)).convert("RGB")
    assert a.size == b.size and ImageChops.difference(a, b).getbbox() is not None  # the box is drawn
    assert "<mark" in panel  # and the text view highlights it too
    assert clerk.get(f"{base}/page/999.png").status_code == 400


def test_a_confirmation_belongs_to_its_upload_not_to_the_same_bytes_elsewhere(app) -> None:  # type: ignore[no-untyped-def]
    """Two people upload the same file: one's confirmation never changes what the other sees."""
    a = sign_in(TestClient(app), "agency_admin")
    b = sign_in(TestClient(app), "approver")
    ids = []
    for c in (a, b):
        r = c.post("/api/v1/checks", files={"files": ("001.txt", SEED_001, "text/plain")})
        ids.append(r.json()["checks"][0]["id"])
    ok = a.post(f"/api/v1/checks/{ids[0]}/cells/proactive.normative.issued/confirm", json={"value": 22})
    assert ok.status_code == 200, ok.text
    mine = a.get(f"/api/v1/checks/{ids[0]}").json()
    theirs = b.get(f"/api/v1/checks/{ids[1]}").json()
    assert mine["report"]["cells"]["proactive.normative.issued"] == 22
    assert theirs["report"]["cells"]["proactive.normative.issued"] is None
    assert "proactive.normative.issued" in theirs["report"]["ambiguous"]
    with app.state.web.office.session() as s:
        row = s.scalars(select(CellConfirmation).order_by(CellConfirmation.id.desc())).first()
        assert row.subject == f"check:{ids[0]}" and row.actor == "agency_admin"
