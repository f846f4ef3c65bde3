"""Results for analysts: indices with intervals, overall and by agency."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template, request
from flask_login import current_user

from surveyapp import charts
from surveyapp.extensions import db
from surveyapp.i18n import current_language, percent
from surveyapp.models import Agency, Survey
from surveyapp.security import in_scope, require_agency, requires, scope_root
from surveyapp.services import dashboard
from surveyapp.views.surveys import visible_survey

bp = Blueprint("results", __name__, url_prefix="/results")


def requested_scope(survey: Survey, code: str | None) -> Agency | None:
    """The agency whose figures are asked for: ``?agency=`` or the user's own scope."""
    if code:
        return require_agency(db.session, current_user, code)
    return scope_root(current_user)


@bp.get("/<int:survey_id>")
@requires("analyse")
def survey(survey_id: int) -> Any:
    found = visible_survey(survey_id)
    return _render(found, requested_scope(found, request.args.get("agency")))


@bp.get("/<int:survey_id>/agencies/<code>")
@requires("analyse")
def agency(survey_id: int, code: str) -> Any:
    found = visible_survey(survey_id)
    return _render(found, require_agency(db.session, current_user, code))


def _render(survey: Survey, focus: Agency | None) -> Any:
    channel = request.args.get("channel") or None
    if channel is not None and channel not in dashboard.CHANNELS:
        abort(404)
    lang = current_language()
    user_root = scope_root(current_user)
    model = dashboard.build(
        db.session, survey, focus=focus, user_root=user_root, channel=channel, lang=lang
    )
    choices = [a for a in survey.agencies if user_root is None or in_scope(current_user, a)]
    return render_template(
        "results/survey.html",
        survey=survey,
        scope=focus,
        d=model,
        agency_choices=choices,
        channels=dashboard.CHANNELS,
        bar_chart=charts.bar_chart,
        nice_max=charts.nice_max,
        bars=dashboard,
        percent_fmt=percent,
        axis_fmt=lambda value: percent(value, 0),
    )
