"""A reform office runs a round from the web, as a new user does: dates that open and
close the survey by themselves, the counter poster and the blank questionnaire, a closed
link that refuses politely, an analyst account for a department, a revoked token, and
all of it in the audit log."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask

from surveyapp.i18n import LOCAL_TIME
from surveyapp.models import SurveyMode
from tests import factories

pytestmark = pytest.mark.browser
expect = pytest.importorskip(
    "playwright.sync_api", reason="needs playwright", exc_type=ImportError
).expect


def test_a_reform_office_runs_a_round(
    app: Flask,
    live_server: Any,
    new_context: Any,
    screenshot: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(app.config, "BASE_URL", live_server.url)
    factories.province()
    survey = factories.survey(("SXD", "STP"), mode=SurveyMode.OPEN)
    factories.user("office@example.org", "admin")
    office = new_context.page(locale="en-GB")
    office.goto("/login")
    office.locator("#email").fill("office@example.org")
    office.locator("#password").fill(factories.PASSWORD)
    office.locator("button[type=submit]").click()
    status = office.locator("[data-round]")

    # Closed now, then dates: from today it opens by itself; a closing day gone by closes it.
    office.goto(f"/surveys/{survey.id}")
    office.get_by_role("button", name="Close now").click()
    expect(status).to_have_attribute("data-round", "closed")
    today = datetime.now(LOCAL_TIME).date()
    office.get_by_label("Opens on").fill(today.isoformat())
    office.get_by_label("Closes at the end of").fill((today + timedelta(days=14)).isoformat())
    office.get_by_role("button", name="Save the dates").click()
    expect(status).to_have_attribute("data-round", "open")
    screenshot(office, "round-open")

    # The field's printables: the counter poster and the blank questionnaire.
    office.get_by_role("link", name="Links, QR codes and posters").click()
    office.get_by_role("link", name="Print every poster").click()
    expect(office.locator("article.poster")).to_have_count(2)
    sxd = office.locator("article.poster", has_text="Sở Xây dựng")
    expect(sxd).to_contain_text(f"{live_server.url.split('://')[1]}/o/{survey.id}/SXD")
    office.goto(f"/surveys/{survey.id}")
    office.get_by_role("link", name="Print the blank questionnaire").click()
    expect(office.locator(".form-question").first).to_contain_text("1.")
    expect(office.locator(".only-if").first).to_contain_text("Chỉ trả lời")
    screenshot(office, "blank-questionnaire")

    office.goto(f"/surveys/{survey.id}")
    office.get_by_label("Opens on").fill((today - timedelta(days=14)).isoformat())
    office.get_by_label("Closes at the end of").fill((today - timedelta(days=1)).isoformat())
    office.get_by_role("button", name="Save the dates").click()
    expect(status).to_have_attribute("data-round", "closed")

    # A citizen with the counter link, after the round: a polite refusal, nothing saved.
    citizen = new_context.page(locale="vi-VN")
    citizen.goto(f"/o/{survey.id}/SXD")
    expect(citizen.locator('main[data-state="closed"]')).to_be_visible()
    screenshot(citizen, "round-closed-link")

    # An analyst account for one department, then a token issued and revoked.
    office.goto("/admin/users/new")
    office.get_by_label("E-mail").fill("analyst.sxd@example.org")
    office.get_by_label("Role").select_option("analyst")
    office.get_by_label("Agency (what the account sees)").select_option("SXD")
    office.get_by_label("Temporary password").fill("Hoa-sen-2026-tam")
    office.get_by_role("button", name="Create the account").click()
    expect(office.locator(".flash-error")).to_have_count(0)
    office.get_by_label("What will use it").fill("R script")
    office.get_by_role("button", name="Issue a token").click()
    expect(office.locator("[data-token]")).to_be_visible()
    office.get_by_role("button", name="Revoke").click()
    expect(office.locator("#tokens")).to_contain_text("revoked")

    # Everything above, in the audit log.
    office.goto("/audit")
    log = office.locator("main")
    for action in (
        "survey.close",
        "survey.schedule",
        "user.create",
        "token.create",
        "token.revoke",
    ):
        expect(log).to_contain_text(action)
    screenshot(office, "audit-log")
