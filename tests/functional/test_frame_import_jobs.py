"""Large frame files are checked and imported in the background, on the exports' jobs:
a progress page, then the same result as a synchronous import, nothing half-written."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from surveyapp.extensions import db
from surveyapp.fieldwork.services.frames import jobs as frame_jobs
from surveyapp.models import Survey
from surveyapp.models.jobs import ExportJob, JobStatus
from surveyapp.results.services import export_jobs
from tests import factories
from tests.functional.test_fieldwork_pages import GUESSED, ROWS, csv_bytes, frame_count, upload

GOOD = [row for row in ROWS if row[0] in ("HS-1", "HS-2")][:2]


@pytest.fixture()
def survey(app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Survey:
    monkeypatch.setitem(app.config, "FRAME_UPLOAD_DIR", str(tmp_path / "uploads"))
    monkeypatch.setitem(app.config, "FRAME_ASYNC_ROWS", 2)
    factories.province()
    factories.user("field@example.org", "fieldwork")
    return factories.survey(("SXD", "STP"))


@pytest.fixture()
def queued(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Jobs handed to the worker; the test runs them itself."""
    jobs: list[int] = []
    monkeypatch.setattr(export_jobs, "dispatch", lambda app, job_id: jobs.append(job_id))
    return jobs


def start(client: FlaskClient, survey: Survey, token: str, **extra: str) -> Any:
    page = client.get(f"/surveys/{survey.id}/frame/{token}/report", query_string=GUESSED)
    assert page.status_code == 200
    assert f"/frame/{token}/import-job" in page.text  # the check waits for the confirmation
    form = {"csrf_token": factories.csrf_from(page.text), **GUESSED, **extra}
    return client.post(f"/surveys/{survey.id}/frame/{token}/import-job", data=form)


def run(job_id: int, tmp_path: Path) -> ExportJob:
    export_jobs.run_job(db.session, job_id, tmp_path / "exports")
    job = db.session.get(ExportJob, job_id)
    assert job is not None
    return job


def test_a_large_file_with_bad_rows_ends_as_the_report_by_row_and_imports_nothing(
    client: FlaskClient, survey: Survey, queued: list[int], tmp_path: Path
) -> None:
    factories.login(client, "field@example.org")
    token = upload(client, survey, csv_bytes(ROWS))
    started = start(client, survey, token)
    assert started.status_code == 303
    waiting = client.get(started.headers["Location"])
    assert 'data-status="queued"' in waiting.text and "data-poll" in waiting.text
    job = run(queued[0], tmp_path)
    assert (job.status, job.rows) == (JobStatus.DONE, 5)
    report = client.get(started.headers["Location"])
    assert report.status_code == 200
    assert "Không có hồ sơ nào được nhập" in report.text
    rows = re.findall(r'<td class="num" data-label="[^"]+">(\d+)</td>', report.text)
    assert rows[:1] == ["4"] and "6" in rows
    assert frame_count(survey) == 0
    again = start(client, survey, token, skip_invalid="1")  # the good rows only, as a new job
    run(queued[1], tmp_path)
    done = client.get(again.headers["Location"])
    assert done.status_code == 303 and "/frame/imports/" in done.headers["Location"]
    summary = client.get(done.headers["Location"])
    counts = dict(re.findall(r'data-count="(\w+)">([\d.,]+)<', summary.text))
    assert counts == {"rows": "5", "imported": "2", "skipped": "3", "duplicates": "1"}
    assert frame_count(survey) == 2


def test_a_failed_import_job_leaves_the_frame_as_it_was(
    client: FlaskClient,
    survey: Survey,
    queued: list[int],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = frame_jobs.frames.import_frame

    def breaks_after_writing(*args: Any, **kwargs: Any) -> Any:
        real(*args, **kwargs)
        raise RuntimeError("the worker died")

    monkeypatch.setattr(frame_jobs.frames, "import_frame", breaks_after_writing)
    factories.login(client, "field@example.org")
    token = upload(client, survey, csv_bytes(GOOD))
    monkeypatch.setitem(client.application.config, "FRAME_ASYNC_ROWS", 1)
    started = start(client, survey, token)
    job = run(queued[0], tmp_path)
    assert job.status is JobStatus.FAILED
    assert frame_count(survey) == 0
    page = client.get(started.headers["Location"])
    assert 'data-status="failed"' in page.text and 'role="alert"' in page.text


def test_another_users_import_job_is_not_found(
    client: FlaskClient, survey: Survey, queued: list[int]
) -> None:
    factories.user("other@example.org", "fieldwork")
    factories.login(client, "field@example.org")
    started = start(client, survey, upload(client, survey, csv_bytes(ROWS)))
    factories.login(client, "other@example.org")
    assert client.get(started.headers["Location"]).status_code == 404
