"""The analysts' JSON API: bearer tokens, agency scope, the shape of ``score --format json``."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from surveyapp.extensions import db
from surveyapp.models import Channel, Response, Survey
from surveyapp.results.views import api
from surveyapp.security import issue_api_token
from tests import factories
from tests.functional.test_respond import _answer_everything


def _bearer(email: str) -> dict[str, str]:
    from surveyapp.accounts.services.users import find_user

    user = find_user(db.session, email)
    assert user is not None
    token = issue_api_token(db.session, user)
    db.session.commit()
    return {"Authorization": f"Bearer {token}"}


def test_bad_token_is_401_json(client: FlaskClient) -> None:
    response = client.get("/api/v1/surveys", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
    assert response.json["error"]["status"] == 401


def test_indices_and_responses_for_province_user(app: Flask, client: FlaskClient) -> None:
    factories.province()
    factories.user("analyst@example.org", "analyst")
    survey = factories.survey()
    for token in factories.tokens(survey, "SXD", 2) + factories.tokens(survey, "STP", 1):
        _answer_everything(client, token)
    headers = _bearer("analyst@example.org")
    listing = client.get("/api/v1/surveys", headers=headers).json["surveys"]
    assert [s["id"] for s in listing] == [survey.id]
    body = client.get(f"/api/v1/surveys/{survey.id}/indices?by=agency", headers=headers).json
    assert body["n"] == 3
    assert set(body["agencies"]) == {"SXD", "STP"}
    assert body["agencies"]["SXD"]["n"] == 2
    assert 0 <= body["overall"]["value"] <= 1
    page = client.get(f"/api/v1/surveys/{survey.id}/responses?page=1", headers=headers).json
    assert len(page["responses"]) == 3
    assert page["responses"][0]["acc_seats"] == 4
    assert (
        client.get(f"/api/v1/surveys/{survey.id}/responses?page=x", headers=headers).status_code
        == 400
    )


def test_scoped_user_gets_only_own_agency(client: FlaskClient) -> None:
    agencies = factories.province()
    factories.user("sxd@example.org", "analyst", agencies["SXD"])
    survey = factories.survey()
    for token in factories.tokens(survey, "SXD", 1) + factories.tokens(survey, "STP", 2):
        _answer_everything(client, token)
    headers = _bearer("sxd@example.org")
    body = client.get(f"/api/v1/surveys/{survey.id}/indices?by=agency", headers=headers).json
    assert body["n"] == 1
    assert set(body["agencies"]) == {"SXD"}
    page = client.get(f"/api/v1/surveys/{survey.id}/responses", headers=headers).json
    assert {r["agency"] for r in page["responses"]} == {"SXD"}
    other = factories.survey(codes=("STP",))
    assert client.get(f"/api/v1/surveys/{other.id}/indices", headers=headers).status_code == 404


def test_agency_parameter_narrows_within_scope_and_refuses_outside(client: FlaskClient) -> None:
    agencies = factories.province()
    factories.user("analyst@example.org", "analyst")
    factories.user("sxd@example.org", "analyst", agencies["SXD"])
    survey = factories.survey()
    for token in factories.tokens(survey, "SXD", 1) + factories.tokens(survey, "STP", 2):
        _answer_everything(client, token)
    base = f"/api/v1/surveys/{survey.id}"
    province = _bearer("analyst@example.org")
    assert client.get(f"{base}/indices?agency=STP", headers=province).json["n"] == 2
    rows = client.get(f"{base}/responses?agency=STP", headers=province).json["responses"]
    assert {r["agency"] for r in rows} == {"STP"}
    department = _bearer("sxd@example.org")
    for path in ("indices?agency=STP", "responses?agency=STP", "indices?agency=NOPE"):
        refused = client.get(f"{base}/{path}", headers=department)
        assert refused.status_code == 404, path  # not SXD's figures filed as another's
        assert refused.json["error"]["status"] == 404
    assert client.get(f"{base}/indices?agency=SXD", headers=department).json["n"] == 1


def _answered(client: FlaskClient, survey: Survey, code: str, count: int) -> list[Response]:
    """``count`` responses about agency ``code``, sent over the web pages."""
    for token in factories.tokens(survey, code, count):
        _answer_everything(client, token)
    return list(
        db.session.scalars(
            select(Response)
            .where(Response.survey_id == survey.id, Response.submitted_at.is_not(None))
            .order_by(Response.id)
        )
    )[-count:]


def test_multi_choice_answer_is_a_list_of_codes(client: FlaskClient) -> None:
    factories.province()
    factories.user("analyst@example.org", "analyst")
    survey = factories.survey()
    token = factories.tokens(survey, "SXD", 1)[0]
    _answer_everything(client, token, expect_improve=["3", "6"])
    page = client.get(
        f"/api/v1/surveys/{survey.id}/responses", headers=_bearer("analyst@example.org")
    ).json
    assert page["responses"][0]["expect_improve"] == [3, 6]
    assert page["responses"][0]["acc_seats"] == 4


def test_responses_filter_by_channel_dates_and_since(client: FlaskClient) -> None:
    factories.province()
    factories.user("analyst@example.org", "analyst")
    survey = factories.survey()
    first, second, third, fourth = _answered(client, survey, "SXD", 4)
    # 17:30 UTC on 1 March is 00:30 on 2 March in Vietnam: a Vietnam date counts.
    first.submitted_at = datetime(2026, 3, 1, 16, 59, tzinfo=UTC)  # 23:59 on 1 March
    second.submitted_at = datetime(2026, 3, 1, 17, 30, tzinfo=UTC)
    third.submitted_at = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
    fourth.submitted_at = datetime(2026, 3, 6, 9, 0, tzinfo=UTC)
    third.channel = fourth.channel = Channel.KIOSK
    db.session.commit()
    headers = _bearer("analyst@example.org")

    def ids(query: str) -> list[int]:
        url = f"/api/v1/surveys/{survey.id}/responses?{query}"
        answer = client.get(url, headers=headers)
        assert answer.status_code == 200, (query, answer.json)
        assert answer.json["total"] == len(answer.json["responses"])
        return [r["response_id"] for r in answer.json["responses"]]

    assert ids("channel=kiosk") == [third.id, fourth.id]
    assert ids("channel=web") == [first.id, second.id]
    assert ids("from=2026-03-02") == [second.id, third.id, fourth.id]
    assert ids("to=2026-03-01") == [first.id]
    assert ids("from=2026-03-02&to=2026-03-05") == [second.id, third.id]
    assert ids(f"since={second.id}") == [third.id, fourth.id]
    assert ids(f"since={second.id}&channel=web") == []
    assert ids("since=0") == [first.id, second.id, third.id, fourth.id]


def test_bad_filters_are_one_400_problem_naming_each_parameter(client: FlaskClient) -> None:
    factories.province()
    factories.user("analyst@example.org", "analyst")
    survey = factories.survey()
    answer = client.get(
        f"/api/v1/surveys/{survey.id}/responses",
        query_string={"channel": "fax", "from": "2026-13-01", "to": "yesterday", "since": "-1"},
        headers=_bearer("analyst@example.org"),
    )
    assert answer.status_code == 400
    assert answer.mimetype == "application/problem+json"
    problem = answer.json
    assert problem["status"] == 400 and problem["type"] == "about:blank"
    reasons = {p["name"]: p["reason"] for p in problem["invalid_params"]}
    assert set(reasons) == {"channel", "from", "to", "since"}
    assert "fax" in reasons["channel"] and "web, kiosk, paper" in reasons["channel"]
    assert "2026-13-01" in reasons["from"] and "YYYY-MM-DD" in reasons["from"]
    assert "-1" in reasons["since"]
    assert all(p["in"] == "query" for p in problem["invalid_params"])
    assert "fax" in problem["detail"] and problem["error"]["status"] == 400
    backwards = client.get(
        f"/api/v1/surveys/{survey.id}/responses?from=2026-03-05&to=2026-03-01",
        headers=_bearer("analyst@example.org"),
    )
    assert backwards.status_code == 400
    assert [p["name"] for p in backwards.json["invalid_params"]] == ["to"]


def test_responses_page_says_total_and_next_page(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(api, "PER_PAGE", 2)
    factories.province()
    factories.user("analyst@example.org", "analyst")
    survey = factories.survey()
    made = _answered(client, survey, "SXD", 3)
    headers = _bearer("analyst@example.org")
    base = f"/api/v1/surveys/{survey.id}/responses"
    one = client.get(base, headers=headers).json
    assert (one["total"], one["per_page"], one["next_page"]) == (3, 2, 2)
    two = client.get(f"{base}?page=2", headers=headers).json
    assert two["next_page"] is None
    assert [r["response_id"] for r in one["responses"] + two["responses"]] == [r.id for r in made]


def test_department_filters_stay_within_its_agency(client: FlaskClient) -> None:
    agencies = factories.province()
    factories.user("sxd@example.org", "analyst", agencies["SXD"])
    survey = factories.survey()
    _answered(client, survey, "STP", 2)
    mine = _answered(client, survey, "SXD", 1)
    headers = _bearer("sxd@example.org")
    for query in ("channel=web", "since=0", "from=2000-01-01", "page=1"):
        page = client.get(f"/api/v1/surveys/{survey.id}/responses?{query}", headers=headers).json
        assert [r["response_id"] for r in page["responses"]] == [mine[0].id], query
        assert page["total"] == 1, query
