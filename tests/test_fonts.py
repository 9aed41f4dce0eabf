"""The PDF never depends on the machine's fonts: xxgk ships its own (vendored, with a manifest of
SHA-256s), every seed and the office's report render and read back with no system font visible
(fontconfig pointed at an empty configuration), and a PDF that would print a box is refused,
nothing written."""

from __future__ import annotations

import hashlib
import importlib.util
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tomllib
from fnmatch import fnmatch
from pathlib import Path

import pytest
from conftest import SEEDS, seed_names

import xxgk
import xxgk.fonts
from xxgk.layout import title
from xxgk.pdfcheck import inspect, verify_pdf
from xxgk.writers import render

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "xxgk"
MANIFEST = json.loads((PACKAGE / "vendored.json").read_text("utf-8"))
RARE = "\U0010fffd"  # a private-use code point no font has


def _vendor_script():  # type: ignore[no-untyped-def]
    """scripts/vendor_assets.py, a script rather than a module of the package."""
    if "vendor_assets" not in sys.modules:
        spec = importlib.util.spec_from_file_location("vendor_assets", ROOT / "scripts" / "vendor_assets.py")
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules["vendor_assets"] = module
        spec.loader.exec_module(module)
    return sys.modules["vendor_assets"]


def truth_report(name: str) -> tuple[xxgk.Report, dict]:
    truth = json.loads((SEEDS / f"{name}.json").read_text("utf-8"))
    report = xxgk.parse(SEEDS / f"{name}.txt")
    return report.model_copy(update={"cells": dict(truth["cells"]), "ambiguous": {}}), truth


@pytest.fixture(scope="module")
def no_fonts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """An environment whose fontconfig sees no font at all (a configuration with no <dir>)."""
    conf = tmp_path_factory.mktemp("fontconfig") / "fonts.conf"
    conf.write_text('<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">\n'
                    "<fontconfig></fontconfig>\n", "utf-8")
    env = {**os.environ, "FONTCONFIG_FILE": str(conf), "PYTHONPATH": str(ROOT)}
    if shutil.which("fc-list"):
        listed = subprocess.run(["fc-list"], env=env, capture_output=True, text=True).stdout
        assert listed.strip() == "", listed  # the premise of every test using it
    return env


def _fontnames(pdf: bytes) -> set[str]:
    import pdfplumber

    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return {c["fontname"].split("+")[-1] for page in doc.pages for c in page.chars}


# ---------------------------------------------------------------- the vendored files


def test_manifest_matches_the_vendored_files() -> None:
    listed = set()
    for pkg in MANIFEST["packages"]:
        assert pkg["name"] and pkg["version"] and pkg["license"] and pkg["integrity"]
        assert pkg["source"].startswith("https://") and pkg["version"] in pkg["source"]
        for f in pkg["files"]:
            data = (PACKAGE / f["path"]).read_bytes()
            assert hashlib.sha256(data).hexdigest() == f["sha256"], f["path"]
            assert len(data) == f["size"]
            listed.add(f["path"])
    for font in xxgk.fonts.BUNDLED:
        assert f"fonts/{font.file}" in listed
    licences = [p for p in listed if p.endswith("OFL.txt")]
    assert len(licences) == len(xxgk.fonts.BUNDLED)
    for p in licences:
        assert "SIL OPEN FONT LICENSE Version 1.1" in (PACKAGE / p).read_text("utf-8")


def test_manifest_follows_the_spec_and_the_check_finds_a_changed_file(tmp_path: Path) -> None:
    va = _vendor_script()
    specs = va.load_spec()
    by_name = {p["name"]: p for p in MANIFEST["packages"]}
    for s in specs:
        assert by_name[s.name]["version"] == s.version and by_name[s.name]["integrity"] == s.integrity
        assert [f["path"] for f in by_name[s.name]["files"]] == [f.dest for f in s.files]
    assert va.check() == []
    # A copy with one changed byte: the check names the file.
    (tmp_path / "fonts").mkdir()
    shutil.copy(PACKAGE / "vendored.json", tmp_path / "vendored.json")
    for pkg in MANIFEST["packages"]:
        for f in pkg["files"]:
            if f["path"].endswith(".txt"):
                (tmp_path / f["path"]).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(PACKAGE / f["path"], tmp_path / f["path"])
    victim = tmp_path / "fonts" / "NotoSerifSC-OFL.txt"
    victim.write_text(victim.read_text("utf-8").replace("Google", "Goggle"), "utf-8")
    problems = va.check(tmp_path)
    assert any("NotoSerifSC-OFL.txt: SHA-256" in p for p in problems)
    assert any("NotoSerifSC-Regular.ttf: missing" in p for p in problems)


def test_package_data_ships_every_vendored_file() -> None:
    """`pip install .` (not editable) copies only package-data: every vendored file matches it."""
    data = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["setuptools"]["package-data"]
    shipped = ["vendored.json"] + [f["path"] for p in MANIFEST["packages"] for f in p["files"]]
    for rel in shipped:
        parts = rel.split("/")
        owners = [(".".join(["xxgk", *parts[:k]]), "/".join(parts[k:])) for k in range(len(parts))]
        assert any(fnmatch(rest, g) for pkg, rest in owners for g in data.get(pkg, [])
                   if (PACKAGE.joinpath(*pkg.split(".")[1:]) / "__init__.py").exists()), rel


def _fake_font(chars: str) -> bytes:
    """A tiny TrueType font with a square glyph for each character."""
    from fontTools.fontBuilder import FontBuilder
    from fontTools.pens.ttGlyphPen import TTGlyphPen

    names = [".notdef"] + [f"g{ord(c):x}" for c in chars]
    fb = FontBuilder(1000, isTTF=True)
    fb.setupGlyphOrder(names)
    fb.setupCharacterMap({ord(c): f"g{ord(c):x}" for c in chars})
    pen = TTGlyphPen(None)
    pen.moveTo((100, 0)), pen.lineTo((100, 700)), pen.lineTo((800, 700)), pen.lineTo((800, 0)), pen.closePath()
    square = pen.glyph()
    fb.setupGlyf({n: square for n in names})
    fb.setupHorizontalMetrics({n: (1000, 100) for n in names})
    fb.setupHorizontalHeader(ascent=880, descent=-120)
    fb.setupNameTable({"familyName": "Fake", "styleName": "Regular"})
    fb.setupOS2()
    fb.setupPost()
    out = io.BytesIO()
    fb.save(out)
    return out.getvalue()


def _npm_tarball(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as t:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def test_vendoring_verifies_extracts_subsets_and_lists(tmp_path: Path) -> None:
    """The vendoring pipeline offline, on a package made here: integrity and licence checked,
    files extracted, a font cut to GB 2312 reproducibly and renamed, the manifest written; a
    tampered archive or a wrong licence is refused."""
    import base64

    from fontTools.ttLib import TTFont

    va = _vendor_script()
    tarball = _npm_tarball({"package/package.json": b'{"name": "fake", "license": "MIT AND OFL-1.1"}',
                            "package/F.ttf": _fake_font("A中䶮"), "package/LICENSE_FONT": b"OFL"})
    sri = "sha512-" + base64.b64encode(hashlib.sha512(tarball).digest()).decode()
    spec = tmp_path / "spec.toml"
    spec.write_text(f'''[[package]]
registry = "npm"
name = "@fake/font"
version = "1.0.0"
integrity = "{sri}"
license = "OFL-1.1"
[[package.files]]
from = "package/F.ttf"
to = "fonts/F-GB2312.ttf"
subset = "gb2312"
family = "Fake GB2312 Subset"
[[package.files]]
from = "package/LICENSE_FONT"
to = "fonts/F-OFL.txt"
''', "utf-8")
    specs = va.load_spec(spec)
    out = tmp_path / "pkg"
    manifest = va.vendor(specs, out, fetcher=lambda p: tarball)
    files = {f["path"]: f for f in manifest["packages"][0]["files"]}
    assert manifest["packages"][0]["source"] == "https://registry.npmjs.org/@fake/font/-/font-1.0.0.tgz"
    font = TTFont(out / "fonts" / "F-GB2312.ttf")
    assert set(font.getBestCmap()) == {ord("A"), ord("中")}  # 䶮 is not in GB 2312
    assert font["name"].getDebugName(1) == "Fake GB2312 Subset"
    first = files["fonts/F-GB2312.ttf"]["sha256"]
    assert va.check(out) == []
    assert va.vendor(specs, out, fetcher=lambda p: tarball)["packages"][0]["files"][0]["sha256"] == first
    with pytest.raises(va.VendorError, match="integrity mismatch"):
        va.vendor(specs, out, fetcher=lambda p: tarball[:-1] + bytes([tarball[-1] ^ 1]))
    spec.write_text(spec.read_text("utf-8").replace('license = "OFL-1.1"', 'license = "Apache-2.0"'), "utf-8")
    with pytest.raises(va.VendorError, match="does not name Apache-2.0"):
        va.vendor(va.load_spec(spec), out, fetcher=lambda p: tarball)


def test_bundled_fonts_cover_simplified_chinese() -> None:
    """The serif font, whole, has every CJK Unified Ideograph and Extension A character and the
    通用规范汉字表 characters beyond the BMP; the heading font at least GB 2312."""
    from fontTools.ttLib import TTFont

    serif = TTFont(xxgk.fonts.SERIF.path, lazy=True).getBestCmap()
    assert all(c in serif for c in range(0x4E00, 0x9FA6))
    assert all(c in serif for c in range(0x3400, 0x4DB6))
    assert sum(1 for c in serif if c >= 0x20000) >= 200
    for name_char in "䶮硚鄠镕喆堃赟珺玥𫖯":  # rare characters of names and places
        assert ord(name_char) in serif, name_char
    sans = TTFont(xxgk.fonts.SANS.path, lazy=True).getBestCmap()
    assert all(ord(c) in sans for c in _vendor_script().gb2312_text())


# ---------------------------------------------------------------- PDF without system fonts


@pytest.fixture(scope="module")
def seed_pdfs(no_fonts: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every seed's ground truth rendered to PDF by a process that sees no system font."""
    out = tmp_path_factory.mktemp("pdfs")
    script = (
        "import json, sys\nfrom pathlib import Path\nimport xxgk\nfrom xxgk.writers import render\n"
        "seeds, out = Path(sys.argv[1]), Path(sys.argv[2])\n"
        "for name in sys.argv[3:]:\n"
        "    truth = json.loads((seeds / f'{name}.json').read_text('utf-8'))\n"
        "    r = xxgk.parse(seeds / f'{name}.txt').model_copy(update={'cells': truth['cells'], 'ambiguous': {}})\n"
        "    (out / f'{name}.pdf').write_bytes(render(r, 'pdf', force=True))\n")
    p = subprocess.run([sys.executable, "-c", script, str(SEEDS), str(out), *seed_names()],
                       env=no_fonts, capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr[-2000:]
    assert "Expect ugly output" not in p.stderr and ".notdef" not in p.stderr
    return out


@pytest.mark.parametrize("name", seed_names())
def test_seed_pdf_without_system_fonts_reads_back(seed_pdfs: Path, name: str) -> None:
    report, truth = truth_report(name)
    pdf = (seed_pdfs / f"{name}.pdf").read_bytes()
    back = xxgk.parse_bytes(pdf)
    assert back.format == "pdf" and back.template == truth["template"]
    assert back.cells == truth["cells"] and not back.ambiguous
    assert back.report_year == truth["report_year"] and back.agency == report.agency
    assert _fontnames(pdf) <= {"xxgk-Noto-Serif-SC", "xxgk-Noto-Sans-SC"}
    glyphs = inspect(pdf)
    assert not glyphs.notdef and not glyphs.not_embedded
    assert title(report) in "".join(glyphs.text)  # the CJK title, glyph by glyph as set


def test_office_pdf_without_system_fonts(no_fonts: dict[str, str], tmp_path: Path) -> None:
    from xxgk.office.demo import populate
    from xxgk.office.service import Office

    db = f"sqlite:///{tmp_path / 'office.db'}"
    office = Office.open(db, actor="test")
    try:
        code = next(iter(populate(office, 2024, per_agency=40)))
        expected = office.tally(code, 2024)
    finally:
        office.close()
    out = tmp_path / "report.pdf"
    p = subprocess.run([sys.executable, "-m", "xxgk.cli", "office", "report", code, "2024", "--db", db,
                        "--to", "pdf", "-o", str(out)], capture_output=True, text=True, env=no_fonts, timeout=300)
    assert p.returncode == 0, p.stderr
    pdf = out.read_bytes()
    back = xxgk.parse_bytes(pdf)
    assert back.agency == expected.agency and back.report_year == 2024
    assert back.cells == expected.cells and not back.ambiguous
    assert _fontnames(pdf) <= {"xxgk-Noto-Serif-SC", "xxgk-Noto-Sans-SC"}


# ---------------------------------------------------------------- refusals


def test_a_character_no_font_has_is_refused_and_nothing_written(no_fonts: dict[str, str],
                                                                tmp_path: Path) -> None:
    report, _ = truth_report("004_6e673f84b28b10ac")
    src = tmp_path / "r.json"
    src.write_text(report.model_copy(update={"agency": report.agency + RARE + "䶮"}).model_dump_json(), "utf-8")
    out = tmp_path / "r.pdf"
    p = subprocess.run([sys.executable, "-m", "xxgk.cli", "render", str(src), "--to", "pdf", "-o", str(out)],
                       capture_output=True, text=True, env=no_fonts, timeout=300)
    assert p.returncode == 2 and not out.exists()
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and "方框" in lines[0] and "U+10FFFD" in lines[0] and "U+4DAE" not in lines[0]
    assert lines[0].index("PDF 自检") < lines[0].index("PDF self-check")


def test_refused_in_process_with_system_fonts_too() -> None:
    report, _ = truth_report("003_7097c5c10f7e9ea9")
    bad = report.model_copy(update={"agency": report.agency + RARE})
    with pytest.raises(xxgk.XxgkError) as e:
        render(bad, "pdf")
    assert e.value.code == "pdf-missing-glyphs" and "U+10FFFD" in e.value.message


def test_a_missing_bundled_font_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    report, _ = truth_report("004_6e673f84b28b10ac")
    monkeypatch.setattr(xxgk.fonts, "FONT_DIR", tmp_path)
    monkeypatch.setattr(xxgk.fonts, "_checked", set())
    with pytest.raises(xxgk.XxgkError) as e:
        render(report, "pdf")
    assert e.value.code == "missing-font" and "重新安装" in e.value.message
    # A damaged copy (another SHA-256) is refused the same way.
    (tmp_path / xxgk.fonts.SERIF.file).write_bytes(b"\0" * 100)
    shutil.copy(PACKAGE / "fonts" / xxgk.fonts.SANS.file, tmp_path)
    with pytest.raises(xxgk.XxgkError, match="NotoSerifSC"):
        render(report, "pdf")


def test_a_missing_bundled_font_writes_nothing_from_the_cli(no_fonts: dict[str, str], tmp_path: Path) -> None:
    report, _ = truth_report("004_6e673f84b28b10ac")
    src = tmp_path / "r.json"
    src.write_text(report.model_dump_json(), "utf-8")
    out = tmp_path / "r.pdf"
    script = ("import sys\nfrom pathlib import Path\nimport xxgk.fonts\nxxgk.fonts.FONT_DIR = Path(sys.argv[1])\n"
              "from xxgk.cli import main\nsys.argv = ['xxgk', 'render', sys.argv[2], '--to', 'pdf', '-o', sys.argv[3]]\n"
              "main()\n")
    p = subprocess.run([sys.executable, "-c", script, str(tmp_path / "empty"), str(src), str(out)],
                       capture_output=True, text=True, env=no_fonts, timeout=300)
    assert p.returncode == 2 and not out.exists()
    assert len(p.stderr.strip().splitlines()) == 1 and "字体" in p.stderr


def test_self_check_finds_text_that_did_not_come_out_and_fonts_not_embedded() -> None:
    import pydyf
    import weasyprint

    faces = xxgk.fonts.font_faces()
    html = f'<style>{faces} body {{ font-family: "{xxgk.fonts.SERIF.family}"; }}</style><p>信息公开 2024</p>'
    pdf = weasyprint.HTML(string=html).write_pdf()
    verify_pdf(pdf, html)  # passes
    with pytest.raises(xxgk.XxgkError, match=r"未能作为文字写入.*U\+9F98"):
        verify_pdf(pdf, html.replace("2024", "2024龘"))
    with pytest.raises(xxgk.XxgkError, match="未能作为文字写入"):
        verify_pdf(pdf, html.replace("公开", "公开公开"))  # each character as often as the page has it
    # A PDF whose font is referenced by name only (not embedded).
    doc = pydyf.PDF()
    font = pydyf.Dictionary({"Type": "/Font", "Subtype": "/Type1", "BaseFont": "/Helvetica"})
    doc.add_object(font)
    content = pydyf.Stream()
    content.begin_text(), content.set_font_size("F1", 12), content.show_text_string("abc"), content.end_text()
    doc.add_object(content)
    page = pydyf.Dictionary({"Type": "/Page", "Parent": doc.pages.reference, "MediaBox": pydyf.Array([0, 0, 200, 200]),
                             "Contents": content.reference,
                             "Resources": pydyf.Dictionary({"Font": pydyf.Dictionary({"F1": font.reference})})})
    doc.add_page(page)
    buf = io.BytesIO()
    doc.write(buf)
    with pytest.raises(xxgk.XxgkError, match="字体未嵌入.*Helvetica"):
        verify_pdf(buf.getvalue(), "<p>abc</p>")
