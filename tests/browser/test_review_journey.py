"""Issue #18's journey in a real browser, without JavaScript: a fieldwork user lists the
speeders, voids one with a reason, corrects a paper-entry typo; the analyst sees the
counts say why and downloads with and without the voided row; the reasons are in the
audit log. Each page is screenshot and checked with axe."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from flask import Flask

from surveyapp.extensions import db
from surveyapp.models import Channel, Response, ResponseFlag
from surveyapp.results.views.results import result_cache
from tests import factories
from tests.export_data import three_responses

pytestmark = pytest.mark.browser
expect = pytest.importorskip(
    "playwright.sync_api", reason="needs playwright", exc_type=ImportError
).expect

REASON = "Speeder: 0.7 s per question, answers not read"


def _sign_in(page: Any, email: str) -> None:
    page.goto("/login?lang=en")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_fieldwork_cleans_and_the_analyst_sees_why(
    app: Flask, new_context: Any, screenshot: Any
) -> None:
    result_cache().clear()
    factories.province()
    factories.user()
    factories.user("field@example.org", "fieldwork")
    factories.user("analyst@example.org", "analyst")
    survey = factories.survey()
    sxd, stp, _sub = three_responses(survey)
    db.session.get(Response, sxd.id).channel = Channel.PAPER  # keyed in from a paper form
    db.session.add(
        ResponseFlag(response_id=stp.id, kind="speeding",
                     detail={"median_seconds": 0.7, "threshold": 1.5})
    )  # fmt: skip
    db.session.commit()

    page = new_context.page(java_script_enabled=False)
    _sign_in(page, "field@example.org")
    page.goto(f"/surveys/{survey.id}?lang=en")
    page.get_by_role("link", name="Review the responses").click()
    page.get_by_label("Data-quality flag").select_option("speeding")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("tr[data-response]")).to_have_count(1)
    screenshot(page, "review-speeders")
    page.get_by_role("link", name=f"#{stp.id}").click()
    expect(page.locator("#flags")).to_contain_text("0.7 s per answered question")
    page.get_by_label("Reason (kept in the audit log)").first.fill(REASON)
    page.get_by_role("button", name="Void: stop counting it").click()
    expect(page.locator(".flash")).to_contain_text(f"Response {stp.id} voided")
    expect(page.locator("[data-status=voided]")).to_be_visible()

    page.goto(f"/surveys/{survey.id}/responses/{sxd.id}?lang=en")
    page.get_by_label("Question", exact=True).select_option("acc_seats")
    page.get_by_label("New value").fill("7")
    page.locator("#c-reason").fill("Paper form says 3")
    page.get_by_role("button", name="Correct", exact=True).click()
    expect(page.locator(".error-summary")).to_contain_text("Options: 1, 2, 3, 4, 5")
    page.get_by_label("New value").fill("3")
    page.get_by_role("button", name="Correct", exact=True).click()
    expect(page.locator("#history")).to_contain_text("corrected acc_seats from 4 to 3")
    screenshot(page, "review-corrected")

    analyst = new_context.page(java_script_enabled=False)
    _sign_in(analyst, "analyst@example.org")
    analyst.goto(f"/results/{survey.id}?lang=en")
    expect(analyst.locator("[data-metric=voided]")).to_contain_text("1 voided response")
    analyst.get_by_role("link", name="Data quality: voided responses, unanswered questions").click()
    expect(analyst.locator("[data-metric=voided]")).to_have_text("1")
    screenshot(analyst, "review-quality")
    for query, rows, status in (("", 2, False), ("&include_voided=1", 3, True)):
        answer = analyst.request.get(f"/results/{survey.id}/export.csv?lang=en{query}")
        table = list(csv.DictReader(io.StringIO(answer.text().lstrip("\ufeff"))))
        assert len(table) == rows and ("status" in table[0]) is status

    admin = new_context.page(java_script_enabled=False)
    _sign_in(admin, "admin@example.org")
    admin.goto(f"/audit?survey={survey.id}&lang=en")
    expect(admin.locator("table.audit")).to_contain_text(REASON)
    expect(admin.locator("table.audit")).to_contain_text("reason=Paper form says 3")
