"""Results for analysts: indices with intervals, by agency, and the downloads."""

from __future__ import annotations

import tempfile
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    render_template,
    request,
    send_file,
    stream_with_context,
)
from flask_login import current_user

from surveyapp import charts
from surveyapp.exports import csvfile, xlsx
from surveyapp.exports.summary import index_rows
from surveyapp.exports.table import columns, response_rows
from surveyapp.extensions import db
from surveyapp.i18n import current_language, percent
from surveyapp.models import Agency, Survey
from surveyapp.questionnaire.document import Questionnaire
from surveyapp.security import in_scope, require_agency, requires, scope_root
from surveyapp.services import dashboard, results
from surveyapp.views.surveys import visible_survey

bp = Blueprint("results", __name__, url_prefix="/results")


def _scope(survey: Survey, code: str | None) -> Agency | None:
    """The agency whose figures are asked for: ``?agency=`` or the user's own scope."""
    if code:
        return require_agency(db.session, current_user, code)
    return scope_root(current_user)


@bp.get("/<int:survey_id>")
@requires("analyse")
def survey(survey_id: int) -> Any:
    found = visible_survey(survey_id)
    return _render(found, _scope(found, request.args.get("agency")))


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


@bp.get("/<int:survey_id>/export.<fmt>")
@requires("analyse")
def export(survey_id: int, fmt: str) -> Any:
    found = visible_survey(survey_id)
    if fmt not in ("xlsx", "csv"):
        abort(404)
    scope = _scope(found, request.args.get("agency"))
    labels = request.args.get("labels") == "1"
    lang = current_language()
    questionnaire = Questionnaire(found.version.document)
    cols = columns(questionnaire, lang)
    rows = response_rows(db.session, found, labels=labels, lang=lang, agency=scope)
    name = f"survey-{found.id}-responses.{fmt}"
    if fmt == "csv":
        return Response(
            stream_with_context(csvfile.stream_responses(cols, rows)),
            mimetype="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    arrays = results.load_arrays(db.session, found)
    domain = results.subtree_mask(db.session, arrays, scope) if scope is not None else None
    summary = index_rows(questionnaire, results.indices(found, arrays, domain), lang)
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115  (send_file closes it)
    xlsx.write_responses(spool, cols, rows, summary)
    spool.seek(0)
    return send_file(
        spool,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        as_attachment=True,
        download_name=name,
    )
