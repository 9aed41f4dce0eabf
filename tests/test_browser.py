"""The HTML writer in a real browser (headless Chromium through Playwright): no page wider than
the window, table 三's merged headers, every number shown equal to the report's cell, A4 printing,
and nothing fetched but the file itself."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import SEEDS, seed_names

import xxgk
from xxgk.layout import fmt
from xxgk.writers import render

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None:
    pytest.skip("no Chromium on PATH (Debian: apt-get install chromium); browser tests skipped",
                allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")


def truth_report(name: str) -> xxgk.Report:
    truth = json.loads((SEEDS / f"{name}.json").read_text("utf-8"))
    report = xxgk.parse(SEEDS / f"{name}.txt")
    return report.model_copy(update={"cells": dict(truth["cells"]), "ambiguous": {}})


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    pw = sync_api.sync_playwright().start()
    try:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
    except Exception as e:  # pragma: no cover - a Chromium Playwright cannot drive
        pw.stop()
        pytest.skip(f"Chromium at {CHROMIUM} does not start under Playwright: {e}")
    yield b
    b.close()
    pw.stop()


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[xxgk.Report, Path]]:
    """Each seed's ground truth rendered to an HTML file."""
    out = tmp_path_factory.mktemp("html")
    files = {}
    for name in seed_names():
        report = truth_report(name)
        path = out / f"{name}.html"
        path.write_bytes(render(report, "html", force=True))  # seed 001's truth leaves cells undetermined
        files[name] = (report, path)
    return files


def open_page(browser: object, path: Path, width: int = 1280, requests: list[str] | None = None) -> object:
    page = browser.new_page(viewport={"width": width, "height": 900})  # type: ignore[attr-defined]
    if requests is not None:
        page.on("request", lambda r: requests.append(r.url))
    page.goto(path.as_uri(), wait_until="load")
    return page


@pytest.mark.parametrize("name", seed_names())
def test_fits_a_1280_window_and_loads_nothing_else(browser: object, pages: dict, name: str) -> None:
    _, path = pages[name]
    requests: list[str] = []
    page = open_page(browser, path, requests=requests)
    try:
        page.wait_for_load_state("networkidle")
        sizes = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert sizes[0] <= sizes[1], f"horizontal scroll at 1280px: {sizes}"
        wide = page.evaluate("""() => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
            .map(e => e.tagName + ':' + (e.textContent || '').slice(0, 20))""")
        assert wide == []
        assert requests == [path.as_uri()], requests
        assert page.evaluate("document.documentElement.lang") == "zh-CN"
        assert page.evaluate("document.querySelectorAll('h1').length") == 1
        assert page.evaluate("[...document.querySelectorAll('h2')].map(h => h.textContent.slice(0, 2))") == [
            "一、", "二、", "三、", "四、", "五、", "六、"]
        # every table has a caption, every header cell a scope
        assert page.evaluate("[...document.querySelectorAll('table')].every(t => t.caption && t.caption.textContent)")
        assert page.evaluate("document.querySelectorAll('th:not([scope])').length") == 0
    finally:
        page.close()


@pytest.mark.parametrize("name", seed_names())
def test_tables_show_the_reports_numbers(browser: object, pages: dict, name: str) -> None:
    report, path = pages[name]
    page = open_page(browser, path)
    try:
        shown = dict(page.evaluate(
            "[...document.querySelectorAll('td[data-cell]')].map(td => [td.dataset.cell, td.innerText.trim()])"))
    finally:
        page.close()
    assert set(shown) == set(report.cells)
    assert {k: v for k, v in shown.items() if v != fmt(report.cells[k])} == {}
    if name == "003_7097c5c10f7e9ea9":  # as printed in the report
        assert [shown[c] for c in ("requests.new.total", "requests.granted.total", "requests.total.total",
                                   "proactive.normative.in_force", "proactive.fees.amount",
                                   "appeals.reconsideration.pending", "appeals.litigation_after.total")] == [
            "1", "1", "1", "74", "15996.59", "1", "0"]


def test_table_three_headers_are_merged_as_in_the_template(browser: object, pages: dict) -> None:
    _, path = pages["003_7097c5c10f7e9ea9"]
    page = open_page(browser, path)
    try:
        heads = page.evaluate("""() => [...document.querySelectorAll('section[aria-labelledby="part3"] th')]
            .map(th => [th.textContent, th.rowSpan, th.colSpan, th.scope, th.parentElement.parentElement.tagName])""")
        appeals = page.evaluate("""() => [...document.querySelectorAll('section[aria-labelledby="part4"] th')]
            .map(th => [th.textContent, th.colSpan])""")
        n_rows = page.evaluate("document.querySelector('section[aria-labelledby=\"part4\"] table').rows.length")
    finally:
        page.close()
    by_text = {t: (rs, cs, scope, group) for t, rs, cs, scope, group in heads}
    assert by_text["申请人情况"] == (1, 7, "col", "THEAD")
    assert by_text["自然人"] == (2, 1, "col", "THEAD")
    assert by_text["法人或其他组织"] == (1, 5, "col", "THEAD")
    assert by_text["总计"] == (2, 1, "col", "THEAD")
    assert by_text["商业企业"] == (1, 1, "col", "THEAD")
    corner = next(v for t, v in by_text.items() if t.startswith("（本列数据的勾稽关系"))
    assert corner == (3, 3, "col", "THEAD")
    assert by_text["三、本年度办理结果"] == (22, 1, "row", "TBODY")
    assert by_text["（三）不予公开"] == (8, 1, "row", "TBODY")
    assert by_text["一、本年新收政府信息公开申请数量"][1:3] == (3, "row")
    assert dict(appeals)["行政诉讼"] == 10 and dict(appeals)["行政复议"] == 5
    assert n_rows == 4  # three header rows and the one row of fifteen numbers


def test_tables_fit_the_printed_page(browser: object, pages: dict) -> None:
    """At the width of A4 less its margins (156 mm), in print media, no table is wider than
    the text: the one-row appeals table of fifteen columns included."""
    _, path = pages["000_623b78143b223035"]
    page = open_page(browser, path, width=590)
    try:
        page.emulate_media(media="print")
        over = page.evaluate("""() => [...document.querySelectorAll('table')]
            .filter(t => t.getBoundingClientRect().width > document.body.clientWidth + 0.5)
            .map(t => t.caption.textContent)""")
        assert over == []
        assert page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]") == [590, 590]
    finally:
        page.close()


def test_prints_to_a4(browser: object, pages: dict) -> None:
    _, path = pages["003_7097c5c10f7e9ea9"]
    page = open_page(browser, path)
    try:
        pdf = page.pdf(format="A4", prefer_css_page_size=True)
    finally:
        page.close()
    assert pdf.startswith(b"%PDF-")
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    assert len(boxes) >= 3  # five pages or so: the text at 16pt, three tables
    assert all(abs(float(w) - 595.3) < 1 and abs(float(h) - 841.9) < 1 for w, h in boxes), boxes[:3]
    assert b"/Type /Page" in pdf or b"/Type/Page" in pdf
