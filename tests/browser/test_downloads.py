"""An analyst downloads every format from the results page; the files are opened and read."""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests import factories
from tests.browser.conftest import DESKTOP, PHONE, ContextFactory
from tests.export_data import COMMENT_VI, FORMULA, three_responses

pytest.importorskip("playwright")
from playwright.sync_api import Page, expect

openpyxl = pytest.importorskip("openpyxl")
pyreadstat = pytest.importorskip("pyreadstat")


def _sign_in(page: Page, email: str = "admin@example.org") -> None:
    page.goto("/login?lang=vi")
    page.locator('input[name="email"]').fill(email)
    page.locator('input[name="password"]').fill(factories.PASSWORD)
    page.locator('form button[type="submit"]').first.click()
    expect(page.locator("form.logout")).to_be_visible()


def _download(page: Page, name: str, folder: Path) -> Path:
    link = page.get_by_role("region", name="Tải xuống").get_by_role("button", name=name, exact=True)
    with page.expect_download() as info:
        link.click()
    target = folder / info.value.suggested_filename
    info.value.save_as(target)
    return target


def test_analyst_downloads_each_format_from_the_results_page(
    app: Flask, new_context: ContextFactory, tmp_path: Path, screenshot: Callable[..., Any]
) -> None:
    agencies = factories.province()
    factories.user("sxd@example.org", "analyst", agencies["SXD"])
    survey = factories.survey()
    three_responses(survey)
    page = new_context.page(DESKTOP, locale="vi-VN")
    _sign_in(page, "sxd@example.org")  # a department analyst: SXD and its units only
    page.goto(f"/results/{survey.id}")
    downloads = page.get_by_role("region", name="Tải xuống")
    expect(downloads).to_be_visible()
    downloads.scroll_into_view_if_needed()
    screenshot(page, "downloads-desktop")

    book = openpyxl.load_workbook(_download(page, "Tệp Excel (nhãn đáp án)", tmp_path))
    rows = list(book["responses"].iter_rows(values_only=True))
    header = rows[0]
    assert [r[header.index("agency")] for r in rows[1:]] == ["SXD", "SXD_P1"]
    assert rows[1][header.index("acc_seats")] == "Hài lòng"
    assert rows[1][header.index("comments")] == FORMULA
    assert book["responses"].cell(2, header.index("comments") + 1).quotePrefix
    assert "Chỉ số chung" in [r[0] for r in book["summary"].iter_rows(values_only=True)]

    with _download(page, "CSV (mã đáp án)", tmp_path).open(encoding="utf-8-sig") as handle:
        table = list(csv.DictReader(handle))
    assert [r["acc_seats"] for r in table] == ["4", "2"]
    assert table[0]["comments"] == "'" + FORMULA

    data, meta = pyreadstat.read_sav(str(_download(page, "SPSS (.sav)", tmp_path)))
    assert meta.column_names_to_labels["acc_seats"] == "Nơi chờ có đủ chỗ ngồi"
    assert meta.variable_value_labels["acc_seats"][4.0] == "Hài lòng"
    assert list(data["agency"]) == ["SXD", "SXD_P1"]

    stata = _download(page, "Stata (.dta)", tmp_path)
    data, meta = pyreadstat.read_dta(str(stata), user_missing=True)
    assert meta.column_names_to_labels["acc_seats"] == "Nơi chờ có đủ chỗ ngồi"
    assert meta.missing_user_values["acc_equip_enough"] == ["a"]
    assert data.iloc[0]["service"] == "Cấp giấy phép xây dựng"


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_a_large_export_runs_in_the_background_without_javascript(
    app: Flask,
    new_context: ContextFactory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    screenshot: Callable[..., Any],
    viewport: dict[str, int],
) -> None:
    monkeypatch.setitem(app.config, "EXPORT_ASYNC_ROWS", 2)
    monkeypatch.setitem(app.config, "EXPORT_DIR", str(tmp_path / "exports"))
    factories.province()
    factories.user()
    survey = factories.survey()
    three_responses(survey)
    page = new_context.page(viewport, locale="vi-VN", java_script_enabled=False)
    _sign_in(page)
    page.goto(f"/results/{survey.id}")
    page.get_by_role("button", name="SPSS (.sav)").click()
    expect(page.get_by_role("heading", name="Chuẩn bị tệp tải xuống")).to_be_visible()
    screenshot(page, f"export-prepare-{'phone' if viewport is PHONE else 'desktop'}")
    page.get_by_role("button", name="Tạo tệp").click()
    expect(page).to_have_url(re.compile(r"/jobs/\d+$"))
    screenshot(page, f"export-job-{'phone' if viewport is PHONE else 'desktop'}")
    link = page.get_by_role("link", name="Tải tệp xuống")
    for _ in range(60):  # without scripts, the person reloads (no meta refresh: WCAG 2.2.1)
        if link.is_visible():
            break
        page.wait_for_timeout(500)
        page.get_by_role("link", name="Tải lại ngay").click()
    expect(link).to_be_visible()
    screenshot(page, f"export-job-done-{'phone' if viewport is PHONE else 'desktop'}")
    with page.expect_download() as info:
        link.click()
    target = tmp_path / "job.sav"
    info.value.save_as(target)
    data, _ = pyreadstat.read_sav(str(target))
    assert len(data) == 3 and COMMENT_VI in list(data["comments"])


def test_with_scripts_the_job_page_updates_in_place(
    app: Flask, new_context: ContextFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No reload: the progress section is fetched and swapped, so a screen reader keeps
    its place and hears the change (the section is a live region)."""
    from surveyapp.results.services import export_jobs

    monkeypatch.setitem(app.config, "EXPORT_ASYNC_ROWS", 2)
    monkeypatch.setitem(app.config, "EXPORT_DIR", str(tmp_path / "exports"))
    monkeypatch.setattr(export_jobs, "dispatch", lambda app, job_id: None)  # stays queued
    factories.province()
    factories.user()
    survey = factories.survey()
    three_responses(survey)
    page = new_context.page(DESKTOP)
    _sign_in(page)
    page.goto(f"/results/{survey.id}/export.sav?lang=en")
    page.get_by_role("button", name="Prepare the file").click()
    expect(page.locator('.export-job[data-status="queued"]')).to_be_visible()
    expect(page.get_by_text("The progress updates itself every few seconds.")).to_be_visible()
    page.evaluate("window.notReloaded = true")
    job_id = int(page.url.rsplit("/", 1)[1].split("?")[0])
    with app.app_context():
        export_jobs.run_queued(job_id)
    expect(page.get_by_role("link", name="Download the file")).to_be_visible(timeout=15_000)
    assert page.evaluate("window.notReloaded") is True
    expect(page.locator(".export-job[data-poll]")).to_have_count(0)  # polling has stopped
