"""An analyst follows the series in a real browser: from the dashboard to the trend page
of a SIPAS 2023 round that continues a SIPAS 2017 one, breaks and all; phone and desktop."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask

from surveyapp.demo.synthetic import AgencyProfile, generate
from surveyapp.extensions import db
from surveyapp.models._types import utcnow
from surveyapp.results.views.results import result_cache
from tests import factories

pytestmark = pytest.mark.browser
expect = pytest.importorskip(
    "playwright.sync_api", reason="needs playwright", exc_type=ImportError
).expect

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
PROFILE = AgencyProfile(0.80, 0.03, 0.03, 0.10, 0.60, 0.2)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_analyst_follows_the_series_from_the_dashboard(
    app: Flask, new_context: Any, viewport: dict[str, int], screenshot: Any
) -> None:
    result_cache().clear()
    factories.province()
    factories.user("analyst@example.org", "analyst")
    before = factories.survey(template="sipas-2017")
    now = factories.survey(template="sipas-2023")
    for target, when, seed in ((before, utcnow() - timedelta(days=365), 1), (now, utcnow(), 2)):
        generate(
            db.session,
            target,
            {"SXD": PROFILE, "STP": PROFILE},
            {"SXD": 600, "STP": 300},
            {"SXD": 40, "STP": 40},
            {},
            now=when,
            seed=seed,
        )
    now.previous_survey_id = before.id
    db.session.commit()

    page = new_context.page(viewport, java_script_enabled=False)
    page.goto("/login?lang=en")
    page.get_by_label("E-mail").fill("analyst@example.org")
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"/results/{now.id}?lang=en")
    page.get_by_role("link", name="Trend over the rounds").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Trend over the rounds")
    expect(page.locator("#rounds tbody tr")).to_have_count(2)
    policy = page.locator('#trend-elements tr[data-figure="elements.pol_quality"] td')
    expect(policy.first).to_contain_text("break")
    access = page.locator('#trend-elements tr[data-figure="elements.svc_access"] td')
    expect(access.first).not_to_contain_text("break")
    expect(page.locator("#method")).to_contain_text("|z| > 1.96")
    screenshot(page, f"trend-{viewport['width']}")
