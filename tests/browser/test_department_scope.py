"""A fieldwork user of one agency (SXD) in a real browser, Vietnamese first: the survey
page, letters, monitoring and the officials' page show only SXD; the menus fit each
survey's mode; on a phone and on a desktop."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from surveyapp.extensions import db
from surveyapp.models import Agency
from tests import factories
from tests.functional.test_scope_walk import OTHER, province_surveys  # noqa: F401

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_department_fieldwork_user_sees_only_its_agency(
    app: Flask,
    new_context: Any,
    viewport: dict[str, int],
    screenshot: Any,
    province_surveys: dict[str, int],  # noqa: F811
) -> None:
    sxd = db.session.scalar(select(Agency).where(Agency.code == "SXD"))
    factories.user("fw-sxd@example.org", "fieldwork", sxd)
    page = new_context.page(viewport)
    page.goto("/login?lang=vi")
    page.get_by_label("Thư điện tử").fill("fw-sxd@example.org")
    page.get_by_label("Mật khẩu").fill(factories.PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    s, p = province_surveys["s"], province_surveys["p"]
    for url, name in (
        ("/", "home"),
        (f"/surveys/{s}", "invited-survey"),
        (f"/surveys/{s}/letters", "letters"),
        (f"/surveys/{p}", "officials-survey"),
        (f"/surveys/{p}/officials", "officials-manage"),
        (f"/results/{p}", "officials-results"),
    ):
        page.goto(url)
        assert OTHER.search(page.content()) is None, url
        screenshot(page, f"department-{name}")
    page.goto(f"/surveys/{s}/monitoring")  # not photographed: axe refuses its meta refresh
    assert OTHER.search(page.content()) is None
    page.goto(f"/surveys/{s}")
    assert page.get_by_role("link", name="Chọn mẫu").count() == 0  # the draw spans STP too
    assert page.locator("#agency option").all_inner_texts() == ["Sở Xây dựng"]
    page.goto(f"/surveys/{p}")
    assert page.get_by_text("Thư mời, tin nhắn và nhắc lại").count() == 0
