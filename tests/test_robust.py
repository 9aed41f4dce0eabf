"""No file or number breaks a command (issue 10, items 4, 5, 6 and 8).

* every export (``parse --format xlsx|csv``, ``render --to xlsx``, ``office report --to xlsx``, the
  ledger export) writes a text starting with = + - @ as text, never as a formula (read back);
* what used to end in a traceback ends in one line and exit code 2 (a control character in a
  part's text, Rich markup in a file name, the reader's undocumented exceptions in ``render`` and
  ``office compare``, a bad calendar table, ``office county 0``, a ledger declaring a DTD);
* the reader: a deleted printed 0 never moves a number into another cell; a damaged byte is
  flagged, not a reason to refuse the file; a file of several reports says so; a title alone is
  not a report;
* a LibreOffice conversion that times out leaves no process behind.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

import xxgk
from xxgk.errors import XxgkError
from xxgk.safetext import FORMULA_START

ROOT = Path(__file__).resolve().parents[1]
SEEDS = Path(__file__).parent / "fixtures" / "seeds"
SEED0 = SEEDS / "000_623b78143b223035"
TITLE0 = "三门峡市陕州区人民政府办公室2021年政府信息公开工作年度报告"
ROW0 = "一、本年新收政府信息公开申请数量\t\t2\t0\t0\t0\t0\t0\t2\t"


def seed_text() -> str:
    return SEED0.with_suffix(".txt").read_text("utf-8")


def truth() -> dict:
    return json.loads(SEED0.with_suffix(".json").read_text("utf-8"))["cells"]


def run(*args: str, cwd: Path | None = None, code: str | None = None) -> subprocess.CompletedProcess[str]:
    """``xxgk ARGS`` as a user runs it (a real process, through ``main``); ``code``: Python run
    first in that process (to make the reader fail as a bug would)."""
    prog = ("import sys\n" + (code or "") + "\nfrom xxgk.cli import main\nsys.argv = ['xxgk', *sys.argv[1:]]\nmain()\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT), XXGK_USER="测试员")
    env.pop("XXGK_DEBUG", None)
    return subprocess.run([sys.executable, "-c", prog, *args], capture_output=True, text=True, cwd=cwd, env=env,
                          timeout=120)


def one_line_error(p: subprocess.CompletedProcess[str], needle: str = "") -> None:
    assert p.returncode == 2, (p.returncode, p.stderr)
    assert "Traceback" not in p.stderr, p.stderr
    lines = [ln for ln in p.stderr.strip().splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("错误"), p.stderr
    assert needle in lines[0], (needle, lines[0])


# ---------------------------------------------------------------- 4. formula injection

def formulas_in_xlsx(path: Path) -> list[tuple[str, str, object]]:
    """Cells a spreadsheet would run: a formula cell, or text starting with = + - @ tab CR."""
    bad = []
    wb = load_workbook(path)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.data_type == "f" or (isinstance(c.value, str) and c.value.startswith(FORMULA_START)):
                    bad.append((ws.title, c.coordinate, c.value))
    return bad


def texts_in_xlsx(path: Path) -> set[str]:
    wb = load_workbook(path)
    return {c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)}


def formulas_in_csv(path: Path) -> list[str]:
    rows = list(csv.reader(io.StringIO(path.read_text("utf-8-sig"))))
    return [v for row in rows for v in row if v.startswith(FORMULA_START)
            and not (v.startswith("-") and v[1:].replace(".", "", 1).isdigit())]  # a negative number stays one


@pytest.mark.parametrize("lead", ["=", "+", "-", "@"])
def test_parse_and_render_exports_hold_no_formula(lead: str, tmp_path: Path) -> None:
    agency = f'{lead}HYPERLINK("x")某局'
    name = f"{lead}SUM(A1)报告.txt"
    (tmp_path / name).write_text(seed_text().replace(TITLE0, f"{agency}2021年政府信息公开工作年度报告"), "utf-8")
    cli = CliRunner()
    from xxgk.cli import app

    for args, out in ((["parse", "-f", "xlsx", "-o", "p.xlsx"], "p.xlsx"),
                      (["parse", "-f", "csv", "-o", "p.csv"], "p.csv"),
                      (["render", "--to", "xlsx", "-o", "r.xlsx", "--force"], "r.xlsx")):
        cwd = os.getcwd()
        os.chdir(tmp_path)  # the file named as given: its name starts with the formula
        try:
            r = cli.invoke(app, [*args, "--", name])
        finally:
            os.chdir(cwd)
        assert r.exit_code == 0, (args, r.output)
        path = tmp_path / out
        if out.endswith(".csv"):
            assert formulas_in_csv(path) == []
            body = path.read_text("utf-8-sig")
            assert f"'{agency}".replace('"', '""') in body and f"'{name}" in body
        else:
            assert formulas_in_xlsx(path) == []
            texts = texts_in_xlsx(path)
            assert any(t.startswith(f"'{agency}") for t in texts), out  # the title row, neutralised
            if out == "p.xlsx":
                assert f"'{agency}" in texts and f"'{name}" in texts
                # numbers stay numbers
                wb = load_workbook(path)
                assert any(isinstance(c.value, int) for row in wb["单元格"].iter_rows() for c in row)


def test_office_report_and_ledger_exports_hold_no_formula(tmp_path: Path) -> None:
    from xxgk.office.ledger import export_requests, read_ledger
    from xxgk.office.service import Office

    db = f"sqlite:///{tmp_path / 'o.db'}"
    agency, applicant, description = '=HYPERLINK("http://x")某局', "@SUM(1)", "=1+1 -2"
    o = Office.open(db, actor="测试员", create=True)
    try:
        o.add_agency("x", agency)
        run_add = CliRunner().invoke
        from xxgk.cli import app

        r = run_add(app, ["office", "add", "x", "--applicant", applicant, "--received", "2024-03-01",
                          "--description", description, "--today", "2024-03-01", "--db", db])
        assert r.exit_code == 0, r.output
        views = o.requests("x")
    finally:
        o.close()
    r = CliRunner().invoke(app, ["office", "report", "x", "2024", "--to", "xlsx", "-o", str(tmp_path / "rep.xlsx"),
                                 "--db", db])
    assert r.exit_code == 0, r.output
    assert formulas_in_xlsx(tmp_path / "rep.xlsx") == []
    assert any(t.startswith(f"'{agency}") for t in texts_in_xlsx(tmp_path / "rep.xlsx"))
    for fmt in ("xlsx", "csv"):
        path = export_requests(views, tmp_path / f"ledger.{fmt}")
        if fmt == "xlsx":
            assert formulas_in_xlsx(path) == []  # was: '=1+1 -2' as a text cell starting with =
            assert {f"'{applicant}", f"'{description}"} <= texts_in_xlsx(path)
        else:
            assert formulas_in_csv(path) == []
        back = read_ledger(path)  # the import takes the guard off again
        assert back[0].data is not None, back[0].error
        assert back[0].data["applicant"]["name"] == applicant and back[0].data["description"] == description


def test_control_characters_never_reach_a_spreadsheet_or_docx(tmp_path: Path) -> None:
    text = seed_text().replace("2021年，我办以", "2021年，\x0b我\x01办以", 1)
    r = xxgk.parse_bytes(text.encode(), "vt.txt")
    assert any("\x0b" in p.text for p in r.parts.values())  # the reader keeps what the file says
    from xxgk.export import to_csv, to_xlsx
    from xxgk.writers import render

    (tmp_path / "a.xlsx").write_bytes(to_xlsx([r]))
    assert not any("\x01" in t or "\x0b" in t for t in texts_in_xlsx(tmp_path / "a.xlsx"))
    assert b"\x01" not in to_csv([r])
    import docx

    (tmp_path / "a.docx").write_bytes(render(r, "docx", force=True))
    body = "\n".join(p.text for p in docx.Document(str(tmp_path / "a.docx")).paragraphs)
    assert "我办以" in body and "\x01" not in body


def test_a_web_page_with_a_control_character_is_read() -> None:
    """lxml refused a text node holding a control character (a damaged byte) with a ValueError."""
    page = ("<html><body><h1>某局2021年政府信息公开工作年度报告</h1><p>一、总体情况</p>"
            "<p>a\x01b<script>x</script>tail\x02</p></body></html>")
    r = xxgk.parse_bytes(page.encode(), "ctl.html")
    assert r.format == "html" and r.agency == "某局"


# ---------------------------------------------------------------- 5. one line, never a traceback

def test_docx_with_a_vertical_tab_renders(tmp_path: Path) -> None:
    (tmp_path / "vt.txt").write_text(seed_text().replace("2021年，我办以", "2021年，\x0b我办以", 1), "utf-8")
    p = run("render", "vt.txt", "--to", "docx", "-o", "vt.docx", cwd=tmp_path)
    assert p.returncode == 0 and "Traceback" not in p.stderr, p.stderr
    with zipfile.ZipFile(tmp_path / "vt.docx") as z:
        assert "我办以" in z.read("word/document.xml").decode()


def test_rich_markup_in_names_and_titles_is_printed_as_text(tmp_path: Path) -> None:
    (tmp_path / "x][").mkdir()
    title = "[/x]某局[bold]2021年政府信息公开工作年度报告"
    (tmp_path / "x][" / "y.txt").write_text(seed_text().replace(TITLE0, title), "utf-8")
    # a missing file whose name closes a tag that the message around it never opened
    one_line_error(run("check", "x][/missing.txt", cwd=tmp_path), "x][/missing.txt")
    p = run("check", "x][/y.txt", "x][/missing.txt", "--info", cwd=tmp_path)  # the summary names the failure
    assert p.returncode == 1 and "Traceback" not in p.stderr, p.stderr
    assert "x][/missing.txt" in p.stderr and "[/x]某局[bold]" in p.stdout and "x][/y.txt" in p.stdout


BUG = "import xxgk.api\ndef boom(*a, **k):\n    raise RuntimeError('boom')\nxxgk.api.extract = boom\n"


def test_render_and_compare_report_a_bug_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "r.txt").write_text(seed_text(), "utf-8")
    one_line_error(run("render", "r.txt", "--to", "html", cwd=tmp_path, code=BUG), "内部错误（RuntimeError: boom")
    db = f"sqlite:///{tmp_path / 'o.db'}"
    assert run("office", "agency-add", "x", "某局", "--db", db).returncode == 0
    one_line_error(run("office", "compare", "x", "2024", "r.txt", "--db", db, cwd=tmp_path, code=BUG), "内部错误")


@pytest.mark.parametrize("toml,needle", [
    ("[years.abc]\nsource = 'x'\n", "abc"),
    ("[years.2027]\nholidays = '2027-01-01'\n", "holidays"),
    ("years = 5\n", "years"),
    ("[years]\n2027 = 'x'\n", "years.2027"),
    ("days = 3\n", "days"),
    ("days = [5]\n", "days"),
    ("[[days]]\ndate = '2025-06-03'\nworkday = 'no'\n", "workday"),
    ("[years.99999]\n", "99999"),
])
def test_bad_calendar_table_is_one_line(toml: str, needle: str, tmp_path: Path) -> None:
    (tmp_path / "c.toml").write_text(toml, "utf-8")
    from xxgk.workdays import Overrides

    with pytest.raises(XxgkError) as e:
        Overrides.load(tmp_path / "c.toml")
    assert e.value.code == "calendar-file" and needle in e.value.message


def test_calendar_and_county_commands_give_one_line(tmp_path: Path) -> None:
    (tmp_path / "c.toml").write_text("[years.abc]\nsource = 'x'\n", "utf-8")
    one_line_error(run("deadline", "2024-09-27", "--calendar", "c.toml", cwd=tmp_path), "abc")
    db = f"sqlite:///{tmp_path / 'o.db'}"
    assert run("office", "init", "--db", db).returncode == 0
    one_line_error(run("office", "county", "0", "--db", db), "年度 0")


def _ledger_with_dtd(tmp_path: Path) -> Path:
    from xxgk.office.ledger import EXPORT_COLUMNS

    src = tmp_path / "plain.xlsx"
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append([h for h, _ in EXPORT_COLUMNS])
    wb.active.append(["2024-0001", 2024, "XXE", "自然人", "互联网", "2024-03-01", "x"])
    wb.save(src)
    laughs = '<!ENTITY a0 "xxxxxxxxxx">' + "".join(
        f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">' for i in range(1, 9))
    out = tmp_path / "dtd.xlsx"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                # a long comment first: the declaration lies past any fixed-size look at the head
                body = data.split(b"?>", 1)[-1]
                data = (b'<?xml version="1.0" encoding="UTF-8"?><!--' + b" " * 5000 + b"-->"
                        + f"<!DOCTYPE worksheet [{laughs}]>".encode() + body)
                data = data.replace(b">XXE<", b">&a8;<")
            zout.writestr(info, data)
    return out


def test_ledger_declaring_a_dtd_is_refused_in_one_line(tmp_path: Path) -> None:
    from xxgk.office.ledger import read_ledger

    path = _ledger_with_dtd(tmp_path)
    with pytest.raises(XxgkError) as e:
        read_ledger(path)
    assert e.value.code == "xml-entities"
    db = f"sqlite:///{tmp_path / 'o.db'}"
    assert run("office", "agency-add", "x", "某局", "--db", db).returncode == 0
    one_line_error(run("office", "import", "x", str(path), "--dry-run", "--db", db), "DTD")
    with pytest.raises(XxgkError) as e:  # the reader refuses it the same way
        xxgk.parse(path)
    assert e.value.code == "xml-entities"


# ---------------------------------------------------------------- 6. the reader

def test_a_deleted_zero_never_moves_a_number() -> None:
    """Deleting the printed 0 of 商业企业 in 一、本年新收 once read requests.unable.not_held.commercial
    as 2 (status read, no finding), and 20 printed zeros as blanks: one interior blank had switched
    the whole table to writing zeros as blanks."""
    text = seed_text()
    assert ROW0 in text
    damaged = text.replace(ROW0, ROW0.replace("\t2\t0\t", "\t2\t\t", 1))
    r = xxgk.parse_bytes(damaged.encode(), "damaged.txt")
    expected = truth()
    wrong = {c: (expected[c], r.cells[c]) for c in expected if r.cells[c] != expected[c]}
    assert set(wrong) == {"requests.new.commercial"}, wrong  # the 20 zeros are read again
    info = r.provenance["requests.new.commercial"]
    assert r.cells["requests.new.commercial"] is None and info.status in ("blank", "ambiguous")
    findings = xxgk.check(r)
    said = [f for f in findings if "requests.new.commercial" in f.cells and f.severity != "info"]
    assert said and said[0].rule in ("cell-blank", "cell-ambiguous")
    # the undamaged report says nothing of the kind
    assert not any(f.rule == "cell-blank" for f in xxgk.check(xxgk.parse_bytes(text.encode(), "x.txt")))


@pytest.mark.parametrize("label,row", [
    ("二、上年结转政府信息公开申请数量", "requests.carried_in."),
    ("(二) 部分公开", "requests.partial."),
    ("1. 信访举报投诉类申请", "requests.not_processed.petition."),
])
def test_a_deleted_zero_elsewhere_is_never_a_wrong_value(label: str, row: str) -> None:
    """Any one printed 0 deleted: the damaged row is read as printed or left open, with a finding;
    every other row reads exactly."""
    text = seed_text()
    start = text.index(label)
    end = text.index("\n", start)
    line = text[start:end]
    expected = truth()
    for k in range(line.count("\t0")):
        at = [i for i in range(len(line)) if line.startswith("\t0", i)][k]
        damaged = text[:start] + line[:at + 1] + line[at + 2:] + text[end:]
        r = xxgk.parse_bytes(damaged.encode(), "damaged.txt")
        for c, v in expected.items():
            got = r.cells[c]
            assert got is None or got == v, (k, c, v, got, r.provenance[c])
            assert got == v or c.startswith(row), (k, c, v, got)  # the other rows read exactly
        unread = [c for c in expected if r.cells[c] != expected[c]]
        said = {c for f in xxgk.check(r) if f.severity != "info" for c in f.cells}
        assert set(unread) <= said, (k, unread)


def test_a_damaged_byte_is_read_around_and_flagged() -> None:
    data = SEED0.with_suffix(".txt").read_bytes()
    # a byte in the middle of a Chinese character in the prose: the file used to be refused whole
    i = data.index("坚持以".encode()) + 1
    damaged = data[:i] + bytes([data[i] ^ 0x40]) + data[i + 1:]
    with pytest.raises(UnicodeDecodeError):
        damaged.decode("utf-8")
    r = xxgk.parse_bytes(damaged, "flip.txt")
    assert {c: v for c, v in r.cells.items()} == truth()
    d = [x for x in r.diagnostics if x.kind == "text-damaged"]
    assert len(d) == 1 and d[0].source is not None and "\ufffd" in d[0].source.text
    assert any(f.rule == "text-damaged" and f.source == d[0].source for f in xxgk.check(r))
    # cut mid-character: the rest is read
    cut = data[: data.index("二、主动公开".encode()) + 2]
    assert xxgk.parse_bytes(cut, "cut.txt").agency == "三门峡市陕州区人民政府办公室"


def test_a_damaged_byte_in_a_table_row_leaves_the_row_open() -> None:
    data = SEED0.with_suffix(".txt").read_bytes()
    row = ROW0.encode()
    i = data.index(row) + row.index(b"\t2\t") + 1  # the printed 2 of 自然人
    damaged = data[:i] + b"\xb2" + data[i + 1:]  # a bit flipped: no longer a digit, nor UTF-8
    r = xxgk.parse_bytes(damaged, "flip.txt")
    expected = truth()
    for c, v in expected.items():
        assert r.cells[c] is None or r.cells[c] == v, (c, v, r.cells[c])
    open_ = [c for c in expected if c.startswith("requests.new.")]
    assert all(c in r.ambiguous for c in open_)
    assert any(f.rule == "text-damaged" for f in xxgk.check(r))


def test_random_bit_flips_are_never_refused() -> None:
    import random

    data = SEED0.with_suffix(".txt").read_bytes()
    rng = random.Random(10)
    refused = []
    for _ in range(12):
        b = bytearray(data)
        p = rng.randrange(len(b))
        b[p] ^= 1 << rng.randrange(8)
        try:
            xxgk.parse_bytes(bytes(b), "flip.txt")
        except XxgkError as e:
            refused.append((p, e.code))
    assert refused == []


def test_a_file_of_several_reports_says_so() -> None:
    first = seed_text()
    second = (SEEDS / "004_6e673f84b28b10ac.txt").read_text("utf-8")
    r = xxgk.parse_bytes((second + "\n\n" + first).encode(), "two.txt")
    assert r.agency == "洛阳市洛龙区翠云路街道办事处"  # the first report is read
    d = [x for x in r.diagnostics if x.kind == "several-reports"]
    assert len(d) == 1 and d[0].detail["title"] == TITLE0
    line = (second + "\n\n").count("\n") + first.splitlines().index(TITLE0) + 1
    assert d[0].source is not None and d[0].source.line == line
    f = [x for x in xxgk.check(r) if x.rule == "several-reports"]
    assert f and f[0].severity == "warning" and f"第{line}行" in f[0].message
    # a second report that has no title of its own: its tables say so
    r = xxgk.parse_bytes((first + "\n\n" + (SEEDS / "003_7097c5c10f7e9ea9.txt").read_text("utf-8")).encode(), "x")
    assert any(x.kind == "several-reports" for x in r.diagnostics)
    for seed in SEEDS.glob("*.txt"):  # one report: nothing said
        assert not any(x.kind == "several-reports" for x in xxgk.parse(seed).diagnostics), seed.name


def test_a_title_alone_is_not_a_report() -> None:
    with pytest.raises(XxgkError) as e:
        xxgk.parse_bytes(f"\n{TITLE0}\n\n".encode(), "title.txt")
    assert e.value.code == "not-a-report" and "只有标题" in e.value.message


# ---------------------------------------------------------------- 8. LibreOffice left running

FAKE_SOFFICE = """#!/bin/sh
# a LibreOffice that hangs: a child of its own (as oosplash starts soffice.bin), then sleeps
sleep 300 &
echo $$ $! >> "$XXGK_FAKE_PIDS"
sleep 300
"""


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"  # a zombie is dead
    except FileNotFoundError:
        return False


def _fake_soffice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    exe = bin_ / "soffice"
    exe.write_text(FAKE_SOFFICE)
    exe.chmod(0o755)
    pids = tmp_path / "pids"
    monkeypatch.setenv("PATH", f"{bin_}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("XXGK_FAKE_PIDS", str(pids))
    return pids


def _started(pids: Path) -> list[int]:
    for _ in range(50):
        if pids.exists() and pids.read_text().strip():
            break
        time.sleep(0.05)
    return [int(x) for x in pids.read_text().split()]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="process groups and /proc")
def test_conversion_timeout_kills_everything_libreoffice_started(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from xxgk.readers import office

    pids = _fake_soffice(tmp_path, monkeypatch)
    monkeypatch.setattr(office, "TIMEOUT", 1)
    with pytest.raises(XxgkError) as e:
        office.convert(b"\xd0\xcf\x11\xe0" + bytes(100), ".doc", "docx", "hang.doc")
    assert e.value.code == "convert-timeout"
    started = _started(pids)
    assert len(started) == 2
    time.sleep(0.2)
    assert [p for p in started if _alive(p)] == []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="process groups and /proc")
def test_batch_timeout_kills_libreoffice_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The batch kills a worker past its time limit; LibreOffice, in a session of its own, goes too."""
    from xxgk import batch

    pids = _fake_soffice(tmp_path, monkeypatch)
    doc = tmp_path / "hang.doc"
    doc.write_bytes(b"\xd0\xcf\x11\xe0" + bytes(100))
    items = list(batch.run([doc], jobs=1, limits=batch.Limits(timeout=2)))
    assert items[0].failure is not None and items[0].failure.code == "timeout"
    started = _started(pids)
    time.sleep(0.3)
    assert [p for p in started if _alive(p)] == []


@pytest.mark.skipif(not (os.environ.get("CI") or __import__("shutil").which("soffice")),
                    reason="LibreOffice is not installed")
def test_a_real_conversion_still_works() -> None:
    r = xxgk.parse(Path(__file__).parent / "fixtures" / "real" / "official-template-filled.doc")
    assert r.format == "doc" and sum(v is not None for v in r.cells.values()) > 100
