"""The writer: each seed's ground truth, written in the official layout to DOCX, HTML, PDF and
XLSX, reads back to exactly the same cells; unsound reports are refused."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SEEDS, seed_names

import xxgk
from xxgk.readers import read_document
from xxgk.writers import render, to_html


def truth_report(name: str) -> tuple[xxgk.Report, dict]:
    truth = json.loads((SEEDS / f"{name}.json").read_text("utf-8"))
    report = xxgk.parse(SEEDS / f"{name}.txt")
    return report.model_copy(update={"cells": dict(truth["cells"]), "ambiguous": {}}), truth


@pytest.mark.parametrize("to", ["docx", "html", "pdf", "xlsx"])
@pytest.mark.parametrize("name", seed_names())
def test_round_trip(name: str, to: str) -> None:
    report, truth = truth_report(name)
    data = render(report, to, force=True)  # seed 001's truth leaves three cells undetermined
    back = xxgk.parse_bytes(data)
    assert back.format == to
    assert back.template == truth["template"]
    assert back.cells == truth["cells"]
    assert not back.ambiguous
    if to != "xlsx":
        assert back.report_year == truth["report_year"]
        assert back.agency == report.agency


def test_docx_has_the_templates_merges() -> None:
    report, _ = truth_report("003_7097c5c10f7e9ea9")
    doc = read_document(render(report, "docx"))
    tables = [b for b in doc.blocks if hasattr(b, "cells")]
    assert len(tables) == 3
    assert next(c for c in tables[1].cells if c.text == "三、本年度办理结果").rowspan == 22
    assert next(c for c in tables[1].cells if c.text == "（三）不予公开").rowspan == 8
    assert next(c for c in tables[1].cells if c.text.startswith("（本列数据的勾稽关系")).colspan == 3
    assert next(c for c in tables[2].cells if c.text == "行政诉讼").colspan == 10
    assert tables[2].n_cols == 15


def test_html_is_accessible_and_self_contained() -> None:
    report, _ = truth_report("004_6e673f84b28b10ac")
    page = to_html(report)
    assert '<html lang="zh-CN">' in page and "<caption" in page and "<h1>" in page
    assert "http://" not in page and "https://" not in page  # nothing fetched
    assert "@page" in page and "A4" in page
    assert page.count("<section") == 6


def test_pdf_embeds_its_fonts(tmp_path: Path) -> None:
    import shutil

    report, _ = truth_report("002_951f206c009c1905")
    pdf = tmp_path / "r.pdf"
    pdf.write_bytes(render(report, "pdf"))
    if shutil.which("pdffonts") is None:
        pytest.skip("poppler-utils not installed (.ci/run installs it)")
    out = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True).stdout
    fonts = out.splitlines()[2:]
    assert fonts and all(" yes " in line for line in fonts), out


def test_writer_refuses_failing_arithmetic_and_names_cells(tmp_path: Path) -> None:
    report, _ = truth_report("004_6e673f84b28b10ac")
    cells = dict(report.cells)
    cells["requests.new.natural"] = 5
    bad = report.model_copy(update={"cells": cells})
    with pytest.raises(xxgk.XxgkError) as e:
        render(bad, "docx")
    assert "requests.new.natural" in e.value.message
    assert render(bad, "docx", force=True)[:2] == b"PK"
    src = tmp_path / "bad.json"
    src.write_text(bad.model_dump_json(), "utf-8")
    out = tmp_path / "bad.docx"
    p = subprocess.run([sys.executable, "-m", "xxgk.cli", "render", str(src), "--to", "docx", "-o", str(out)],
                       capture_output=True, text=True)
    assert p.returncode == 2 and "requests.new.natural" in p.stderr and "--force" in p.stderr
    assert not out.exists()
    p = subprocess.run([sys.executable, "-m", "xxgk.cli", "render", str(src), "--to", "docx", "-o", str(out),
                        "--force"], capture_output=True, text=True)
    assert p.returncode == 0 and out.stat().st_size > 0


def test_render_markdown_and_cli_from_any_report(tmp_path: Path) -> None:
    p = subprocess.run([sys.executable, "-m", "xxgk.cli", "render", str(SEEDS / "003_7097c5c10f7e9ea9.txt"),
                        "--to", "md"], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert "| 行政规范性文件 | 6 | 0 | 74 |" in p.stdout
    assert "[bookmark" not in p.stdout


def test_render_rejects_bad_json(tmp_path: Path) -> None:
    src = tmp_path / "r.json"
    src.write_text('{"template": "2030", "cells": {}}', "utf-8")
    p = subprocess.run([sys.executable, "-m", "xxgk.cli", "render", str(src), "--to", "html"],
                       capture_output=True, text=True)
    assert p.returncode == 2 and "JSON" in p.stderr and len(p.stderr.strip().splitlines()) == 1


def test_xlsx_render_opens_in_openpyxl() -> None:
    from openpyxl import load_workbook

    report, _ = truth_report("003_7097c5c10f7e9ea9")
    wb = load_workbook(io.BytesIO(render(report, "xlsx")))
    assert len(wb.sheetnames) == 3
    ws = wb[wb.sheetnames[1]]
    assert any(str(r) .startswith("D") or True for r in ws.merged_cells.ranges)
    assert len(ws.merged_cells.ranges) >= 10


def test_signature_printed_once_when_the_text_already_ends_with_it() -> None:
    import docx

    name = next(n for n in seed_names() if n.startswith("003"))
    report = xxgk.parse(SEEDS / f"{name}.txt")
    d = report.published_date
    assert d is not None
    date = f"{d.year}年{d.month}月{d.day}日"
    paragraphs = [p.text for p in docx.Document(io.BytesIO(render(report, "docx"))).paragraphs]
    assert sum(date in p for p in paragraphs) == 1 and paragraphs[-1] == date
    assert to_html(report).count(date) == 1
