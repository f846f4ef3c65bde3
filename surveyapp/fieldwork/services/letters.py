"""What goes out to sampled people: printed letters, gateway CSVs for SMS/e-mail, e-mails.

Every letter and message carries the invitation's link ``BASE_URL/s/<token>``, with the
token derived again from its salt (fieldwork/services/invitations.py). Contact details come from
``frame_contacts`` through the sampled unit that holds the invitation; they are read only
here, never joined to answers. Messages are always in Vietnamese: they go to citizens,
whatever language the staff member reading the page uses.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime
from email.message import EmailMessage

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select

from surveyapp.exports.table import needs_neutralising
from surveyapp.extensions import DbSession
from surveyapp.fieldwork.services.invitations import (
    Batch,
    Links,
    batch_invitations,
    batch_size,
    mark_done,
)
from surveyapp.fieldwork.services.mailer import Delivery, SmtpSettings, send_all
from surveyapp.models import Agency, FrameContact, FrameUnit, Invitation, SampledUnit, Survey

PRINT_BATCH = 500  # letters per printed page: a browser prints this many comfortably
EMAIL_BATCH = 200  # e-mails per web request; the command line sends them all
CSV_COLUMNS = ["phone", "email", "name", "link", "message", "message_ascii", "agency", "invitation"]


@dataclass(frozen=True)
class Letter:
    """One invitation as it is printed or sent: its link and whom it goes to."""

    number: int  # the invitation number staff quote when recording a disposition
    token: str
    url: str
    agency: Agency
    reminder: int
    dossier_code: str | None = None
    procedure: str | None = None
    received_at: date | None = None
    name: str | None = None
    phone: str | None = None
    email: str | None = None

    @property
    def reachable(self) -> bool:
        return bool(self.phone or self.email)


@dataclass(frozen=True)
class LetterRun:
    """A page of a batch: its letters, and what could not be printed and why."""

    batch: Batch
    letters: list[Letter]
    total: int  # invitations in the whole batch
    not_derivable: int  # on this page: links handed out once, or made under another secret
    after: int  # the page starts after this invitation number
    last: int  # ... and ends with this one (0 when empty)
    more: bool  # the batch goes on after ``last``

    @property
    def without_contact(self) -> int:
        return sum(1 for letter in self.letters if not letter.reachable)


def letter_run(
    session: DbSession,
    survey: Survey,
    batch: Batch,
    *,
    links: Links,
    after: int = 0,
    limit: int = PRINT_BATCH,
) -> LetterRun:
    """Up to ``limit`` letters of ``batch`` after invitation number ``after``."""
    invitations = batch_invitations(session, batch, after=after, limit=limit + 1)
    more = len(invitations) > limit
    invitations = invitations[:limit]
    details = _details(session, [i.id for i in invitations])
    letters: list[Letter] = []
    for invitation in invitations:
        token = links.token(invitation)
        if token is None:
            continue
        unit, contact = details.get(invitation.id, (None, None))
        letters.append(
            Letter(
                number=invitation.id,
                token=token,
                url=links.url(token),
                agency=invitation.agency,
                reminder=batch.reminder,
                dossier_code=unit.dossier_code if unit else None,
                procedure=(unit.procedure or unit.service_field) if unit else None,
                received_at=unit.received_at if unit else None,
                name=contact.name if contact else None,
                phone=contact.phone if contact else None,
                email=contact.email if contact else None,
            )
        )
    return LetterRun(
        batch=batch,
        letters=letters,
        total=batch_size(session, batch),
        not_derivable=len(invitations) - len(letters),
        after=after,
        last=invitations[-1].id if invitations else 0,
        more=more,
    )


def _details(
    session: DbSession, invitation_ids: list[int]
) -> dict[int, tuple[FrameUnit, FrameContact | None]]:
    """Frame record and contact (None once purged) of each sampled invitation."""
    if not invitation_ids:
        return {}
    rows = session.execute(
        select(SampledUnit.invitation_id, FrameUnit, FrameContact)
        .join(FrameUnit, FrameUnit.id == SampledUnit.frame_unit_id)
        .outerjoin(FrameContact, FrameContact.frame_unit_id == FrameUnit.id)
        .where(SampledUnit.invitation_id.in_(invitation_ids))
    )
    return {int(number): (unit, contact) for number, unit, contact in rows if number is not None}


@dataclass(frozen=True)
class Reach:
    """How many of a batch's invitations can be reached by message, and how."""

    invitations: int
    phone: int
    email: int
    any: int  # phone or e-mail


def reach(session: DbSession, batch: Batch) -> Reach:
    """Counts of contact details kept for the batch (none once contacts are purged)."""
    phone = func.nullif(FrameContact.phone, "")
    email = func.nullif(FrameContact.email, "")
    row = session.execute(
        select(
            func.count(Invitation.id),
            func.count(phone),
            func.count(email),
            func.count(func.coalesce(phone, email)),
        )
        .select_from(Invitation)
        .outerjoin(SampledUnit, SampledUnit.invitation_id == Invitation.id)
        .outerjoin(FrameContact, FrameContact.frame_unit_id == SampledUnit.frame_unit_id)
        .where(*batch.where())  # type: ignore[arg-type]
    ).one()
    return Reach(*(int(n) for n in row))


# --- message texts --------------------------------------------------------------------


def message_text(letter: Letter, minutes: int) -> str:
    """The SMS/e-mail text in Vietnamese: who asks, how long it takes, the link."""
    agency = letter.agency.name("vi")
    with force_locale("vi"):
        if letter.reminder:
            return _(
                "%(agency)s reminds you of its invitation to rate the administrative "
                "service you received (about %(minutes)s minutes): %(url)s Thank you!",
                agency=agency,
                minutes=minutes,
                url=letter.url,
            )
        return _(
            "%(agency)s invites you to rate the administrative service you received "
            "(about %(minutes)s minutes): %(url)s Thank you!",
            agency=agency,
            minutes=minutes,
            url=letter.url,
        )


def without_diacritics(text: str) -> str:
    """Vietnamese without tone marks (GSM-7 SMS: 160 characters a part instead of 70)."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def gateway_csv(letters: Iterable[Letter], minutes: int) -> str:
    """A CSV for SMS/e-mail gateways, one row per letter with a phone or an e-mail."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for letter in letters:
        if not letter.reachable:
            continue
        message = message_text(letter, minutes)
        row = [
            letter.phone,
            letter.email,
            letter.name,
            letter.url,
            message,
            without_diacritics(message),
            letter.agency.code,
            letter.number,
        ]
        writer.writerow([_cell(value) for value in row])
    return "\ufeff" + buffer.getvalue()


def _cell(value: str | int | None) -> str:
    if value is None:
        return ""
    # A name typed as "=HYPERLINK(...)" in the records must stay text in a spreadsheet.
    return "'" + str(value) if needs_neutralising(value) else str(value)


def email_message(letter: Letter, survey: Survey, sender: str, minutes: int) -> EmailMessage:
    """The invitation (or reminder) e-mail to one person, plain text in Vietnamese."""
    if not letter.email:
        raise ValueError(f"invitation #{letter.number} has no e-mail address")
    agency = letter.agency.name("vi")
    with force_locale("vi"):
        subject = (
            _("Reminder: satisfaction survey of %(agency)s", agency=agency)
            if letter.reminder
            else _("Satisfaction survey of %(agency)s", agency=agency)
        )
        greeting = _("Dear %(name)s,", name=letter.name) if letter.name else _("Dear Sir or Madam,")
        lines = [
            greeting,
            "",
            message_text(letter, minutes),
            "",
            _(
                "Your answers are used only to compute satisfaction indices and are "
                "reported only as totals over many respondents."
            ),
            _("Survey: %(title)s", title=survey.title),
        ]
    message = EmailMessage()
    message["From"] = sender
    message["To"] = letter.email
    message["Subject"] = subject
    message.set_content("\n".join(lines))
    return message


def send_emails(
    session: DbSession,
    survey: Survey,
    batch: Batch,
    settings: SmtpSettings,
    *,
    links: Links,
    now: datetime,
    actor_id: int | None,
    most: int = EMAIL_BATCH,
) -> tuple[Delivery, bool]:
    """E-mail up to ``most`` of the batch's invitations that have an address.

    Each one that went out is marked sent (or reminded) in the caller's transaction, so
    sending again continues with the rest instead of writing to anyone twice. Returns
    the delivery and whether invitations remain further on in the batch.
    """
    minutes = int(survey.version.document.get("estimated_minutes", 10))
    delivery = Delivery()
    after = 0
    while True:
        run = letter_run(session, survey, batch, links=links, after=after)
        with_address = [letter for letter in run.letters if letter.email]
        room = most - len(delivery.sent) - len(delivery.failed)
        page = with_address[:room]
        messages = [
            (letter.number, email_message(letter, survey, settings.sender, minutes))
            for letter in page
        ]
        done = send_all(settings, messages)
        delivery.sent += done.sent
        delivery.failed += done.failed
        if done.sent:
            pinned = replace(batch, upto=run.last)
            mark_done(session, survey, pinned, after=0, now=now, actor_id=actor_id, only=done.sent)
        if len(page) < len(with_address):
            return delivery, True
        if not run.more or (done.failed and not done.sent):
            return delivery, run.more
        after = run.last
