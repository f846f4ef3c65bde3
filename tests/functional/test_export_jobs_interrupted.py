"""Background exports whose worker died: told by RQ or by silence, shown as interrupted,
started again by their owner."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from surveyapp.exports.build import ExportSpec
from surveyapp.extensions import db
from surveyapp.models import Survey, User
from surveyapp.models._types import utcnow
from surveyapp.models.jobs import ExportJob, JobStatus
from surveyapp.results.services import export_jobs
from surveyapp.results.services.export_jobs import STALE_AFTER
from tests import factories
from tests.conftest import REDIS_URL
from tests.functional.test_export_jobs import _wait, survey  # noqa: F401 (fixture)

INTERRUPTED_VI = "Việc ghi tệp đã bị gián đoạn"


def _job(survey: Survey, status: JobStatus, *, age: timedelta, silent: timedelta) -> ExportJob:  # noqa: F811
    """A job of the admin created ``age`` ago whose worker last spoke ``silent`` ago."""
    admin = db.session.scalars(db.select(User).where(User.email == "admin@example.org")).one()
    now = utcnow()
    job = export_jobs.request_export(db.session, survey, admin, ExportSpec("csv"), now - age)
    job.status = status
    if status == JobStatus.RUNNING:
        job.started_at = job.heartbeat_at = now - silent
    db.session.commit()
    return job


def _settle(job: ExportJob, redis_url: str | None = None) -> bool:
    gone = export_jobs.settle_interrupted(db.session, job, utcnow(), redis_url)
    db.session.commit()
    return gone


def test_a_running_job_silent_too_long_is_interrupted(survey: Survey) -> None:  # noqa: F811
    alive = _job(survey, JobStatus.RUNNING, age=STALE_AFTER * 3, silent=STALE_AFTER / 2)
    dead = _job(survey, JobStatus.RUNNING, age=STALE_AFTER * 3, silent=STALE_AFTER * 2)
    assert not _settle(alive) and alive.status == JobStatus.RUNNING
    assert _settle(dead) and dead.status == JobStatus.FAILED
    assert export_jobs.is_interrupted(dead) and dead.finished_at is not None


def test_a_queued_job_waits_while_a_worker_is_busy_but_not_once_none_is(
    survey: Survey,  # noqa: F811
) -> None:
    queued = _job(survey, JobStatus.QUEUED, age=STALE_AFTER * 2, silent=timedelta())
    busy = _job(survey, JobStatus.RUNNING, age=STALE_AFTER * 3, silent=timedelta(minutes=1))
    assert not _settle(queued)  # behind a job whose worker still reports progress
    busy.heartbeat_at = utcnow() - STALE_AFTER * 2
    db.session.commit()
    assert _settle(queued) and export_jobs.is_interrupted(queued)
    young = _job(survey, JobStatus.QUEUED, age=timedelta(minutes=1), silent=timedelta())
    assert not _settle(young)


def test_finished_jobs_are_left_alone(survey: Survey) -> None:  # noqa: F811
    for status in (JobStatus.DONE, JobStatus.FAILED):
        job = _job(survey, status, age=STALE_AFTER * 10, silent=timedelta())
        assert not _settle(job) and not export_jobs.is_interrupted(job)


def test_the_worker_reports_a_heartbeat_with_its_progress(
    app: Flask,
    survey: Survey,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    job = _job(survey, JobStatus.QUEUED, age=timedelta(), silent=timedelta())
    beats: list[datetime | None] = []

    def writer(*args: object, **kwargs: object) -> int:
        beats.append(db.session.get(ExportJob, job.id).heartbeat_at)  # type: ignore[union-attr]
        time.sleep(0.01)
        args[4](1, 2)  # type: ignore[operator]
        beats.append(db.session.get(ExportJob, job.id).heartbeat_at)  # type: ignore[union-attr]
        Path(args[3]).write_text("x")  # type: ignore[arg-type]
        return 2

    monkeypatch.setattr(export_jobs, "write_export", writer)
    export_jobs.run_job(db.session, job.id, tmp_path)
    assert beats[0] is not None and beats[1] is not None and beats[1] > beats[0]


def test_the_owner_sees_interrupted_and_starts_again(
    client: FlaskClient,
    survey: Survey,  # noqa: F811
) -> None:
    dead = _job(survey, JobStatus.RUNNING, age=STALE_AFTER * 3, silent=STALE_AFTER * 2)
    factories.login(client)
    url = f"/results/{survey.id}/jobs/{dead.id}"
    page = client.get(url + "?lang=vi").text
    assert 'data-status="failed"' in page and INTERRUPTED_VI in page
    assert 'http-equiv="refresh"' not in page and "Bắt đầu lại" in page
    factories.login(client, "sxd@example.org")  # not theirs: no page, no restart
    token = factories.csrf_from(client.get(f"/results/{survey.id}").text)
    assert client.post(url + "/restart", data={"csrf_token": token}).status_code == 404
    factories.login(client)
    token = factories.csrf_from(page)
    again = client.post(url + "/restart", data={"csrf_token": token})
    assert again.status_code == 303 and again.headers["Location"] != url
    assert 'data-status="done"' in _wait(client, again.headers["Location"])
    jobs = db.session.scalars(db.select(ExportJob).order_by(ExportJob.id)).all()
    assert [(j.status, j.format, j.options) for j in jobs] == [
        (JobStatus.FAILED, "csv", dead.options),
        (JobStatus.DONE, "csv", dead.options),
    ]


def test_a_running_job_is_not_restarted(client: FlaskClient, survey: Survey) -> None:  # noqa: F811
    running = _job(survey, JobStatus.RUNNING, age=timedelta(), silent=timedelta())
    factories.login(client)
    url = f"/results/{survey.id}/jobs/{running.id}"
    token = factories.csrf_from(client.get(f"/results/{survey.id}").text)
    response = client.post(url + "/restart", data={"csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"] == url
    assert len(db.session.scalars(db.select(ExportJob)).all()) == 1


def test_rq_decides_when_it_knows_the_job(survey: Survey) -> None:  # noqa: F811
    redis = pytest.importorskip("redis")
    rq = pytest.importorskip("rq")
    url = REDIS_URL  # this worker's own number: RQ job ids follow database ids
    connection = redis.Redis.from_url(url)
    try:
        connection.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis server at 127.0.0.1:6379")
    # Ids differ between runs sharing the Redis server; the RQ jobs are deleted after.
    queued = _job(survey, JobStatus.QUEUED, age=STALE_AFTER * 2, silent=timedelta())
    failed = _job(survey, JobStatus.RUNNING, age=timedelta(), silent=timedelta())
    made = []
    for job, status in ((queued, rq.job.JobStatus.QUEUED), (failed, rq.job.JobStatus.FAILED)):
        entry = rq.job.Job.create(
            export_jobs.run_queued, args=(job.id,), id=export_jobs.rq_job_id(job.id),
            connection=connection,
        )  # fmt: skip
        entry.save()
        entry.set_status(status)
        made.append(entry)
    try:
        # Old and with no worker alive, but RQ holds it in its queue: still waiting.
        assert not _settle(queued, url) and queued.status == JobStatus.QUEUED
        # Heard from a moment ago, but RQ says its worker failed: interrupted.
        assert _settle(failed, url) and export_jobs.is_interrupted(failed)
    finally:
        for entry in made:
            entry.delete()
