"""The command line, run as a user runs it: a real process, real files, exit codes."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SEEDS

import xxgk


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "xxgk.cli", *args], capture_output=True, text=True,
                          cwd=cwd, env={k: v for k, v in os.environ.items() if k != "COLUMNS"})


SEED = SEEDS / "001_319638bbe0944d0f.txt"


def test_parse_json_interface() -> None:
    p = run("parse", str(SEED), "--format", "json")
    assert p.returncode == 0, p.stderr
    data = json.loads(p.stdout)
    for key in ("template", "report_year", "agency", "published_date", "cells", "ambiguous"):
        assert key in data
    assert data["template"] == "2021" and data["published_date"] == "2022-01-27"
    assert data["cells"]["proactive.normative.issued"] is None
    assert 22 in data["ambiguous"]["proactive.normative.issued"]
    assert data["cells"]["requests.new.total"] == 100


def test_check_json_interface_and_exit_code() -> None:
    p = run("check", str(SEED), "--format", "json")
    assert p.returncode == 1  # an error (ambiguous cells) was found
    findings = json.loads(p.stdout)
    assert all({"rule", "severity", "message", "cells"} <= set(f) for f in findings)
    assert any(f["rule"] == "cell-ambiguous" and f["cells"] == ["proactive.normative.issued"] for f in findings)


def test_check_exit_zero_without_errors() -> None:
    p = run("check", str(SEEDS / "004_6e673f84b28b10ac.txt"))
    assert p.returncode == 0, p.stdout
    assert "row-width" in p.stdout


def test_batch_folder_with_a_bad_file(tmp_path: Path) -> None:
    for f in SEEDS.glob("*.txt"):
        (tmp_path / f.name).write_bytes(f.read_bytes())
    (tmp_path / "broken.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    p = run("parse", str(tmp_path), "--format", "jsonl", "--jobs", "2")
    assert p.returncode == 1
    lines = [json.loads(x) for x in p.stdout.splitlines()]
    assert len(lines) == 5
    assert "broken.txt" in p.stderr and "PNG" in p.stderr
    assert "Traceback" not in p.stderr


def test_csv_long_form(tmp_path: Path) -> None:
    out = tmp_path / "cells.csv"
    p = run("parse", str(SEED), str(SEEDS / "002_951f206c009c1905.txt"), "--format", "csv", "-o", str(out))
    assert p.returncode == 0, p.stderr
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM: Excel and WPS on Chinese Windows
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert len(rows) == 200 + 198
    assert "单元格 cell" in rows[0] and "状态说明 status_zh" in rows[0]
    r = next(r for r in rows if r["单元格 cell"] == "requests.new.total" and "001_" in r["来源文件 source_path"])
    assert r["数值 value"] == "100" and r["状态 status"] == "placed"  # the row prints 6 cells for 7
    assert r["状态说明 status_zh"] == "定位" and r["说明 note"]
    assert r["行 row"] == "一、本年新收政府信息公开申请数量" and r["列 column"] == "总计"
    assert r["表格 table"] == "收到和处理政府信息公开申请情况"
    r = next(r for r in rows if r["单元格 cell"] == "proactive.penalty.decisions" and "001_" in r["来源文件 source_path"])
    assert r["数值 value"] == "0" and r["状态 status"] == "read" and r["原文行 line"] and r["原文文字 text"]
    amb = next(r for r in rows if r["单元格 cell"] == "proactive.normative.issued")
    assert amb["数值 value"] == "" and amb["状态 status"] == "ambiguous" and amb["状态说明 status_zh"] == "待定"
    assert "22" in amb["候选值 candidates"].split() and amb["候选完整 complete"] in ("是", "否")


def test_xlsx_laid_out_as_template(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    out = tmp_path / "r.xlsx"
    p = run("parse", str(SEEDS / "003_7097c5c10f7e9ea9.txt"), "--format", "xlsx", "-o", str(out))
    assert p.returncode == 0, p.stderr
    wb = load_workbook(out)
    assert wb.sheetnames[0] == "汇总" and wb.sheetnames[-1] == "说明"
    req = wb[next(n for n in wb.sheetnames if "收到和处理" in n)]
    values = {(c.row, c.column): c.value for row in req.iter_rows() for c in row}
    row = next(r for (r, col), v in values.items() if v == "一、本年新收政府信息公开申请数量")
    assert [values[(row, c)] for c in range(4, 11)] == [1, 0, 0, 0, 0, 0, 1]  # three label columns, as the template
    sheet = wb["数值-2021模板"]
    head = [c.value for c in sheet[1]]
    assert sheet.cell(3, head.index("proactive.licensing.decisions") + 1).value == 1878
    overview = wb["汇总"]
    assert overview.cell(2, 3).value == "已读取" and "003_" in overview.cell(2, 2).value


def test_xlsx_needs_output() -> None:
    p = run("parse", str(SEED), "--format", "xlsx")
    assert p.returncode == 2 and "--output" in p.stderr


def test_schema_rules_cells() -> None:
    p = run("schema")
    assert p.returncode == 0
    schema = json.loads(p.stdout)
    assert {"cells", "ambiguous", "template"} <= set(schema["properties"])
    p = run("rules", "--format", "json")
    codes = {r["code"] for r in json.loads(p.stdout)}
    assert {"requests-balance", "late-publication", "cell-ambiguous"} <= codes
    p = run("cells", "--template", "2019")
    assert len(p.stdout.splitlines()) == len(xxgk.load_template("2019").cell_ids)


def test_demo(tmp_path: Path) -> None:
    p = run("demo", "-o", str(tmp_path / "d"))
    assert p.returncode == 0, p.stderr
    assert (tmp_path / "d" / "reports.xlsx").stat().st_size > 0
    assert len((tmp_path / "d" / "reports.jsonl").read_text("utf-8").splitlines()) == 5
    assert "廊坊市人民政府办公室" in p.stdout
    # the office part: a SQLite database of demo records and the year's reports made from them
    assert (tmp_path / "d" / "office.db").exists()
    assert p.stdout.count("勾稽关系成立") == 3
    html = (tmp_path / "d" / "office-fgw-2024.html").read_text("utf-8")
    assert "示例县发展和改革局2024年政府信息公开工作年度报告" in html
    listed = run("office", "list", "fgw", "--db", f"sqlite:///{tmp_path / 'd' / 'office.db'}", "-f", "json")
    assert listed.returncode == 0 and len(json.loads(listed.stdout)) == 120


BAD = [
    ("empty", b"", "文件为空"),
    ("blank", b"\n\n   \n", "文件为空"),
    ("binary", bytes(range(256)) * 40, "二进制"),
    ("image", b"\x89PNG\r\n\x1a\n" + bytes(200), "PNG"),
    ("jpeg", b"\xff\xd8\xff\xe0" + bytes(200), "JPEG"),
    ("not-a-report", "今天天气很好，我们去公园散步。\n".encode() * 20, "不是年度报告"),
    ("unknown-encoding", bytes(range(0x80, 0x100)) * 30, "编码"),
]


@pytest.mark.parametrize("name, data, message", BAD, ids=[b[0] for b in BAD])
def test_bad_input_one_line_nonzero(tmp_path: Path, name: str, data: bytes, message: str) -> None:
    f = tmp_path / f"{name}.txt"
    f.write_bytes(data)
    out = tmp_path / "out.json"
    p = run("parse", str(f), "-o", str(out))
    assert p.returncode == 2
    assert message in p.stderr, p.stderr
    assert len(p.stderr.strip().splitlines()) == 1, p.stderr
    assert "/ error:" in p.stderr  # Chinese and English
    assert "Traceback" not in p.stderr
    assert not out.exists()  # nothing half-written


def test_missing_path() -> None:
    p = run("parse", "/no/such/report.txt")
    assert p.returncode == 2 and "文件不存在" in p.stderr and "no such file" in p.stderr


def test_huge_file(tmp_path: Path) -> None:
    f = tmp_path / "huge.txt"
    with f.open("wb") as fh:
        fh.seek(100 * 1024 * 1024)
        fh.write(b"x")
    p = run("check", str(f))
    assert p.returncode == 2 and "文件过大" in p.stderr and "too large" in p.stderr


def test_encodings_and_bom(tmp_path: Path) -> None:
    text = SEED.read_text("utf-8")
    for enc, data in [("gb18030", text.encode("gb18030")), ("gbk", text.replace("\xa0", " ").encode("gbk")),
                      ("utf-8-sig", text.encode("utf-8-sig")), ("utf-16", text.encode("utf-16"))]:
        f = tmp_path / f"{enc}.txt"
        f.write_bytes(data)
        report = xxgk.parse(f)
        assert report.cells["requests.new.total"] == 100, enc
        assert report.agency == "廊坊市人民政府办公室", enc
