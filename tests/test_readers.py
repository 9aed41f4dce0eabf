"""Web pages and Word files read exactly as well as text: hand-made real-world fixtures, the
reader chosen by content, and untrusted files refused cleanly."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import xxgk
from xxgk.readers import read_document

FIX = Path(__file__).parent / "fixtures"
TRUTH = json.loads((FIX / "seeds" / "003_7097c5c10f7e9ea9.json").read_text("utf-8"))


@pytest.mark.parametrize("name, fmt", [
    ("official-template-filled.docx", "docx"),
    ("gov-article-gbk.html", "html"),
    ("official-template-filled-libreoffice.pdf", "pdf"),
])
def test_real_world_fixture_reads_to_known_cells(name: str, fmt: str) -> None:
    report = xxgk.parse(FIX / "real" / name)
    assert report.format == fmt
    assert report.template == "2021" and report.report_year == 2021
    assert report.agency == "安泽县人民政府办公室"
    assert report.published_date is not None and report.published_date.isoformat() == "2022-01-20"
    expected = dict(TRUTH["cells"])
    if fmt == "html":
        # the page leaves two all-zero rows empty: a blank cell is null, never 0 (cells.md)
        for cid in expected:
            if cid.startswith(("requests.partial.", "requests.unable.unclear.")):
                expected[cid] = None
    assert report.cells == expected
    assert not report.ambiguous
    assert set(report.parts) == {"overview", "proactive", "requests", "appeals", "problems", "other"}


def test_html_decodes_gb2312_label_as_gb18030_and_drops_chrome() -> None:
    doc = read_document((FIX / "real" / "gov-article-gbk.html").read_bytes())
    assert "朱镕基" in doc.text  # a GBK-only character on a page labelled gb2312
    for junk in ("注入", "alert", "栏目导航", "ICP", "长者模式", "font-family"):
        assert junk not in doc.text
    tables = [b for b in doc.blocks if hasattr(b, "cells")]
    assert len(tables) == 4  # table 三 split in two <table> elements
    label = next(c for t in tables for c in t.cells if c.text == "三、本年度办理结果")
    assert label.rowspan == 22


def test_docx_grid_spans_and_vertical_merges() -> None:
    doc = read_document((FIX / "real" / "official-template-filled.docx").read_bytes())
    tables = [b for b in doc.blocks if hasattr(b, "cells")]
    assert len(tables) == 3
    requests = tables[1]
    results = next(c for c in requests.cells if c.text == "三、本年度办理结果")
    assert results.rowspan == 22 and results.col == 0
    appeals = tables[2]
    assert appeals.n_cols == 15
    assert next(c for c in appeals.cells if c.text == "行政诉讼").colspan == 10
    licensing = next(c for t in tables for c in t.cells if c.text == "1878")  # typed in two runs
    assert licensing.colspan == 3


def test_pdf_table_three_breaks_across_pages() -> None:
    import pdfplumber

    with pdfplumber.open(FIX / "real" / "official-template-filled-libreoffice.pdf") as pdf:
        texts = [(p.extract_text() or "").replace(" ", "") for p in pdf.pages]
    first = next(i for i, t in enumerate(texts) if "予以公开" in t)
    last = next(i for i, t in enumerate(texts) if "结转下年度继续办理" in t)
    assert last > first  # the page break falls inside table 三
    doc = read_document((FIX / "real" / "official-template-filled-libreoffice.pdf").read_bytes())
    tables = [b for b in doc.blocks if hasattr(b, "cells")]
    assert len(tables) >= 4  # table 三 arrives in two pieces
    # vertical label written one character per line reads as one label
    assert any(c.text.replace(" ", "") == "三、本年度办理结果" for t in tables for c in t.cells)


def test_reader_chosen_by_content_not_name(tmp_path: Path) -> None:
    for src, wrong in (("official-template-filled.docx", "report.doc"), ("gov-article-gbk.html", "report.txt"),
                       ("official-template-filled-libreoffice.pdf", "report.html")):
        p = tmp_path / wrong
        p.write_bytes((FIX / "real" / src).read_bytes())
        assert xxgk.parse(p).cells == xxgk.parse(FIX / "real" / src).cells, src
        assert xxgk.parse(p).format == xxgk.parse(FIX / "real" / src).format


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "xxgk.cli", *args], capture_output=True, text=True)


def _zip(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for k, v in entries.items():
            z.writestr(k, v)
    return buf.getvalue()


DOCX_CT = b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'


def _bad_files() -> list[tuple[str, bytes, str]]:
    good = (FIX / "real" / "official-template-filled.docx").read_bytes()
    xxe = (b'<?xml version="1.0"?><!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
           b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r>'
           b'<w:t>&xxe;</w:t></w:r></w:p></w:body></w:document>')
    bomb = _zip({"[Content_Types].xml": DOCX_CT, "word/document.xml": b"<" + b"\0" * (60 * 1024 * 1024)})
    pdf = (FIX / "real" / "official-template-filled-libreoffice.pdf").read_bytes()
    return [
        ("encrypted.pdf", (FIX / "bad" / "encrypted.pdf").read_bytes(), "已加密"),
        ("scanned.pdf", (FIX / "bad" / "scanned.pdf").read_bytes(), "没有文字层"),
        ("truncated.pdf", pdf[:3000], "PDF"),
        ("truncated.docx", good[: len(good) // 2], "损坏"),
        ("corrupted.docx", good[:200] + b"\x00garbage" * 50 + good[-300:], "损坏"),
        ("bomb.docx", bomb, "压缩炸弹"),
        ("xxe.docx", _zip({"[Content_Types].xml": DOCX_CT, "word/document.xml": xxe}), "实体"),
        ("noreport.html", "<html><head><meta charset='gbk'></head><body><div class='nav'>首页</div><p>通知公告：今天放假。</p></body></html>".encode("gbk"), "不是年度报告"),
        ("scripts-only.html", b"<html><body><script>alert(1)</script></body></html>", "没有正文"),
    ]


@pytest.mark.parametrize("name, data, message", _bad_files(), ids=[b[0] for b in _bad_files()])
def test_bad_documents_one_line_nothing_written(tmp_path: Path, name: str, data: bytes, message: str) -> None:
    f = tmp_path / name
    f.write_bytes(data)
    out = tmp_path / "out.json"
    p = _cli("parse", str(f), "-o", str(out))
    assert p.returncode == 2, p.stderr
    assert message in p.stderr, p.stderr
    assert len(p.stderr.strip().splitlines()) == 1 and "Traceback" not in p.stderr
    assert "root:" not in p.stderr
    assert not out.exists()


def test_old_word_file_through_libreoffice(tmp_path: Path) -> None:
    from xxgk.readers.office import soffice

    data = (FIX / "real" / "official-template-filled.doc").read_bytes()
    if soffice() is None:
        pytest.skip("LibreOffice is not installed here (.ci/run installs it); the message without it is tested below")
    for suffix in (".doc", ".wps"):  # WPS files named as such are converted the same way
        p = tmp_path / f"report{suffix}"
        p.write_bytes(data)
        report = xxgk.parse(p)
        assert report.format == "doc"
        assert report.cells == TRUTH["cells"]


def test_old_word_file_without_libreoffice_says_how_to_get_it(tmp_path: Path) -> None:
    import os

    p = tmp_path / "report.doc"
    p.write_bytes((FIX / "real" / "official-template-filled.doc").read_bytes())
    env = {**os.environ, "PATH": str(tmp_path)}  # no soffice on this PATH
    proc = subprocess.run([sys.executable, "-m", "xxgk.cli", "parse", str(p)], capture_output=True, text=True, env=env)
    assert proc.returncode == 2
    assert "LibreOffice" in proc.stderr and "apt-get install libreoffice-writer-nogui" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
