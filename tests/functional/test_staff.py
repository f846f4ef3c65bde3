"""Staff pages: sign-in, creating a survey, making links, results, downloads, scope."""

from __future__ import annotations

import csv
import io

import openpyxl
from flask.testing import FlaskClient

from tests import factories
from tests.functional.test_respond import _answer_everything


def test_staff_pages_redirect_to_login_with_303(client: FlaskClient) -> None:
    response = client.get("/results/1")
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/login?next=")


def test_bad_password_shows_the_form_again(client: FlaskClient) -> None:
    factories.user()
    page = client.get("/login")
    response = client.post(
        "/login",
        data={
            "email": "admin@example.org",
            "password": "wrong",
            "csrf_token": factories.csrf_from(page.text),
        },
    )
    assert response.status_code == 200
    assert 'name="password"' in response.text
    assert 'role="alert"' in response.text


def test_login_refuses_external_next(client: FlaskClient) -> None:
    factories.user()
    page = client.get("/login")
    response = client.post(
        "/login?next=https://evil.example/",
        data={
            "email": "admin@example.org",
            "password": factories.PASSWORD,
            "csrf_token": factories.csrf_from(page.text),
        },
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


def test_admin_creates_survey_and_downloads_links(client: FlaskClient) -> None:
    factories.province()
    factories.user()
    factories.login(client)
    form = client.get("/surveys/new")
    assert "sipas-2017" in form.text
    created = client.post(
        "/surveys/new",
        data={
            "csrf_token": factories.csrf_from(form.text),
            "questionnaire": "sipas-2017",
            "title": "SIPAS 2026",
            "agencies": ["SXD", "STP"],
            "mode": "invited",
        },
    )
    assert created.status_code == 303, created.text
    detail = client.get(created.headers["Location"])
    assert "SIPAS 2026" in detail.text
    survey_id = created.headers["Location"].rstrip("/").split("/")[-1]
    links = client.post(
        f"/surveys/{survey_id}/invitations",
        data={"csrf_token": factories.csrf_from(detail.text), "agency": "SXD", "count": "3"},
    )
    assert links.status_code == 200
    rows = list(csv.DictReader(io.StringIO(links.text.lstrip("\ufeff"))))
    assert len(rows) == 3
    assert rows[0]["url"].startswith("http://localhost/s/")
    assert client.get("/s/" + rows[0]["token"]).status_code == 200


def test_new_survey_without_agencies_says_so(client: FlaskClient) -> None:
    factories.province()
    factories.user()
    factories.login(client)
    form = client.get("/surveys/new")
    response = client.post(
        "/surveys/new",
        data={
            "csrf_token": factories.csrf_from(form.text),
            "questionnaire": "sipas-2017",
            "title": "x",
            "mode": "invited",
        },
    )
    assert response.status_code == 200
    assert "field-error" in response.text


def test_results_and_xlsx_with_labels(client: FlaskClient) -> None:
    factories.province()
    factories.user()
    survey = factories.survey()
    for token in factories.tokens(survey, "SXD", 2):
        _answer_everything(client, token)
    factories.login(client)
    page = client.get(f"/results/{survey.id}")
    assert page.status_code == 200
    assert 'data-metric="overall"' in page.text
    download = client.get(f"/results/{survey.id}/export.xlsx?labels=1")
    assert download.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(download.data))
    rows = list(workbook["responses"].iter_rows(values_only=True))
    header = rows[0]
    assert "acc_seats" in header and "trips" in header
    assert len(rows) == 3
    assert rows[1][header.index("acc_seats")] == "Hài lòng"
    summary = dict(workbook["summary"].iter_rows(min_row=2, values_only=True))
    assert summary["Phản hồi đã hoàn thành"] == 2
    assert summary["Chỉ số chung"] is None  # n < 10: no figure published


def test_department_analyst_sees_only_own_agency(client: FlaskClient) -> None:
    agencies = factories.province()
    factories.user("sxd@example.org", "analyst", agencies["SXD"])
    survey = factories.survey()
    factories.login(client, "sxd@example.org")
    assert client.get(f"/results/{survey.id}").status_code == 200
    assert client.get(f"/results/{survey.id}/agencies/SXD").status_code == 200
    assert client.get(f"/results/{survey.id}/agencies/SXD_P1").status_code == 200
    assert client.get(f"/results/{survey.id}/agencies/STP").status_code == 404
    assert client.get(f"/results/{survey.id}?agency=STP").status_code == 404
    assert client.get(f"/results/{survey.id}/export.csv?agency=STP").status_code == 404
    page = client.get(f"/results/{survey.id}")
    assert "Sở Tư pháp" not in page.text


def test_other_agency_survey_is_404_for_scoped_user(client: FlaskClient) -> None:
    agencies = factories.province()
    factories.user("stp@example.org", "analyst", agencies["STP"])
    survey = factories.survey(codes=("SXD",))
    factories.login(client, "stp@example.org")
    assert client.get(f"/results/{survey.id}").status_code == 404
    assert client.get(f"/results/{survey.id}/export.xlsx").status_code == 404


def test_error_pages_are_html_and_api_errors_json(client: FlaskClient) -> None:
    missing = client.get("/nowhere")
    assert missing.status_code == 404
    assert "<html" in missing.text and "Traceback" not in missing.text
    api = client.get("/api/v1/surveys")
    assert api.status_code == 401
    assert api.is_json and api.json["error"]["status"] == 401
    wrong_method = client.delete("/login")
    assert wrong_method.status_code == 405


def test_security_headers(client: FlaskClient) -> None:
    response = client.get("/login")
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
