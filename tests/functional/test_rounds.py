"""A survey round from the web: draft, open, scheduled, closed, reopened; every channel
refuses a round that is not open, and saves nothing."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from surveyapp.extensions import db
from surveyapp.fieldwork.services import assignments
from surveyapp.models import (
    Answer,
    AuditEvent,
    RaterAssignment,
    Response,
    Survey,
    SurveyMode,
    SurveyStatus,
)
from surveyapp.models._types import utcnow
from surveyapp.problems import InputRefused
from surveyapp.surveys.services import rounds
from tests import factories
from tests.respondent import answers_for, current_page, form_action

UTC_NOON = datetime(2027, 3, 15, 5, 0, tzinfo=rounds.LOCAL_TIME).astimezone(UTC)


def _field_user(client: FlaskClient, scope: str | None = None) -> None:
    province = factories.province()
    factories.user("field@example.org", "fieldwork", province[scope] if scope else None)
    factories.login(client, "field@example.org")


def _change(client: FlaskClient, survey: Survey, **data: str) -> Any:
    page = client.get(f"/surveys/{survey.id}")
    assert page.status_code == 200
    return client.post(
        f"/surveys/{survey.id}/round", data={"csrf_token": factories.csrf_from(page.text), **data}
    )


def _answers() -> int:
    return db.session.scalar(select(func.count()).select_from(Answer)) or 0


def test_dates_are_vietnam_days_the_closing_day_included(app: Flask) -> None:
    factories.province()
    survey = factories.survey()
    rounds.schedule(
        db.session, survey, None, UTC_NOON, opens=date(2027, 4, 1), closes=date(2027, 4, 30)
    )
    # 00:00 on 1/4 in Hà Nội is 17:00 UTC on 31/3; the round runs to 24:00 on 30/4.
    assert survey.opens_at == datetime(2027, 3, 31, 17, 0, tzinfo=UTC)
    assert survey.closes_at == datetime(2027, 4, 30, 17, 0, tzinfo=UTC)
    assert rounds.state(survey, UTC_NOON) is rounds.RoundState.SCHEDULED
    assert not survey.is_open(UTC_NOON)
    assert survey.is_open(survey.opens_at)
    assert survey.is_open(survey.closes_at - timedelta(seconds=1))
    assert rounds.state(survey, survey.closes_at) is rounds.RoundState.CLOSED
    assert (rounds.first_day(survey), rounds.last_day(survey)) == (
        date(2027, 4, 1),
        date(2027, 4, 30),
    )
    assert rounds.RoundState.SCHEDULED.status == "draft"


def test_a_closing_day_already_past_closes_and_a_later_one_reopens(app: Flask) -> None:
    factories.province()
    survey = factories.survey()
    rounds.schedule(db.session, survey, None, UTC_NOON, opens=None, closes=date(2027, 3, 1))
    assert survey.status is SurveyStatus.CLOSED
    rounds.schedule(db.session, survey, None, UTC_NOON, opens=None, closes=date(2027, 3, 31))
    assert rounds.state(survey, UTC_NOON) is rounds.RoundState.OPEN
    with pytest.raises(InputRefused):
        rounds.schedule(
            db.session, survey, None, UTC_NOON, opens=date(2027, 4, 2), closes=date(2027, 4, 1)
        )
    with pytest.raises(InputRefused):
        rounds.schedule(db.session, survey, None, UTC_NOON, opens=None, closes=None)


def test_reopening_drops_a_closing_date_already_past(app: Flask) -> None:
    factories.province()
    survey = factories.survey()
    rounds.close_now(db.session, survey, None, UTC_NOON)
    with pytest.raises(InputRefused):
        rounds.close_now(db.session, survey, None, UTC_NOON)
    later = UTC_NOON + timedelta(days=2)
    rounds.open_now(db.session, survey, None, later)
    assert survey.closes_at is None and survey.is_open(later)
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions[-2:] == ["survey.close", "survey.reopen"]


def test_staff_close_and_reopen_from_the_survey_page_audit_logged(client: FlaskClient) -> None:
    _field_user(client)
    survey = factories.survey()
    page = client.get(f"/surveys/{survey.id}")
    assert 'data-round="open"' in page.text and 'value="close"' in page.text
    closed = _change(client, survey, action="close")
    assert closed.status_code == 303
    page = client.get(f"/surveys/{survey.id}")
    assert 'data-round="closed"' in page.text and 'value="open"' in page.text
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "survey.close")).one()
    assert event.actor_id is not None and event.object_id == str(survey.id)
    assert _change(client, survey, action="open").status_code == 303
    db.session.refresh(survey)
    assert survey.is_open(utcnow())


def test_dates_form_keeps_a_wrong_date_beside_its_field_and_saves_nothing(
    client: FlaskClient,
) -> None:
    _field_user(client)
    survey = factories.survey()
    before = (survey.opens_at, survey.closes_at)
    refused = _change(client, survey, action="schedule", opens="31/02/2027", closes="")
    assert refused.status_code == 422
    assert 'id="err-opens"' in refused.text and 'value="31/02/2027"' in refused.text
    db.session.refresh(survey)
    assert (survey.opens_at, survey.closes_at) == before
    backwards = _change(client, survey, action="schedule", opens="2027-05-02", closes="2027-05-01")
    assert backwards.status_code == 422
    assert 'id="err-closes"' in backwards.text and "Ngày đóng ở trước ngày mở." in backwards.text
    db.session.refresh(survey)
    assert (survey.opens_at, survey.closes_at) == before


def test_a_typed_vietnamese_date_schedules_the_round(client: FlaskClient) -> None:
    _field_user(client)
    survey = factories.survey()
    future = date.today() + timedelta(days=30)
    saved = _change(client, survey, action="schedule", opens=future.strftime("%d/%m/%Y"))
    assert saved.status_code == 303
    page = client.get(saved.headers["Location"])
    assert 'data-round="scheduled"' in page.text
    assert future.strftime("%d/%m/%Y") in page.text  # as Vietnamese staff write it
    assert f'value="{future.isoformat()}"' in page.text  # the date input's own format
    called_off = _change(client, survey, action="unschedule")
    assert 'data-round="draft"' in client.get(called_off.headers["Location"]).text
    db.session.refresh(survey)
    assert survey.opens_at is None and not survey.is_open(utcnow())


def test_a_department_cannot_change_the_round_of_a_survey_it_does_not_span(
    client: FlaskClient,
) -> None:
    _field_user(client, scope="SXD")
    survey = factories.survey(("SXD", "STP"))
    page = client.get(f"/surveys/{survey.id}")
    assert 'id="round"' not in page.text
    token = factories.csrf_from(page.text)
    refused = client.post(
        f"/surveys/{survey.id}/round", data={"csrf_token": token, "action": "close"}
    )
    assert refused.status_code == 404
    db.session.refresh(survey)
    assert survey.status is SurveyStatus.OPEN


def test_a_new_survey_saved_as_a_draft_takes_no_answers(client: FlaskClient) -> None:
    factories.province()
    factories.user()
    factories.login(client)
    form = client.get("/surveys/new")
    made = client.post(
        "/surveys/new",
        data={
            "csrf_token": factories.csrf_from(form.text),
            "questionnaire": "sipas-2017",
            "title": "Vòng 2027",
            "agencies": ["SXD"],
            "mode": "open",
            "draft": "1",
        },
    )
    assert made.status_code == 303
    survey = db.session.scalars(select(Survey).where(Survey.title == "Vòng 2027")).one()
    assert survey.status is SurveyStatus.DRAFT
    assert 'data-state="closed"' in client.get(f"/o/{survey.id}/SXD").text
    listing = client.get("/").text
    row = re.search(r"Vòng 2027.*?</tr>", listing, re.S)
    assert row and "status-draft" in row.group(0)


def _half_answered(client: FlaskClient, url: str) -> tuple[str, dict[str, Any]]:
    """The first question page of ``url`` reached, and what its form would post."""
    page = client.get(url)
    data = {**factories.form_fields(page.text), "action": "next"}
    page = client.post(form_action(page.text) or url, data=data, follow_redirects=True)
    assert current_page(page.text) != "welcome"
    action = form_action(page.text) or url
    return action, {**factories.form_fields(page.text), **answers_for(page.text), "action": "next"}


@pytest.mark.parametrize("channel", ["invitation", "open link", "kiosk"])
def test_closing_stops_a_visit_in_progress_on_every_citizen_channel(
    client: FlaskClient, channel: str
) -> None:
    factories.province()
    mode = SurveyMode.INVITED if channel == "invitation" else SurveyMode.OPEN
    survey = factories.survey(mode=mode)
    url = {
        "invitation": lambda: f"/s/{factories.tokens(survey, 'SXD')[0]}",
        "open link": lambda: f"/o/{survey.id}/SXD",
        "kiosk": lambda: f"/o/{survey.id}/SXD/kiosk",
    }[channel]()
    action, posted = _half_answered(client, url)
    saved = _answers()
    rounds.close_now(db.session, survey, None, utcnow())
    db.session.commit()
    refused = client.post(action, data=posted)
    assert refused.status_code == 200
    assert '<main id="main" class="r-main done" data-state="closed">' in refused.text
    assert _answers() == saved  # the page's ticks were not stored
    assert 'data-state="closed"' in client.get(url).text


def test_closing_stops_an_officials_rating_in_progress(client: FlaskClient) -> None:
    province = factories.province()
    rater = factories.user("rater@example.org", "official", province["STP"])
    factories.user("other@example.org", "official", province["SXD"])
    survey = factories.survey(("SXD", "STP"), template="par-officials", mode=SurveyMode.OFFICIALS)
    assignments.assign(db.session, survey, 1, seed=1, actor_id=None, now=utcnow())
    db.session.commit()
    assignment = db.session.scalars(
        select(RaterAssignment).where(RaterAssignment.rater_id == rater.id)
    ).one()
    factories.login(client, "rater@example.org")
    action, posted = _half_answered(client, f"/officials/{assignment.id}")
    saved = _answers()
    rounds.close_now(db.session, survey, None, utcnow())
    db.session.commit()
    refused = client.post(action, data=posted)
    assert refused.status_code == 200 and 'data-state="closed"' in refused.text
    assert _answers() == saved


def test_closing_stops_paper_entry_and_keeps_nothing_typed(client: FlaskClient) -> None:
    _field_user(client)
    survey = factories.survey()
    start = client.get(f"/surveys/{survey.id}/paper").text
    entry = re.search(rf'href="(/surveys/{survey.id}/paper/SXD/[A-Za-z0-9_-]{{22}})"', start)
    assert entry
    page = client.get(entry.group(1))
    posted = {**factories.form_fields(page.text), **answers_for(page.text), "action": "next"}
    rounds.close_now(db.session, survey, None, utcnow())
    db.session.commit()
    refused = client.post(entry.group(1), data=posted)
    assert refused.status_code == 200 and 'data-state="closed"' in refused.text
    assert db.session.scalar(select(func.count()).select_from(Response)) == 0


def _settings(client: FlaskClient, survey: Survey, **changes: Any) -> Any:
    page = client.get(f"/surveys/{survey.id}/edit")
    assert page.status_code == 200
    data = {
        "csrf_token": factories.csrf_from(page.text),
        "title": survey.title,
        "agencies": [a.code for a in survey.agencies],
        "mode": survey.mode.value,
        **changes,
    }
    if survey.anonymous:
        data["anonymous"] = "y"
    return client.post(f"/surveys/{survey.id}/edit", data=data)


def test_a_draft_survey_changes_agencies_mode_and_title_audit_logged(client: FlaskClient) -> None:
    factories.province()
    factories.user()
    factories.login(client)
    survey = factories.survey(("SXD", "STP"))
    survey.status, survey.opens_at = SurveyStatus.DRAFT, None
    db.session.commit()
    saved = _settings(client, survey, title="Vòng thử", agencies=["SXD"], mode="open")
    assert saved.status_code == 303
    db.session.refresh(survey)
    assert (survey.title, [a.code for a in survey.agencies], survey.mode) == (
        "Vòng thử",
        ["SXD"],
        SurveyMode.OPEN,
    )
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "survey.edit")).one()
    assert event.details["changed"] == ["title", "agencies", "mode"]


def test_an_opened_round_changes_its_title_only(client: FlaskClient) -> None:
    factories.province()
    factories.user()
    factories.login(client)
    survey = factories.survey(("SXD", "STP"))
    assert _settings(client, survey, title="Tên mới").status_code == 303
    refused = _settings(client, survey, mode="open")
    assert refused.status_code == 422
    assert "Hình thức trả lời không thể đổi nữa: đợt khảo sát đã mở." in refused.text
    db.session.refresh(survey)
    assert survey.title == "Tên mới" and survey.mode is SurveyMode.INVITED


def test_a_draft_with_invitations_keeps_its_agencies(client: FlaskClient) -> None:
    factories.province()
    factories.user()
    factories.login(client)
    survey = factories.survey(("SXD", "STP"))
    factories.tokens(survey, "STP")
    survey.status, survey.opens_at = SurveyStatus.DRAFT, None
    db.session.commit()
    refused = _settings(client, survey, agencies=["SXD"])
    assert refused.status_code == 422
    db.session.refresh(survey)
    assert [a.code for a in survey.agencies] == ["STP", "SXD"]


def test_a_department_cannot_open_the_settings_of_a_survey_it_does_not_span(
    client: FlaskClient,
) -> None:
    province = factories.province()
    factories.user("dept@example.org", "designer", province["SXD"])
    factories.login(client, "dept@example.org")
    survey = factories.survey(("SXD", "STP"))
    assert client.get(f"/surveys/{survey.id}/edit").status_code == 404
