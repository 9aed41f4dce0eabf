"""Honest exports: the long CSV opens in Excel/WPS (UTF-8 with BOM, Chinese labels from the
template, statuses and evidence), the XLSX holds every report or refuses, statuses are visible
in the workbook, and report text cannot inject formulas."""

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
from openpyxl import load_workbook
from typer.testing import CliRunner

import xxgk
from xxgk import export, export_xlsx
from xxgk.model import CellInfo
from xxgk.template import load_template

SEED_FILES = sorted(SEEDS.glob("*.txt"))
AMBIGUOUS_SEED = SEEDS / "001_319638bbe0944d0f.txt"


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1])
    return subprocess.run([sys.executable, "-m", "xxgk.cli", *args], capture_output=True, text=True, cwd=cwd, env=env)


def hostile_report() -> xxgk.Report:
    r = xxgk.parse(AMBIGUOUS_SEED)
    cid = "requests.new.total"
    prov = dict(r.provenance)
    prov[cid] = prov[cid].model_copy(update={"note": "+1 note"})
    return r.model_copy(update={"agency": "=HYPERLINK(\"http://x\",\"y\")", "title": "@SUM(A1)",
                                "source_path": "-cmd|' /C calc'!A0", "provenance": prov})


def test_labels_come_from_the_template() -> None:
    for tid in ("2019", "2021"):
        t = load_template(tid)
        labels = export.cell_labels(tid)
        assert list(labels) == t.cell_ids
        for cid, (table, row, col) in labels.items():
            spec = t.cell(cid)
            assert table == t.table(spec.table).title
            assert row.endswith(f"{spec.row.numbering}{spec.row.label.text}")
            assert col == spec.column.label.text
    row_with_groups = next(r for _, r, _ in export.cell_labels("2021").values() if "属于国家秘密" in r)
    assert row_with_groups.startswith("三、本年度办理结果 / （三）不予公开 / 1.")


def test_long_csv_every_cell_with_status_and_evidence() -> None:
    r = xxgk.parse(AMBIGUOUS_SEED)
    data = export.to_csv([r])
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(rows) == len(r.cells)
    assert set(rows[0]) == set(export.LONG_HEADER)
    for row in rows:
        info = r.provenance[row["单元格 cell"]]
        assert row["状态 status"] == info.status and row["状态说明 status_zh"] == export.STATUS_ZH[info.status]
        assert row["数值 value"] == ("" if r.cells[row["单元格 cell"]] is None else str(r.cells[row["单元格 cell"]]))
        if info.source is not None:
            assert row["原文行 line"] == str(info.source.line)
        if info.status == "ambiguous":
            assert row["候选值 candidates"].split() == ["空" if c is None else str(c) for c in info.candidates]
        if info.status == "computed":
            assert row["关系 relation"] == info.relation


def test_resolved_cell_carries_its_sentence() -> None:
    r = xxgk.parse(AMBIGUOUS_SEED)
    cid = next(iter(r.cells))
    ev = r.provenance[cid].source
    assert ev is not None
    prov = dict(r.provenance)
    prov[cid] = CellInfo(status="resolved", source=ev, candidates=[1, 2], evidence=ev.model_copy(
        update={"text": "制发规范性文件2件", "line": 7}))
    r = r.model_copy(update={"provenance": prov, "cells": {**r.cells, cid: 2}})
    row = next(csv.DictReader(io.StringIO(export.to_csv([r]).decode("utf-8-sig"))))
    assert row["状态说明 status_zh"] == "正文确定" and row["依据句 evidence"] == "制发规范性文件2件"
    assert row["依据句所在行 evidence_line"] == "7" and row["候选值 candidates"] == "1 2"


def test_formula_injection_neutralised_in_csv() -> None:
    rows = list(csv.reader(io.StringIO(export.to_csv([hostile_report()]).decode("utf-8-sig"))))
    for row in rows[1:]:
        for v in row:
            assert not v.startswith(("=", "+", "@", "\t", "\r")), v
            assert not v.startswith("-") or v.lstrip("-").replace(".", "").isdigit(), v  # numbers only
    assert rows[1][2] == "'=HYPERLINK(\"http://x\",\"y\")" and rows[1][0].startswith("'-cmd")
    assert any(v == "'+1 note" for row in rows for v in row)


def test_formula_injection_neutralised_in_xlsx(tmp_path: Path) -> None:
    out = tmp_path / "x.xlsx"
    out.write_bytes(export.to_xlsx([hostile_report()]))
    wb = load_workbook(out)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, str):
                    assert c.data_type != "f" and not c.value.startswith(("=", "+", "-", "@")), (ws.title, c.value)
    assert wb["汇总"].cell(2, 4).value == "'=HYPERLINK(\"http://x\",\"y\")"


def test_xlsx_holds_every_report_with_statuses(tmp_path: Path) -> None:
    d = tmp_path / "in"
    d.mkdir()
    for i in range(12):
        f = SEED_FILES[i % len(SEED_FILES)]
        (d / f"{i:02d}_{f.name}").write_bytes(f.read_bytes())
    (d / "zz_broken.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    out = tmp_path / "all.xlsx"
    p = cli("parse", str(d), "-f", "xlsx", "-o", str(out), "--jobs", "2")
    assert p.returncode == 1, p.stderr  # one file failed, and the workbook still says so
    wb = load_workbook(out)
    overview = list(wb["汇总"].iter_rows(min_row=2, values_only=True))
    assert len(overview) == 13
    assert [r[2] for r in overview].count("已读取") == 12 and overview[-1][2] == "失败" and "PNG" in overview[-1][-1]
    for table in load_template("2021").tables:  # every report's table laid out, not the first few
        titles = [c.value for c in wb[table.title]["A"] if isinstance(c.value, str) and c.value.endswith(table.title)]
        assert len(titles) == 12
    long = wb["单元格"]
    head = [c.value for c in long[1]]
    sizes = [len(xxgk.parse(f).cells) for f in SEED_FILES]
    assert long.max_row - 1 == sum(sizes[i % len(SEED_FILES)] for i in range(12))
    status = head.index("状态 status") + 1
    legend = [r[0] for r in wb["说明"].iter_rows(min_row=2, max_row=8, values_only=True)]
    assert legend == ["read", "placed", "blank", "computed", "resolved", "ambiguous", "missing"]
    # the ambiguous cells of seed 001: filled and commented on the laid-out sheet, listed in the long form
    amb = [r for r in long.iter_rows(min_row=2) if r[status - 1].value == "ambiguous"]
    assert amb and all(r[status - 1].fill.fgColor.rgb.endswith(export_xlsx.FILLS["ambiguous"][1:]) for r in amb)
    ws = wb["主动公开政府信息情况"]
    commented = [c for row in ws.iter_rows() for c in row if c.comment is not None]
    assert any("待定" in c.comment.text and "22" in c.comment.text for c in commented)
    assert all(c.fill.fgColor.rgb.endswith(export_xlsx.FILLS["ambiguous"][1:])
               for c in commented if "待定" in c.comment.text)


def test_xlsx_refuses_past_its_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from xxgk.cli import app

    monkeypatch.setattr(export_xlsx, "MAX_REPORTS", 3)
    for f in SEED_FILES[:4]:
        (tmp_path / f.name).write_bytes(f.read_bytes())
    out = tmp_path / "x.xlsx"
    res = CliRunner().invoke(app, ["parse", str(tmp_path), "-f", "xlsx", "-o", str(out)])
    assert res.exit_code == 2
    assert "最多容纳 3 份" in res.output and "--format csv" in res.output
    assert not out.exists()


def test_render_xlsx_is_the_plain_official_layout() -> None:
    r = xxgk.parse(SEED_FILES[0])
    wb = load_workbook(io.BytesIO(export.to_xlsx([r], summary=False)))
    assert wb.sheetnames == [t.title for t in load_template(r.template).tables]
    ws = wb[wb.sheetnames[1]]
    assert not any(c.comment for row in ws.iter_rows() for c in row)
    assert ws.merged_cells.ranges  # merged as the template


def test_json_stream_is_what_json_dumps_writes(tmp_path: Path) -> None:
    reports = [xxgk.parse(f) for f in SEED_FILES[:3]]
    data = export.to_json(reports, single=False)
    assert data == json.dumps([r.model_dump(mode="json") for r in reports], ensure_ascii=False, indent=1) + "\n"
    assert export.to_json([], single=False) == "[]\n"
    one = export.to_json(reports[:1], single=True)
    assert one == json.dumps(reports[0].model_dump(mode="json"), ensure_ascii=False, indent=1) + "\n"
    lines = export.to_jsonl(reports).splitlines()
    assert [json.loads(x) for x in lines] == [r.model_dump(mode="json") for r in reports]


def test_csv_injection_through_a_file_name(tmp_path: Path) -> None:
    (tmp_path / "=1+2.txt").write_bytes(SEED_FILES[0].read_bytes())
    p = cli("parse", "=1+2.txt", "-f", "csv", "-o", "out.csv", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    rows = list(csv.reader(io.StringIO((tmp_path / "out.csv").read_text("utf-8-sig"))))
    assert rows[1][0] == "'=1+2.txt"
