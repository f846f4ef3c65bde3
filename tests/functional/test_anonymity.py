"""Anonymous surveys (docs/anonymity.md): nothing in a response leads back to the
invitation, and so to the contact data kept with the sample."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import inspect, select

from surveyapp.collect.services.visits import resume_hash
from surveyapp.extensions import db
from surveyapp.models import Disposition, Invitation, Response, ResponseStatus
from surveyapp.security import hash_token
from tests import factories
from tests.respondent import answer_everything

SECRET = "test-secret-key"  # the test app's SECRET_KEY


def _sent_and_unfinished(anonymous: bool, client: FlaskClient) -> tuple[list[str], Any, Any]:
    factories.province()
    survey = factories.survey(anonymous=anonymous)
    tokens = factories.tokens(survey, "SXD", count=3)
    answer_everything(client, f"/s/{tokens[0]}")
    page = client.get(f"/s/{tokens[1]}")
    moved = client.post(
        f"/s/{tokens[1]}", data={**factories.form_fields(page.text), "action": "next"}
    )
    assert moved.status_code == 303
    responses = {r.status: r for r in db.session.scalars(select(Response))}
    return tokens, responses[ResponseStatus.SUBMITTED], responses[ResponseStatus.IN_PROGRESS]


def test_a_sent_anonymous_response_keeps_nothing_that_leads_to_its_invitation(
    client: FlaskClient,
) -> None:
    tokens, sent, _ = _sent_and_unfinished(True, client)
    assert sent.invitation_id is None
    assert sent.resume_hash is None
    invitations = list(db.session.scalars(select(Invitation)))
    invitation_values = {
        str(v)
        for inv in invitations
        for v in (inv.id, inv.token_hash, inv.token_salt, inv.opened_at, inv.completed_at)
        if v is not None
    } | set(tokens)
    row = {c.key: getattr(sent, c.key) for c in inspect(Response).column_attrs}
    assert not {str(v) for v in row.values() if v is not None} & invitation_values - {
        str(sent.id),  # ids are small numbers; the id itself refers to no invitation
        str(sent.survey_id),
        str(sent.agency_id),
        str(sent.questionnaire_version_id),
    }
    (complete,) = [i for i in invitations if i.disposition is Disposition.COMPLETE]
    assert complete.token_hash == hash_token(tokens[0])
    # Only the day is kept, so the exact submission time pairs with no invitation.
    assert complete.completed_at is not None and sent.submitted_at is not None
    assert complete.completed_at.time().isoformat() == "00:00:00"
    assert complete.opened_at is not None and complete.opened_at.time().isoformat() == "00:00:00"
    assert sent.submitted_at != complete.completed_at
    # The invitation still refuses a second response.
    assert 'data-state="submitted"' in client.get(f"/s/{tokens[0]}").text  # the thank-you
    again = client.get(f"/s/{tokens[0]}")
    assert 'data-state="already-submitted"' in again.text
    assert db.session.scalar(select(Response).where(Response.status == ResponseStatus.SUBMITTED))


def test_an_unfinished_anonymous_response_is_found_only_with_the_token(
    client: FlaskClient,
) -> None:
    tokens, _, unfinished = _sent_and_unfinished(True, client)
    assert unfinished.invitation_id is None
    assert unfinished.resume_hash == resume_hash(SECRET, tokens[1])  # needs the token
    stored = {i.token_hash for i in db.session.scalars(select(Invitation))}
    assert unfinished.resume_hash not in stored
    assert all(resume_hash(SECRET, h) != unfinished.resume_hash for h in stored)
    # ... and that token still resumes where the respondent left.
    assert 'data-page="screen"' in client.get(f"/s/{tokens[1]}").text


def test_named_surveys_keep_the_link_and_exact_times(client: FlaskClient) -> None:
    _, sent, _ = _sent_and_unfinished(False, client)
    assert sent.invitation_id is not None
    invitation = db.session.get(Invitation, sent.invitation_id)
    assert invitation is not None and invitation.completed_at == sent.submitted_at


def test_no_foreign_key_joins_responses_to_contacts_or_the_sample(app: Flask) -> None:
    targets = {fk.column.table.name for fk in Response.__table__.foreign_keys}
    assert targets == {
        "surveys",
        "questionnaire_versions",
        "agencies",
        "invitations",  # NULL in anonymous surveys
        "rater_assignments",
        "users",
    }
    contacts = db.metadata.tables["frame_contacts"]
    assert {fk.column.table.name for fk in contacts.foreign_keys} == {"frame_units"}
    referring_to_contacts = [
        t.name
        for t in db.metadata.sorted_tables
        if any(fk.column.table.name == "frame_contacts" for fk in t.foreign_keys)
    ]
    assert referring_to_contacts == []
