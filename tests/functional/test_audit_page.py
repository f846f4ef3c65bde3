"""The audit log page and its CSV: filters by survey, person, kind and Vietnam days;
admins read everything, province analysts the surveys' trail, others nothing."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime

from flask.testing import FlaskClient
from sqlalchemy import select

from surveyapp.accounts.services import audit
from surveyapp.extensions import db
from surveyapp.models import AuditEvent
from surveyapp.models._types import utcnow
from surveyapp.surveys.services import rounds
from tests import factories


def _two_surveys() -> tuple[int, int]:
    factories.province()
    first, second = factories.survey(), factories.survey(("STP",))
    rounds.close_now(db.session, first, None, utcnow())
    db.session.commit()
    return first.id, second.id


def _actions(html: str) -> list[str]:
    return re.findall(r'<tr data-action="([^"]+)"', html)


def test_admin_filters_by_survey_kind_and_person(client: FlaskClient) -> None:
    first, second = _two_surveys()
    factories.user()
    factories.login(client)
    everything = _actions(client.get("/audit").text)
    assert everything[0] == "auth.login" and "survey.close" in everything
    assert _actions(client.get(f"/audit?survey={first}").text) == ["survey.close", "survey.create"]
    assert _actions(client.get(f"/audit?survey={second}").text) == ["survey.create"]
    assert _actions(client.get("/audit?kind=accounts").text) == ["auth.login"]
    admin_id = db.session.scalar(
        select(AuditEvent.actor_id).where(AuditEvent.action == "auth.login")
    )
    assert _actions(client.get(f"/audit?actor={admin_id}").text) == ["auth.login"]


def test_days_are_vietnam_days_and_a_wrong_filter_is_named(client: FlaskClient) -> None:
    _two_surveys()
    factories.user()
    factories.login(client)
    # 23:30 UTC on 1 March is 06:30 on 2 March in Hà Nội.
    late = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "survey.close")).one()
    late.at = datetime(2027, 3, 1, 23, 30, tzinfo=UTC)
    db.session.commit()
    assert _actions(client.get("/audit?since=2027-03-02&until=2027-03-02").text) == ["survey.close"]
    assert _actions(client.get("/audit?since=2027-03-01&until=2027-03-01").text) == []
    page = client.get("/audit?since=02/03/2027&until=hôm qua&kind=nope")
    assert page.status_code == 200
    assert "hôm qua" in page.text and "nope" in page.text  # each named, then ignored
    assert _actions(page.text) == ["survey.close"]


def test_csv_holds_every_filtered_event_with_its_details(client: FlaskClient) -> None:
    first, _second = _two_surveys()
    factories.user()
    factories.login(client)
    download = client.get(f"/audit.csv?survey={first}")
    assert download.status_code == 200 and download.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(download.get_data(as_text=True).lstrip("\ufeff"))))
    assert [r["action"] for r in rows] == ["survey.close", "survey.create"]
    assert rows[0]["survey_id"] == str(first) and '"status": "closed"' in rows[0]["details"]
    assert rows[0]["at"].endswith("+07:00")


def test_a_province_analyst_reads_the_surveys_trail_only(client: FlaskClient) -> None:
    _two_surveys()
    factories.user("analyst@example.org", "analyst")
    factories.login(client, "analyst@example.org")
    actions = _actions(client.get("/audit").text)
    assert "survey.close" in actions and not any(a.startswith("auth.") for a in actions)
    text = client.get("/audit.csv").get_data(as_text=True)
    assert "auth.login" not in text


def test_department_staff_and_designers_cannot_read_the_log(client: FlaskClient) -> None:
    province = factories.province()
    factories.user("dept@example.org", "analyst", province["SXD"])
    factories.login(client, "dept@example.org")
    assert client.get("/audit").status_code == 403
    assert client.get("/audit.csv").status_code == 403
    assert "/audit" not in client.get("/").text


def test_pages_of_a_hundred_go_back_in_time(client: FlaskClient) -> None:
    factories.province()
    survey = factories.survey()
    for n in range(audit.PAGE_SIZE + 5):
        db.session.add(
            AuditEvent(
                action="survey.edit",
                object_type="surveys",
                object_id=str(survey.id),
                survey_id=survey.id,
                details={"n": n},
            )
        )
    db.session.commit()
    factories.user()
    factories.login(client)
    first = client.get(f"/audit?survey={survey.id}")
    assert len(_actions(first.text)) == audit.PAGE_SIZE
    older = re.search(r'href="(/audit\?before=\d+[^"]*)"', first.text)
    assert older
    rest = client.get(older.group(1).replace("&amp;", "&"))
    assert len(_actions(rest.text)) == 6  # 5 more edits and the survey's creation
