"""Paradata kept per response, apart from the answers: time on each page, back presses,
the device class and a keyed hash of the IP (never the address, never the user agent);
exported as columns; flags computed as the response is sent."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pyreadstat
import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import select

from surveyapp.collect.services.paradata import device_class
from surveyapp.extensions import db
from surveyapp.models import Response, ResponseFlag, ResponseStatus, Survey, SurveyMode
from surveyapp.models._types import utcnow
from surveyapp.review.services import quality
from surveyapp.surveys.services import rounds
from tests import factories
from tests.export_data import three_responses
from tests.functional.test_cli import run
from tests.respondent import answers_for, current_page, form_action, is_last, sending

IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15"
    " (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)
ANDROID_TABLET = (
    "Mozilla/5.0 (Linux; Android 13; SM-X200) AppleWebKit/537.36 (KHTML, like Gecko)"
    " Chrome/120.0 Safari/537.36"
)
IP = "203.0.113.7"


class Clock:
    """The respondent pages' clock, moved on by hand."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now

    def wait(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture()
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    ticking = Clock()
    monkeypatch.setattr("surveyapp.collect.views.pages.utcnow", ticking)
    return ticking


def _respondent(app: Flask, agent: str = IPHONE, ip: str = IP) -> FlaskClient:
    browser = app.test_client()
    browser.environ_base.update({"HTTP_USER_AGENT": agent, "REMOTE_ADDR": ip})
    return browser


def _press(browser: FlaskClient, url: str, action: str, clock: Clock, after: float) -> str:
    """Wait ``after`` seconds on the page, then press ``action``; the page it was."""
    page = browser.get(url)
    clock.wait(after)
    data = sending(page.text) if action == "submit" else answers_for(page.text)
    moved = browser.post(form_action(page.text), data={**data, "action": action})
    assert moved.status_code == 303, moved.text
    return current_page(page.text)


def _answer_all(browser: FlaskClient, url: str, clock: Clock, seconds: float) -> None:
    for _ in range(30):
        last = is_last(browser.get(url).text)
        _press(browser, url, "submit" if last else "next", clock, seconds)
        if last:
            return
    raise AssertionError("never reached the last page")


def _open_survey() -> Survey:
    factories.province()
    return factories.survey(mode=SurveyMode.OPEN)


def test_an_open_link_response_keeps_time_per_page_back_presses_device_and_ip_hash(
    app: Flask, clock: Clock
) -> None:
    survey = _open_survey()
    url = f"/o/{survey.id}/SXD"
    browser = _respondent(app)
    assert _press(browser, url, "next", clock, 4) == "welcome"  # untimed: nothing saved yet
    assert _press(browser, url, "next", clock, 20) == "screen"
    assert _press(browser, url, "back", clock, 7) == "s_access"
    assert _press(browser, url, "next", clock, 3) == "screen"
    _answer_all(browser, url, clock, 10)

    (response,) = db.session.scalars(select(Response)).all()
    assert response.status is ResponseStatus.SUBMITTED
    seconds = response.page_seconds or {}
    assert (seconds["screen"], seconds["s_access"], seconds["closing"]) == (23.0, 17.0, 10.0)
    assert "welcome" not in seconds
    assert response.back_navigations == 1
    assert response.device == "phone"
    keyed = hmac.new(b"test-secret-key", b"ip:" + IP.encode(), hashlib.sha256)
    assert response.ip_hash == keyed.hexdigest()
    total = (response.submitted_at - response.started_at).total_seconds()
    assert total == sum(seconds.values()) == 23 + 17 + 10 * 7
    # Neither the address nor the user agent is anywhere in the row.
    row = db.session.execute(select(Response.__table__).where(Response.id == response.id)).one()
    assert not any(IP in str(cell) or "iPhone" in str(cell) for cell in row)


def test_an_invitation_link_keeps_paradata_but_is_never_in_a_device_burst(
    app: Flask, clock: Clock
) -> None:
    factories.province()
    survey = factories.survey()
    for token in factories.tokens(survey, "SXD", count=3):
        _answer_all(_respondent(app, ANDROID_TABLET), f"/s/{token}", clock, 8)
    responses = db.session.scalars(select(Response)).all()
    assert {r.device for r in responses} == {"tablet"}
    assert len({r.ip_hash for r in responses}) == 1
    kinds = {f.kind for f in db.session.scalars(select(ResponseFlag))}
    assert "duplicate_device" not in kinds


def test_flags_are_set_as_a_response_is_sent(app: Flask, clock: Clock) -> None:
    """0.5 s a page is a speeder; the walker answers 4 to every criterion, which
    straight-lines the grids of 5 and 6 questions; the careful one waits 30 s a page
    (its grids are alike as well)."""
    survey = _open_survey()
    _answer_all(_respondent(app), f"/o/{survey.id}/SXD", clock, 0.5)
    _answer_all(_respondent(app, ip="198.51.100.1"), f"/o/{survey.id}/STP", clock, 30)
    fast, careful = db.session.scalars(select(Response).order_by(Response.id)).all()
    flags = {r.id: [f.kind for f in fl] for r, fl in quality.flags_for_survey(db.session, survey)}
    assert flags == {fast.id: ["speeding", "straightlining"], careful.id: ["straightlining"]}
    liner = db.session.scalars(select(ResponseFlag).filter_by(response_id=careful.id)).one()
    assert [m["first"] for m in liner.detail["matrices"]] == ["proc_posted_full", "cs_polite"]

    quality.recompute(db.session, survey)  # the same flags when recomputed
    again = {r.id: [f.kind for f in fl] for r, fl in quality.flags_for_survey(db.session, survey)}
    assert again == flags


def test_three_responses_from_one_tablet_within_minutes_are_a_burst(
    app: Flask, clock: Clock
) -> None:
    survey = _open_survey()
    start, visit = f"/o/{survey.id}/SXD/kiosk", f"/o/{survey.id}/SXD/kiosk/visit"
    tablet = _respondent(app, ANDROID_TABLET)
    for _ in range(3):
        welcome = tablet.get(start)
        data = {**factories.form_fields(welcome.text), "action": "next"}
        assert tablet.post(form_action(welcome.text), data=data).status_code == 303
        _answer_all(tablet, visit, clock, 20)  # 9 pages: 3 minutes a citizen
        assert 'data-state="submitted"' in tablet.get(visit).text
    burst = {
        f.response_id: f.detail
        for f in db.session.scalars(select(ResponseFlag).filter_by(kind="duplicate_device"))
    }
    ids = sorted(burst)
    assert len(ids) == 3
    assert burst[ids[0]] == {"minutes": 10, "others": ids[1:]}
    assert burst[ids[2]] == {"minutes": 10, "others": ids[:2]}


def test_the_device_class_is_read_from_the_user_agent() -> None:
    assert device_class(IPHONE) == "phone"
    assert device_class(ANDROID_TABLET) == "tablet"
    assert device_class(ANDROID_TABLET.replace("Safari", "Mobile Safari")) == "phone"
    assert device_class("Mozilla/5.0 (iPad; CPU OS 12_5 like Mac OS X)") == "tablet"
    windows = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0"
    assert device_class(windows) == "desktop"
    assert device_class("") is None and device_class(None) is None


# --- exports ------------------------------------------------------------------------------


@pytest.fixture()
def exported(app: Flask) -> Survey:
    factories.province()
    survey = factories.survey()
    first, *_ = three_responses(survey)
    first.started_at = first.submitted_at - timedelta(seconds=185)  # type: ignore[operator]
    first.page_seconds = {"screen": 40.25, "s_access": 12.0}
    first.back_navigations = 2
    first.device = "tablet"
    db.session.commit()
    return survey


def _export(app: Flask, survey: Survey, fmt: str, tmp_path: Path) -> Path:
    out = tmp_path / f"responses.{fmt}"
    args = ["export", str(survey.id), "--format", fmt, "--lang", "en", "-o", str(out)]
    code, _out, err = run(app, *args)
    assert code == 0, err
    return out


PARADATA = ["started_at", "duration_s", "device", "back_navigations", "secs_screen"]


def test_csv_and_xlsx_carry_the_paradata_and_the_codebook_names_it(
    app: Flask, exported: Survey, tmp_path: Path
) -> None:
    text = _export(app, exported, "csv", tmp_path).read_text(encoding="utf-8-sig")
    rows: list[dict[str, Any]] = list(csv.DictReader(io.StringIO(text)))
    header = list(rows[0])
    at = header.index("started_at")
    assert header[at : at + 5] == PARADATA and header.index("fpc") < at < header.index("service")
    first = rows[0]
    assert (first["duration_s"], first["device"], first["back_navigations"]) == (
        "185",
        "tablet",
        "2",
    )
    assert (first["secs_screen"], first["secs_s_access"], first["secs_closing"]) == (
        "40.2",
        "12.0",
        "",
    )
    assert first["started_at"] == "2026-03-04T05:03:02+00:00"
    assert rows[1]["back_navigations"] == "0" and rows[1]["device"] == ""

    book = load_workbook(_export(app, exported, "xlsx", tmp_path), read_only=True)
    heads = [c.value for c in next(book["responses"].iter_rows(max_row=1))]
    assert heads[at : at + 5] == PARADATA
    codebook = {r[0]: r[1] for r in book["codebook"].iter_rows(min_row=2, values_only=True)}
    assert codebook["duration_s"] == "Seconds from start to sending"
    assert codebook["secs_s_access"].startswith("Seconds on page: ")


@pytest.mark.parametrize("fmt", ["sav", "dta"])
def test_spss_and_stata_carry_the_paradata_as_numbers(
    app: Flask, exported: Survey, tmp_path: Path, fmt: str
) -> None:
    path = _export(app, exported, fmt, tmp_path)
    data, meta = (pyreadstat.read_sav if fmt == "sav" else pyreadstat.read_dta)(str(path))
    first = data.iloc[0]
    assert (first["duration_s"], first["back_navigations"], first["secs_screen"]) == (185, 2, 40.2)
    assert first["device"] == "tablet"
    assert (
        meta.column_names_to_labels["back_navigations"] == "Times the respondent went back a page"
    )


def test_ip_hashes_go_with_the_contacts_after_the_retention_period(app: Flask) -> None:
    factories.province()
    survey = factories.survey(mode=SurveyMode.OPEN)
    kept = factories.survey(mode=SurveyMode.OPEN)
    for target in (survey, kept):
        for response in three_responses(target):
            response.ip_hash = "f" * 64
    rounds.close_now(db.session, survey, None, utcnow() - timedelta(days=91))
    db.session.commit()
    code, _out, err = run(app, "contacts", "purge", "--due")
    assert code == 0 and f"3 IP hashes removed from survey {survey.id}" in err
    hashes = db.session.execute(select(Response.survey_id, Response.ip_hash)).all()
    assert {(s, h is None) for s, h in hashes} == {(survey.id, True), (kept.id, False)}


def test_purging_one_surveys_contacts_takes_its_ip_hashes_too(app: Flask) -> None:
    factories.province()
    survey = factories.survey(mode=SurveyMode.OPEN)
    for response in three_responses(survey):
        response.ip_hash = "e" * 64
    db.session.commit()
    code, _out, err = run(app, "contacts", "purge", str(survey.id))
    assert code == 0 and f"3 IP hashes removed from survey {survey.id}" in err
    assert db.session.scalars(select(Response.ip_hash)).all() == [None, None, None]
