"""``xxgk corpus …`` on bad input: one clear line (Chinese first), exit code 2, nothing created."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "XXGK_DATABASE_URL")}
    return subprocess.run([sys.executable, "-m", "xxgk.cli", *args], capture_output=True, text=True, cwd=cwd,
                          env=env, timeout=120)


def one_line_error(p: subprocess.CompletedProcess[str], *words: str) -> None:
    assert p.returncode == 2, (p.stdout, p.stderr)
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("错误："), p.stderr
    assert "Traceback" not in p.stderr
    for w in words:
        assert w in lines[0], lines[0]


def test_no_database_yet(tmp_path: Path) -> None:
    one_line_error(run("corpus", "status", "--region", "三门峡市", "--year", "2024", cwd=tmp_path), "数据库不存在")
    one_line_error(run("corpus", "compare", "某局", "--years", "2023", "2024", cwd=tmp_path), "数据库不存在")
    one_line_error(run("corpus", "agencies", "import", "没有这个文件.csv", cwd=tmp_path), "没有这个文件.csv")
    assert not list(tmp_path.iterdir())  # nothing created


def test_unknown_region_and_agency(tmp_path: Path) -> None:
    reg = tmp_path / "名录.csv"
    reg.write_text("地区代码,地区名称,层级,上级地区代码\n410000,河南省,省级,\n411200,三门峡市,市级,410000\n"
                   "990000,测试省,省级,\n991200,三门峡市,市级,990000\n", encoding="utf-8-sig")
    p = run("corpus", "agencies", "import", str(reg), cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    one_line_error(run("corpus", "status", "--region", "洛阳市", "--year", "2024", cwd=tmp_path), "洛阳市")
    # a name two regions share is refused with both codes, never one of them picked
    one_line_error(run("corpus", "status", "--region", "三门峡市", "--year", "2024", cwd=tmp_path),
                   "411200", "991200")
    one_line_error(run("corpus", "attach", "1", "某局", cwd=tmp_path), "某局")


def test_bad_registry_rows_listed_and_the_good_ones_kept(tmp_path: Path) -> None:
    reg = tmp_path / "名录.csv"
    reg.write_text("地区代码,地区名称,层级,上级地区代码\n410000,河南省,省级,\n411200,三门峡市,市级,419999\n"
                   "411300,南阳市,市级,410000\n", encoding="utf-8-sig")
    p = run("corpus", "agencies", "import", str(reg), cwd=tmp_path)
    assert p.returncode == 1
    assert "419999" in p.stdout and "地区 2 个" in p.stdout


def test_query_needs_an_exported_lake(tmp_path: Path) -> None:
    (tmp_path / "lake").mkdir()
    one_line_error(run("corpus", "query", "SELECT 1", "--lake", "lake", cwd=tmp_path), "lake.json")
