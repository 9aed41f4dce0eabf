"""Tests of the realistic corpus generator ``xxgk.gen`` (not of the reader): determinism, the
truth's arithmetic, the printed numbers really in the file in order, and each family's features
really present in its files."""

from __future__ import annotations

import io
import re
import shutil
import zipfile
from functools import cache

import pytest

from xxgk.gen import FAMILIES, Sample, families, make
from xxgk.normalize import compact
from xxgk.synth import check_cells
from xxgk.template import load_template

N = 6  # samples per family (PDF families: one soffice call each)
SEED = 11
NEEDS_SOFFICE = {f for f, fam in FAMILIES.items() if "soffice" in fam.needs}


def _skip_unless_tools(family: str) -> None:
    for tool in FAMILIES[family].needs:
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed: the {family} family cannot be generated")


@cache
def _samples(family: str) -> tuple[Sample, ...]:
    return tuple(make(family, N, SEED))


def samples(family: str) -> tuple[Sample, ...]:
    _skip_unless_tools(family)
    return _samples(family)


def file_text(s: Sample) -> str:
    """The text of the file as a reader would see its characters, in document order."""
    if s.format == "pdf":
        from xxgk.gen.office import pdftotext

        return pdftotext(s.data, layout=True)
    if s.format == "docx":
        from lxml import etree

        xml = zipfile.ZipFile(io.BytesIO(s.data)).read("word/document.xml")
        root = etree.fromstring(xml)
        w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
        parts = []
        for el in root.iter(f"{w}t", f"{w}tc", f"{w}p"):
            parts.append(el.text or "" if el.tag == f"{w}t" else " ")
        return "".join(parts)
    if s.format == "doc":
        # Word 97 keeps its text as UTF-16 pieces; cells end with U+0007
        return s.data.decode("utf-16-le", errors="replace").replace("\x07", " ")
    if s.format == "html":
        from lxml import html

        m = re.search(rb"charset=([\w-]+)", s.data)
        enc = "gb18030" if m and m.group(1).lower() in (b"gbk", b"gb2312") else "utf-8"
        doc = html.fromstring(s.data.decode(enc))
        return " ".join(t for t in doc.itertext())
    return s.data.decode("utf-8")


def _fmt(v: float | int) -> str:
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return str(v)


# ----------------------------------------------------------------------------- tests


def test_families_listed() -> None:
    assert families() == list(FAMILIES)
    for name in ("word-pdf", "word-pdf-2019", "word-doc", "word-docx", "cms-html", "md-mineru", "md-marker",
                 "md-pandoc", "md-chat", "viewer-text", "web-flat", "pdf-layout-text"):
        assert name in families()


def test_unknown_family_is_a_clear_error() -> None:
    from xxgk.errors import XxgkError

    with pytest.raises(XxgkError) as e:
        make("no-such-family", 1, 0)
    assert "word-pdf" in e.value.message


@pytest.mark.parametrize("family", [f for f in FAMILIES if f not in NEEDS_SOFFICE])
def test_deterministic(family: str) -> None:
    a = make(family, 3, 5)
    b = make(family, 3, 5)
    assert a == b
    c = make(family, 3, 6)
    assert [s.data for s in a] != [s.data for s in c]


def test_deterministic_pdf() -> None:
    _skip_unless_tools("word-pdf")
    a = make("word-pdf", 2, 5)
    b = make("word-pdf", 2, 5)
    assert a == b  # LibreOffice's dates and file ids are fixed from the document


@pytest.mark.parametrize("family", list(FAMILIES))
def test_truth_is_complete_and_sound(family: str) -> None:
    for s in samples(family):
        t = load_template(s.template)
        assert list(s.cells) == t.cell_ids
        assert set(s.expect) <= set(s.cells)
        assert set(s.expect.values()) <= {"missing", "undetermined"}
        assert s.name.startswith(f"{family}-{s.template}-")
        assert t.covers(s.report_year)
        bad = check_cells(s.template, s.cells)
        if "wrong-total" in s.features:
            assert bad, s.name
        else:
            assert bad == [], (s.name, bad)
        if "blank-zeros" in s.features:
            assert any(v is None for c, v in s.cells.items() if c not in s.expect)
        if "no-rules-row" in s.features:
            assert {c for c, e in s.expect.items() if e == "missing"} == {c for c in t.cell_ids if c.startswith("proactive.rules.")}
        if "other-one-row" in s.features:
            assert all(c.startswith("requests.other.") for c, e in s.expect.items() if e == "undetermined")


@pytest.mark.parametrize("family", list(FAMILIES))
def test_printed_numbers_are_in_the_file_in_order(family: str) -> None:
    """Every cell the report must be read for appears in the file's text as a number, in the
    template's cell order (other numbers may come between: prose, labels' numbering)."""
    for s in samples(family):
        text = file_text(s)
        if s.format == "text" or s.format == "md":
            assert "\ufffd" not in text
        tokens = re.findall(r"-?\d+(?:\.\d+)?", text.replace("\u3000", " "))
        # with the 2019 one-row （六）其他处理 the 2021 sub-cells are not printed (only their sums)
        unprinted = "requests.other." if "other-one-row" in s.features else "-"
        want = [_fmt(v) for c, v in s.cells.items()
                if c not in s.expect and v is not None and not c.startswith(unprinted)]
        it = iter(tokens)
        missing = [w for w in want if not any(tok == w for tok in it)]
        assert not missing, (s.name, s.features, want[:20], missing[:5])


@pytest.mark.parametrize("family", list(FAMILIES))
def test_title_agency_and_misprints_are_printed(family: str) -> None:
    for s in samples(family):
        c = compact(file_text(s))
        assert compact(s.agency) in c, s.name
        assert f"{s.report_year}年" in c, s.name
        for f in s.features:
            if f.startswith("misprint:"):
                assert compact(f.split(":", 1)[1]) in c, (s.name, f)


# features each family must show in a batch of N samples (drawn features are checked against the
# file where the file can show them)
EXPECTED_FEATURES = {
    "word-pdf": {"page-numbers", "table-split"},
    "word-pdf-2019": {"page-numbers", "table-split"},
    "word-docx": {"page-numbers"},
    "word-doc": {"page-numbers"},
    "cms-html": {"page-chrome"},
    "md-mineru": {"tool:mineru", "table-split"},
    "md-marker": {"tool:marker"},
    "md-pandoc": {"tool:pandoc"},
    "md-chat": {"tool:chat"},
    "viewer-text": {"hard-wrapped", "page-numbers", "table-split"},
    "web-flat": {"one-line"},
    "pdf-layout-text": {"table-split"},
}


@pytest.mark.parametrize("family", list(FAMILIES))
def test_family_features_are_real(family: str) -> None:
    ss = samples(family)
    union = {f for s in ss for f in s.features}
    assert EXPECTED_FEATURES[family] <= union, union
    for s in ss:
        text = file_text(s)
        feats = set(s.features)
        if "header-repeated" in feats:
            assert compact(text).count("申请人情况") >= 2, s.name
        if "encoding:gbk" in feats:
            with pytest.raises(UnicodeDecodeError):
                s.data.decode("utf-8")
            assert re.search(rb"charset=(gb2312|GBK)", s.data)
        if "one-line" in feats:
            assert "\n" not in s.data.decode("utf-8").strip()
        if "number-runs-into-text" in feats:
            assert re.search(r"\d[\u4e00-\u9fff（]", text)
        if "br-in-cells" in feats:
            assert "<br" in text or s.format == "html"
        if "vertical-labels" in feats and s.format == "pdf":
            lines = [ln.strip() for ln in text.splitlines()]
            assert any(ln.startswith(("三", "本")) and len(ln.split()[0]) == 1 for ln in lines if ln), s.name
        if s.format == "pdf":
            assert s.data.startswith(b"%PDF")
        if s.format == "doc":
            assert s.data.startswith(bytes.fromhex("d0cf11e0a1b11ae1"))  # an OLE compound file
        if s.format == "docx":
            assert zipfile.ZipFile(io.BytesIO(s.data)).testzip() is None


def test_word_pdf_2019_uses_the_2019_tables() -> None:
    from xxgk.gen.office import pdftotext

    for s in samples("word-pdf-2019"):
        c = compact(pdftotext(s.data, layout=False))
        assert s.template == "2019"
        for label in ("上一年项目数量", "采购项目数量", "其他对外管理服务事项", "第二十条第（九）项"):
            if not any(f.startswith("misprint:") and label[:4] in f for f in s.features):
                # a wrapped label's lines may come apart in the text: both ends must be there
                cl = compact(label)
                assert cl[:4] in c and cl[-4:] in c, (s.name, label)


def test_missing_soffice_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from xxgk.errors import XxgkError

    real = shutil.which
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None if name in ("soffice", "libreoffice") else real(name, *a, **k))
    with pytest.raises(XxgkError) as e:
        make("word-pdf", 1, 0)
    assert e.value.code == "soffice-missing"
    assert "LibreOffice" in e.value.message and "LibreOffice" in e.value.message_en
