"""What users do, in headless Chromium against ``xxgk serve`` (tests/web_browser.py): sign in,
check a report, follow a problem through the desk, explore the corpus; every main page
photographed at 1280 px and 390 px; no request leaves the machine."""

from __future__ import annotations

from typing import Any

import pytest
from web_browser import WIDTHS, no_horizontal_overflow, served, shoot, sign_in  # noqa: F401 - fixture

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def test_sign_in_pages_and_home(served: Any) -> None:  # noqa: F811
    server, browser, _ = served
    for width in WIDTHS:
        ctx = browser.context(width)
        page = browser.page(ctx)
        page.goto(server.base + "/login")
        shoot(page, "login")
        sign_in(page, server.base, "sup")
        assert page.get_by_role("navigation", name="主导航").is_visible()
        shoot(page, "home")
        assert no_horizontal_overflow(page)
        ctx.close()
    assert not browser.outside, browser.outside
    assert not browser.console_errors, browser.console_errors


def test_admin_signs_in_with_totp_and_sees_users_and_audit(served: Any) -> None:  # noqa: F811
    server, browser, _ = served
    for width in WIDTHS:
        ctx = browser.context(width)
        page = browser.page(ctx)
        sign_in(page, server.base, "admin")
        page.goto(server.base + "/admin/users")
        assert page.get_by_role("cell", name="sup", exact=True).count() >= 1
        shoot(page, "admin-users")
        assert no_horizontal_overflow(page)
        page.goto(server.base + "/admin/audit")
        assert page.get_by_text("登录").count() > 0
        shoot(page, "admin-audit")
        assert no_horizontal_overflow(page)
        ctx.close()
    assert not browser.outside, browser.outside
