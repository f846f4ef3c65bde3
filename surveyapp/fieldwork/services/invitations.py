"""Invitations: single-use links, re-derivable for letters and reminders, and dispositions.

Tokens. A token is 16 lowercase base32 characters (80 bits), short enough to type from a
printed letter: ``base32(HMAC-SHA256(server secret, "invitation:" + salt)[:10])``. The
invitation keeps its random ``token_salt`` and the token's SHA-256 (``token_hash``, what
``/s/<token>`` looks up), never the token. So letters and reminders can be printed again
at any time by the server, which holds the secret, while the database alone -- a backup,
a leaked dump -- opens no survey: the salt without the secret gives nothing, and the hash
cannot be turned back into a token. Rotating the secret leaves every link working (they
are looked up by hash) but makes the old ones impossible to print again; those, and links
handed out once as a CSV before salts existed, are reported as not printable.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from surveyapp.extensions import DbSession
from surveyapp.models import Agency, Disposition, FrameUnit, Invitation, SampledUnit, Survey
from surveyapp.models.audit import record
from surveyapp.problems import InputRefused, Problem
from surveyapp.security import hash_token, new_token

MAX_BATCH = 100_000
TOKEN_BYTES = 10  # 80 bits: 16 base32 characters, no padding
# What staff may record by hand; opened/partial/complete come from the answering pages.
STAFF_DISPOSITIONS = (Disposition.REFUSED, Disposition.INELIGIBLE, Disposition.UNREACHABLE)
# Who a reminder goes to: invited and not (yet) finished. Not-sent invitations get the
# invitation first; complete, refused and ineligible ones are never reminded.
REMINDER_TARGETS = (
    Disposition.SENT,
    Disposition.OPENED,
    Disposition.PARTIAL,
    Disposition.UNREACHABLE,
)
# Letters printed again ("all, not only unsent"): every invitation still worth a letter.
REPRINTABLE = (Disposition.NOT_SENT, *REMINDER_TARGETS)


class UnknownReference(InputRefused):
    """No invitation of the survey has this dossier code or number."""


class AmbiguousReference(InputRefused):
    """A dossier code and an invitation number name two different invitations."""


class AlreadyComplete(InputRefused):
    """A complete invitation keeps its disposition."""


@dataclass(frozen=True)
class IssuedLink:
    token: str
    url: str
    agency_code: str


def invitation_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/s/{token}"


@dataclass(frozen=True)
class Links:
    """How the server makes invitation links: the secret their tokens derive from and the
    site they point at.

    Every caller that issues or prints links, page or command alike, takes it from the
    app's settings with ``Links.of(app.config)``, so every link issued can be printed
    again as a letter.
    """

    secret: str
    base_url: str

    @classmethod
    def of(cls, config: Mapping[str, Any]) -> Links:
        return cls(secret=config["SECRET_KEY"], base_url=config["BASE_URL"])

    def issue(self) -> tuple[str | None, str]:
        """A new (salt, token): the token derives from the salt and the secret."""
        return issue_token(self.secret)

    def url(self, token: str) -> str:
        return invitation_url(self.base_url, token)

    def token(self, invitation: Invitation) -> str | None:
        return invitation_token(self.secret, invitation)


def derive_token(secret: str, salt: str) -> str:
    """The invitation token for ``salt``: 16 lowercase base32 characters (80 bits)."""
    digest = hmac.new(secret.encode(), b"invitation:" + salt.encode(), hashlib.sha256).digest()
    return base64.b32encode(digest[:TOKEN_BYTES]).decode("ascii").lower()


def canonical_token(token: str) -> str:
    """A letter token as typed, capitals included, in the form it was issued."""
    if len(token) == 16 and token.isalnum() and token.lower() != token:
        return token.lower()
    return token


def issue_token(secret: str | None) -> tuple[str | None, str]:
    """A new (salt, token); without a secret the token is random and shown only once
    (synthetic data only: the product issues links through ``Links``)."""
    if secret is None:
        return None, new_token()
    salt = secrets.token_hex(16)
    return salt, derive_token(secret, salt)


def invitation_token(secret: str, invitation: Invitation) -> str | None:
    """The invitation's token again, or None when it cannot be re-derived.

    None for links handed out once (no salt) and for tokens made under another secret.
    """
    if not invitation.token_salt:
        return None
    token = derive_token(secret, invitation.token_salt)
    return token if hmac.compare_digest(hash_token(token), invitation.token_hash) else None


def create_invitations(
    session: DbSession,
    survey: Survey,
    agency: Agency | None,
    count: int,
    *,
    links: Links,
    stratum: str | None = None,
    base_weight: float = 1.0,
    actor_id: int | None = None,
) -> list[IssuedLink]:
    """``count`` fresh invitations for one of the survey's agencies."""
    problems: list[Problem] = []
    if agency is None:
        if len(survey.agencies) != 1:
            codes = ", ".join(a.code for a in survey.agencies)
            problems.append(
                Problem(
                    "--agency", _l("choose one of the survey's agencies: %(codes)s", codes=codes)
                )
            )
        else:
            agency = survey.agencies[0]
    elif agency not in survey.agencies:
        problems.append(
            Problem("--agency", _l('"%(code)s" is not an agency of this survey', code=agency.code))
        )
    if not 1 <= count <= MAX_BATCH:
        problems.append(Problem("--count", _l("between 1 and %(n)s", n=f"{MAX_BATCH:,}")))
    if problems or agency is None:
        raise InputRefused(problems)
    issued = []
    for _ in range(count):
        salt, token = links.issue()
        session.add(
            Invitation(
                survey_id=survey.id,
                agency_id=agency.id,
                token_hash=hash_token(token),
                token_salt=salt,
                stratum=stratum or agency.code,
                base_weight=base_weight,
            )
        )
        issued.append(IssuedLink(token, links.url(token), agency.code))
    session.flush()
    record(session, actor_id, "invitations.create", survey, agency=agency.code, count=count)
    return issued


# --- finding invitations and recording dispositions -----------------------------------


def find_invitation(session: DbSession, survey: Survey, reference: str) -> Invitation:
    """The survey's invitation with this dossier code (mã hồ sơ) or invitation number.

    Raises ``InputRefused`` when nothing matches, or when a dossier code and an
    invitation number point at two different invitations.
    """
    text = reference.strip()
    if not text:
        raise UnknownReference([Problem("reference", "enter a dossier code or invitation number")])
    found: dict[int, Invitation] = {}
    by_dossier = session.scalar(
        select(Invitation)
        .join(SampledUnit, SampledUnit.invitation_id == Invitation.id)
        .join(FrameUnit, FrameUnit.id == SampledUnit.frame_unit_id)
        .where(Invitation.survey_id == survey.id, FrameUnit.dossier_code == text)
    )
    if by_dossier is not None:
        found[by_dossier.id] = by_dossier
    number = text.removeprefix("#")
    if number.isdigit() and len(number) < 19:
        by_number = session.get(Invitation, int(number))
        if by_number is not None and by_number.survey_id == survey.id:
            found[by_number.id] = by_number
    if not found:
        message = f'no invitation of this survey has dossier code or number "{text}"'
        raise UnknownReference([Problem("reference", message)])
    if len(found) > 1:
        numbers = ", ".join(f"#{n}" for n in sorted(found))
        message = f'"{text}" is both a dossier code and an invitation number ({numbers}): '
        raise AmbiguousReference([Problem("reference", message + "write the number as #N")])
    return next(iter(found.values()))


def record_disposition(
    session: DbSession,
    invitation: Invitation,
    disposition: Disposition,
    *,
    actor_id: int | None,
    note: str = "",
) -> Disposition:
    """Record refused, ineligible or unreachable on an invitation; returns the one before.

    A complete invitation keeps its response: staff cannot overwrite "complete".
    """
    if disposition not in STAFF_DISPOSITIONS:
        choices = ", ".join(d.value for d in STAFF_DISPOSITIONS)
        raise InputRefused([Problem("disposition", f"choose one of {choices}")])
    before = invitation.disposition
    if before is Disposition.COMPLETE:
        message = f"invitation #{invitation.id} is already complete: its answer stays counted"
        raise AlreadyComplete([Problem("reference", message)])
    invitation.disposition = disposition
    details = {"before": before.value, "after": disposition.value}
    record(session, actor_id, "invitation.disposition", invitation, **details, note=note[:500])
    return before


# --- batches of letters, messages and reminders ---------------------------------------


@dataclass(frozen=True)
class Batch:
    """Which invitations a run of letters, messages or e-mails is for.

    ``reminder`` = 0 means the invitations themselves (only unsent ones unless
    ``include_sent``); k ≥ 1 means the k-th reminder, to non-respondents reminded fewer
    than k times, so printing or sending the same round twice never counts twice.
    ``upto`` pins the batch to the invitations that existed when it was shown.
    """

    survey_id: int
    agency_ids: Collection[int] | None = None
    reminder: int = 0
    include_sent: bool = False
    upto: int | None = None

    def where(self) -> list[object]:
        conditions: list[object] = [Invitation.survey_id == self.survey_id]
        if self.agency_ids is not None:
            conditions.append(Invitation.agency_id.in_(list(self.agency_ids)))
        if self.upto is not None:
            conditions.append(Invitation.id <= self.upto)
        if self.reminder:
            conditions.append(Invitation.disposition.in_(REMINDER_TARGETS))
            conditions.append(Invitation.reminders < self.reminder)
        elif self.include_sent:
            conditions.append(Invitation.disposition.in_(REPRINTABLE))
        else:
            conditions.append(Invitation.disposition == Disposition.NOT_SENT)
        return conditions


def batch_invitations(
    session: DbSession, batch: Batch, *, after: int = 0, limit: int | None = None
) -> list[Invitation]:
    """The batch's invitations in number order, from just after ``after``."""
    query = (
        select(Invitation)
        .where(*batch.where(), Invitation.id > after)  # type: ignore[arg-type]
        .order_by(Invitation.id)
    )
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))


def batch_size(session: DbSession, batch: Batch) -> int:
    query = select(func.count()).select_from(Invitation).where(*batch.where())  # type: ignore[arg-type]
    return int(session.scalar(query) or 0)


def batch_last(session: DbSession, batch: Batch) -> int:
    """The highest invitation number in the batch (0 when empty): what "mark" pins."""
    query = select(func.max(Invitation.id)).where(*batch.where())  # type: ignore[arg-type]
    return int(session.scalar(query) or 0)


def next_reminder(session: DbSession, survey_id: int) -> int:
    """The reminder round due next: one more than the fewest reminders any target had."""
    fewest = session.scalar(
        select(func.min(Invitation.reminders)).where(
            Invitation.survey_id == survey_id, Invitation.disposition.in_(REMINDER_TARGETS)
        )
    )
    return int(fewest or 0) + 1


def mark_done(
    session: DbSession,
    survey: Survey,
    batch: Batch,
    *,
    after: int,
    now: datetime,
    actor_id: int | None,
    only: Collection[int] | None = None,
) -> int:
    """Mark the batch's invitations numbered after ``after`` (up to ``batch.upto``) as
    sent, or as reminded for its round; returns how many moved.

    Each row is checked again as it is updated: an invitation answered meanwhile is
    neither marked sent nor counted as reminded. ``only`` narrows it to those numbers
    (the e-mails that went out).
    """
    if batch.upto is None:
        raise ValueError("a batch to mark needs its upper invitation number")
    query = update(Invitation).where(*batch.where(), Invitation.id > after)  # type: ignore[arg-type]
    if only is not None:
        query = query.where(Invitation.id.in_(list(only)))
    if batch.reminder:
        values = {"reminders": batch.reminder, "reminded_at": now}
        action = "invitations.remind"
    else:
        query = query.where(Invitation.disposition == Disposition.NOT_SENT)
        values = {"disposition": Disposition.SENT, "sent_at": now}
        action = "invitations.send"
    moved = int(session.execute(query.values(**values)).rowcount)  # type: ignore[attr-defined]
    session.expire_all()
    details = {"count": moved, "reminder": batch.reminder}
    record(session, actor_id, action, survey, **details)
    return moved
