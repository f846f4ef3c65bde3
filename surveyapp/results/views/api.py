"""The JSON API for analysts (bearer tokens, agency-scoped)."""

from __future__ import annotations

from typing import Any, NoReturn

from flask import Blueprint, abort, g, jsonify, request
from flask_babel import gettext as _
from werkzeug.exceptions import BadRequest

from surveyapp.exports.table import columns, response_page
from surveyapp.extensions import csrf, db
from surveyapp.models import Agency, Survey
from surveyapp.questionnaire.document import Questionnaire
from surveyapp.results.services import results
from surveyapp.results.services.sample_design import export_design
from surveyapp.security import Scope, can, user_from_bearer
from surveyapp.surveys.services import surveys

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)


@bp.before_request
def _authenticate() -> None:
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
LAST_PAGE = 2**31 - 1


@bp.get("/surveys/<int:survey_id>/responses")
def responses(survey_id: int) -> Any:
    """Submitted responses, 100 a page, codes not labels (the codebook is in the export)."""
    survey = _survey(survey_id)
    page = request.args.get("page", "1")
    if not (page.isascii() and page.isdigit() and 1 <= int(page) <= LAST_PAGE):
        _refuse(_("page must be a whole number from 1 to %(last)s", last=LAST_PAGE))
    scope = _agency(survey)
    design = export_design(db.session, survey)
    cols = columns(Questionnaire(survey.version.document), "vi", clustered=design.clustered)
    rows = response_page(
        db.session,
        survey,
        page=int(page),
        per_page=PER_PAGE,
        agency=scope,
        design=design,
    )
    return jsonify(
        survey=survey.id,
        page=int(page),
        per_page=PER_PAGE,
        responses=[
            {c.name: _json_value(v) for c, v in zip(cols, row, strict=True)} for row in rows
        ],
    )


def _json_value(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def _refuse(message: str) -> NoReturn:
    """A 400 whose JSON says what was wrong."""
    error = BadRequest(message)
    error.user_message = True  # type: ignore[attr-defined]  # errors.py shows it
    raise error


@bp.get("/surveys/<int:survey_id>/trend")
def trend(survey_id: int) -> Any:
    """Every round of the survey's series, oldest first, this survey last: the shape of
    ``surveyapp trend S --format json``, for ``?agency=CODE`` or the token's scope."""
    from surveyapp.results.services.series import trend as series_trend

    survey = _survey(survey_id)
    built = series_trend.build(
        db.session, survey, focus=_agency(survey), viewer=_scope().root, lang="en"
    )
    return jsonify(built.as_dict())
