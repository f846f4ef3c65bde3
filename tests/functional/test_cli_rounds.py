"""The command line of a round and of accounts: survey list/open/close/schedule, users
list/disable/enable/tokens revoke, and the audit log."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta

from flask import Flask

from surveyapp.extensions import db
from surveyapp.models import ApiToken, SurveyMode
from surveyapp.security import issue_api_token
from tests import factories
from tests.functional.test_cli import run


def test_survey_list_open_close_and_schedule(app: Flask) -> None:
    factories.province()
    invited = factories.survey()
    opened = factories.survey(mode=SurveyMode.OPEN)
    assert run(app, "survey", "close", str(invited.id))[0] == 0
    assert set(run(app, "survey", "list")[1].splitlines()) == {
        f"{opened.id}\topen\topen\tKhảo sát thử",
        f"{invited.id}\tclosed\tinvited\tKhảo sát thử",
    }
    code, _out, err = run(app, "survey", "close", str(invited.id))
    assert code == 1 and "already closed" in err
    assert run(app, "survey", "open", str(invited.id))[0] == 0
    db.session.refresh(invited)
    assert invited.is_open(invited.opens_at)

    future = date.today() + timedelta(days=20)
    code, _out, err = run(app, "survey", "schedule", str(opened.id), "--opens", future.isoformat())
    assert code == 0 and "scheduled" in err
    assert f"{opened.id}\tdraft\topen" in run(app, "survey", "list")[1]  # not open before its day
    past = date.today() - timedelta(days=3)
    code, _out, err = run(app, "survey", "schedule", str(invited.id), "--closes", past.isoformat())
    assert code == 0 and f"{invited.id}\tclosed" in run(app, "survey", "list")[1]
    code, _out, err = run(app, "survey", "schedule", str(invited.id), "--closes", "31/01/2027")
    assert code == 2 and "YYYY-MM-DD" in err.replace("%Y-%m-%d", "YYYY-MM-DD")


def test_users_list_disable_enable_and_revoke_tokens(app: Flask) -> None:
    province = factories.province()
    user = factories.user("a@example.org", "analyst", province["SXD"])
    secrets = [issue_api_token(db.session, user, name=n) for n in ("R", "BI")]
    db.session.commit()
    assert "a@example.org\tanalyst\tSXD\tactive" in run(app, "users", "list")[1]
    assert run(app, "users", "disable", "A@example.org")[0] == 0
    assert "a@example.org\tanalyst\tSXD\tdisabled" in run(app, "users", "list")[1]
    bearer = {"Authorization": f"Bearer {secrets[0]}"}
    assert app.test_client().get("/api/v1/surveys", headers=bearer).status_code == 401
    assert run(app, "users", "enable", "a@example.org")[0] == 0
    assert app.test_client().get("/api/v1/surveys", headers=bearer).status_code == 200
    code, _out, err = run(app, "users", "tokens", "revoke", "a@example.org")
    assert code == 0 and "2 tokens" in err
    assert all(t.revoked_at is not None for t in db.session.query(ApiToken))
    assert app.test_client().get("/api/v1/surveys", headers=bearer).status_code == 401


def test_audit_oldest_first_in_three_formats(app: Flask) -> None:
    factories.province()
    survey = factories.survey()
    other = factories.survey(("STP",))
    run(app, "survey", "close", str(survey.id))
    table = run(app, "audit", "--survey", str(survey.id))[1].splitlines()
    assert [line.split("\t")[4] for line in table] == ["survey.create", "survey.close"]
    assert table[1].split("\t")[2:4] == ["survey", str(survey.id)]
    events = json.loads(run(app, "audit", "--format", "json")[1])
    assert [e["what"] for e in events] == ["survey.create", "survey.create", "survey.close"]
    assert events[-1]["details"]["status"] == "closed"
    rows = list(csv.DictReader(io.StringIO(run(app, "audit", "--format", "csv")[1])))
    assert rows[0]["survey"] == str(survey.id) and rows[1]["survey"] == str(other.id)
    tomorrow = (date.today() + timedelta(days=2)).isoformat()
    assert json.loads(run(app, "audit", "--since", tomorrow, "--format", "json")[1]) == []
