"""Large exports as background jobs: prepare, progress page, download, owner-only, purge."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from pathlib import Path

import pyreadstat
import pytest
from flask import Flask
from flask.testing import FlaskClient

from surveyapp.exports.build import ExportError, ExportSpec
from surveyapp.extensions import db
from surveyapp.models import Survey, User
from surveyapp.models._types import utcnow
from surveyapp.models.audit import AuditEvent
from surveyapp.models.jobs import ExportJob, JobStatus
from surveyapp.results.services import export_jobs
from tests import factories
from tests.conftest import REDIS_URL
from tests.export_data import three_responses


@pytest.fixture()
def survey(app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Survey:
    monkeypatch.setitem(app.config, "EXPORT_ASYNC_ROWS", 1)  # two or more: a job
    monkeypatch.setitem(app.config, "EXPORT_DIR", str(tmp_path / "exports"))
    agencies = factories.province()
    factories.user()
    factories.user("sxd@example.org", "analyst", agencies["SXD"])
    created = factories.survey()
    three_responses(created)
    return created


def _start(client: FlaskClient, url: str) -> str:
    """Ask for a large download: the page offers a form; posting it starts the job."""
    page = client.get(url)
    assert page.status_code == 200 and "csrf_token" in page.text
    started = client.post(url, data={"csrf_token": factories.csrf_from(page.text)})
    assert started.status_code == 303
    return started.headers["Location"]


def _wait(client: FlaskClient, job_url: str) -> str:
    for _ in range(300):
        page = client.get(job_url)
        assert page.status_code == 200
        state = re.search(r'data-status="(\w+)"', page.text)
        assert state
        if state.group(1) in ("done", "failed"):
            return page.text
        assert "data-poll" in page.text and "<progress" in page.text  # js/job.js polls
        assert 'http-equiv="refresh"' not in page.text  # it would restart screen readers
        time.sleep(0.1)
    raise AssertionError("the job never finished")


def test_large_sav_runs_as_a_job_and_downloads(
    client: FlaskClient, survey: Survey, tmp_path: Path
) -> None:
    factories.login(client)
    job_url = _start(client, f"/results/{survey.id}/export.sav?lang=en")
    page = _wait(client, job_url)
    assert 'data-status="done"' in page and "data-poll" not in page
    download = client.get(job_url + "/file")
    assert download.status_code == 200
    path = tmp_path / "job.sav"
    path.write_bytes(download.data)
    data, meta = pyreadstat.read_sav(str(path))
    assert len(data) == 3
    assert meta.column_names_to_labels["acc_seats"] == "Enough seats in the waiting area"
    job = db.session.scalars(db.select(ExportJob)).one()
    assert (job.status, job.rows, job.progress) == (JobStatus.DONE, 3, 1.0)
    assert Path(job.path or "").parent == tmp_path / "exports"
    event = db.session.scalars(
        db.select(AuditEvent).where(AuditEvent.action == "export.requested")
    ).one()
    assert event.object_id == str(job.id) and event.details["lang"] == "en"


def test_only_the_requesting_user_sees_a_job(client: FlaskClient, survey: Survey) -> None:
    factories.login(client)
    job_url = _start(client, f"/results/{survey.id}/export.csv?agency=SXD")
    _wait(client, job_url)
    other = factories.user("other@example.org", "admin")
    assert isinstance(other, User)
    factories.login(client, "other@example.org")
    assert client.get(job_url).status_code == 404
    assert client.get(job_url + "/file").status_code == 404
    factories.login(client, "sxd@example.org")  # in scope (SXD), but not theirs
    assert client.get(job_url).status_code == 404


def test_department_analyst_cannot_start_another_agencys_job(
    client: FlaskClient, survey: Survey
) -> None:
    factories.login(client, "sxd@example.org")
    url = f"/results/{survey.id}/export.xlsx?agency=STP"
    assert client.get(url).status_code == 404
    page = client.get(f"/results/{survey.id}/export.xlsx")
    token = factories.csrf_from(page.text)
    assert client.post(url, data={"csrf_token": token}).status_code == 404
    assert db.session.scalars(db.select(ExportJob)).all() == []


def test_post_without_csrf_token_starts_nothing(client: FlaskClient, survey: Survey) -> None:
    factories.login(client)
    assert client.post(f"/results/{survey.id}/export.sav").status_code == 400
    assert db.session.scalars(db.select(ExportJob)).all() == []


def test_a_failing_job_shows_a_message_not_an_error(
    client: FlaskClient, survey: Survey, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> int:
        raise ExportError("disk full (test)")

    monkeypatch.setattr(export_jobs, "write_export", broken)
    factories.login(client)
    page = _wait(client, _start(client, f"/results/{survey.id}/export.dta"))
    assert 'data-status="failed"' in page and "disk full (test)" in page
    assert 'role="alert"' in page
    assert client.get(_job_url(survey) + "/file").status_code == 404


def test_an_unexpected_crash_is_a_failed_job_with_a_generic_message(
    client: FlaskClient, survey: Survey, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(*args: object, **kwargs: object) -> int:
        raise RuntimeError("boom")

    monkeypatch.setattr(export_jobs, "write_export", crash)
    factories.login(client)
    page = _wait(client, _start(client, f"/results/{survey.id}/export.xlsx"))
    assert 'data-status="failed"' in page and "boom" not in page


def test_expired_jobs_and_their_files_are_purged(
    app: Flask, survey: Survey, tmp_path: Path
) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    admin = db.session.scalars(db.select(User)).first()
    assert admin is not None
    now = utcnow()
    old = export_jobs.request_export(db.session, survey, admin, ExportSpec("csv"), now)
    fresh = export_jobs.request_export(db.session, survey, admin, ExportSpec("csv"), now)
    old.created_at = now - timedelta(hours=25)
    old.path = str(folder / "old.csv")
    Path(old.path).write_text("x")
    db.session.commit()
    assert export_jobs.purge_expired(db.session, folder, now, 24) == 1
    db.session.commit()
    assert not Path(folder / "old.csv").exists()
    assert [j.id for j in db.session.scalars(db.select(ExportJob))] == [fresh.id]


def test_progress_is_committed_while_writing(app: Flask, survey: Survey, tmp_path: Path) -> None:
    admin = db.session.scalars(db.select(User)).first()
    assert admin is not None
    job = export_jobs.request_export(db.session, survey, admin, ExportSpec("sav"), utcnow())
    db.session.commit()
    seen: list[float] = []

    def spy(*args: object, **kwargs: object) -> int:
        progress = args[4]
        progress(1, 4)  # type: ignore[operator]
        seen.append(db.session.scalars(db.select(ExportJob.progress)).one())
        Path(args[3]).write_bytes(b"data")  # type: ignore[arg-type]
        return 4

    original = export_jobs.write_export
    export_jobs.write_export = spy  # type: ignore[assignment]
    try:
        export_jobs.run_job(db.session, job.id, tmp_path)
    finally:
        export_jobs.write_export = original
    assert seen == [0.25]
    db.session.refresh(job)
    assert (job.status, job.rows, job.size) == (JobStatus.DONE, 4, 4)


def _job_url(survey: Survey) -> str:
    job = db.session.scalars(db.select(ExportJob)).one()
    return f"/results/{survey.id}/jobs/{job.id}"


def test_with_redis_the_job_goes_through_rq(
    client: FlaskClient, survey: Survey, app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    redis = pytest.importorskip("redis")
    rq = pytest.importorskip("rq")
    url = REDIS_URL  # this worker's own number: RQ job ids follow database ids
    connection = redis.Redis.from_url(url)
    try:
        connection.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis server at 127.0.0.1:6379")
    queue_name = f"surveyapp-exports-test-{time.time_ns()}"  # runs in parallel never mix
    monkeypatch.setattr(export_jobs, "QUEUE", queue_name)
    monkeypatch.setitem(app.config, "REDIS_URL", url)
    factories.login(client)
    job_url = _start(client, f"/results/{survey.id}/export.sav")
    assert 'data-status="queued"' in client.get(job_url).text  # nothing runs it in-process
    queue = rq.Queue(queue_name, connection=connection)
    assert len(queue) == 1
    rq.SimpleWorker([queue], connection=connection).work(burst=True)
    assert 'data-status="done"' in client.get(job_url).text
    assert client.get(job_url + "/file").status_code == 200
    queue.delete(delete_jobs=True)


def test_a_worker_clears_out_expired_jobs_after_its_own(
    app: Flask, survey: Survey, tmp_path: Path
) -> None:
    folder = Path(app.config["EXPORT_DIR"])
    folder.mkdir(parents=True)
    admin = db.session.scalars(db.select(User)).first()
    assert admin is not None
    now = utcnow()
    old = export_jobs.request_export(db.session, survey, admin, ExportSpec("csv"), now)
    old.created_at, old.path = now - timedelta(hours=30), str(folder / "old.csv")
    Path(old.path).write_text("x")
    new = export_jobs.request_export(db.session, survey, admin, ExportSpec("csv"), now)
    db.session.commit()
    new_id = new.id
    export_jobs.run_queued(new_id)
    jobs = db.session.scalars(db.select(ExportJob)).all()
    assert [(j.id, j.status, j.rows) for j in jobs] == [(new_id, JobStatus.DONE, 3)]
    assert sorted(p.suffix for p in folder.iterdir()) == [".csv"]  # the new file only
