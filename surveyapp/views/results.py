"""Results for analysts: indices with intervals, by agency, and the downloads."""

from __future__ import annotations

import math
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

from surveyapp.exports import csvfile, xlsx
from surveyapp.exports.summary import index_rows
from surveyapp.exports.table import columns, response_rows
from surveyapp.extensions import db
from surveyapp.i18n import current_language
from surveyapp.models import Agency, Survey
from surveyapp.questionnaire.document import Questionnaire
from surveyapp.scoring import Estimate
from surveyapp.security import require_agency, requires, scope_root
from surveyapp.services import results
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


def _render(survey: Survey, scope: Agency | None) -> Any:
    arrays = results.load_arrays(db.session, survey)
    domain = results.subtree_mask(db.session, arrays, scope) if scope is not None else None
    overall = results.indices(survey, arrays, domain)
    by_agency = list(results.indices_by_agency(db.session, survey, arrays, scope).items())
    by_agency.sort(key=lambda pair: _sort_key(pair[1].overall, highest_first=True))
    return render_template(
        "results/survey.html",
        survey=survey,
        scope=scope,
        q=Questionnaire(survey.version.document),
        result=overall,
        by_agency=by_agency,
        weakest=sorted(overall.criteria.items(), key=lambda pair: _sort_key(pair[1])),
    )


def _sort_key(estimate: Estimate, *, highest_first: bool = False) -> float:
    """Estimates without a value sort last, whichever the direction."""
    if not estimate.n or not math.isfinite(estimate.value):
        return math.inf
    return -estimate.value if highest_first else estimate.value


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
