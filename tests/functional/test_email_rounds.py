"""The e-mail loop shared by the outreach page and ``surveyapp invitations email``:
rounds of at most N, each marked as it goes, ending when nothing remains or nothing
can be sent."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from surveyapp.extensions import db
from surveyapp.fieldwork.services import mailer, outreach
from surveyapp.fieldwork.services.invitations import Batch
from surveyapp.models import Disposition, Survey
from tests.functional.test_cli import run
from tests.functional.test_email import Inbox, inbox, smtp_server  # noqa: F401 (fixture)
from tests.functional.test_outreach import survey as survey
from tests.functional.test_outreach import survey_invitations


def _everyone(survey: Survey) -> Batch:
    return Batch(survey.id)


def _sent(survey: Survey) -> int:
    return sum(i.disposition is Disposition.SENT for i in survey_invitations(survey))


def test_rounds_send_at_most_n_each_and_end_when_nothing_remains(
    app: Flask,
    survey: Survey,
    inbox: Inbox,  # noqa: F811
) -> None:
    rounds = outreach.email_rounds(
        db.session, survey, _everyone(survey), app.config, actor_id=None, most=1
    )
    seen = []
    for done in rounds:
        db.session.commit()
        seen.append((len(done.delivery.sent), len(done.delivery.failed), done.more))
    assert seen == [(1, 0, True), (1, 0, False)]  # the two with an address, one a round
    assert len(inbox.messages) == 2 and _sent(survey) == 2


def test_a_run_taking_one_round_leaves_the_rest_for_the_next(
    app: Flask,
    survey: Survey,
    inbox: Inbox,  # noqa: F811
) -> None:
    """What the page does: one round a request; sending again continues."""
    for _ in range(3):
        rounds = outreach.email_rounds(
            db.session, survey, _everyone(survey), app.config, actor_id=None, most=1
        )
        next(rounds)
        db.session.commit()
    assert sorted(m["To"] for m in inbox.messages) == ["an@example.org", "binh@example.org"]


def test_a_round_that_sends_nothing_ends_the_run(app: Flask, survey: Survey) -> None:
    class Refusing(Inbox):
        async def handle_RCPT(self, *args: Any) -> str:
            return "550 no such user"

    controller, port = smtp_server(Refusing())
    app.config["SMTP_URL"] = f"smtp://127.0.0.1:{port}"
    try:
        rounds = list(
            outreach.email_rounds(
                db.session, survey, _everyone(survey), app.config, actor_id=None, most=1
            )
        )
    finally:
        app.config["SMTP_URL"] = None
        controller.stop()
    assert len(rounds) == 1 and rounds[0].delivery.sent == []
    assert "550" in rounds[0].delivery.failed[0][1] and _sent(survey) == 0


def test_without_smtp_it_is_refused_before_any_round(app: Flask, survey: Survey) -> None:
    with pytest.raises(mailer.SmtpNotConfigured):
        outreach.email_rounds(db.session, survey, _everyone(survey), app.config, actor_id=None)


def test_the_command_sends_every_round_and_counts(
    app: Flask,
    survey: Survey,
    inbox: Inbox,  # noqa: F811
) -> None:
    code, out, err = run(app, "invitations", "email", str(survey.id))
    assert (code, out.strip(), err) == (0, "2 sent, 0 failed", "")
    code, out, _ = run(app, "invitations", "email", str(survey.id))
    assert (code, out.strip()) == (0, "0 sent, 0 failed") and len(inbox.messages) == 2
