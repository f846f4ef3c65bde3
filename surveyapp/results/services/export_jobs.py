"""Background exports: too many responses to write inside one web request (and, through
the same worker, frame imports too large to read inside one: fieldwork/services/frames/jobs.py).

A job row records who asked for what; a worker writes the file into the export folder
and reports progress on the row. The worker is RQ on Redis when ``REDIS_URL`` is set
(run ``surveyapp worker``), else a thread of the web process. Files and rows are
removed after ``EXPORT_RETENTION_HOURS``.

A worker that dies (the web process restarted, a worker killed) leaves its job queued
or running for ever; :func:`settle_interrupted` tells such jobs by RQ's own account
when there is one, else by the worker's silence, and marks them failed so that their
owner can start them again.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import select

from surveyapp.exports import build as export_files
from surveyapp.exports.build import ExportError, ExportSpec, download_name
from surveyapp.exports.workbook import Analysis
from surveyapp.extensions import DbSession, db
from surveyapp.fieldwork.services.frames import jobs as frame_jobs
from surveyapp.models import Agency, Survey, User
from surveyapp.models._types import utcnow
from surveyapp.models.audit import record
from surveyapp.models.jobs import EXPORT, FRAME_IMPORT, ExportJob, JobStatus
from surveyapp.results.services import dossiers, results
from surveyapp.results.services.sample_design import export_design
from surveyapp.review.services.summary import data_quality
from surveyapp.scoring import Framework, element_alphas

log = logging.getLogger(__name__)
QUEUE = "surveyapp-exports"
JOB_TIMEOUT = 4 * 3600  # seconds an RQ worker lets one export run
# A worker reports progress every 2,000 rows, seconds apart; its longest silent step (the
# XLSX analysis sheets and zipping a million rows) takes a few minutes. Silent for this
# long, it is gone.
STALE_AFTER = timedelta(minutes=15)
INTERRUPTED = "interrupted"  # ExportJob.error of a job whose worker was lost
# RQ's word for a job that will not run (again): its worker failed or was stopped.
RQ_GONE = ("failed", "stopped", "canceled")


def write_export(
    session: DbSession,
    survey: Survey,
    spec: ExportSpec,
    out: str | Path,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Write an export file (``exports.build.write_export``) with the results' own
    figures: the design columns (final weights, N_h) on every row and, for XLSX, the
    indices of its scope."""
    return export_files.write_export(
        session,
        survey,
        spec,
        out,
        progress,
        design=export_design(session, survey),
        analysis=lambda: scope_analysis(session, survey, spec.scope, spec.lang),
    )


def scope_analysis(session: DbSession, survey: Survey, scope: Agency | None, lang: str) -> Analysis:
    """The weighted indices of ``scope`` (None = every agency), its responses' weights and
    its data quality (labels in ``lang``)."""
    arrays = results.load_arrays(session, survey)
    domain = results.subtree_mask(session, arrays, scope) if scope else None
    keep = slice(None) if domain is None else domain
    register = dossiers.register(session, survey, scope, lang)
    return Analysis(
        result=results.indices(survey, arrays, domain),
        by_agency=results.indices_by_agency(session, survey, arrays, scope),
        agency_ids=arrays.agency_ids[keep],
        strata=arrays.strata[keep],
        weights=arrays.weights[keep],
        weights_used=arrays.weights_used,
        finite_population=arrays.finite_population,
        clustered=arrays.psu is not None,
        df=arrays.design().df,
        alphas=element_alphas(
            Framework.from_dict(survey.version.document["framework"]),
            {item: values[keep] for item, values in arrays.answers.items()},
        ),
        quality=data_quality(session, survey, scope, lang),
        dossiers=register.dossiers if register is not None else None,
    )


def request_export(
    session: DbSession, survey: Survey, user: User, spec: ExportSpec, now: datetime
) -> ExportJob:
    """A queued job for ``user``; the caller commits, then calls :func:`dispatch`."""
    job = ExportJob(
        survey_id=survey.id,
        user_id=user.id,
        format=spec.fmt,
        options={
            "labels": spec.labels,
            "lang": spec.lang,
            "agency": spec.scope.code if spec.scope is not None else None,
            "include_voided": spec.include_voided,
        },
        status=JobStatus.QUEUED,
        progress=0.0,
        rows=0,
        filename=download_name(survey, spec),
        created_at=now,
    )
    session.add(job)
    session.flush()
    record(session, user.id, "export.requested", job, survey=survey.id, **job.options)
    return job


def user_job(
    session: DbSession, user: User, survey: Survey, job_id: int, kind: str = EXPORT
) -> ExportJob | None:
    """The job of ``kind`` if ``user`` asked for it about ``survey``; anyone else's is None."""
    return session.scalar(
        select(ExportJob).where(
            ExportJob.id == job_id,
            ExportJob.survey_id == survey.id,
            ExportJob.user_id == user.id,
            ExportJob.kind == kind,
        )
    )


def job_file(job: ExportJob) -> Path | None:
    """The finished file, if it is still there."""
    if job.status != JobStatus.DONE or not job.path:
        return None
    path = Path(job.path)
    return path if path.is_file() else None


def expires_at(job: ExportJob, retention_hours: float) -> datetime:
    return job.created_at + timedelta(hours=retention_hours)


def purge_expired(session: DbSession, folder: Path, now: datetime, retention_hours: float) -> int:
    """Delete jobs older than the retention period and their files; the caller commits."""
    cutoff = now - timedelta(hours=retention_hours)
    old = session.scalars(select(ExportJob).where(ExportJob.created_at < cutoff)).all()
    for job in old:
        if job.path and Path(job.path).parent.resolve() == folder.resolve():
            Path(job.path).unlink(missing_ok=True)
        session.delete(job)
    return len(old)


def run_job(session: DbSession, job_id: int, folder: Path) -> None:
    """Write one queued job's file. The worker's whole task: it commits as it goes
    (progress must be seen by the web processes while the file is written)."""
    job = session.get(ExportJob, job_id)
    if job is None or job.status != JobStatus.QUEUED:
        return
    job.status, job.started_at = JobStatus.RUNNING, utcnow()
    job.heartbeat_at = job.started_at
    session.commit()
    try:
        if job.kind == FRAME_IMPORT:
            frame_jobs.run_import(session, job)
        else:
            _write(session, job, folder)
    except ExportError as error:
        session.rollback()
        _fail(job, str(error))
    except Exception:
        log.exception("export job %s failed", job_id)
        session.rollback()
        _fail(job, "")
    job.finished_at = utcnow()
    session.commit()


def _write(session: DbSession, job: ExportJob, folder: Path) -> None:
    survey = session.get(Survey, job.survey_id)
    if survey is None:
        raise ExportError("the survey no longer exists")
    spec = _spec(session, job)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{job.id}-{secrets.token_hex(8)}.{job.format}"

    def progress(done: int, total: int) -> None:
        job.rows, job.heartbeat_at = done, utcnow()
        job.progress = min(done / total, 0.99) if total else 0.99
        session.commit()

    job.rows = write_export(session, survey, spec, path, progress)
    job.path, job.size = str(path), path.stat().st_size
    job.status, job.progress = JobStatus.DONE, 1.0


def restart(session: DbSession, job: ExportJob, user: User, now: datetime) -> ExportJob:
    """A new queued job asking for what a failed one asked; the caller commits, then
    calls :func:`dispatch`."""
    survey = session.get(Survey, job.survey_id)
    if survey is None:
        raise ExportError("the survey no longer exists")
    return request_export(session, survey, user, _spec(session, job), now)


def is_interrupted(job: ExportJob) -> bool:
    return job.status == JobStatus.FAILED and job.error == INTERRUPTED


def settle_interrupted(
    session: DbSession, job: ExportJob, now: datetime, redis_url: str | None = None
) -> bool:
    """Mark a queued or running job whose worker is gone as failed (``INTERRUPTED``);
    True if it was. The caller commits.

    RQ's own record decides when it has one: failed or stopped is gone, still queued is
    waiting for a worker. Its "started" outlives a killed worker (until a live worker
    cleans the registry), so a running job is also gone when it has been silent for
    ``STALE_AFTER``. A queued job no queue knows of is gone when it is that old and no
    export anywhere has shown life since: no worker is busy with others before it.
    """
    if job.status not in (JobStatus.QUEUED, JobStatus.RUNNING):
        return False
    queued = _rq_status(redis_url, job.id) if redis_url else None
    if queued in RQ_GONE:
        gone = True
    elif job.status == JobStatus.RUNNING:
        gone = _silent_since(job.heartbeat_at or job.started_at or job.created_at, now)
    elif queued is not None:
        gone = False  # in RQ's queue: waiting for `surveyapp worker`
    else:
        gone = _silent_since(job.created_at, now) and not _any_worker_alive(session, now)
    if gone:
        log.warning("export job %s: its worker is gone (%s)", job.id, queued or "silent")
        job.status, job.error, job.finished_at = JobStatus.FAILED, INTERRUPTED, now
    return gone


def _silent_since(moment: datetime, now: datetime) -> bool:
    return now - moment > STALE_AFTER


def _any_worker_alive(session: DbSession, now: datetime) -> bool:
    return (
        session.scalar(
            select(ExportJob.id).where(ExportJob.heartbeat_at > now - STALE_AFTER).limit(1)
        )
        is not None
    )


def rq_job_id(job_id: int) -> str:
    """Our job's id in RQ: known in advance, so the web can ask RQ about it."""
    return f"surveyapp-export-{job_id}"


def _rq_status(url: str, job_id: int) -> str | None:
    """RQ's status of the job ("queued", "started", "failed", …), None if RQ has none."""
    try:
        from redis import Redis
        from redis.exceptions import RedisError
        from rq.exceptions import NoSuchJobError
        from rq.job import Job
    except ImportError:
        return None
    try:
        found = Job.fetch(rq_job_id(job_id), connection=Redis.from_url(url))
        status = found.get_status(refresh=False)
    except (NoSuchJobError, RedisError):
        return None
    if status is None:
        return None
    value = str(getattr(status, "value", status))
    if value in RQ_GONE:  # RQ's reason ("Work-horse terminated unexpectedly…"), for the log
        result = found.latest_result()
        lines = (result.exc_string or "").strip().splitlines() if result else []
        log.warning("export job %s: RQ says %s: %s", job_id, value, lines[-1] if lines else "")
    return value


def _fail(job: ExportJob, message: str) -> None:
    job.status, job.error = JobStatus.FAILED, message


def _spec(session: DbSession, job: ExportJob) -> ExportSpec:
    options = job.options
    scope = None
    if options.get("agency"):
        scope = session.scalar(select(Agency).where(Agency.code == options["agency"]))
        if scope is None:
            raise ExportError(f"the agency {options['agency']} no longer exists")
    return ExportSpec(
        job.format,
        labels=bool(options.get("labels")),
        lang=options.get("lang", "vi"),
        scope=scope,
        include_voided=bool(options.get("include_voided")),
    )


# --- workers --------------------------------------------------------------------------

_pool: ThreadPoolExecutor | None = None


def dispatch(app: Flask, job_id: int) -> None:
    """Hand a committed job to RQ when Redis is configured, else to an in-process thread."""
    url = app.config.get("REDIS_URL")
    if url:
        try:
            from redis import Redis
            from redis.exceptions import RedisError
            from rq import Queue

            queue = Queue(QUEUE, connection=Redis.from_url(url))
            queue.enqueue(run_queued, job_id, job_id=rq_job_id(job_id), job_timeout=JOB_TIMEOUT)
            return
        except (ImportError, RedisError):
            log.warning("export job %s: Redis queue unavailable, running in-process", job_id)
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="surveyapp-export")
    _pool.submit(_run_in_app, app, job_id)


def _run_in_app(app: Flask, job_id: int) -> None:
    with app.app_context():
        _work(job_id)


def run_queued(job_id: int) -> None:
    """What RQ runs: inside ``surveyapp worker``, which holds an app context."""
    _work(job_id)


def _work(job_id: int) -> None:
    """Run the job, then clear out expired ones (so files go even when nobody asks)."""
    folder = Path(current_app.config["EXPORT_DIR"])
    try:
        run_job(db.session, job_id, folder)
        purge_expired(db.session, folder, utcnow(), current_app.config["EXPORT_RETENTION_HOURS"])
        db.session.commit()
    finally:
        db.session.remove()
