"""Frame imports too large for one web request, run as background jobs.

The job machinery is the exports' (results/services/export_jobs.py: the worker, progress on the
job row, interrupted jobs); a job of kind ``FRAME_IMPORT`` first checks every row,
committing the rows read as it goes, and only then imports, in one transaction: a refused
file ends as a report of its problems by row, and nothing is half-written.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from surveyapp.extensions import DbSession
from surveyapp.fieldwork.services.frames import imports as frames
from surveyapp.fieldwork.services.frames.files import FrameProblem, estimated_rows
from surveyapp.fieldwork.services.frames.uploads import remove_upload
from surveyapp.i18n import in_language
from surveyapp.models import Survey, User
from surveyapp.models._types import utcnow
from surveyapp.models.jobs import FRAME_IMPORT, ExportJob, JobStatus
from surveyapp.problems import InputRefused

SHOWN_PROBLEMS = 50  # kept with a refused job, as many as its report shows
WRITING = "writing"


def request_import(
    session: DbSession,
    survey: Survey,
    user: User,
    path: Path,
    token: str,
    *,
    mapping: Mapping[str, str],
    skip_invalid: bool,
    lang: str,
    now: datetime,
) -> ExportJob:
    """A queued import of the uploaded ``path``; the caller commits, then dispatches it."""
    job = ExportJob(
        kind=FRAME_IMPORT,
        survey_id=survey.id,
        user_id=user.id,
        format=path.suffix.lstrip(".")[:8],
        options={
            "token": token,
            "mapping": dict(mapping),
            "skip_invalid": skip_invalid,
            "lang": lang,
            "estimated_rows": estimated_rows(path),
        },
        status=JobStatus.QUEUED,
        progress=0.0,
        rows=0,
        filename=path.name,
        path=str(path),
        created_at=now,
    )
    session.add(job)
    session.flush()
    return job


def run_import(session: DbSession, job: ExportJob) -> None:
    """Check every row, then import them; the job ends DONE with its ``result``: the
    import's audit event, or the problems that refused the file."""
    survey = session.get(Survey, job.survey_id)
    if survey is None:
        raise LookupError(f"the survey {job.survey_id} no longer exists")
    path, options = Path(job.path or ""), dict(job.options)
    mapping, skip = options["mapping"], bool(options["skip_invalid"])
    total = max(int(options.get("estimated_rows") or 0), 1)

    def progress(rows: int) -> None:
        job.rows, job.heartbeat_at = rows, utcnow()
        job.progress = min(rows / total, 0.99)
        session.commit()

    try:
        summary = frames.check_frame(
            session, survey, path, mapping=mapping, guess=False, progress=progress
        )
        if summary.problem_count and not skip:
            raise frames.FrameRefused(summary)
        job.result, job.heartbeat_at = {"phase": WRITING}, utcnow()
        session.commit()
        summary = frames.import_frame(
            session, survey, path, mapping=mapping, guess=False, skip_invalid=skip,
            actor_id=job.user_id,
        )  # fmt: skip
    except InputRefused as refused:
        session.rollback()
        found = getattr(refused, "summary", None) or frames.FrameImport(
            problems=[p for p in refused.problems if isinstance(p, FrameProblem)]
        )
        job.result = {"refused": _summary_json(found, options["lang"])}
    else:
        job.result = {"audit_id": summary.audit_id}
        remove_upload(path)
    job.status, job.progress = JobStatus.DONE, 1.0


def refused_summary(job: ExportJob) -> frames.FrameImport | None:
    """What refused a finished import, as the report page shows it; None if it imported."""
    found = dict((job.result or {}).get("refused") or {})
    if not found:
        return None
    problems = [FrameProblem.at(*problem) for problem in found.pop("problems")]
    return frames.FrameImport(**found, problems=problems)


def imported_event(job: ExportJob) -> int | None:
    return (job.result or {}).get("audit_id")


def writing(job: ExportJob) -> bool:
    return (job.result or {}).get("phase") == WRITING


def _summary_json(summary: frames.FrameImport, lang: str) -> dict[str, Any]:
    return {
        "rows_read": summary.rows_read,
        "skipped": summary.skipped,
        "duplicates": summary.duplicates,
        "problem_count": summary.problem_count or len(summary.problems),
        "problems": [
            [p.row, p.column, p.value, in_language(p.message, lang)]
            for p in summary.problems[:SHOWN_PROBLEMS]
        ],
    }
