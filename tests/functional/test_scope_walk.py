"""Every staff page and API answer as a department user (tied to SXD) on a province of
two agencies: nothing of the other agency (STP) shows, in any mode of survey; every such
answer is marked no-store."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from surveyapp.collect.services import visits
from surveyapp.demo.synthetic import AgencyProfile, generate
from surveyapp.extensions import db
from surveyapp.fieldwork.services import assignments
from surveyapp.models import Agency, SurveyMode, User
from surveyapp.models._types import utcnow
from surveyapp.results.views.results import result_cache
from surveyapp.security import issue_api_token
from tests import factories

PROFILE = AgencyProfile(0.80, 0.03, 0.03, 0.10, 0.60, 0.2)
# The other agency's names and code; the province's own name counts as another agency's.
OTHER = re.compile(
    r"Justice|Sở Tư pháp|(?<![\w-])STP(?![\w-])|All agencies|Tất cả cơ quan|Test Province|"
    r"UBND tỉnh Thử nghiệm"
)

# Every staff GET route with the URLs a department user opens on its own agency's side
# ({s} invited, {o} open, {p} officials' survey); a new route without an entry fails
# test_every_staff_route_is_walked. Routes that start on a form post are walked as their
# GET form where they have one.
OWN_URLS = {
    "home.index": ["/", "/?lang=en"],
    "surveys.detail": ["/surveys/{s}", "/surveys/{o}", "/surveys/{p}", "/surveys/{s}?lang=en"],
    "surveys.new": ["/surveys/new"],
    "results.survey": ["/results/{s}", "/results/{s}?lang=en", "/results/{o}", "/results/{p}"],
    "results.agency": ["/results/{s}/agencies/SXD?lang=en", "/results/{p}/agencies/SXD"],
    "results.report": [
        "/results/{s}/agencies/SXD/report?lang=en",
        "/results/{p}/agencies/SXD/report",
    ],
    "results.report_pdf": [],  # the report above, printed (needs WeasyPrint)
    "results.trend_page": [
        "/results/{s}/trend",
        "/results/{s}/trend?lang=en",
        "/results/{p}/trend",
    ],
    "downloads.export": ["/results/{s}/export.csv", "/results/{s}/export.csv?labels=1"],
    "downloads.syntax": ["/results/{s}/syntax.r", "/results/{s}/syntax.spss?lang=en"],
    # Only a points questionnaire has them: test_dossier_register.py walks them by agency.
    "results.dossiers_page": [],
    "downloads.dossiers_csv": [],
    "downloads.job": [],  # someone else's job: test_scope.py
    "downloads.job_download": [],
    "weights.records": ["/results/{s}/records", "/results/{s}/records?lang=en"],
    "review.quality": ["/surveys/{s}/quality", "/surveys/{o}/quality?lang=en"],
    # A designer does not clean (403): test_review_page.py walks them as a department's
    # fieldwork user.
    "review.index": [],
    "review.response": [],
    "outreach.index": ["/surveys/{s}/outreach"],
    "outreach.letters_page": ["/surveys/{s}/letters", "/surveys/{s}/letters?lang=en"],
    "outreach.messages_csv": ["/surveys/{s}/outreach/messages.csv"],
    "outreach.monitoring_page": ["/surveys/{s}/monitoring", "/surveys/{s}/monitoring?lang=en"],
    "posters.index": ["/surveys/{o}/posters", "/surveys/{o}/posters?lang=en"],
    "posters.printable": ["/surveys/{o}/posters/print", "/surveys/{o}/posters/print?agency=SXD"],
    "posters.blank_questionnaire": [
        "/surveys/{s}/questionnaire/print",
        "/surveys/{o}/questionnaire/print?agency=SXD",
    ],
    "posters.blank_questionnaire_pdf": [],  # the page above, printed (needs WeasyPrint)
    "officials.manage": ["/surveys/{p}/officials", "/surveys/{p}/officials?lang=en"],
    "paper.start": ["/surveys/{s}/paper", "/surveys/{o}/paper"],
    "paper.entry": ["/surveys/{s}/paper/SXD/{key}"],
    "api.list_surveys": ["/api/v1/surveys"],
    "api.indices": ["/api/v1/surveys/{s}/indices?by=agency", "/api/v1/surveys/{p}/indices"],
    "api.responses": [
        "/api/v1/surveys/{s}/responses?page=1",
        "/api/v1/surveys/{s}/responses?channel=web&from=2000-01-01&since=0",
    ],
    "api.openapi": [],  # public and the same for everyone, no figures: test_openapi.py
    "api.trend": ["/api/v1/surveys/{s}/trend", "/api/v1/surveys/{s}/trend?agency=SXD"],
    # Survey-wide pages: 404 for a user whose scope does not span the survey.
    "weights.page": [],
    "surveys.edit": [],
    "results.series_page": [],  # needs a previous round: test_trend.py walks it in scope
    "fieldwork.overview": [],
    "fieldwork.frame_upload": [],
    "fieldwork.frame_example_csv": [],
    "fieldwork.frame_mapping": [],
    "fieldwork.frame_report": [],
    "fieldwork.frame_report_csv": [],
    "fieldwork.frame_imported": [],
    "fieldwork.frame_job": [],
    "fieldwork.sample_size_page": [],
    "fieldwork.draw": [],
    "fieldwork.sample_csv": [],
}
SURVEY_WIDE = [
    "/surveys/{s}/weights",
    "/surveys/{s}/edit",
    "/surveys/{s}/fieldwork",
    "/surveys/{s}/frame/upload",
    "/surveys/{s}/frame/example.csv",
    "/surveys/{s}/sample-size",
    "/surveys/{s}/draw",
    "/surveys/{s}/draw/sample.csv",
]
STAFF_PREFIXES = ("/surveys", "/results", "/api/v1")


@pytest.fixture(autouse=True)
def _fresh_cache(app: Flask) -> None:
    result_cache().clear()


@pytest.fixture()
def province_surveys(app: Flask) -> dict[str, int]:
    """An invited SIPAS survey with answers, an open one and an officials' PAR survey,
    each of SXD and STP, and a survey of STP alone."""
    found = factories.province()
    invited = factories.survey()
    generate(
        db.session,
        invited,
        {"SXD": PROFILE, "STP": PROFILE},
        {"SXD": 400, "STP": 400},
        {"SXD": 40, "STP": 40},
        {},
        now=utcnow(),
        secret=app.config["SECRET_KEY"],
    )
    opened = factories.survey(mode=SurveyMode.OPEN)
    officials = factories.survey(template="par-officials", mode=SurveyMode.OFFICIALS)
    for code in ("SXD", "STP"):
        factories.user(f"official-{code.lower()}@example.org", "official", found[code])
    assignments.assign(db.session, officials, 1, seed=1, actor_id=None, now=utcnow())
    other = factories.survey(codes=("STP",))
    db.session.commit()
    return {"s": invited.id, "o": opened.id, "p": officials.id, "other": other.id}


def department_user() -> None:
    """A designer of SXD: the widest role (design, fieldwork, results) in a narrow scope."""
    sxd = db.session.scalar(select(Agency).where(Agency.code == "SXD"))
    factories.user("dept@example.org", "designer", sxd)


def _fill(url: str, ids: dict[str, int]) -> str:
    return url.format(**ids, key=visits.new_resume_key())


def test_every_staff_route_is_walked(app: Flask) -> None:
    routes = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if "GET" in (rule.methods or set())
        and (rule.rule == "/" or rule.rule.startswith(STAFF_PREFIXES))
        and not rule.endpoint.startswith("designer")  # questionnaires: no agency data
    }
    assert routes == set(OWN_URLS)


def test_department_user_sees_nothing_of_another_agency(
    client: FlaskClient, province_surveys: dict[str, int]
) -> None:
    department_user()
    factories.login(client, "dept@example.org")
    for urls in OWN_URLS.values():
        for url in urls:
            if url.startswith("/api/"):
                continue
            page = client.get(_fill(url, province_surveys), follow_redirects=True)
            assert page.status_code == 200, url
            assert page.headers["Cache-Control"] == "no-store", url
            found = OTHER.search(page.get_data(as_text=True))
            assert found is None, (url, found and found.group())
    for url in [*SURVEY_WIDE, "/surveys/{other}", "/results/{other}"]:
        assert client.get(_fill(url, province_surveys)).status_code == 404, url


def test_department_counts_are_its_own(
    client: FlaskClient, province_surveys: dict[str, int]
) -> None:
    department_user()
    factories.login(client, "dept@example.org")
    home = client.get("/?lang=en").text
    assert re.search(r'<td class="num">40</td>', home) and "80" not in home
    detail = client.get(f"/surveys/{province_surveys['s']}?lang=en").text
    assert "<dd>40</dd>" in detail
    officials = client.get(f"/surveys/{province_surveys['p']}?lang=en").text
    assert "1 assignments: 0 submitted, 0 in progress, 1 not started." in officials


def test_department_api_token_sees_nothing_of_another_agency(
    client: FlaskClient, province_surveys: dict[str, int]
) -> None:
    department_user()
    user = db.session.scalar(select(User).where(User.email == "dept@example.org"))
    headers = {"Authorization": f"Bearer {issue_api_token(db.session, user)}"}
    db.session.commit()
    for url in (u for urls in OWN_URLS.values() for u in urls if u.startswith("/api/")):
        answer = client.get(_fill(url, province_surveys), headers=headers)
        assert answer.status_code == 200, url
        assert answer.headers["Cache-Control"] == "no-store", url
        assert OTHER.search(answer.get_data(as_text=True)) is None, url
    listed = client.get("/api/v1/surveys", headers=headers).get_json()["surveys"]
    invited = next(s for s in listed if s["id"] == province_surveys["s"])
    assert invited["submitted"] == 40 and invited["agencies"] == ["SXD"]
    assert province_surveys["other"] not in {s["id"] for s in listed}


def test_province_user_sees_every_agency_and_every_page(
    client: FlaskClient, province_surveys: dict[str, int]
) -> None:
    factories.user("province@example.org", "designer")
    factories.login(client, "province@example.org")
    home = client.get("/?lang=en").text
    assert '<td class="num">80</td>' in home
    for url in SURVEY_WIDE:
        assert client.get(_fill(url, province_surveys)).status_code in (200, 303), url
    assert "Justice" in client.get(f"/surveys/{province_surveys['s']}?lang=en").text


def test_sign_in_page_and_static_files_may_be_cached(client: FlaskClient) -> None:
    assert "no-store" not in client.get("/login").headers.get("Cache-Control", "")
    assert "no-store" not in client.get("/static/css/app.css").headers.get("Cache-Control", "")


def test_each_survey_page_offers_what_its_mode_does(
    client: FlaskClient, province_surveys: dict[str, int]
) -> None:
    factories.user("province@example.org", "designer")
    factories.login(client, "province@example.org")
    s, o, p = (province_surveys[k] for k in "sop")
    invited = client.get(f"/surveys/{s}?lang=en").text
    opened = client.get(f"/surveys/{o}?lang=en").text
    officials = client.get(f"/surveys/{p}?lang=en").text
    assert "Draw the sample" in invited and "Make links (CSV)" in invited
    for page in (opened, officials):
        assert "Draw the sample" not in page and "Letters, messages" not in page
        assert "Make links (CSV)" not in page
    assert f"/o/{o}/SXD/kiosk" in opened and "Paper questionnaires" in opened
    assert "Raters for each agency" in officials and "Paper questionnaires" not in officials
    assert "1 not started" not in officials and "2 not started." in officials
    for url in (f"/surveys/{o}/draw", f"/surveys/{o}/letters", f"/surveys/{p}/draw",
                f"/surveys/{p}/letters", f"/surveys/{p}/frame/upload", f"/surveys/{p}/paper",
                f"/surveys/{p}/weights", f"/results/{p}/records"):  # fmt: skip
        assert client.get(url).status_code == 404, url
    sipas = client.get(f"/results/{s}?lang=en").text
    assert "Satisfaction index (SIPAS)" in sipas and 'name="channel"' in sipas
    assert 'data-metric="response-rate"' in sipas
    par = client.get(f"/results/{p}?lang=en").text
    assert "Cross-evaluation index (PAR INDEX)" in par and "SIPAS" not in par
    assert 'name="channel"' not in par and "response rate" not in par.lower()
    assert "Target 85" not in par and "Gap to target" not in par
    assert "response rate" not in client.get(f"/results/{o}?lang=en").text.lower()


def test_an_open_surveys_fieldwork_page_offers_no_draw(
    client: FlaskClient, province_surveys: dict[str, int]
) -> None:
    factories.user("province@example.org", "fieldwork")
    factories.login(client, "province@example.org")
    page = client.get(f"/surveys/{province_surveys['o']}/fieldwork?lang=en").text
    assert "Import one-stop records" in page and "Draw the sample" not in page
    invited = client.get(f"/surveys/{province_surveys['s']}/fieldwork?lang=en").text
    assert "Draw the sample" in invited
