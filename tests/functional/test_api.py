"""The analysts' JSON API: bearer tokens, agency scope, the shape of ``score --format json``."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from surveyapp.extensions import db
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
