"""An analyst in a real browser: filters the dashboard, reads the ranking and the late
results by agency, opens an agency's printable report; on a phone and on a desktop."""

from __future__ import annotations

import re
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
PROFILES = {
    "SXD": AgencyProfile(0.62, 0.10, 0.08, 0.45, 0.30, 0.5),
    "STP": AgencyProfile(0.92, 0.01, 0.01, 0.04, 0.90, 0.05),
}


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_analyst_filters_reads_ranking_and_opens_agency_report(
    app: Flask, new_context: Any, viewport: dict[str, int], screenshot: Any
) -> None:
    result_cache().clear()
    factories.province()
    factories.user("analyst@example.org", "analyst")
    survey = factories.survey(codes=("SXD", "STP"))
    generate(
        db.session,
        survey,
        PROFILES,
        {"SXD": 900, "STP": 450},
        {"SXD": 80, "STP": 80},
        {},
        now=utcnow(),
        seed=3,
        service_fields={"SXD": ("Xây dựng",), "STP": ("Hộ tịch",)},
    )
    db.session.commit()
    # Without JavaScript: the filters are a plain form and the URL keeps them.
    page = new_context.page(viewport, java_script_enabled=False)
    page.goto("/login?lang=en")
    page.get_by_label("E-mail").fill("analyst@example.org")
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.goto(f"/results/{survey.id}?lang=en")
    filters = page.get_by_role("form", name="Filters")
    filters.get_by_label("Channel").select_option("web")
    filters.get_by_label("Gender").select_option(label="Female")
    filters.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"channel=web.*c_gender=2|c_gender=2.*channel=web"))
    expect(page.locator("[data-filters]")).to_contain_text("Channel: Web")
    expect(page.locator("[data-filters]")).to_contain_text("Gender: Female")
    filtered = int(page.locator('[data-metric="responses"]').inner_text().replace(",", ""))
    assert 0 < filtered < 160

    # Late results by agency, worst first: Construction, and the difference is real.
    overview = page.locator("#negatives-by-agency")
    expect(overview.locator("td.worst").first).to_be_visible()
    late = page.locator("#ind-late_result")
    expect(late).to_contain_text("Worst: Construction")

    # The ranking: Justice first, each with its rank interval.
    ranking = page.locator("#agencies ~ .chart-pair table")
    rows = ranking.locator("tbody tr")
    expect(rows.nth(0)).to_contain_text("Justice")
    expect(rows.nth(0).locator("td.rank")).to_contain_text(re.compile(r"1\s*\(1–\d\)"))
    screenshot(page, f"dashboard-filtered-{viewport['width']}")

    # Clear the filters, then open Construction's report from its row.
    page.get_by_role("link", name="Clear filters").click()
    expect(page.locator("[data-filters]")).to_have_count(0)
    rows.filter(has_text="Construction").get_by_role("link", name=re.compile("^report")).click()
    expect(page).to_have_url(re.compile(r"/agencies/SXD/report$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Construction")
    expect(page.locator('[data-metric="rank"]')).to_have_text("2 of 2")
    expect(page.locator("#priorities ~ .table-wrap tbody tr").first).to_be_visible()
    screenshot(page, f"agency-report-{viewport['width']}")

    # With JavaScript the report offers its print button (a small static script).
    scripted = new_context.page(viewport)
    scripted.context.add_cookies(page.context.cookies())
    scripted.goto(page.url)
    expect(scripted.get_by_role("button", name="Print or save as PDF")).to_be_visible()
