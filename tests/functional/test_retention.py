"""Contact details kept no longer than the survey's retention period after its round
closes: ``contacts purge --due`` deletes them, the survey page says when."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from surveyapp.extensions import db
from surveyapp.fieldwork.services.frames import imports as frames
from surveyapp.models import Survey
from surveyapp.models._types import utcnow
from surveyapp.surveys.services import rounds
from tests import factories
from tests.functional.test_cli import run
from tests.functional.test_frames import GOOD, write_csv


def _with_contacts(tmp_path: Path, codes: tuple[str, ...] = ("SXD", "STP")) -> Survey:
    survey = factories.survey(codes)
    frames.import_frame(db.session, survey, write_csv(tmp_path / f"f{survey.id}.csv", GOOD))
    db.session.commit()
    return survey


def test_purge_due_deletes_only_the_contacts_of_surveys_past_their_period(
    app: Flask, tmp_path: Path
) -> None:
    factories.province()
    long_closed, lately_closed, still_open = (_with_contacts(tmp_path) for _ in range(3))
    short = _with_contacts(tmp_path)
    short.contact_retention_days = 7
    now = utcnow()
    rounds.close_now(db.session, long_closed, None, now - timedelta(days=91))
    rounds.close_now(db.session, lately_closed, None, now - timedelta(days=30))
    rounds.close_now(db.session, short, None, now - timedelta(days=8))
    db.session.commit()

    code, _out, err = run(app, "contacts", "purge", "--due")
    assert code == 0 and "2 surveys past their retention period purged" in err
    counts = {
        s.id: frames.contact_count(db.session, s)
        for s in (long_closed, lately_closed, still_open, short)
    }
    assert counts == {long_closed.id: 0, lately_closed.id: 2, still_open.id: 2, short.id: 0}
    assert frames.frame_size(db.session, long_closed) == 3  # the frame itself stays
    assert "0 surveys" in run(app, "contacts", "purge", "--due")[2]  # nothing left to do
    code, _out, err = run(app, "contacts", "purge", str(long_closed.id), "--due")
    assert code == 2 and "not both" in err


def test_the_survey_page_says_when_contacts_go(client: FlaskClient, tmp_path: Path) -> None:
    factories.province()
    factories.user()
    factories.login(client)
    survey = _with_contacts(tmp_path)
    page = client.get(f"/surveys/{survey.id}").text
    assert "được xóa 90 ngày sau khi đợt khảo sát đóng" in page
    closing = utcnow() - timedelta(days=1)
    rounds.close_now(db.session, survey, None, closing)
    db.session.commit()
    day = (closing + timedelta(days=90)).astimezone(rounds.LOCAL_TIME).strftime("%d/%m/%Y")
    assert f"được xóa vào ngày {day}" in client.get(f"/surveys/{survey.id}").text
    assert day in client.get(f"/surveys/{survey.id}/fieldwork").text


def test_the_retention_period_is_a_survey_setting(client: FlaskClient) -> None:
    factories.province()
    factories.user()
    factories.login(client)
    survey = factories.survey(("SXD",))
    form = client.get(f"/surveys/{survey.id}/edit")
    data = {
        "csrf_token": factories.csrf_from(form.text),
        "title": survey.title,
        "agencies": ["SXD"],
        "mode": "invited",
        "contact_retention_days": "30",
    }
    assert client.post(f"/surveys/{survey.id}/edit", data=data).status_code == 303
    db.session.refresh(survey)
    assert survey.contact_retention_days == 30
    refused = client.post(
        f"/surveys/{survey.id}/edit", data={**data, "contact_retention_days": "-1"}
    )
    assert refused.status_code == 422 and 'id="err-contact_retention_days"' in refused.text
