"""The web application in a real browser: ``xxgk serve`` started as a user would (its own process,
a copy of the demo database), Debian's Chromium driven by playwright-python, every request the
page makes recorded (none may leave 127.0.0.1), and screenshots of each main page at 1280 px and
390 px saved under ``build/screenshots`` (or $XXGK_SCREENSHOTS) for a person to look at."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from webkit import PASSWORD, fresh_code

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SHOTS = Path(os.environ.get("XXGK_SCREENSHOTS") or Path(__file__).resolve().parents[1] / "build" / "screenshots")
WIDTHS = (1280, 390)


def need_browser() -> Any:
    if CHROMIUM is None:
        pytest.skip("no Chromium on PATH (Debian: apt-get install chromium); browser tests skipped")
    return pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, url: str, log: Path) -> None:
        self.url = url
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log
        env = {**os.environ, "XXGK_DATABASE_URL": url}
        self.proc = subprocess.Popen(
            [sys.executable, "-c", "from xxgk.cli import main; main()", "serve", "--port", str(self.port), "--no-demo"],
            env=env, stdout=open(log, "wb"), stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"xxgk serve exited: {log.read_text('utf-8', 'replace')[-2000:]}")
            try:
                urllib.request.urlopen(self.base + "/login", timeout=2).read()
                return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError("xxgk serve did not answer within 60 s")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, 15)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)


class Browser:
    """One Chromium; pages that record every request and refuse any leaving the machine."""

    def __init__(self, sync_api: Any, base: str) -> None:
        self.base = base
        self.pw = sync_api.sync_playwright().start()
        try:
            self.browser = self.pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        except Exception as e:  # pragma: no cover - a Chromium Playwright cannot drive
            self.pw.stop()
            pytest.skip(f"Chromium at {CHROMIUM} does not start under Playwright: {e}")
        self.requests: list[str] = []
        self.outside: list[str] = []
        self.console_errors: list[str] = []

    def context(self, width: int = 1280) -> Any:
        ctx = self.browser.new_context(viewport={"width": width, "height": 900}, locale="zh-CN",
                                       accept_downloads=True)

        def route(r: Any) -> None:
            url = r.request.url
            self.requests.append(url)
            host = urlparse(url).hostname
            if url.startswith(("data:", "blob:")) or host in ("127.0.0.1", "localhost"):
                r.continue_()
            else:
                self.outside.append(url)
                r.abort()

        ctx.route("**/*", route)
        return ctx

    def page(self, ctx: Any) -> Any:
        page = ctx.new_page()
        page.on("console", lambda m: self.console_errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.console_errors.append(str(e)))
        return page

    def close(self) -> None:
        self.browser.close()
        self.pw.stop()


def sign_in(page: Any, base: str, username: str, password: str = PASSWORD) -> None:
    page.goto(base + "/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()
    if page.url.endswith("/login/totp"):
        page.get_by_label("6 位动态口令").fill(fresh_code(base))
        page.get_by_role("button", name="验证").click()
        page.wait_for_load_state()
    assert "/login" not in page.url, page.content()[:500]


def shoot(page: Any, name: str) -> Path:
    """A full-page screenshot at the page's width, named NAME-WIDTH.png."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    width = page.viewport_size["width"]
    path = SHOTS / f"{name}-{width}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def no_horizontal_overflow(page: Any) -> bool:
    """The page itself never scrolls sideways (wide tables scroll inside their wrapper)."""
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"))


def widest(page: Any) -> str:
    """The elements sticking out on the right, for a failure message."""
    return str(page.evaluate("""() => [...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest('.table-wrap'))
        .slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"""))


@pytest.fixture(scope="module")
def served(web_demo: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Browser, dict]]:
    sync_api = need_browser()
    from webkit import copy_db

    path, made = web_demo
    tmp = tmp_path_factory.mktemp("e2e")
    url = copy_db(path, tmp / "e2e.db")
    server = Server(url, tmp / "serve.log")
    browser = Browser(sync_api, server.base)
    try:
        yield server, browser, made
    finally:
        browser.close()
        server.stop()
