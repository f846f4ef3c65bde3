"""Downloads of a survey's responses (XLSX, CSV, SPSS, Stata), scoped like the results."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    send_file,
    stream_with_context,
    url_for,
)
from flask_login import current_user

from surveyapp.exports import csvfile, dossier_sheet
from surveyapp.exports import syntax as syntax_files
from surveyapp.exports.build import (
    FORMATS,
    MIMETYPES,
    ExportError,
    ExportSpec,
    download_name,
)
from surveyapp.exports.table import Column, columns, count_responses, response_rows
from surveyapp.extensions import db
from surveyapp.i18n import current_language
from surveyapp.models import Survey
from surveyapp.models._types import utcnow
from surveyapp.models.jobs import ExportJob, JobStatus
from surveyapp.questionnaire.document import Questionnaire
from surveyapp.results.services import export_jobs
from surveyapp.results.services.sample_design import export_design
from surveyapp.results.views.results import requested_register, requested_scope
from surveyapp.security import require_agency, requires, visible_survey

bp = Blueprint("downloads", __name__, url_prefix="/results")


def requested_spec(survey: Survey, fmt: str) -> ExportSpec:
    if fmt not in FORMATS:
        abort(404)
    return ExportSpec(
        fmt,
        labels=request.args.get("labels") == "1",
        lang=current_language(),
        scope=requested_scope(survey, request.args.get("agency")),
        include_voided=request.args.get("include_voided") == "1",
    )


@bp.get("/<int:survey_id>/export.<fmt>")
@requires("analyse")
def export(survey_id: int, fmt: str) -> Any:
    found = visible_survey(survey_id)
    spec = requested_spec(found, fmt)
    count = count_responses(db.session, found, spec.scope, include_voided=spec.include_voided)
    if count > current_app.config["EXPORT_ASYNC_ROWS"]:
        return render_template("downloads/prepare.html", survey=found, spec=spec, count=count)
    if fmt == "csv":
        return _stream_csv(found, spec)
    handle, path = tempfile.mkstemp(suffix="." + fmt)
    os.close(handle)
    try:
        export_jobs.write_export(db.session, found, spec, path)
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


@bp.get("/<int:survey_id>/syntax.<language>")
@requires("analyse")
def syntax(survey_id: int, language: str) -> Any:
    """The R, Stata or SPSS script that reads this page's export and declares the design
    (``surveyapp syntax``): the same scope and file name as the export it reads."""
    if language not in syntax_files.LANGUAGES:
        abort(404)
    found = visible_survey(survey_id)
    spec = requested_spec(found, syntax_files.LANGUAGES[language])
    data_file = download_name(found, spec)
    text = syntax_files.script(
        language,
        Questionnaire(found.version.document),
        export_design(db.session, found),
        data_file,
        spec.lang,
    )
    return Response(
        text,
        mimetype="text/plain",
        headers={
            "Content-Disposition": "attachment; filename="
            f"{data_file.rsplit('.', 1)[0]}.{syntax_files.SUFFIX[language]}"
        },
    )


@bp.get("/<int:survey_id>/dossiers.csv")
@requires("analyse")
def dossiers_csv(survey_id: int) -> Any:
    """Every dossier's points total and band in the scope (``?agency=`` narrows it)."""
    found = visible_survey(survey_id)
    register, listed = requested_register(found)
    cols = [Column(name, name) for name in dossier_sheet.COLUMNS]
    rows = (dossier_sheet.cells(d) for d in register.dossiers)
    name = f"survey-{found.id}{'-' + listed.code if listed else ''}-dossier-points.csv"
    return Response(
        csvfile.stream_responses(cols, rows),
        mimetype=MIMETYPES["csv"],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.post("/<int:survey_id>/export.<fmt>")
@requires("analyse")
def start_job(survey_id: int, fmt: str) -> Any:
    found = visible_survey(survey_id)
    spec = requested_spec(found, fmt)  # the CSRF token was checked before the view
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    now = utcnow()
    export_jobs.purge_expired(
        db.session, Path(app.config["EXPORT_DIR"]), now, app.config["EXPORT_RETENTION_HOURS"]
    )
    job = export_jobs.request_export(db.session, found, current_user, spec, now)
    db.session.commit()
    export_jobs.dispatch(app, job.id)
    return redirect(url_for(".job", survey_id=found.id, job_id=job.id), 303)


@bp.get("/<int:survey_id>/jobs/<int:job_id>")
@requires("analyse")
def job(survey_id: int, job_id: int) -> Any:
    found, job = _own_job(survey_id, job_id)
    if export_jobs.settle_interrupted(
        db.session, job, utcnow(), current_app.config.get("REDIS_URL")
    ):
        db.session.commit()
    hours = current_app.config["EXPORT_RETENTION_HOURS"]
    return render_template(
        "downloads/job.html",
        survey=found,
        job=job,
        pending=job.status in (JobStatus.QUEUED, JobStatus.RUNNING),
        interrupted=export_jobs.is_interrupted(job),
        ready=export_jobs.job_file(job) is not None,
        expires=export_jobs.expires_at(job, hours),
    )


@bp.post("/<int:survey_id>/jobs/<int:job_id>/restart")
@requires("analyse")
def restart_job(survey_id: int, job_id: int) -> Any:
    """Start a failed job's export again, as a new job of the same user and options."""
    found, job = _own_job(survey_id, job_id)
    if job.status != JobStatus.FAILED:
        return redirect(url_for(".job", survey_id=found.id, job_id=job.id), 303)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        again = export_jobs.restart(db.session, job, current_user, utcnow())
    except ExportError as error:
        db.session.rollback()
        return render_template("downloads/refused.html", survey=found, message=str(error)), 409
    db.session.commit()
    export_jobs.dispatch(app, again.id)
    return redirect(url_for(".job", survey_id=found.id, job_id=again.id), 303)


@bp.get("/<int:survey_id>/jobs/<int:job_id>/file")
@requires("analyse")
def job_download(survey_id: int, job_id: int) -> Any:
    _, job = _own_job(survey_id, job_id)
    path = export_jobs.job_file(job)
    if path is None:
        abort(404)
    return send_file(
        path, mimetype=MIMETYPES[job.format], as_attachment=True, download_name=job.filename
    )


def _own_job(survey_id: int, job_id: int) -> tuple[Survey, ExportJob]:
    """The current user's own job, still in their scope; anything else is a 404."""
    found = visible_survey(survey_id)
    job = export_jobs.user_job(db.session, current_user, found, job_id)
    if job is None:
        abort(404)
    if job.options.get("agency"):
        require_agency(db.session, current_user, job.options["agency"])
    return found, job


def _stream_csv(survey: Survey, spec: ExportSpec) -> Response:
    design = export_design(db.session, survey)
    cols = columns(
        Questionnaire(survey.version.document),
        spec.lang,
        clustered=design.clustered,
        include_voided=spec.include_voided,
    )
    rows = response_rows(
        db.session,
        survey,
        labels=spec.labels,
        lang=spec.lang,
        agency=spec.scope,
        design=design,
        include_voided=spec.include_voided,
    )
    return Response(
        stream_with_context(csvfile.stream_responses(cols, rows, spec.labels)),
        mimetype=MIMETYPES["csv"],
        headers={"Content-Disposition": f'attachment; filename="{download_name(survey, spec)}"'},
    )
