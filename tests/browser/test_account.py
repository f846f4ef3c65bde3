"""A staff member changes their password on a phone: refused input is explained beside
each field, then the new password signs in and the old session elsewhere has ended."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from tests import factories
from tests.browser.conftest import PHONE, ContextFactory

pytest.importorskip("playwright")
from playwright.sync_api import Page, expect

NEW_PASSWORD = "ba cây cau trước ngõ"


def _sign_in(page: Page, password: str = factories.PASSWORD) -> None:
    page.goto("/login?lang=vi")
    page.locator('input[name="email"]').fill("admin@example.org")
    page.locator('input[name="password"]').fill(password)
    page.locator('form button[type="submit"]').first.click()


def test_staff_member_changes_password_on_a_phone(
    app: Flask, new_context: ContextFactory, screenshot: Callable[..., Any]
) -> None:
    factories.user()
    elsewhere = new_context.page(PHONE, locale="vi-VN")
    _sign_in(elsewhere)
    expect(elsewhere.locator("form.logout")).to_be_visible()
    page = new_context.page(PHONE, locale="vi-VN")
    _sign_in(page)
    page.get_by_role("link", name="Đổi mật khẩu").click()
    expect(page.get_by_role("heading", name="Đổi mật khẩu")).to_be_visible()
    screenshot(page, "change-password-phone")

    page.get_by_label("Mật khẩu hiện tại").fill(factories.PASSWORD)
    page.get_by_label("Mật khẩu mới", exact=True).fill("Password123")
    page.get_by_label("Nhập lại mật khẩu mới").fill("Password123")
    page.get_by_role("button", name="Đổi mật khẩu").click()
    expect(page.locator("#err-new_password")).to_contain_text("phổ biến")
    screenshot(page, "change-password-refused-phone")

    page.get_by_label("Mật khẩu hiện tại").fill(factories.PASSWORD)
    page.get_by_label("Mật khẩu mới", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Nhập lại mật khẩu mới").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Đổi mật khẩu").click()
    expect(page.get_by_role("status")).to_contain_text("Đã đổi mật khẩu")

    elsewhere.reload()
    expect(elsewhere.get_by_role("heading", name="Đăng nhập")).to_be_visible()
    _sign_in(elsewhere, NEW_PASSWORD)
    expect(elsewhere.locator("form.logout")).to_be_visible()
