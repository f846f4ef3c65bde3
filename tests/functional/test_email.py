"""Invitation and reminder e-mails through SMTP, received by a local aiosmtpd server."""

from __future__ import annotations

import email
import socket
from collections.abc import Iterator
from email.header import decode_header, make_header
from email.message import EmailMessage, Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from surveyapp.extensions import db
from surveyapp.fieldwork.services import mailer
from surveyapp.fieldwork.services.invitations import invitation_token
from surveyapp.models import Disposition, Invitation, Survey
from tests import factories
from tests.functional.test_outreach import SECRET, survey_invitations
from tests.functional.test_outreach import survey as survey


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


def smtp_server(handler: Inbox) -> tuple[Controller, int]:
    """A started aiosmtpd server on a free port of 127.0.0.1."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    return controller, port


@pytest.fixture()
def inbox(app: Flask) -> Iterator[Inbox]:
    handler = Inbox()
    controller, port = smtp_server(handler)
    app.config["SMTP_URL"] = f"smtp://127.0.0.1:{port}?from=khaosat@example.gov.vn"
    yield handler
    app.config["SMTP_URL"] = None
    controller.stop()


def subject(message: Message) -> str:
    return str(make_header(decode_header(message["Subject"])))


def post_email(client: FlaskClient, survey: Survey, **data: str) -> Any:
    page = client.get(f"/surveys/{survey.id}/outreach")
    form = {"csrf_token": factories.csrf_from(page.text), "confirm": "yes", **data}
    return client.post(f"/surveys/{survey.id}/outreach/email", data=form, follow_redirects=True)


def test_emails_reach_everyone_with_an_address_and_mark_them_sent(
    survey: Survey, client: FlaskClient, inbox: Inbox
) -> None:
    factories.login(client)
    post_email(client, survey)
    assert sorted(m["To"] for m in inbox.messages) == ["an@example.org", "binh@example.org"]
    message = next(m for m in inbox.messages if m["To"] == "an@example.org")
    assert message["From"] == "khaosat@example.gov.vn"
    assert "Sở Xây dựng" in subject(message)
    body = message.get_payload(decode=True).decode()
    assert "Kính gửi Ông/Bà Nguyễn Văn An," in body
    sent = [i for i in survey_invitations(survey) if i.disposition is Disposition.SENT]
    assert len(sent) == 2 and all(i.sent_at for i in sent)
    links = {f"http://localhost/s/{invitation_token(SECRET, i)}" for i in sent}
    assert len([link for link in links if link in body]) == 1  # An's own link, only hers
    # Sending again writes to nobody twice: the two are no longer unsent.
    post_email(client, survey)
    assert len(inbox.messages) == 2


def test_reminder_emails_count_as_a_reminder(
    survey: Survey, client: FlaskClient, inbox: Inbox
) -> None:
    for invitation in survey_invitations(survey):
        invitation.disposition = Disposition.SENT
    db.session.commit()
    factories.login(client)
    post_email(client, survey, reminder="1")
    assert len(inbox.messages) == 2
    assert all(subject(m).startswith("Nhắc lại") for m in inbox.messages)
    reminded = db.session.scalars(select(Invitation).where(Invitation.reminders == 1)).all()
    assert len(reminded) == 2 and all(i.reminded_at for i in reminded)


def test_without_smtp_a_clear_page_and_nothing_marked(survey: Survey, client: FlaskClient) -> None:
    factories.login(client)
    page = post_email(client, survey)
    assert 'data-state="no-smtp"' in page.text
    assert "SURVEYAPP_SMTP_URL" in page.text
    assert {i.disposition for i in survey_invitations(survey)} == {Disposition.NOT_SENT}


def test_a_refused_recipient_fails_alone() -> None:
    class Picky(Inbox):
        async def handle_RCPT(
            self, server: Any, session: Any, envelope: Any, address: str, options: Any
        ) -> str:
            if address.startswith("bad"):
                return "550 no such user"
            envelope.rcpt_tos.append(address)
            return "250 OK"

    controller, port = smtp_server(Picky())
    try:
        settings = mailer.smtp_settings(f"smtp://127.0.0.1:{port}", "noreply@example.org")
        messages = []
        for number, to in ((1, "bad@example.org"), (2, "good@example.org")):
            message = EmailMessage()
            message["From"], message["To"], message["Subject"] = settings.sender, to, "x"
            message.set_content("y")
            messages.append((number, message))
        delivery = mailer.send_all(settings, messages)
    finally:
        controller.stop()
    assert delivery.sent == [2]
    assert delivery.failed[0][0] == 1 and "550" in delivery.failed[0][1]


def test_smtp_url_is_checked() -> None:
    with pytest.raises(mailer.SmtpNotConfigured):
        mailer.smtp_settings(None, "a@b.c")
    with pytest.raises(mailer.SmtpNotConfigured):
        mailer.smtp_settings("http://mail", "a@b.c")
    settings = mailer.smtp_settings("smtps://u%40x:p%2F1@mail.example.org?from=k@x.vn", "a@b.c")
    assert (settings.host, settings.port, settings.tls) == ("mail.example.org", 465, True)
    assert (settings.username, settings.password, settings.sender) == ("u@x", "p/1", "k@x.vn")
