"""The JSON API for analysts (bearer tokens, agency-scoped)."""

from __future__ import annotations

from typing import Any, NoReturn

from flask import Blueprint, abort, current_app, g, jsonify, request
from werkzeug.exceptions import BadRequest

from surveyapp.exports.table import columns, count_responses, response_page
from surveyapp.extensions import csrf, db
from surveyapp.models import Agency, Survey
from surveyapp.problems import InputRefused
from surveyapp.questionnaire.document import Questionnaire
from surveyapp.results.services import results
from surveyapp.results.services.response_filters import parse_response_query
from surveyapp.results.services.sample_design import export_design
from surveyapp.results.services.series import trend as series_trend
from surveyapp.results.views import openapi
from surveyapp.security import Scope, can, user_from_bearer
from surveyapp.surveys.services import surveys

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)


# The description of the API holds no data: a client generator may fetch it without one.
PUBLIC = {"api.openapi"}


@bp.before_request
def _authenticate() -> None:
    if request.endpoint in PUBLIC:
        return
    user = user_from_bearer(db.session)
    if user is None:
        abort(401)
    if not can(user, "analyse"):
        abort(403)
    db.session.commit()  # last_used_at


def _scope() -> Scope:
    return Scope.of(g.api_user)


def _survey(survey_id: int) -> Survey:
    return surveys.visible_survey(db.session, _scope(), survey_id)


@bp.get("/openapi.json", endpoint="openapi")
def openapi_json() -> Any:
    """The OpenAPI 3.1 description of every route of this blueprint."""
    endpoints = (rule.endpoint for rule in current_app.url_map.iter_rules())
    return jsonify(openapi.document(endpoints, request.url_root))


@bp.get("/surveys")
def list_surveys() -> Any:
    scope = _scope()
    return jsonify(
        surveys=[
            {
                "id": s.id,
                "title": s.title,
                "status": s.status.value,
                "mode": s.mode.value,
                "questionnaire": s.version.document.get("id"),
                "questionnaire_version": s.version.version,
                "agencies": [a.code for a in scope.agencies(s)],
                "submitted": surveys.count_submitted(db.session, s, scope),
            }
            for s in surveys.list_surveys(db.session, scope)
        ]
    )


@bp.get("/surveys/<int:survey_id>/indices")
def indices(survey_id: int) -> Any:
    survey = _survey(survey_id)
    body = results.survey_json(
        db.session,
        survey,
        scope=_agency(survey),
        by_agency=request.args.get("by") == "agency",
    )
    return jsonify(body)


def _agency(survey: Survey) -> Agency | None:
    """The agency whose figures are asked for: ``?agency=CODE`` (one of the survey's, in
    scope, else a 404 as on the web), or the user's whole scope."""
    code = request.args.get("agency")
    if code is None:
        return _scope().root
    return _scope().survey_agency(survey, code)


PER_PAGE = 100


@bp.get("/surveys/<int:survey_id>/responses")
def responses(survey_id: int) -> Any:
    """Submitted responses in id order, 100 a page, codes not labels (the codebook is in
    the export); filtered by ``channel``, ``from``/``to`` and ``since`` (an id)."""
    survey = _survey(survey_id)
    try:
        asked = parse_response_query(request.args)
    except InputRefused as refused:
        _refuse(refused)
    scope = _agency(survey)
    design = export_design(db.session, survey)
    cols = columns(Questionnaire(survey.version.document), "vi", clustered=design.clustered)
    rows = response_page(
        db.session,
        survey,
        page=asked.page,
        per_page=PER_PAGE,
        agency=scope,
        design=design,
        where=asked.where,
    )
    total = count_responses(db.session, survey, scope, where=asked.where)
    return jsonify(
        survey=survey.id,
        page=asked.page,
        per_page=PER_PAGE,
        total=total,
        next_page=asked.page + 1 if asked.page * PER_PAGE < total else None,
        responses=[
            {c.name: _json_value(v) for c, v in zip(cols, row, strict=True)} for row in rows
        ],
    )


def _json_value(value: Any) -> Any:
    if isinstance(value, tuple):
        return list(value)  # a multi item's ticked codes
    return value.isoformat() if hasattr(value, "isoformat") else value


def _refuse(refused: InputRefused) -> NoReturn:
    """A 400 problem saying what was wrong with which parameter."""
    error = BadRequest("; ".join(str(p.message) for p in refused.problems))
    error.user_message = True  # type: ignore[attr-defined]  # errors.py shows it
    error.invalid_params = [  # type: ignore[attr-defined]
        {"name": str(p.where), "in": "query", "reason": str(p.message)} for p in refused.problems
    ]
    raise error


@bp.get("/surveys/<int:survey_id>/trend")
def trend(survey_id: int) -> Any:
    """Every round of the survey's series, oldest first, this survey last: the shape of
    ``surveyapp trend S --format json``, for ``?agency=CODE`` or the token's scope."""
    survey = _survey(survey_id)
    built = series_trend.build(
        db.session, survey, focus=_agency(survey), viewer=_scope().root, lang="en"
    )
    return jsonify(built.as_dict())
