"""Cronbach's α and PAR INDEX points where analysts read results: the dashboard, the
agency report and the XLSX workbook; the designer sets the points."""

from __future__ import annotations

import io
import math
import re

import numpy as np
import openpyxl
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from surveyapp.demo.synthetic import AgencyProfile, generate
from surveyapp.extensions import db
from surveyapp.models import AuditEvent, Survey
from surveyapp.models._types import utcnow
from surveyapp.results.services import results
from surveyapp.results.views.results import result_cache
from surveyapp.scoring import Framework, element_alphas, par_points
from tests import factories

PROFILES = {
    "SXD": AgencyProfile(0.80, 0.04, 0.04, 0.10, 0.60, 0.3),
    "STP": AgencyProfile(0.90, 0.01, 0.01, 0.04, 0.90, 0.05),
}


@pytest.fixture()
def survey(app: Flask) -> Survey:
    result_cache().clear()
    factories.province()
    factories.user()
    created = factories.survey(codes=("SXD", "STP"))
    generate(
        db.session,
        created,
        PROFILES,
        {"SXD": 600, "STP": 400},
        {"SXD": 80, "STP": 60},
        {},
        now=utcnow(),
        seed=5,
    )
    created.par_points_max = 25
    db.session.commit()
    return created


def _alphas(survey: Survey) -> dict[str, float]:
    arrays = results.load_arrays(db.session, survey)
    return element_alphas(Framework.from_dict(survey.version.document["framework"]), arrays.answers)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_dashboard_shows_alpha_per_element_and_par_points(
    client: FlaskClient, survey: Survey
) -> None:
    factories.login(client)
    page = client.get(f"/results/{survey.id}?lang=en")
    assert page.status_code == 200
    overall = results.survey_json(db.session, survey)["overall"]
    expected = par_points(overall["value"], 25)
    assert f"PAR INDEX: {expected:.2f} of 25 points" in _text(page.text)
    shown = re.findall(r'data-metric="alpha">([^<]*)<', page.text)
    alphas = _alphas(survey)
    assert shown == [f"{alphas[e]:.2f}" for e in alphas]
    # each agency's points beside its index in the ranking
    assert len(re.findall(r'data-metric="par-points">\d+\.\d\d<', page.text)) == 2
    report = client.get(f"/results/{survey.id}/agencies/SXD/report?lang=en")
    sxd = results.survey_json(db.session, survey, by_agency=True)["agencies"]["SXD"]
    assert f"{par_points(sxd['overall']['value'], 25):.2f} / 25" in _text(report.text)


def test_without_points_in_the_scheme_no_points_are_shown(
    client: FlaskClient, survey: Survey
) -> None:
    survey.par_points_max = None
    db.session.commit()
    factories.login(client)
    page = client.get(f"/results/{survey.id}?lang=en")
    assert "PAR INDEX" not in page.text and 'data-metric="par-points"' not in page.text
    assert 'data-metric="alpha"' in page.text


def test_workbook_carries_alpha_and_points(client: FlaskClient, survey: Survey) -> None:
    factories.login(client)
    raw = client.get(f"/results/{survey.id}/export.xlsx?lang=en", buffered=True).data
    book = openpyxl.load_workbook(io.BytesIO(raw))
    elements = list(book["elements"].values)
    assert elements[0][-1] == "Cronbach's alpha"
    alphas = _alphas(survey)
    for row in elements[1:]:
        assert row[-1] == pytest.approx(alphas[row[0]], abs=1e-12)
    overall = results.survey_json(db.session, survey)["overall"]["value"]
    summary = {row[0]: row[1] for row in book["summary"].values}
    assert summary["PAR INDEX points (of 25)"] == pytest.approx(par_points(overall, 25))
    agencies = list(book["agencies"].values)
    assert agencies[0][-1] == "PAR INDEX points (of 25)"
    by_code = results.survey_json(db.session, survey, by_agency=True)["agencies"]
    for row in agencies[1:]:
        assert row[-1] == pytest.approx(par_points(by_code[row[0]]["overall"]["value"], 25))


def test_survey_page_sets_the_points_audited_and_refuses_bad_ones(
    client: FlaskClient, survey: Survey
) -> None:
    factories.login(client)
    page = client.get(f"/surveys/{survey.id}")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token and 'name="par_points" value="25"' in page.text
    url = f"/results/{survey.id}/par-points?lang=en"
    for bad in ("0", "many", "101", "nan"):
        refused = client.post(url, data={"par_points": bad, "csrf_token": token[1]})
        assert refused.status_code == 303
        assert "is not a number above 0" in client.get(f"/surveys/{survey.id}?lang=en").text
        assert db.session.get(Survey, survey.id).par_points_max == 25
    client.post(url, data={"par_points": "32,5", "csrf_token": token[1]})
    db.session.expire_all()
    assert db.session.get(Survey, survey.id).par_points_max == 32.5
    assert "of 32.50 points" in _text(client.get(f"/results/{survey.id}?lang=en").text)
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "survey.par_points")
    ).all()
    assert [e.details["after"] for e in events] == [32.5]
    client.post(url, data={"par_points": "", "csrf_token": token[1]})
    db.session.expire_all()
    assert db.session.get(Survey, survey.id).par_points_max is None


def test_alpha_is_missing_for_a_single_criterion() -> None:
    framework = Framework.from_dict({"elements": [{"id": "one", "criteria": [{"item": "a"}]}]})
    assert math.isnan(element_alphas(framework, {"a": np.array([4.0, 5.0, 3.0])})["one"])
