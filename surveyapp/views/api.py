"""The JSON API for analysts (bearer tokens, agency-scoped)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, g, jsonify, request

from surveyapp.extensions import csrf, db
from surveyapp.models import Survey
from surveyapp.security import can, in_scope, scope_root, user_from_bearer
from surveyapp.services import results, surveys

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


def _survey(survey_id: int) -> Survey:
    survey = surveys.get_survey(db.session, survey_id)
    if survey is None or not any(in_scope(g.api_user, a) for a in survey.agencies):
        abort(404)
    return survey


@bp.get("/surveys")
def list_surveys() -> Any:
    user = g.api_user
    visible = [
        s for s in surveys.list_surveys(db.session) if any(in_scope(user, a) for a in s.agencies)
    ]
    return jsonify(
        surveys=[
            {
                "id": s.id,
                "title": s.title,
                "status": s.status.value,
                "mode": s.mode.value,
                "questionnaire": s.version.document.get("id"),
                "questionnaire_version": s.version.version,
                "agencies": [a.code for a in s.agencies if in_scope(user, a)],
                "submitted": surveys.count_submitted(db.session, s),
            }
            for s in visible
        ]
    )


@bp.get("/surveys/<int:survey_id>/indices")
def indices(survey_id: int) -> Any:
    survey = _survey(survey_id)
    body = results.survey_json(
        db.session,
        survey,
        scope=scope_root(g.api_user),
        by_agency=request.args.get("by") == "agency",
    )
    return jsonify(body)
