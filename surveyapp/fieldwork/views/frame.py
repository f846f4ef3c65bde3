"""Frame import on the web: upload → column mapping with preview → report → import → summary.

Routes on the fieldwork blueprint. The uploaded file stays in the instance folder under
a random name tied to the user and the survey (fieldwork/services/frames/uploads.py) until it is
imported or cancelled. The mapping travels in the query string (``f_<field>=<header>``),
so the report is a plain GET and the import form carries the same fields.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from surveyapp.exports.table import needs_neutralising
from surveyapp.extensions import db
from surveyapp.fieldwork.services.frames import imports as frames
from surveyapp.fieldwork.services.frames import jobs
from surveyapp.fieldwork.services.frames.example import example_rows
from surveyapp.fieldwork.services.frames.files import (
    FIELDS,
    REQUIRED,
    estimated_rows,
    guess_mapping,
    preview,
)
from surveyapp.fieldwork.services.frames.uploads import remove_upload, save_upload, upload_path
from surveyapp.fieldwork.views.fieldwork import bp, managed_survey, problem_message
from surveyapp.i18n import current_language
from surveyapp.models import AuditEvent, Survey
from surveyapp.models._types import utcnow
from surveyapp.models.jobs import FRAME_IMPORT, JobStatus
from surveyapp.problems import InputRefused, Problem
from surveyapp.results.services import export_jobs
from surveyapp.security import accepts_upload, requires

FIELD_LABELS = {
    "dossier_code": _l("Dossier code"),
    "agency": _l("Agency code"),
    "service_field": _l("Service field"),
    "procedure": _l("Procedure"),
    "received_at": _l("Received date"),
    "due_at": _l("Due date"),
    "returned_at": _l("Return date"),
    "channel": _l("Channel (online / at the counter)"),
    "citizen_name": _l("Citizen's name"),
    "phone": _l("Phone"),
    "email": _l("E-mail"),
    "district": _l("District"),
    "stratum": _l("Stratum"),
}
SHOWN_PROBLEMS = 50
PREVIEW_ROWS = 5


@bp.route("/<int:survey_id>/frame/upload", methods=["GET", "POST"])
@requires("field")
@accepts_upload
def frame_upload(survey_id: int) -> Any:
    survey = managed_survey(survey_id)
    if request.method == "GET":
        return render_template("fieldwork/upload.html", survey=survey)
    upload = request.files.get("file")
    token = None
    if upload is not None and upload.filename:
        token = save_upload(
            _upload_folder(), current_user.id, survey.id, upload.stream, upload.filename
        )
    if token is None:
        message = _("Choose a CSV (UTF-8) or Excel (.xlsx) file of one-stop records.")
        return render_template("fieldwork/upload.html", survey=survey, error=message), 200
    return redirect(url_for(".frame_mapping", survey_id=survey.id, token=token), 303)


@bp.get("/<int:survey_id>/frame/example.csv")
@requires("field")
def frame_example_csv(survey_id: int) -> Any:
    survey = managed_survey(survey_id)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(
        example_rows([a.code for a in survey.agencies])
    )
    name = f"survey-{survey.id}-example-records.csv"
    return Response(
        "\ufeff" + buffer.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.get("/<int:survey_id>/frame/<token>/mapping")
@requires("field")
def frame_mapping(survey_id: int, token: str) -> Any:
    survey, path = _upload(survey_id, token)
    return _mapping_page(survey, path, token, problems=[])


@bp.get("/<int:survey_id>/frame/<token>/report")
@requires("field")
def frame_report(survey_id: int, token: str) -> Any:
    survey, path = _upload(survey_id, token)
    mapping = _mapping_from(request.args)
    rows = estimated_rows(path)
    if rows > current_app.config["FRAME_ASYNC_ROWS"]:  # too long for one request
        return render_template(
            "fieldwork/import_prepare.html",
            survey=survey,
            token=token,
            mapping_args={f"f_{f}": header for f, header in mapping.items()},
            rows=rows,
        )
    try:
        summary = frames.check_frame(db.session, survey, path, mapping=mapping, guess=False)
    except InputRefused as refused:
        return _mapping_page(survey, path, token, problems=refused.problems, chosen=mapping)
    return _report_page(survey, token, mapping, summary)


@bp.get("/<int:survey_id>/frame/<token>/report.csv")
@requires("field")
def frame_report_csv(survey_id: int, token: str) -> Any:
    survey, path = _upload(survey_id, token)
    mapping = _mapping_from(request.args)
    header = [_("row"), _("column"), _("value"), _("message")]

    def lines() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(header)
        try:
            problems = frames.iter_problems(db.session, survey, path, mapping=mapping, guess=False)
            for problem in problems:
                writer.writerow(_report_row(problem))
                if buffer.tell() > 1 << 16:
                    yield buffer.getvalue()
                    buffer.seek(0)
                    buffer.truncate()
        except InputRefused as refused:  # header problems: the report lists them instead
            writer.writerows(_report_row(problem) for problem in refused.problems)
        yield buffer.getvalue()

    name = f"survey-{survey.id}-frame-problems.csv"
    return Response(
        stream_with_context(_with_bom(lines())),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.post("/<int:survey_id>/frame/<token>/import")
@requires("field")
def frame_import(survey_id: int, token: str) -> Any:
    survey, path = _upload(survey_id, token)
    mapping = _mapping_from(request.form)
    skip = request.form.get("skip_invalid") == "1"
    try:
        summary = frames.import_frame(
            db.session,
            survey,
            path,
            mapping=mapping,
            guess=False,
            skip_invalid=skip,
            actor_id=current_user.id,
        )
    except frames.FrameRefused as refused:
        db.session.rollback()
        message = _refused_message(refused.summary.skipped)
        return _report_page(survey, token, mapping, refused.summary, error=message), 200
    except InputRefused as refused:
        db.session.rollback()
        return _mapping_page(survey, path, token, problems=refused.problems, chosen=mapping)
    db.session.commit()
    remove_upload(path)
    return redirect(url_for(".frame_imported", survey_id=survey.id, event_id=summary.audit_id), 303)


@bp.post("/<int:survey_id>/frame/<token>/import-job")
@requires("field")
def frame_import_job(survey_id: int, token: str) -> Any:
    """Check and import a large file in the background; its progress page follows."""
    survey, path = _upload(survey_id, token)
    job = jobs.request_import(
        db.session,
        survey,
        current_user,
        path,
        token,
        mapping=_mapping_from(request.form),
        skip_invalid=request.form.get("skip_invalid") == "1",
        lang=current_language(),
        now=utcnow(),
    )
    db.session.commit()
    export_jobs.dispatch(current_app._get_current_object(), job.id)  # type: ignore[attr-defined]
    return redirect(url_for(".frame_job", survey_id=survey.id, job_id=job.id), 303)


@bp.get("/<int:survey_id>/frame/jobs/<int:job_id>")
@requires("field")
def frame_job(survey_id: int, job_id: int) -> Any:
    survey = managed_survey(survey_id)
    job = export_jobs.user_job(db.session, current_user, survey, job_id, FRAME_IMPORT)
    if job is None:
        abort(404)
    if export_jobs.settle_interrupted(
        db.session, job, utcnow(), current_app.config.get("REDIS_URL")
    ):
        db.session.commit()
    event_id = jobs.imported_event(job)
    if event_id is not None:
        return redirect(url_for(".frame_imported", survey_id=survey.id, event_id=event_id), 303)
    refused = jobs.refused_summary(job)
    if refused is not None:
        mapping, token = job.options["mapping"], job.options["token"]
        message = _refused_message(refused.skipped)
        return _report_page(survey, token, mapping, refused, error=message, background=True)
    return render_template(
        "fieldwork/import_job.html",
        survey=survey,
        job=job,
        pending=job.status in (JobStatus.QUEUED, JobStatus.RUNNING),
        writing=jobs.writing(job),
        interrupted=export_jobs.is_interrupted(job),
    )


@bp.post("/<int:survey_id>/frame/<token>/cancel")
@requires("field")
def frame_cancel(survey_id: int, token: str) -> Any:
    survey, path = _upload(survey_id, token)
    remove_upload(path)
    flash(_("The uploaded file was deleted; nothing was imported."), "success")
    return redirect(url_for(".overview", survey_id=survey.id), 303)


@bp.get("/<int:survey_id>/frame/imports/<int:event_id>")
@requires("field")
def frame_imported(survey_id: int, event_id: int) -> Any:
    survey = managed_survey(survey_id)
    event = db.session.get(AuditEvent, event_id)
    if event is None or (event.action, event.object_id) != ("frame.import", str(survey.id)):
        abort(404)
    return render_template(
        "fieldwork/imported.html",
        survey=survey,
        event=event,
        total=frames.frame_size(db.session, survey),
    )


# --- helpers --------------------------------------------------------------------------------


def _upload_folder() -> Path:
    configured = current_app.config.get("FRAME_UPLOAD_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "frame-uploads"


def _upload(survey_id: int, token: str) -> tuple[Survey, Path]:
    survey = managed_survey(survey_id)
    path = upload_path(_upload_folder(), current_user.id, survey.id, token)
    if path is None:
        abort(404)
    return survey, path


def _mapping_from(values: Any) -> dict[str, str]:
    return {f: values[f"f_{f}"] for f in FIELDS if values.get(f"f_{f}")}


def _mapping_page(
    survey: Survey,
    path: Path,
    token: str,
    *,
    problems: list[Problem],
    chosen: dict[str, str] | None = None,
) -> Any:
    try:
        header, rows = preview(path, PREVIEW_ROWS)
    except InputRefused as refused:
        remove_upload(path)
        messages = [problem_message(p) for p in refused.problems]
        return render_template("fieldwork/upload.html", survey=survey, error="; ".join(messages))
    return render_template(
        "fieldwork/mapping.html",
        survey=survey,
        token=token,
        header=header,
        rows=[(n, [_shown(c) for c in cells]) for n, cells in rows],
        chosen=chosen if chosen is not None else guess_mapping(header),
        fields=FIELDS,
        required=REQUIRED,
        labels=FIELD_LABELS,
        problems=[(p, problem_message(p)) for p in problems],
    )


def _report_page(
    survey: Survey,
    token: str,
    mapping: dict[str, str],
    summary: frames.FrameImport,
    *,
    error: str | None = None,
    background: bool = False,
) -> Any:
    """``background``: the import form starts a job (the file is large)."""
    shown = summary.problems[:SHOWN_PROBLEMS]
    return render_template(
        "fieldwork/report.html",
        survey=survey,
        token=token,
        mapping_args={f"f_{f}": header for f, header in mapping.items()},
        summary=summary,
        problems=[(p, problem_message(p)) for p in shown],
        error=error,
        import_view=".frame_import_job" if background else ".frame_import",
    )


def _refused_message(rows: int) -> str:
    return _(
        "Nothing was imported: %(count)s rows have problems. Correct the file, or tick "
        "the box to import the good rows only.",
        count=rows,
    )


def _shown(cell: Any) -> str:
    if isinstance(cell, datetime | date):
        return f"{cell:%d/%m/%Y}"
    return frames.cell_text(cell)


def _report_row(problem: Problem) -> list[Any]:
    value = getattr(problem, "value", "")
    if needs_neutralising(value):
        value = "'" + value  # a cell from the file must not run as a formula in Excel
    return [getattr(problem, "row", ""), getattr(problem, "column", ""), value,
            problem_message(problem)]  # fmt: skip


def _with_bom(chunks: Iterator[str]) -> Iterator[str]:
    yield "\ufeff"  # Excel reads UTF-8 CSV as UTF-8 only with a BOM
    yield from chunks
