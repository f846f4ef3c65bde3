"""The walking skeleton, end to end in a real browser, as a new user would do it:
sign in, create a SIPAS survey, make invitation links, answer one on a phone, see the
index and download the answers."""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from openpyxl import load_workbook
from sqlalchemy import select

from surveyapp.extensions import db
from surveyapp.models import Survey
from surveyapp.questionnaire.document import Questionnaire
from tests import factories

pytestmark = pytest.mark.browser
expect = pytest.importorskip(
    "playwright.sync_api", reason="needs playwright", exc_type=ImportError
).expect

PHONE = {"width": 390, "height": 844}


def test_admin_creates_survey_invites_respondent_answers_on_phone_and_downloads_results(
    app: Flask,
    live_server: Any,
    page: Any,
    new_context: Any,
    respondent: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    screenshot: Any,
) -> None:
    # Links in the CSV are built on BASE_URL: point it at the server the browser uses.
    monkeypatch.setitem(app.config, "BASE_URL", live_server.url)
    factories.province()
    factories.user()

    # Sign in through the form.
    page.goto("/login")
    page.get_by_label("E-mail").fill("admin@example.org")
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    # Create a survey from the built-in SIPAS questionnaire for two agencies.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="New survey").click()
    expect(page).to_have_url(re.compile(r"/surveys/new$"))
    page.get_by_label("Questionnaire").select_option("sipas-2017")
    page.get_by_label("Title").fill("SIPAS 2026 – thử nghiệm trình duyệt")
    page.get_by_label("SXD — Construction").check()
    page.get_by_label("STP — Justice").check()
    page.get_by_role("button", name="Create and open").click()
    expect(page).to_have_url(re.compile(r"/surveys/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("SIPAS 2026 – thử nghiệm trình duyệt")
    survey_id = int(page.url.rsplit("/", 1)[1])
    survey = db.session.scalar(select(Survey).where(Survey.id == survey_id))
    assert survey is not None
    assert sorted(a.code for a in survey.agencies) == ["STP", "SXD"]
    questionnaire = Questionnaire(survey.version.document)

    screenshot(page, "staff-survey-desktop")

    # Make invitation links: the form answers with a CSV download.
    page.get_by_label("Agency", exact=True).select_option(label="Construction")
    page.get_by_label("Number of links").fill("3")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Make links (CSV)").click()
    saved = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(saved)
    with saved.open(encoding="utf-8-sig", newline="") as handle:
        links = list(csv.DictReader(handle))
    assert len(links) == 3
    assert {row["agency"] for row in links} == {"SXD"}
    url = links[0]["url"]
    assert url == f"{live_server.url}/s/{links[0]['token']}"

    # A respondent opens the link on a phone and answers every page.
    phone = new_context(PHONE).new_page()
    phone.goto(url)
    person = respondent(phone, questionnaire, "en")
    assert person.page_id() == "welcome"
    expect(phone.get_by_role("heading", level=1)).to_have_text(questionnaire.title("en"))
    expect(phone.get_by_text("Construction").first).to_be_visible()  # the agency asking
    with phone.expect_navigation():
        phone.get_by_role("button", name="Start").click()

    visited = []
    while True:
        current = person.page_id()
        visited.append(current)
        section = questionnaire.section(current)
        for item in section["items"]:
            if item["type"] == "likert" and person.shown(item["id"]):
                # likert rows are radio groups inside fieldsets with legends
                expect(person.group(item["id"]).get_by_role("radio")).to_have_count(
                    len(questionnaire.options(item["id"]))
                )
            if item["type"] == "number" and person.shown(item["id"]):
                number = person.field(item["id"])
                expect(number).to_have_attribute("type", "text")
                expect(number).to_have_attribute("inputmode", "decimal")
        person.answer_page({"result_received": 1, "trips": 2, "result_timing": 2})
        if person.is_last():
            break
        with phone.expect_navigation():
            phone.get_by_role("button", name="Next").click()
        expect(phone.get_by_role("alert")).to_have_count(0)
        assert len(visited) < 20, visited
    expected = [s["id"] for s in questionnaire.sections]
    assert visited == expected, "every page is shown when the result was received"

    expect(phone.locator(".send-note")).to_contain_text("This is the last page.")
    with phone.expect_navigation():
        phone.get_by_role("button", name="Send answers").click()
    expect(phone.locator('main[data-state="submitted"]')).to_be_visible()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Thank you!")

    # Back as the admin: the survey counts the response and the results show the index.
    page.goto(f"/surveys/{survey_id}")
    page.get_by_role("link", name="See results").click()
    expect(page).to_have_url(re.compile(rf"/results/{survey_id}$"))
    overall = page.locator('[data-metric="overall"]')
    expect(overall).to_be_visible()
    expect(overall).not_to_be_empty()
    expect(page.get_by_text("Satisfaction index (SIPAS)")).to_be_visible()
    screenshot(page, "staff-results-desktop")

    # Both Excel downloads: sheet "responses", a header row of item ids, our answers.
    excel_buttons = page.get_by_role("button", name=re.compile("Excel"))
    expect(excel_buttons).to_have_count(2)
    for index in range(2):
        link = excel_buttons.nth(index)
        labelled = link.get_attribute("name") == "labels"
        with page.expect_download() as download_info:
            link.click()
        target = tmp_path / f"{index}-{download_info.value.suggested_filename}"
        download_info.value.save_as(target)
        assert target.suffix == ".xlsx"
        workbook = load_workbook(target, read_only=True)
        assert "responses" in workbook.sheetnames, workbook.sheetnames
        rows = list(workbook["responses"].iter_rows(values_only=True))
        header = list(rows[0])
        assert "acc_seats" in header, header
        assert "overall_sat" in header, header
        data = [row for row in rows[1:] if any(cell is not None for cell in row)]
        assert len(data) == 1, data
        answer = data[0][header.index("acc_seats")]
        expected_cell = questionnaire.option_label("acc_seats", 4, "en") if labelled else 4
        assert answer in (expected_cell, str(expected_cell)), (labelled, answer)
        workbook.close()
