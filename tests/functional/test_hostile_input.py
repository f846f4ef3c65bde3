"""Hostile input answers a clear 4xx, never a 500: ``?next=`` with CR/LF or another host,
ids and page numbers past the database's integers, over-long names and titles."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from surveyapp.extensions import db
from surveyapp.models._types import utcnow
from surveyapp.problems import InputRefused
from surveyapp.surveys.services import agencies, surveys
from tests import factories
from tests.functional.test_api import _bearer

HUGE = "9" * 30  # past SQLite's 64-bit and PostgreSQL's integer columns


def _sign_in_to(client: FlaskClient, next_: str) -> str:
    factories.user()
    page = client.get("/login")
    response = client.post(
        "/login",
        query_string={"next": next_},
        data={
            "email": "admin@example.org",
            "password": factories.PASSWORD,
            "csrf_token": factories.csrf_from(page.text),
        },
    )
    assert response.status_code == 303
    return str(response.headers["Location"])


@pytest.mark.parametrize(
    "next_",
    [
        "/\r\nSet-Cookie: stolen=1",
        "/results\n",
        "//evil.example/",
        "/\\evil.example/",
        "/\t/evil.example/",
        "https://evil.example/",
        "javascript:alert(1)",
        "results/1",
    ],
)
def test_sign_in_ignores_a_next_that_leaves_the_site_or_breaks_headers(
    client: FlaskClient, next_: str
) -> None:
    assert _sign_in_to(client, next_) == "/"


def test_sign_in_keeps_a_next_of_this_site(client: FlaskClient) -> None:
    assert _sign_in_to(client, "/surveys/new?lang=en") == "/surveys/new?lang=en"


@pytest.mark.parametrize(
    "url",
    [
        f"/surveys/{HUGE}",
        f"/results/{HUGE}",
        f"/designer/sipas-2017/{HUGE}/",
        f"/surveys/{HUGE}/fieldwork",
    ],
)
def test_ids_past_the_integer_range_are_not_found(client: FlaskClient, url: str) -> None:
    factories.user()
    factories.login(client)
    assert client.get(url).status_code == 404


def test_api_ids_past_the_integer_range_are_not_found(app: Flask, client: FlaskClient) -> None:
    factories.user()
    response = client.get(f"/api/v1/surveys/{HUGE}/indices", headers=_bearer("admin@example.org"))
    assert response.status_code == 404
    assert response.json["error"]["status"] == 404


@pytest.mark.parametrize("page", [HUGE, "2147483648", "0", "-1", "²", "١", "1.5", ""])
def test_api_page_out_of_range_is_400_saying_what(
    app: Flask, client: FlaskClient, page: str
) -> None:
    factories.province()
    survey = factories.survey()
    factories.user()
    response = client.get(
        f"/api/v1/surveys/{survey.id}/responses",
        query_string={"page": page},
        headers=_bearer("admin@example.org"),
    )
    assert response.status_code == 400
    assert "page" in response.json["error"]["message"]
    assert "2147483647" in response.json["error"]["message"]


def test_api_last_possible_page_is_empty(app: Flask, client: FlaskClient) -> None:
    factories.province()
    survey = factories.survey()
    factories.user()
    response = client.get(
        f"/api/v1/surveys/{survey.id}/responses?page=2147483647",
        headers=_bearer("admin@example.org"),
    )
    assert response.status_code == 200
    assert response.json["responses"] == []


def test_survey_title_longer_than_its_column_is_refused(app: Flask) -> None:
    factories.province()
    version = factories.survey().version
    with pytest.raises(InputRefused) as refused:
        surveys.create_survey(
            db.session,
            version=version,
            title="T" * 256,
            agencies=agencies.all_agencies(db.session),
            now=utcnow(),
        )
    assert "255" in str(refused.value) and "title" in str(refused.value)


def test_new_survey_form_refuses_a_long_title_beside_the_field(client: FlaskClient) -> None:
    factories.province()
    factories.user()
    factories.login(client)
    page = client.get("/surveys/new")
    response = client.post(
        "/surveys/new",
        data={
            "csrf_token": factories.csrf_from(page.text),
            "questionnaire": "sipas-2017",
            "title": "T" * 60_000,
            "agencies": ["SXD"],
            "mode": "invited",
        },
    )
    assert response.status_code == 200
    assert 'id="err-title"' in response.text


def test_agency_name_longer_than_its_column_is_refused_with_its_cell(app: Flask) -> None:
    rows = [{"code": "HN", "parent": "", "name_vi": "Tỉnh", "name_en": "P" * 256}]
    with pytest.raises(InputRefused) as refused:
        agencies.import_agencies(db.session, rows)
    assert "row 2, column name_en" in str(refused.value)
    assert "255" in str(refused.value)
