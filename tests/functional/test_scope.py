"""Agency scope on every results, download and API URL (interfaces.md, "Staff pages and
the API"): a department's analyst gets 404 for other agencies and sees no other agency's
name or figures, only its own rank; the province office sees everything."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from surveyapp.demo.synthetic import AgencyProfile, generate
from surveyapp.exports.build import ExportSpec
from surveyapp.extensions import db
from surveyapp.models import Agency, Survey, User
from surveyapp.models._types import utcnow
from surveyapp.models.jobs import ExportJob
from surveyapp.results.services import export_jobs
from surveyapp.results.views.results import result_cache
from surveyapp.security import issue_api_token
from tests import factories

PROFILES = {
    "SXD": AgencyProfile(0.70, 0.06, 0.05, 0.30, 0.40, 0.3),
    "STP": AgencyProfile(0.90, 0.01, 0.01, 0.04, 0.90, 0.05),
}
# Names and codes of the other agency that must never reach the department's analyst.
OTHERS = ("Justice", "Sở Tư pháp", "STP", "All agencies", "Tất cả cơ quan")

# Every GET route under /results and /api/v1 with the arguments that ask for the OTHER
# agency; a new route without an entry here fails test_every_route_is_covered.
OTHER_AGENCY_URLS = {
    "results.survey": ["/results/{s}?agency=STP"],
    "results.agency": ["/results/{s}/agencies/STP", "/results/{s}/agencies/STP?lang=en"],
    "results.report": ["/results/{s}/agencies/STP/report"],
    "results.report_pdf": ["/results/{s}/agencies/STP/report.pdf"],
    "downloads.export": [
        f"/results/{{s}}/export.{fmt}?agency=STP{labels}"
        for fmt in ("xlsx", "csv", "sav", "dta")
        for labels in ("", "&labels=1")
    ],
    "downloads.syntax": ["/results/{s}/syntax.r?agency=STP", "/results/{other}/syntax.stata"],
    # A survey of the other agency; test_dossier_register.py asks a points survey for STP.
    "results.dossiers_page": ["/results/{other}/dossiers"],
    "downloads.dossiers_csv": ["/results/{other}/dossiers.csv"],
    # Someone else's background export about the other agency (made in the fixture).
    "downloads.job": ["/results/{s}/jobs/{job}"],
    "downloads.job_download": ["/results/{s}/jobs/{job}/file"],
    "api.indices": ["/api/v1/surveys/{other}/indices", "/api/v1/surveys/{other}/indices?by=agency"],
    "api.responses": [
        "/api/v1/surveys/{other}/responses?page=1",
        "/api/v1/surveys/{other}/responses?channel=web&since=0",
        "/api/v1/surveys/{s}/responses?agency=STP&channel=web",
    ],
    "api.openapi": [],  # public and the same for everyone, no figures: test_openapi.py
    "api.list_surveys": [],  # lists, never opens: checked by its content below
    "weights.records": ["/results/{s}/records?agency=STP", "/results/{other}/records"],
    "results.trend_page": ["/results/{s}/trend?agency=STP", "/results/{other}/trend"],
    # Designers only (an analyst gets 403): test_trend.py asks it as SXD's designer (404).
    "results.series_page": [],
    "api.trend": ["/api/v1/surveys/{other}/trend", "/api/v1/surveys/{s}/trend?agency=STP"],
}
OWN_PAGES = [
    "/results/{s}?lang=en",
    "/results/{s}?lang=vi",
    "/results/{s}?agency=SXD&lang=en",
    "/results/{s}?channel=web&lang=en",
    "/results/{s}/agencies/SXD?lang=en",
    "/results/{s}/agencies/SXD/report?lang=en",
    "/results/{s}/agencies/SXD/report?lang=vi",
]


@pytest.fixture(autouse=True)
def _fresh_cache(app: Flask) -> None:
    result_cache().clear()


@pytest.fixture()
def surveys() -> dict[str, Survey]:
    factories.province()
    both = factories.survey(codes=("SXD", "STP"))
    generate(
        db.session,
        both,
        PROFILES,
        {"SXD": 500, "STP": 500},
        {"SXD": 60, "STP": 60},
        {},
        now=utcnow(),
        seed=5,
    )
    other = factories.survey(codes=("STP",))
    generate(db.session, other, PROFILES, {"STP": 500}, {"STP": 30}, {}, now=utcnow(), seed=6)
    stp = db.session.scalar(select(Agency).where(Agency.code == "STP"))
    spec = ExportSpec("csv", scope=stp)
    export_jobs.request_export(db.session, both, factories.user(), spec, utcnow())
    db.session.commit()
    return {"both": both, "other": other}


def _analyst() -> User:
    own = db.session.scalar(select(Agency).where(Agency.code == "SXD"))
    return factories.user("sxd@example.org", "analyst", own)


def _fill(url: str, surveys: dict[str, Survey]) -> str:
    job = db.session.scalar(select(ExportJob.id))
    return url.format(s=surveys["both"].id, other=surveys["other"].id, job=job)


def test_every_route_is_covered(app: Flask) -> None:
    routes = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if "GET" in (rule.methods or set()) and rule.rule.startswith(("/results", "/api/v1"))
    }
    assert routes == set(OTHER_AGENCY_URLS)


def test_department_analyst_gets_404_for_every_other_agency_url(
    client: FlaskClient, surveys: dict[str, Survey]
) -> None:
    _analyst()
    factories.login(client, "sxd@example.org")
    for urls in OTHER_AGENCY_URLS.values():
        for url in urls:
            if url.startswith("/api/"):
                continue
            assert client.get(_fill(url, surveys)).status_code == 404, url
    # A survey of the other agency alone does not exist for this analyst.
    other = surveys["other"].id
    for url in (f"/results/{other}", f"/results/{other}/agencies/SXD", f"/surveys/{other}"):
        assert client.get(url).status_code == 404, url


def test_department_analyst_pages_name_no_other_agency(
    client: FlaskClient, surveys: dict[str, Survey]
) -> None:
    _analyst()
    factories.login(client, "sxd@example.org")
    for url in OWN_PAGES:
        page = client.get(_fill(url, surveys))
        assert page.status_code == 200, url
        for other in OTHERS:
            assert other not in page.text, (url, other)
        assert re.search(r'data-metric="rank">(2 of 2|2/2)<', page.text) or "report" in url, url
    report = client.get(_fill("/results/{s}/agencies/SXD/report?lang=en", surveys)).text
    assert re.search(r'data-metric="rank">2 of 2<', report)  # its own rank, nobody else's


def test_department_api_token_sees_only_its_agency(
    client: FlaskClient, surveys: dict[str, Survey]
) -> None:
    analyst = _analyst()
    token = issue_api_token(db.session, analyst)
    db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    for urls in OTHER_AGENCY_URLS.values():
        for url in urls:
            if url.startswith("/api/"):
                answer = client.get(_fill(url, surveys), headers=headers)
                assert answer.status_code == 404, url
                assert answer.is_json, url
    listed = client.get("/api/v1/surveys", headers=headers).get_json()["surveys"]
    assert [s["id"] for s in listed] == [surveys["both"].id]
    assert listed[0]["agencies"] == ["SXD"]
    both = surveys["both"].id
    by_agency = client.get(f"/api/v1/surveys/{both}/indices?by=agency", headers=headers)
    assert set(by_agency.get_json()["agencies"]) == {"SXD"}
    assert by_agency.get_json()["n"] == 60
    rows = client.get(f"/api/v1/surveys/{both}/responses?page=1", headers=headers).get_json()
    assert rows["responses"] and {r["agency"] for r in rows["responses"]} == {"SXD"}


def test_province_office_sees_every_agency(client: FlaskClient, surveys: dict[str, Survey]) -> None:
    province = db.session.scalar(select(Agency).where(Agency.code == "HN"))
    factories.user("province@example.org", "analyst", province)
    factories.login(client, "province@example.org")
    other = surveys["other"].id
    page = client.get(_fill("/results/{s}?lang=en", surveys)).text
    assert "Justice" in page and "Construction" in page and "All agencies" in page
    for url in (
        "/results/{s}/agencies/STP",
        "/results/{s}/agencies/STP/report",
        "/results/{s}?agency=STP",
        "/results/{s}/export.csv?agency=STP",
    ):
        assert client.get(_fill(url, surveys)).status_code == 200, url
    assert client.get(f"/results/{other}").status_code == 200
