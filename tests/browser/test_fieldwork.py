"""Fieldwork in a real browser, as a new user would try it: download the example records,
upload them, check the columns, read the report, import skipping the broken rows, draw
a sample twice with the same seed and get the same units."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from surveyapp.extensions import db
from surveyapp.models import FrameUnit
from tests import factories

pytestmark = pytest.mark.browser
expect = pytest.importorskip(
    "playwright.sync_api", reason="needs playwright", exc_type=ImportError
).expect

PHONE = {"width": 390, "height": 844}


def _sample_csv(page: Any, tmp_path: Path, name: str) -> bytes:
    with page.expect_download() as download:
        page.get_by_role("link", name="Drawn units by dossier code (CSV)").click()
    path = tmp_path / name
    download.value.save_as(path)
    return path.read_bytes()


def _draw(page: Any, seed: str) -> None:
    page.get_by_label("Total sample size n").fill("20")
    page.get_by_label("At least this many per stratum").fill("2")
    page.get_by_label("Seed", exact=False).fill(seed)
    page.get_by_role("button", name="Draw", exact=True).click()
    expect(page.locator("[data-seed]")).to_have_text(seed)


def test_fieldwork_user_imports_the_example_records_and_draws_reproducibly(
    app: Flask,
    page: Any,
    new_context: Any,
    tmp_path: Path,
    screenshot: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(app.config, "FRAME_UPLOAD_DIR", str(tmp_path / "uploads"))
    factories.province()
    factories.user("field@example.org", "fieldwork")
    survey = factories.survey(("SXD", "STP"))

    page.goto("/login?lang=en")
    page.get_by_label("E-mail").fill("field@example.org")
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"/surveys/{survey.id}")
    page.get_by_role("link", name="Import one-stop records").click()

    # The example file for this survey's agencies, uploaded back.
    with page.expect_download() as download:
        page.get_by_role("link", name="Example records (CSV)").click()
    example = tmp_path / "example.csv"
    download.value.save_as(example)
    page.get_by_label("File of dossiers").set_input_files(example)
    page.get_by_role("button", name="Upload and choose the columns").click()

    # Vietnamese headers are matched; the preview shows the rows as read.
    expect(page.get_by_label("Dossier code")).to_have_value("Mã hồ sơ")
    expect(page.get_by_label("Received date")).to_have_value("Ngày tiếp nhận")
    expect(page.get_by_label("Stratum", exact=True)).to_have_value("")
    expect(page.locator("table.preview tbody tr")).to_have_count(5)
    screenshot(page, "fieldwork-mapping-desktop")
    page.get_by_role("button", name="Check every row").click()

    # Five broken rows, the first of them listed; importing needs the tick.
    expect(page.locator('[data-count="bad"]')).to_have_text("5")
    expect(page.locator("table.problems tbody tr")).to_have_count(5)
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("Nothing was imported: 5 rows")
    assert db.session.scalars(select(FrameUnit.id)).first() is None
    page.get_by_label(re.compile("Import the 115 good rows")).check()
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.locator('[data-count="imported"]')).to_have_text("115")
    expect(page.locator('[data-count="duplicates"]')).to_have_text("1")
    assert list((tmp_path / "uploads").iterdir()) == []

    # Draw, draw with another seed, then the first seed again: the same units.
    page.get_by_role("link", name="Draw the sample").click()
    _draw(page, "424242")
    first = _sample_csv(page, tmp_path, "first.csv")
    _draw(page, "7")
    assert _sample_csv(page, tmp_path, "other.csv") != first
    _draw(page, "424242")
    assert _sample_csv(page, tmp_path, "again.csv") == first
    screenshot(page, "fieldwork-draw-desktop")

    # The same pages on a phone, in Vietnamese, without horizontal scrolling of the page.
    phone = new_context.page(PHONE, locale="vi-VN")
    phone.goto("/login")
    phone.locator("#email").fill("field@example.org")
    phone.locator("#password").fill(factories.PASSWORD)
    phone.locator("button[type=submit]").click()
    phone.goto(f"/surveys/{survey.id}/draw")
    expect(phone.get_by_role("heading", level=1)).to_have_text("Chọn mẫu")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]
    screenshot(phone, "fieldwork-draw-phone")
