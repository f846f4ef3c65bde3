"""The API's OpenAPI 3.1 description, as data: one entry per route, keyed by endpoint.

A route is described by one ``PATHS`` entry (endpoint → its path and path item); the
document lists only the entries whose endpoint is registered, so a route and its entry
land together. Schemas are JSON Schema 2020-12 (OpenAPI 3.1's own dialect);
tests/functional/test_openapi.py validates every endpoint's real answers against them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from surveyapp.models import Channel, SurveyMode, SurveyStatus

VERSION = "1.1.0"  # of the API: minor for additions, major for anything a client must change
INT32 = 2**31 - 1
JSON = "application/json"
PROBLEM = "application/problem+json"


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(kind: str, **more: Any) -> dict[str, Any]:
    return {"type": [kind, "null"], **more}


def mapping(of: dict[str, Any], description: str) -> dict[str, Any]:
    return {"type": "object", "additionalProperties": of, "description": description}


def obj(properties: dict[str, Any], *, optional: Iterable[str] = (), **more: Any) -> dict[str, Any]:
    """An object whose properties are all required but the ``optional`` ones."""
    left_out = set(optional)
    required = [name for name in properties if name not in left_out]
    return {"type": "object", "properties": properties, "required": required, **more}


def ok(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": schema}}}


def problems(*codes: int) -> dict[str, Any]:
    """The error answers a path may give, each an RFC 9457 problem."""
    return {str(code): {"$ref": f"#/components/responses/{ERRORS[code][0]}"} for code in codes}


def parameter(name: str, where: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": where,
        "required": where == "path",
        "schema": schema,
        "description": description,
    }


SURVEY_ID = parameter("survey_id", "path", {"type": "integer", "minimum": 1}, "The survey's id.")
AGENCY = parameter(
    "agency",
    "query",
    {"type": "string"},
    "Only this agency of the survey (and its sub-units). An agency outside the token's "
    "scope answers 404, as one that does not exist.",
)
PAGE = parameter("page", "query", {"type": "integer", "minimum": 1, "maximum": INT32}, "From 1.")
CHANNEL = parameter("channel", "query", {"enum": [c.value for c in Channel]}, "Only this one.")

ESTIMATE_FIELDS: dict[str, Any] = {
    "value": nullable("number", description="A proportion in [0, 1]; null without data."),
    "se": nullable("number", description="Design-based standard error; null when too few."),
    "ci_low": nullable("number"),
    "ci_high": nullable("number"),
    "n": {"type": "integer", "minimum": 0, "description": "Valid answers counted."},
}
BLOCK_FIELDS: dict[str, Any] = {
    "n": {"type": "integer", "minimum": 0, "description": "Responses in this scope."},
    "overall": ref("Estimate"),
    "groups": mapping(ref("Estimate"), "Group id → estimate (empty without groups)."),
    "elements": mapping(ref("ElementEstimate"), "Element id → estimate."),
    "criteria": mapping(ref("Estimate"), "Criterion (item) id → estimate."),
    "indicators": mapping(ref("Estimate"), "Indicator id → estimate."),
}
RESPONSE_FIELDS: dict[str, Any] = {
    "response_id": {"type": "integer"},
    "agency": {"type": "string", "description": "The agency's code."},
    "stratum": nullable("string"),
    "channel": {"enum": [c.value for c in Channel]},
    "submitted_at": nullable("string", format="date-time", description="UTC."),
    "weight": {"type": "number", "description": "Final weight."},
    "base_weight": {"type": "number", "description": "Weight of the draw, N_h / n_h."},
    "fpc": nullable("number", description="The stratum's population size N_h."),
    "psu": nullable("string", description="Primary sampling unit; only when clustered."),
}
ANSWER = {
    "type": ["number", "string", "array", "null"],
    "items": {"type": "integer"},
    "description": "An answer: an option code, a number, text, an ISO date, the list "
    "of ticked codes of a multi-choice item; null when not answered.",
}
POINT_OR_BREAK = {"oneOf": [ref("TrendPoint"), {"type": "null"}]}

SCHEMAS: dict[str, Any] = {
    "Estimate": obj(ESTIMATE_FIELDS, description="Proportions, never percents."),
    "ElementEstimate": obj(
        {
            **ESTIMATE_FIELDS,
            "alpha": nullable("number", description="Cronbach's α; null below 2 criteria."),
        }
    ),
    "ScoreBlock": obj(BLOCK_FIELDS),
    "Weighting": obj(
        {
            "status": {"enum": ["none", "applied", "not_applied"]},
            "setting": nullable("string"),
            "problems": {"type": "array", "items": {"type": "string"}},
        }
    ),
    "Indices": obj(
        {
            "survey": {"type": "integer"},
            **BLOCK_FIELDS,
            "weighting": ref("Weighting"),
            "agencies": mapping(ref("ScoreBlock"), "With by=agency: agency code → its block."),
        },
        optional=["agencies"],
    ),
    "Survey": obj(
        {
            "id": {"type": "integer"},
            "title": {"type": "string"},
            "status": {"enum": [s.value for s in SurveyStatus]},
            "mode": {"enum": [m.value for m in SurveyMode]},
            "questionnaire": nullable("string"),
            "questionnaire_version": {"type": "integer"},
            "agencies": {"type": "array", "items": {"type": "string"}},
            "submitted": {"type": "integer", "minimum": 0},
        }
    ),
    "SurveyList": obj({"surveys": {"type": "array", "items": ref("Survey")}}),
    "Response": obj(RESPONSE_FIELDS, optional=["psu"], additionalProperties=ANSWER),
    "ResponsePage": obj(
        {
            "survey": {"type": "integer"},
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1},
            "total": {"type": "integer", "minimum": 0, "description": "Responses matching."},
            "next_page": nullable("integer", description="null on the last page."),
            "responses": {"type": "array", "items": ref("Response")},
        }
    ),
    "Problem": obj(
        {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "invalid_params": {
                "type": "array",
                "items": obj(
                    {
                        "name": {"type": "string"},
                        "in": {"type": "string"},
                        "reason": {"type": "string"},
                    }
                ),
            },
            "error": obj(
                {
                    "status": {"type": "integer"},
                    "title": {"type": "string"},
                    "message": {"type": "string"},
                },
                description="The same problem in the API's first shape (kept for clients).",
            ),
        },
        optional=["invalid_params"],
        description="RFC 9457; invalid_params names each refused query parameter.",
    ),
    # For GET /surveys/{id}/trend: the shape of `surveyapp trend S --format json`.
    "RoundChange": obj(
        {
            **{name: nullable("number") for name in ("value", "se", "ci_low", "ci_high")},
            "z": nullable("number"),
            "p_value": nullable("number"),
            "significant": {"type": "boolean"},
        },
        description="This round minus the one before (independent samples).",
    ),
    "TrendPoint": obj(
        {**ESTIMATE_FIELDS, "change": {"oneOf": [ref("RoundChange"), {"type": "null"}]}},
        description="change is null in the first round or after a break.",
    ),
    "TrendRound": obj(
        {
            "survey": {"type": "integer"},
            "title": {"type": "string"},
            "period": {"type": "string", "description": "ISO 8601 interval, Vietnam dates."},
            "n": {"type": "integer", "minimum": 0, "description": "Responses in scope."},
            "overall": ref("TrendPoint"),
            "elements": mapping(POINT_OR_BREAK, "Element id → figure; null: a break."),
            "indicators": mapping(POINT_OR_BREAK, "Indicator id → figure; null: a break."),
        }
    ),
    "Trend": obj(
        {
            "survey": {"type": "integer"},
            "rounds": {
                "type": "array",
                "items": ref("TrendRound"),
                "description": "Oldest first, the survey asked for last.",
            },
        }
    ),
}

ERRORS = {
    400: ("BadRequest", "A parameter was refused: invalid_params says which and why."),
    401: ("Unauthorized", "No valid bearer token."),
    403: ("Forbidden", "The token's user may not analyse results."),
    404: ("NotFound", "No such survey or agency, or outside the token's scope."),
}

PATHS: dict[str, tuple[str, dict[str, Any]]] = {
    "api.list_surveys": (
        "/api/v1/surveys",
        {
            "get": {
                "operationId": "list_surveys",
                "summary": "The surveys the token's scope sees, with their agencies in scope.",
                "responses": {"200": ok(ref("SurveyList"), "The surveys."), **problems(401, 403)},
            }
        },
    ),
    "api.indices": (
        "/api/v1/surveys/{survey_id}/indices",
        {
            "get": {
                "operationId": "get_indices",
                "summary": "Weighted indices with SE and CI (the shape of `surveyapp score`).",
                "parameters": [
                    SURVEY_ID,
                    AGENCY,
                    parameter("by", "query", {"enum": ["agency"]}, "by=agency adds agencies."),
                ],
                "responses": {
                    "200": ok(ref("Indices"), "The estimates."),
                    **problems(401, 403, 404),
                },
            }
        },
    ),
    "api.responses": (
        "/api/v1/surveys/{survey_id}/responses",
        {
            "get": {
                "operationId": "list_responses",
                "summary": "Submitted responses in id order, 100 a page, answers as codes.",
                "parameters": [
                    SURVEY_ID,
                    parameter(
                        "page",
                        "query",
                        {"type": "integer", "minimum": 1, "maximum": INT32},
                        "From 1.",
                    ),
                    AGENCY,
                    parameter(
                        "channel", "query", {"enum": [c.value for c in Channel]}, "Only these."
                    ),
                    parameter(
                        "from",
                        "query",
                        {"type": "string", "format": "date"},
                        "Submitted on this Vietnam date (Asia/Ho_Chi_Minh) or later.",
                    ),
                    parameter(
                        "to",
                        "query",
                        {"type": "string", "format": "date"},
                        "Submitted on this Vietnam date or earlier.",
                    ),
                    parameter(
                        "since",
                        "query",
                        {"type": "integer", "minimum": 0, "maximum": INT32},
                        "Only responses whose id is above this one (incremental pulls: pass "
                        "the last response_id you have). Ids are given when a response is "
                        "started: to catch one started earlier and sent later, pull again "
                        "with `from` and de-duplicate on response_id.",
                    ),
                ],
                "responses": {
                    "200": ok(ref("ResponsePage"), "One page."),
                    **problems(400, 401, 403, 404),
                },
            }
        },
    ),
    "api.openapi": (
        "/api/v1/openapi.json",
        {
            "get": {
                "operationId": "get_openapi",
                "summary": "This description (no token needed).",
                "security": [],
                "responses": {"200": ok({"type": "object"}, "The OpenAPI 3.1 document.")},
            }
        },
    ),
    "api.trend": (
        "/api/v1/surveys/{survey_id}/trend",
        {
            "get": {
                "operationId": "get_trend",
                "summary": "Every round of the survey's series, oldest first, this one last.",
                "parameters": [SURVEY_ID],
                "responses": {
                    "200": ok(ref("Trend"), "The rounds."),
                    **problems(401, 403, 404),
                },
            }
        },
    ),
}


def document(endpoints: Iterable[str], server: str) -> dict[str, Any]:
    """The OpenAPI 3.1 document of the registered ``endpoints``, served from ``server``."""
    registered = set(endpoints)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "surveyapp API",
            "version": VERSION,
            "description": "Indices and responses of satisfaction surveys, within the scope "
            "of the token's user (an agency and its sub-units, or the whole province). "
            "Tokens: `surveyapp users token EMAIL`. Errors are RFC 9457 problems.",
        },
        "servers": [{"url": server}],
        "security": [{"bearer": []}],
        "paths": {path: item for endpoint, (path, item) in PATHS.items() if endpoint in registered},
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": SCHEMAS,
            "responses": {
                name: {
                    "description": description,
                    "content": {PROBLEM: {"schema": ref("Problem")}},
                }
                for name, description in ERRORS.values()
            },
        },
    }
