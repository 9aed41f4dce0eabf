"""``xxgk office …`` and ``xxgk deadline`` end to end, as a user types them (real processes)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


def run(*args: str, db: str | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, XXGK_USER="测试员")
    if db:
        env["XXGK_DATABASE_URL"] = db
    return subprocess.run([sys.executable, "-m", "xxgk.cli", *args], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=120)


def test_deadline_calculator_needs_no_database(tmp_path: Path):
    r = run("deadline", "2024-09-27", "--format", "json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["due"] == "2024-10-30"
    assert any(d["reason"].startswith("调休上班") and d["counted"] for d in data["days"])
    assert list(tmp_path.iterdir()) == []  # nothing written
    r = run("deadline", "2024-09-27", "--correction-received", "2024-10-21", "--consultation",
            "2024-10-22:2024-10-25", "--extension", "10")
    # 18 Nov + 3 paused (23, 24, 25 Oct) = 21 Nov; + 10 = 5 Dec
    assert r.returncode == 0 and "2024-12-05" in r.stdout.splitlines()[0]
    assert "收到补正" in r.stdout and "延长" in r.stdout


@pytest.mark.parametrize("args,needle", [
    (["deadline", "2024-13-01"], "不是有效日期"),
    (["deadline", "2026-12-10"], "2027"),
    (["deadline", "2024-09-27", "--extension", "30"], "20"),
    (["deadline", "2024-09-27", "--calendar", "missing.toml"], "not found"),
])
def test_deadline_bad_input(args, needle, tmp_path: Path):
    r = run(*args, cwd=tmp_path)
    assert r.returncode == 2 and needle in r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_office_workflow(office_url: str, tmp_path: Path):
    db = office_url
    assert run("office", "init", db=db).returncode == 0
    assert run("office", "agency-add", "fgw", "某市发展和改革委员会", db=db).returncode == 0
    r = run("office", "add", "fgw", "--applicant", "李四", "--kind", "自然人", "--received", "2024-09-27",
            "--description", "某项目环评文件", "--today", "2025-01-10", "-f", "json", db=db)
    assert r.returncode == 0, r.stderr
    v = json.loads(r.stdout)
    assert v["tracking_no"] == "2024-0001" and v["due_on"] == "2024-10-30"
    r = run("office", "add", "fgw", "--applicant", "某律所", "--kind", "法律服务机构", "--received", "2024-12-30",
            "--description", "x", "--channel", "fax", "--today", "2025-01-10", db=db)
    assert r.returncode == 0, r.stderr
    r = run("office", "event", "fgw", "2024-0001", "extension_approved", "2024-10-28", "--days", "20",
            "--approver", "王五", "--today", "2025-01-10", db=db)
    assert r.returncode == 0 and "2024-11-27" in r.stdout, r.stderr
    r = run("office", "list", "fgw", "--overdue", "--today", "2024-11-28", "-f", "json", db=db)
    assert [x["tracking_no"] for x in json.loads(r.stdout)] == ["2024-0001"]
    r = run("office", "decide", "fgw", "2024-0001", "2024-11-20", "部分公开", "--basis", "条例第三十七条",
            "--today", "2025-01-10", db=db)
    assert r.returncode == 0 and "partial" in r.stdout, r.stderr
    r = run("office", "show", "fgw", "2024-0001", db=db)
    assert "批准延长答复期限（测试员）" in r.stdout and "第40个工作日" in r.stdout
    r = run("office", "decide", "fgw", "2024-0001", "2024-11-21", "granted", "--today", "2025-01-10", db=db)
    assert r.returncode == 2 and "已于 2024-11-20 办结" in r.stderr and "Traceback" not in r.stderr
    r = run("office", "county", "2024", "-f", "json", db=db)
    assert json.loads(r.stdout) == {"fgw": {"new": 2, "carried_in": 0, "total": 1, "carried_out": 1}}
    r = run("office", "audit", "fgw", "2024-0001", db=db)
    assert r.stdout.count("测试员") == 3

    text = tmp_path / "overview.txt"
    text.write_text("2024年，本机关认真贯彻《中华人民共和国政府信息公开条例》。", encoding="utf-8")
    assert run("office", "text", "fgw", "2024", "总体情况", str(text), db=db).returncode == 0
    r = run("office", "report", "fgw", "2024", db=db)
    report = json.loads(r.stdout)
    assert report["cells"]["requests.partial.natural"] == 1 and report["cells"]["requests.carried_out.legal"] == 1
    # the report from the records, written as a publishable page, read back and compared: no difference
    html = tmp_path / "report.html"
    assert run("office", "report", "fgw", "2024", "--to", "html", "-o", str(html), db=db).returncode == 0
    r = run("office", "compare", "fgw", "2024", str(html), db=db)
    assert r.returncode == 0 and "不一致 0 处" in r.stdout, r.stdout + r.stderr
    docx = tmp_path / "report.docx"
    assert run("office", "report", "fgw", "2024", "--to", "docx", "-o", str(docx), db=db).returncode == 0
    assert docx.read_bytes()[:2] == b"PK"
    # a published report that disagrees with the records
    edited = tmp_path / "published.html"
    edited.write_text(html.read_text("utf-8").replace('data-cell="requests.new.natural">1<',
                                                       'data-cell="requests.new.natural">3<'), "utf-8")
    assert edited.read_text("utf-8") != html.read_text("utf-8")
    r = run("office", "compare", "fgw", "2024", str(edited), "-f", "json", db=db)
    assert r.returncode == 1
    assert "requests.new.natural" in [d["cell"] for d in json.loads(r.stdout)]


@pytest.mark.parametrize("args,needle", [
    (["office", "add", "nope", "--applicant", "a", "--received", "2024-01-02", "--description", "x"], "没有代码为 nope"),
    (["office", "add", "fgw", "--applicant", "a", "--received", "2024-01-02", "--description", "x",
      "--kind", "外星人"], "未知的申请人类型"),
    (["office", "add", "fgw", "--applicant", "a", "--received", "2024/01/02", "--description", "x"], "不是有效日期"),
    (["office", "decide", "fgw", "2024-9999", "2024-01-02", "granted"], "没有编号为 2024-9999"),
    (["office", "event", "fgw", "2024-0001", "teleported", "2024-01-02"], "未知的事件类型"),
])
def test_office_bad_input(args, needle, tmp_path: Path):
    db = f"sqlite:///{tmp_path / 'o.db'}"
    assert run("office", "agency-add", "fgw", "某局", db=db).returncode == 0
    run("office", "add", "fgw", "--applicant", "a", "--received", "2024-01-02", "--description", "x", db=db)
    r = run(*args, db=db)
    assert r.returncode == 2, r.stdout + r.stderr
    assert needle in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize("args,needle", [
    (["deadline", "2025-01-20", "--calendar", "."], "无法读取日历调整文件"),
    (["deadline", "9999-12-31"], "超出"),
    (["office", "init", "--db", "sqlite:///not-a-db.txt"], "无法连接数据库"),
    (["office", "init", "--db", "office.db"], "URL 格式错误"),
    (["office", "agencies", "--db", "sqlite:///missing.db"], "数据库不存在"),
    (["office", "actions", "a", "coercion", "."], "无法读写文件"),
])
def test_hostile_input_is_one_line(args, needle, tmp_path: Path):
    (tmp_path / "not-a-db.txt").write_text("hi")
    r = run(*args, cwd=tmp_path)
    assert r.returncode == 2 and needle in r.stderr, r.stderr
    assert "Traceback" not in r.stderr
    assert not (tmp_path / "missing.db").exists()


def test_user_text_is_shown_as_typed(tmp_path: Path):
    db = f"sqlite:///{tmp_path / 'o.db'}"
    run("office", "agency-add", "a", "某局", db=db)
    run("office", "add", "a", "--applicant", "[bold]王[/bold]", "--received", "2025-01-06", "--description", "[red]x",
        "--today", "2025-02-01", db=db)
    r = run("office", "show", "a", "2025-0001", db=db)
    assert "[bold]王[/bold]" in r.stdout and "[red]x" in r.stdout


def test_unreachable_database_is_one_line(tmp_path: Path):
    r = run("office", "agencies", db="postgresql+psycopg://nobody@127.0.0.1:1/none")
    assert r.returncode == 2 and "无法连接数据库" in r.stderr and "Traceback" not in r.stderr
    r = run("office", "agencies", db=f"sqlite:///{tmp_path / 'empty.db'}")
    assert r.returncode == 2 and "office init" in r.stderr


def test_administrative_ledgers(tmp_path: Path):
    from openpyxl import Workbook

    db = f"sqlite:///{tmp_path / 'o.db'}"
    assert run("office", "agency-add", "fgw", "某局", db=db).returncode == 0
    (tmp_path / "lic.csv").write_text("决定文号,决定日期,备注\n许字〔2024〕1号,2024-03-05,\n许字〔2024〕2号,2024/4/1,\n"
                                      "许字〔2023〕9号,2023-12-29,\n", encoding="gb18030")
    wb = Workbook()
    wb.active.append(["收费票据号", "收费日期", "金额（元）"])
    wb.active.append(["A1", "2024年6月1日", "12,345.60"])
    wb.active.append(["A2", "2024-07-01", 100])
    wb.save(tmp_path / "fees.xlsx")
    (tmp_path / "bad.csv").write_text("编号,日期\nB1,2024-13-01\nB2,2024-07-01\n,2024-07-02\n", encoding="utf-8")
    assert run("office", "actions", "fgw", "licensing", str(tmp_path / "lic.csv"), db=db).returncode == 0
    assert run("office", "actions", "fgw", "行政事业性收费", str(tmp_path / "fees.xlsx"), db=db).returncode == 0
    r = run("office", "actions", "fgw", "penalty", str(tmp_path / "bad.csv"), db=db)
    assert r.returncode == 2 and "第2行日期“2024-13-01”无法识别" in r.stderr and "第4行缺少编号" in r.stderr
    r = run("office", "actions", "fgw", "licensing", str(tmp_path / "lic.csv"), db=db)
    assert r.returncode == 0 and "跳过已导入的 3 条" in r.stdout  # the ledger imported again: nothing twice
    (tmp_path / "lic2.csv").write_text("决定文号,决定日期\n许字〔2024〕1号,2024-03-06\n", encoding="utf-8")
    r = run("office", "actions", "fgw", "licensing", str(tmp_path / "lic2.csv"), db=db)
    assert r.returncode == 2 and "日期或金额不同" in r.stderr
    cells = json.loads(run("office", "report", "fgw", "2024", db=db).stdout)["cells"]
    assert cells["proactive.licensing.decisions"] == 2 and cells["proactive.penalty.decisions"] == 0
    assert cells["proactive.fees.amount"] == 1.2446


def test_fee_notice_pause_is_a_database_setting(tmp_path: Path):
    db = f"sqlite:///{tmp_path / 'o.db'}"
    run("office", "agency-add", "fgw", "某局", db=db)
    run("office", "add", "fgw", "--applicant", "a", "--received", "2024-09-27", "--description", "x",
        "--today", "2025-01-01", db=db)
    r = run("office", "event", "fgw", "2024-0001", "fee_notice_sent", "2024-10-08",
            "--method", "per_page", "--pages", "40", "--today", "2025-01-01", "-f", "json", db=db)
    v = json.loads(r.stdout)
    assert v["fee_amount"] == 100 and v["status"] == "waiting_fee" and v["due_on"] is None  # the default
    r = run("office", "settings", "--fee-notice-runs", db=db)
    assert r.returncode == 0 and "1 件" in r.stdout and "fee_notice_pauses = false" in r.stdout
    r = run("office", "list", "fgw", "-f", "json", db=db)  # stored due dates follow the setting
    assert json.loads(r.stdout)[0]["due_on"] == "2024-10-30"
    r = run("office", "show", "fgw", "2024-0001", "-f", "json", db=db)
    assert json.loads(r.stdout)["clock"]["status"] == "open"
    assert "set-fee_notice_pauses" in run("office", "audit", "fgw", db=db).stdout


def test_registers_and_lapsed_lists(tmp_path: Path):
    db = f"sqlite:///{tmp_path / 'o.db'}"
    run("office", "agency-add", "a", "某局", db=db)
    run("office", "add", "a", "--applicant", "甲", "--received", "2024-09-27", "--description", "x", db=db)
    run("office", "event", "a", "2024-0001", "correction_requested", "2024-10-08", "--reply-by", "2024-10-15", db=db)
    r = run("office", "list", "a", "--lapsed", "--today", "2024-10-16", db=db)
    assert "xxgk office decide a 2024-0001 DATE other.overdue_correction" in r.stdout
    assert run("office", "document", "a", "rules", "某令第1号", "--issued", "2024-03-01", db=db).returncode == 0
    assert run("office", "appeal", "a", "行政复议", "2024-11-01", "--request", "2024-0001", db=db).returncode == 0
    r = run("office", "registers", "a", db=db)
    assert "某令第1号" in r.stdout and "reconsideration" in r.stdout and "尚未审结" in r.stdout
