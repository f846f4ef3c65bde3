"""Every staff write as a department user (tied to SXD): for another agency, another
survey, or an action that spans the whole survey it answers 404 and changes nothing."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import func, select

from surveyapp.collect.services import visits
from surveyapp.extensions import db
from surveyapp.models import Agency, Invitation, RaterAssignment, Sample, Survey
from surveyapp.models.audit import AuditEvent
from tests import factories
from tests.functional.test_scope_walk import department_user, province_surveys  # noqa: F401

# (URL, form) posted by the department user; {s} invited, {p} officials', {other} STP's.
REFUSED_WRITES: list[tuple[str, dict[str, Any]]] = [
    ("/surveys/{s}/invitations", {"agency": "STP", "count": "5"}),
    ("/surveys/{other}/invitations", {"agency": "STP", "count": "5"}),
    ("/surveys/{s}/draw", {"size": "20", "allocation": "proportional", "seed": "1"}),
    ("/surveys/{s}/frame/upload", {}),
    ("/surveys/{s}/fieldwork/contacts/purge", {"confirm": "y"}),
    ("/surveys/{s}/weights", {"classes": "agency", "nonresponse": "y", "action": "save"}),
    ("/results/{s}/records", {"percent": "20"}),
    ("/results/{s}/previous", {"previous": ""}),
    ("/surveys/{p}/officials", {"per_agency": "1", "seed": "7"}),
    ("/surveys/{s}/letters/done", {"agency": "STP", "upto": "99999", "confirm": "yes"}),
    ("/surveys/{s}/outreach/email", {"agency": "STP", "confirm": "yes"}),
    ("/surveys/{s}/paper/STP/{key}", {}),
    ("/surveys/{other}/paper/STP/{key}", {}),
    ("/results/{s}/export.csv?agency=STP", {}),
    ("/surveys/new", {"questionnaire": "sipas-2017", "title": "T", "agencies": "STP"}),
]


def _state() -> tuple[Any, ...]:
    """Everything the writes above could change."""
    count = func.count()
    return (
        db.session.scalar(select(count).select_from(Invitation)),
        db.session.scalar(select(count).select_from(Sample)),
        db.session.scalar(select(count).select_from(Survey)),
        db.session.scalar(select(count).select_from(AuditEvent)),
        tuple(db.session.execute(select(Invitation.disposition, Invitation.sent_at)).all()),
        tuple(db.session.execute(select(RaterAssignment.rater_id, RaterAssignment.agency_id))),
        tuple(db.session.execute(select(Survey.weighting, Survey.late_threshold)).all()),
    )


def _csrf(client: FlaskClient) -> str:
    return factories.csrf_from(client.get("/surveys/new").text)


def test_department_user_writes_for_another_agency_are_404_and_change_nothing(
    client: FlaskClient,
    province_surveys: dict[str, int],  # noqa: F811
) -> None:
    department_user()
    factories.login(client, "dept@example.org")
    token = _csrf(client)
    before = _state()
    for url, form in REFUSED_WRITES:
        filled = url.format(**province_surveys, key=visits.new_resume_key())
        answer = client.post(filled, data={**form, "csrf_token": token})
        assert answer.status_code == 404, filled
        db.session.expire_all()
        assert _state() == before, filled


def test_another_agencys_invitation_disposition_looks_unknown(
    client: FlaskClient,
    province_surveys: dict[str, int],  # noqa: F811
) -> None:
    department_user()
    factories.login(client, "dept@example.org")
    stp = db.session.scalar(select(Agency.id).where(Agency.code == "STP"))
    other = db.session.scalar(select(Invitation.id).where(Invitation.agency_id == stp))
    before = _state()
    answer = client.post(
        f"/surveys/{province_surveys['s']}/dispositions?lang=en",
        data={"reference": f"#{other}", "disposition": "refused", "csrf_token": _csrf(client)},
        follow_redirects=True,
    )
    assert f"No invitation of this survey matches &#34;#{other}&#34;" in answer.text
    db.session.expire_all()
    assert _state() == before


def test_department_user_makes_links_for_its_own_agency(
    client: FlaskClient,
    province_surveys: dict[str, int],  # noqa: F811
) -> None:
    department_user()
    factories.login(client, "dept@example.org")
    answer = client.post(
        f"/surveys/{province_surveys['s']}/invitations",
        data={"agency": "SXD", "count": "3", "csrf_token": _csrf(client)},
    )
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    assert answer.text.count(",SXD") == 3
    assert answer.headers["Cache-Control"] == "no-store"
