"""Downloads of a survey's responses and indices (XLSX, CSV), scoped like the results."""

from __future__ import annotations

import tempfile
from typing import Any

from flask import Blueprint, Response, abort, request, send_file, stream_with_context

from surveyapp.exports import csvfile, xlsx
from surveyapp.exports.summary import index_rows
from surveyapp.exports.table import columns, response_rows
from surveyapp.extensions import db
from surveyapp.i18n import current_language
from surveyapp.questionnaire.document import Questionnaire
from surveyapp.security import requires
from surveyapp.services import results
from surveyapp.views.results import requested_scope
from surveyapp.views.surveys import visible_survey

bp = Blueprint("downloads", __name__, url_prefix="/results")


@bp.get("/<int:survey_id>/export.<fmt>")
@requires("analyse")
def export(survey_id: int, fmt: str) -> Any:
    found = visible_survey(survey_id)
    if fmt not in ("xlsx", "csv"):
        abort(404)
    scope = requested_scope(found, request.args.get("agency"))
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
