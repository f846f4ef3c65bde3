"""The results dashboard: ranking, small-n suppression, scope, filters, charts."""

from __future__ import annotations

import re

import numpy as np
import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from surveyapp.demo.synthetic import AgencyProfile, generate
from surveyapp.extensions import db
from surveyapp.models import Agency, Channel, Response, Survey
from surveyapp.models._types import utcnow
from surveyapp.results.services import results
from surveyapp.scoring import Framework, score
from surveyapp.surveys.services import agencies
from tests import factories

# Justice serves well, Construction late and badly, Health has too few answers to show.
PROFILES = {
    "SXD": AgencyProfile(0.62, 0.10, 0.08, 0.45, 0.30, 0.5),
    "STP": AgencyProfile(0.92, 0.01, 0.01, 0.04, 0.90, 0.05),
    "SYT": AgencyProfile(0.80, 0.05, 0.05, 0.20, 0.50, 0.2),
}
SAMPLE = {"SXD": 90, "STP": 90, "SYT": 6}
POPULATION = {"SXD": 900, "STP": 450, "SYT": 60}


@pytest.fixture()
def survey() -> Survey:
    factories.province()
    agencies.import_agencies(
        db.session,
        [{"code": "SYT", "parent": "HN", "name_vi": "Sở Y tế", "name_en": "Health"}],
    )
    db.session.commit()
    created = factories.survey(codes=("SXD", "STP", "SYT"))
    generate(db.session, created, PROFILES, POPULATION, SAMPLE, {}, now=utcnow(), seed=7)
    db.session.commit()
    return created


def _section(html: str, anchor: str) -> str:
    """The page from the element with ``id=anchor`` to the next h2."""
    start = html.index(f'id="{anchor}"')
    end = html.find("<h2", start)
    return html[start : end if end > 0 else len(html)]


def _rows(html: str) -> list[str]:
    return re.findall(r"<tr[ >].*?</tr>", html, flags=re.S)


def test_agencies_are_ranked_best_first_with_rank_intervals(
    client: FlaskClient, survey: Survey
) -> None:
    factories.user()
    factories.login(client)
    page = client.get(f"/results/{survey.id}?lang=en")
    assert page.status_code == 200
    table = _section(page.text, "agencies")
    names = re.findall(r'<th scope="row"><a [^>]*>([^<]+)</a>', table)
    assert names == ["Justice", "Construction", "Health"]
    ranked = _rows(table)[1:]
    assert re.search(r"<strong>1</strong> <span[^>]*>\(1–[12]\)</span>", ranked[0])
    assert re.search(r"<strong>2</strong>", ranked[1])
    assert "worse" in ranked[1] and "better" in ranked[0]  # versus all agencies, with p
    assert "p &lt; 0.001" in ranked[0] or "p = 0.0" in ranked[0]


def test_fewer_than_10_answers_shows_no_value(client: FlaskClient, survey: Survey) -> None:
    factories.user()
    factories.login(client)
    page = client.get(f"/results/{survey.id}?lang=en").text
    health_rows = [r for r in _rows(page) if "Health" in r]
    assert health_rows, "Health is listed"
    for row in health_rows:
        assert "fewer than 10 answers" in row
        assert "%" not in row  # no value, no interval
    labels = re.findall(r'<text class="label"[^>]*>(.*?)</text>', page, flags=re.S)
    health_bars = [t for t in labels if "Health" in t]
    assert health_bars and all("%" not in t for t in health_bars)
    # Health's own page: every figure is suppressed, the KPI shows a dash.
    own = client.get(f"/results/{survey.id}/agencies/SYT?lang=en").text
    assert re.search(r'data-metric="overall">–<', own)
    assert 'class="bar"' not in _section(own, "elements")


def test_late_results_by_agency_worst_first_with_significance(
    client: FlaskClient, survey: Survey
) -> None:
    factories.user()
    factories.login(client)
    page = client.get(f"/results/{survey.id}?lang=en").text
    block = page[page.index('id="ind-late_result"') :]
    block = block[: block.index("</details>")]
    assert "Worst: Construction" in block
    rows = _rows(block)[1:]
    assert "Construction" in rows[0] and "Justice" in rows[1]
    assert 'class="vs worse"' in rows[0]
    assert "All agencies" in rows[-1]
    assert "design-based t test" in page  # the footnote explains the marker


def test_department_analyst_sees_only_own_agency_and_own_rank(
    client: FlaskClient, survey: Survey
) -> None:
    own = db.session.scalar(select(Agency).where(Agency.code == "SXD"))
    factories.user("sxd@example.org", "analyst", own)
    factories.login(client, "sxd@example.org")
    page = client.get(f"/results/{survey.id}?lang=en")
    assert page.status_code == 200
    for other in ("Justice", "Health", "Sở Tư pháp", "Sở Y tế", "All agencies"):
        assert other not in page.text
    assert re.search(r'data-metric="rank">2 of 2<', page.text)
    assert "Versus all agencies" not in page.text
    assert client.get(f"/results/{survey.id}/agencies/STP").status_code == 404
    assert client.get(f"/results/{survey.id}?agency=STP").status_code == 404
    assert client.get(f"/results/{survey.id}/agencies/SXD").status_code == 200


def test_channel_filter_is_a_domain_of_the_whole_design(
    client: FlaskClient, survey: Survey
) -> None:
    factories.user()
    factories.login(client)
    kiosk_ids = set(
        db.session.scalars(
            select(Response.id).where(
                Response.survey_id == survey.id, Response.channel == Channel.KIOSK
            )
        )
    )
    arrays = results.load_arrays(db.session, survey)
    mask = np.isin(arrays.response_ids, list(kiosk_ids))
    fw = Framework.from_dict(survey.version.document["framework"])
    expected = score(fw, arrays.answers, arrays.design(), domain=mask).overall
    page = client.get(f"/results/{survey.id}?channel=kiosk&lang=en").text
    assert re.search(rf'data-metric="responses">{len(kiosk_ids)}<', page)
    assert f"{expected.value * 100:.2f}%" in page
    assert f"{expected.ci_low * 100:.2f}%" in page  # the interval of the domain, not a subset
    assert 'value="kiosk" selected' in page
    assert client.get(f"/results/{survey.id}?channel=fax").status_code == 400


def test_agency_filter_gives_that_agencys_figures(client: FlaskClient, survey: Survey) -> None:
    factories.user()
    factories.login(client)
    page = client.get(f"/results/{survey.id}?agency=STP&lang=en").text
    assert re.search(r'data-metric="responses">90<', page)
    assert '<tr class="focus">' in _section(page, "agencies")
    assert re.search(r'data-metric="rank">1 of 2<', page)


def test_charts_are_svg_images_next_to_data_tables(client: FlaskClient, survey: Survey) -> None:
    factories.user()
    factories.login(client)
    page = client.get(f"/results/{survey.id}?lang=en").text
    for chart_id in ("chart-elements", "chart-agencies", "chart-late_result"):
        start = page.index(f'id="{chart_id}"')
        svg = page[page.rindex("<svg", 0, start) : page.index("</svg>", start)]
        assert 'role="img"' in svg and "<title" in svg and "<desc" in svg
        assert "style=" not in svg
        after = page[page.index("</svg>", start) :]
        assert after.index("<table") < after.index("<svg") if "<svg" in after else "<table" in after
    assert "85%" in _section(page, "elements")  # the target line's label


def test_vietnamese_numbers_by_default(client: FlaskClient, survey: Survey) -> None:
    factories.user()
    factories.login(client)
    page = client.get(f"/results/{survey.id}?lang=vi").text
    assert re.search(r'data-metric="overall">\d{2},\d{2}\u00a0%', page)


def test_english_switch_formats_every_number_in_english(
    client: FlaskClient, survey: Survey
) -> None:
    """Vietnamese first, then English: no figure keeps the first request's decimal comma."""
    factories.user()
    factories.login(client)
    assert "0,001" in client.get(f"/results/{survey.id}?lang=vi").text
    page = client.get(f"/results/{survey.id}?lang=en").text
    assert "p &lt; 0.001" in page
    assert not re.search(r"\d,\d{2}\u00a0?%|p &lt; 0,001", page)
