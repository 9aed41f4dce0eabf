"""``xxgk init``, ``xxgk users …`` and ``xxgk serve`` as a new user runs them: the first
administrator once, accounts from the command line (passwords from a terminal or stdin, never an
argument), bad input in one line with a non-zero exit, and the server answering."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def run(*args: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "XXGK_DATABASE_URL")}
    return subprocess.run([sys.executable, "-m", "xxgk.cli", *args], capture_output=True, text=True, cwd=cwd,
                          env=env, timeout=300, input=stdin)


def one_line_error(p: subprocess.CompletedProcess[str], *words: str) -> None:
    assert p.returncode != 0, (p.stdout, p.stderr)
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("错误："), p.stderr
    assert "Traceback" not in p.stderr
    for w in words:
        assert w in lines[0], lines[0]


def test_init_users_and_their_errors(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'w.db'}"
    p = run("init", "--db", db, "--credentials", "accounts.txt", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert "admin" in p.stdout and "动态口令" in p.stdout
    creds = tmp_path / "accounts.txt"
    assert stat.S_IMODE(creds.stat().st_mode) == 0o600
    password = next(line.split("\t")[1] for line in creds.read_text("utf-8").splitlines() if line.startswith("admin\t"))
    assert len(password) >= 10
    again = run("init", "--db", db, cwd=tmp_path)
    assert again.returncode == 0 and "已有用户" in again.stdout
    ok = run("users", "add", "r1", "--role", "researcher", "--password-stdin", "--db", db, cwd=tmp_path,
             stdin="a long enough password\n")
    assert ok.returncode == 0, ok.stderr
    listing = run("users", "list", "--db", db, cwd=tmp_path)
    assert "r1" in listing.stdout and "研究人员" in listing.stdout
    one_line_error(run("users", "add", "r1", "--role", "researcher", "--password-stdin", "--db", db, cwd=tmp_path,
                       stdin="a long enough password\n"), "用户已存在")
    one_line_error(run("users", "add", "r2", "--role", "boss", "--password-stdin", "--db", db, cwd=tmp_path,
                       stdin="a long enough password\n"), "未知角色")
    one_line_error(run("users", "add", "r3", "--role", "researcher", "--password-stdin", "--db", db, cwd=tmp_path,
                       stdin="short\n"), "至少")
    one_line_error(run("users", "add", "s1", "--role", "supervisor", "--password-stdin", "--db", db, cwd=tmp_path,
                       stdin="a long enough password\n"), "地区")
    one_line_error(run("users", "add", "r4", "--role", "researcher", "--db", db, cwd=tmp_path, stdin=""), "标准输入")
    token = run("users", "token", "r1", "--db", db, cwd=tmp_path)
    assert token.returncode == 0 and token.stdout.strip().startswith("xxgk_")
    one_line_error(run("users", "token", "nobody", "--db", db, cwd=tmp_path), "用户不存在")
    assert run("users", "disable", "r1", "--db", db, cwd=tmp_path).returncode == 0


def test_serve_starts_and_answers(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'w.db'}"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if k != "XXGK_DATABASE_URL"}
    proc = subprocess.Popen([sys.executable, "-m", "xxgk.cli", "serve", "--db", db, "--port", str(port), "--no-demo"],
                            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        body = ""
        while time.monotonic() < deadline:
            try:
                body = urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2).read().decode()
                break
            except OSError:
                assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
                time.sleep(0.3)
        assert "登录" in body
        r = urllib.request.urlopen(f"http://127.0.0.1:{port}/api/openapi.json", timeout=5)
        assert b"/api/v1/reports" in r.read()
    finally:
        os.killpg(proc.pid, 15)
        out = proc.communicate(timeout=20)[0]
    assert "初始账户" in out and "Traceback" not in out
    one_line_error(run("serve", "--db", "postgresql+nodriver://x@127.0.0.1/db", "--port", str(port), cwd=tmp_path))
