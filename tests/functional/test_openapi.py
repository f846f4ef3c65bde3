"""The OpenAPI 3.1 description at /api/v1/openapi.json describes every /api/v1 route, and
every route's real answers (successes and problems) validate against its schemas."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from sqlalchemy import select

from surveyapp.demo.synthetic import AgencyProfile, generate
from surveyapp.extensions import db
from surveyapp.models import User
from surveyapp.models._types import utcnow
from surveyapp.results.views import openapi
from surveyapp.results.views.results import result_cache
from surveyapp.security import issue_api_token
from tests import factories

SPEC = "urn:surveyapp:openapi"
PROFILE = AgencyProfile(0.80, 0.03, 0.03, 0.10, 0.60, 0.2)

# Every /api/v1 route with requests whose answers are checked: (url, who, status). "who"
# is the token: "province", "sxd" (tied to agency SXD), "official" (may not analyse),
# "bad" (unknown) or None (no header). A new route without an entry fails
# test_every_api_route_is_described_and_called.
CALLS: dict[str, list[tuple[str, str | None, int]]] = {
    "api.list_surveys": [
        ("/api/v1/surveys", "province", 200),
        ("/api/v1/surveys", "sxd", 200),
        ("/api/v1/surveys", None, 401),
        ("/api/v1/surveys", "bad", 401),
        ("/api/v1/surveys", "official", 403),
    ],
    "api.indices": [
        ("/api/v1/surveys/{s}/indices", "province", 200),
        ("/api/v1/surveys/{s}/indices?by=agency", "province", 200),
        ("/api/v1/surveys/{s}/indices?by=agency", "sxd", 200),
        ("/api/v1/surveys/{s}/indices?agency=STP", "province", 200),
        ("/api/v1/surveys/{s}/indices?agency=STP", "sxd", 404),
        ("/api/v1/surveys/{empty}/indices?by=agency", "province", 200),
        ("/api/v1/surveys/999999/indices", "province", 404),
        ("/api/v1/surveys/{s}/indices", "official", 403),
    ],
    "api.responses": [
        ("/api/v1/surveys/{s}/responses", "province", 200),
        ("/api/v1/surveys/{s}/responses?page=2", "province", 200),
        ("/api/v1/surveys/{s}/responses?page=99", "province", 200),
        ("/api/v1/surveys/{s}/responses?channel=kiosk&from=2000-01-01", "sxd", 200),
        ("/api/v1/surveys/{s}/responses?since=5&to=2100-12-31&agency=SXD", "province", 200),
        ("/api/v1/surveys/{empty}/responses", "province", 200),
        ("/api/v1/surveys/{s}/responses?channel=fax&since=x", "province", 400),
        ("/api/v1/surveys/{s}/responses?agency=NOPE", "province", 404),
        ("/api/v1/surveys/{s}/responses", None, 401),
    ],
    "api.openapi": [("/api/v1/openapi.json", None, 200), ("/api/v1/openapi.json", "bad", 200)],
    "api.trend": [
        ("/api/v1/surveys/{s}/trend", "province", 200),
        ("/api/v1/surveys/{s}/trend?agency=SXD", "sxd", 200),
        ("/api/v1/surveys/{s}/trend?agency=STP", "sxd", 404),
        ("/api/v1/surveys/{s}/trend", None, 401),
    ],
}


@pytest.fixture()
def answered(app: Flask, client: FlaskClient) -> dict[str, Any]:
    """A survey of SXD and STP with 130 synthetic responses (every channel, multi-choice
    answers, a frame's N_h), one sent over the web pages, and a survey with none; tokens."""
    result_cache().clear()
    found = factories.province()
    survey = factories.survey()
    generate(
        db.session,
        survey,
        {"SXD": PROFILE, "STP": PROFILE},
        {"SXD": 400, "STP": 300},
        {"SXD": 70, "STP": 60},
        {},
        now=utcnow(),
    )
    token = factories.tokens(survey, "SXD", 1)[0]
    from tests.functional.test_respond import _answer_everything

    _answer_everything(client, token, expect_improve=["3", "6"])
    empty = factories.survey()
    tokens = {
        "province": factories.user("province@example.org", "analyst"),
        "sxd": factories.user("sxd@example.org", "analyst", found["SXD"]),
        "official": factories.user("official@example.org", "official", found["SXD"]),
    }
    headers = {
        who: {"Authorization": f"Bearer {issue_api_token(db.session, user)}"}
        for who, user in tokens.items()
    }
    headers["bad"] = {"Authorization": "Bearer sa_nope"}
    headers[None] = {}  # type: ignore[index]
    db.session.commit()
    return {"ids": {"s": survey.id, "empty": empty.id}, "headers": headers}


def _spec(client: FlaskClient) -> dict[str, Any]:
    answer = client.get("/api/v1/openapi.json")
    assert answer.status_code == 200 and answer.mimetype == "application/json"
    return answer.json  # type: ignore[no-any-return]


def _path_of(rule: str) -> str:
    """A Flask rule as an OpenAPI path template: /surveys/<int:survey_id> → /surveys/{survey_id}."""
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule)


def _pointer(*parts: str) -> str:
    return "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


def _validator(spec: dict[str, Any], *where: str) -> Draft202012Validator:
    """A 2020-12 validator of the schema at ``where`` in the document; its $refs to
    components resolve in the document itself."""
    registry: Registry[Any] = Registry().with_resource(
        SPEC, Resource.from_contents(spec, default_specification=DRAFT202012)
    )
    return Draft202012Validator(
        {"$ref": f"{SPEC}#/{_pointer(*where)}"},
        registry=registry,
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


def test_every_api_route_is_described_and_called(app: Flask, client: FlaskClient) -> None:
    rules = {r.endpoint: r for r in app.url_map.iter_rules() if r.rule.startswith("/api/v1")}
    assert set(CALLS) == set(rules)
    paths = _spec(client)["paths"]
    assert set(paths) == {_path_of(r.rule) for r in rules.values()}
    for rule in rules.values():
        described = paths[_path_of(rule.rule)]
        assert set(described) == {m.lower() for m in rule.methods or ()} - {"head", "options"}


def test_description_is_openapi_3_1_with_valid_schemas(client: FlaskClient) -> None:
    spec = _spec(client)
    assert spec["openapi"].startswith("3.1.")
    assert spec["servers"][0]["url"] == "http://localhost/"
    for name, schema in spec["components"]["schemas"].items():
        Draft202012Validator.check_schema(schema)  # raises on a broken schema
        _validator(spec, "components", "schemas", name)  # its refs resolve
    operation_ids = [op["operationId"] for item in spec["paths"].values() for op in item.values()]
    assert len(operation_ids) == len(set(operation_ids))
    validate(spec)  # the document against OpenAPI 3.1's own schema


def test_every_answer_matches_its_description(
    client: FlaskClient, answered: dict[str, Any]
) -> None:
    spec = _spec(client)
    templates = {_path_of(r.rule): r for r in client.application.url_map.iter_rules()}
    for endpoint, calls in CALLS.items():
        path = next(p for p, r in templates.items() if r.endpoint == endpoint)
        for url, who, status in calls:
            filled = url.format(**answered["ids"])
            answer = client.get(filled, headers=answered["headers"][who])
            assert answer.status_code == status, (filled, who, answer.json)
            documented = spec["paths"][path]["get"]["responses"]
            assert str(status) in documented, (filled, status)
            described = documented[str(status)]
            if "$ref" in described:
                name = described["$ref"].rsplit("/", 1)[1]
                described = spec["components"]["responses"][name]
            [kind] = described["content"]
            assert answer.mimetype == kind, (filled, answer.mimetype)
            schema_at = ("paths", path, "get", "responses", str(status), "content", kind)
            if "$ref" in documented[str(status)]:
                schema_at = ("components", "responses", name, "content", kind)
            errors = list(_validator(spec, *schema_at, "schema").iter_errors(answer.json))
            assert not errors, (filled, who, [f"{e.json_path}: {e.message}" for e in errors])


def test_responses_carry_multi_choice_lists_and_design_columns(
    client: FlaskClient, answered: dict[str, Any]
) -> None:
    """The answers the validation above saw are the real thing: lists, codes, N_h."""
    url = "/api/v1/surveys/{s}/responses?page=2".format(**answered["ids"])
    page = client.get(url, headers=answered["headers"]["province"]).json
    assert page["total"] == 131 and page["next_page"] is None
    ticked = [r["expect_improve"] for r in page["responses"] if r["expect_improve"]]
    assert ticked and all(isinstance(t, list) for t in ticked)
    assert page["responses"][-1]["expect_improve"] == [3, 6]
    assert {r["fpc"] for r in page["responses"]} <= {400, 300}


def test_department_token_reads_the_description_and_only_its_agency(
    client: FlaskClient, answered: dict[str, Any]
) -> None:
    spec = client.get("/api/v1/openapi.json", headers=answered["headers"]["sxd"])
    assert "STP" not in spec.text and "Justice" not in spec.text
    url = "/api/v1/surveys/{s}/responses?channel=web".format(**answered["ids"])
    rows = client.get(url, headers=answered["headers"]["sxd"]).json["responses"]
    assert rows and {r["agency"] for r in rows} == {"SXD"}
    sxd = db.session.scalar(select(User).where(User.email == "sxd@example.org"))
    assert sxd is not None and sxd.agency is not None and sxd.agency.code == "SXD"


def test_trend_schema_takes_the_shape_of_surveyapp_trend_json() -> None:
    """Until GET /surveys/<id>/trend is registered its path is left out, but its schema is
    ready: the `surveyapp trend --format json` shape, a first round, a change and a break."""
    spec = openapi.document(["api.list_surveys"], "http://localhost/")
    assert "/api/v1/surveys/{survey_id}/trend" not in spec["paths"]
    estimate = {"value": 0.8, "se": 0.02, "ci_low": 0.76, "ci_high": 0.84, "n": 300}
    change = {"value": 0.05, "se": 0.03, "ci_low": -0.01, "ci_high": 0.11, "z": 1.7}
    change |= {"p_value": 0.09, "significant": False}
    trend = {
        "survey": 7,
        "rounds": [
            {
                "survey": 3,
                "title": "SIPAS 2022",
                "period": "2022-03-01/2022-04-15",
                "n": 310,
                "overall": {**estimate, "change": None},
                "elements": {"access": {**estimate, "change": None}},
                "indicators": {},
            },
            {
                "survey": 7,
                "title": "SIPAS 2023",
                "period": "2023-03-01/..",
                "n": 320,
                "overall": {**estimate, "change": change},
                "elements": {"access": None},  # a break: not matched to the round before
                "indicators": {"extra_payment": {**estimate, "change": None}},
            },
        ],
    }
    validator = _validator(spec, "components", "schemas", "Trend")
    assert list(validator.iter_errors(trend)) == []
    trend["rounds"][0]["overall"] = {**estimate}  # no change: not the documented shape
    assert list(validator.iter_errors(trend))
