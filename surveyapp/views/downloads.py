"""Downloads of a survey's responses (XLSX, CSV, SPSS, Stata), scoped like the results."""

from __future__ import annotations

import os
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

from surveyapp.exports import csvfile
from surveyapp.exports.build import (
    FORMATS,
    MIMETYPES,
    ExportError,
    ExportSpec,
    download_name,
    write_export,
)
from surveyapp.exports.table import columns, response_rows
from surveyapp.extensions import db
from surveyapp.i18n import current_language
from surveyapp.models import Survey
from surveyapp.questionnaire.document import Questionnaire
from surveyapp.security import requires
from surveyapp.views.results import requested_scope
from surveyapp.views.surveys import visible_survey

bp = Blueprint("downloads", __name__, url_prefix="/results")


def requested_spec(survey: Survey, fmt: str) -> ExportSpec:
    if fmt not in FORMATS:
        abort(404)
    return ExportSpec(
        fmt,
        labels=request.args.get("labels") == "1",
        lang=current_language(),
        scope=requested_scope(survey, request.args.get("agency")),
    )


@bp.get("/<int:survey_id>/export.<fmt>")
@requires("analyse")
def export(survey_id: int, fmt: str) -> Any:
    found = visible_survey(survey_id)
    spec = requested_spec(found, fmt)
    if fmt == "csv":
        return _stream_csv(found, spec)
    handle, path = tempfile.mkstemp(suffix="." + fmt)
    os.close(handle)
    try:
        write_export(db.session, found, spec, path)
        data = open(path, "rb")  # noqa: SIM115  (send_file closes it)
    except ExportError as error:
        return render_template("downloads/refused.html", survey=found, message=str(error)), 409
    finally:
        os.unlink(path)  # the open handle keeps the data until sent
    return send_file(
        data,
        mimetype=MIMETYPES[fmt],
        as_attachment=True,
        download_name=download_name(found, spec),
    )


def _stream_csv(survey: Survey, spec: ExportSpec) -> Response:
    cols = columns(Questionnaire(survey.version.document), spec.lang)
    rows = response_rows(db.session, survey, labels=spec.labels, lang=spec.lang, agency=spec.scope)
    return Response(
        stream_with_context(csvfile.stream_responses(cols, rows)),
        mimetype=MIMETYPES["csv"],
        headers={"Content-Disposition": f'attachment; filename="{download_name(survey, spec)}"'},
    )
