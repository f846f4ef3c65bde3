"""Who is answering what: a respondent page's ``Visit``, opened from a link, an official's
assignment or a paper entry.

Invitation links (``/s/<token>``) and open links (``/o/<survey>/<agency>``) both make a
``Visit`` whose response is found again through ``resume_hash`` (an HMAC of the token,
or of the random key an open link keeps in a cookie), so the database's unique index on
it is what stops a second response. What a visit then does, page by page, is
``answering``'s.

These are the busiest pages of the product, so a visit is read in one query of plain
columns, not ORM objects, its saved answers included on PostgreSQL (``visit_sql``).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from surveyapp.collect.services import visit_sql as sql
from surveyapp.collect.services.answering_sql import move_invitation
from surveyapp.extensions import DbSession
from surveyapp.models import (
    Agency,
    Channel,
    Disposition,
    RaterAssignment,
    ResponseStatus,
    Survey,
    SurveyMode,
    VersionStatus,
)
from surveyapp.models.survey import taking_answers
from surveyapp.questionnaire.document import WELCOME, Questionnaire
from surveyapp.review.services.checks import Thresholds
from surveyapp.security import hash_token
from surveyapp.surveys.services.surveys import document_of, version_document

# Dispositions an opened link moves on from: a link opened proves contact, so staff's
# "unreachable" gives way to "opened".
NOT_YET_OPENED = (Disposition.NOT_SENT, Disposition.SENT, Disposition.UNREACHABLE)


class InvitationNotFound(LookupError):
    """No invitation has this token."""


class LinkNotFound(LookupError):
    """No open survey link for this survey and agency."""


class SurveyClosed(RuntimeError):
    """The survey is not (or no longer) taking answers."""


class AlreadySubmitted(RuntimeError):
    """This response (or invitation) was submitted before."""


class VisitExpired(RuntimeError):
    """A counter tablet's visit left idle too long: the next person's, not to be resumed."""


class EntryNotFound(LookupError):
    """No paper entry with this key for this survey and agency."""


@dataclass(frozen=True)
class SurveyFacts:
    """What answering needs of a survey."""

    id: int
    version_id: int
    anonymous: bool
    thresholds: Thresholds = field(default_factory=Thresholds)
    # The kiosk: refuse a dossier code the survey has a response for (else take it, flagged).
    refuse_repeat_dossier: bool = True

    @classmethod
    def of(cls, survey: Survey) -> SurveyFacts:
        return cls(
            survey.id,
            survey.questionnaire_version_id,
            survey.anonymous,
            Thresholds.of(survey),
            survey.refuse_repeat_dossier,
        )


@dataclass(frozen=True)
class AgencyFacts:
    """The agency being assessed, as the pages name it."""

    id: int
    code: str
    name_vi: str
    name_en: str

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" and self.name_en else self.name_vi

    @classmethod
    def of(cls, agency: Agency) -> AgencyFacts:
        return cls(agency.id, agency.code, agency.name_vi, agency.name_en)


@dataclass(frozen=True)
class InvitationFacts:
    id: int
    disposition: Disposition
    stratum: str | None
    base_weight: float


@dataclass
class Progress:
    """The respondent's response as far as the pages go; kept in step with every update."""

    id: int
    survey_id: int
    agency_id: int
    channel: Channel
    status: ResponseStatus
    current_page: str | None
    dossier_code: str | None
    # Paradata (``paradata``): the last save, the seconds per page and "Back" presses so
    # far, and the device it began on.
    updated_at: datetime | None = None
    page_seconds: dict[str, float] | None = None
    back_navigations: int = 0
    ip_hash: str | None = None
    device: str | None = None


@dataclass
class Visit:
    """Everything a respondent page needs: the survey, its questionnaire, the response.

    ``invitation`` is None on open links; the response is None until the first save.
    ``assignment_id`` is set for an official's rating, ``entered_by_id`` for a paper
    questionnaire keyed in by staff (who skip the welcome page).
    """

    survey: SurveyFacts
    questionnaire: Questionnaire
    agency: AgencyFacts
    invitation: InvitationFacts | None
    resume_hash: str
    response: Progress | None
    channel: Channel = Channel.WEB
    opened_now: bool = False  # this request moved the invitation to "opened"
    assignment_id: int | None = None
    entered_by_id: int | None = None
    # The response's saved answers when read with the visit (``sql.saved_rows``), else None.
    saved: list[tuple[Any, ...]] | None = None
    # A respondent's browser (not an official's or a clerk's), stored with a new response:
    # its device class and the keyed hash of its IP (``paradata``).
    device: str | None = None
    ip_hash: str | None = None

    @property
    def sent(self) -> bool:
        """Whether the response was submitted (by this request or, a moment ago, another)."""
        return self.response is not None and self.response.status is not ResponseStatus.IN_PROGRESS

    @property
    def skips_welcome(self) -> bool:
        return self.channel is Channel.PAPER

    @property
    def page(self) -> str:
        if self.response is None or not self.response.current_page:
            return self.questionnaire.sections[0]["id"] if self.skips_welcome else WELCOME
        return self.response.current_page


def resume_hash(secret_key: str, token: str) -> str:
    """Finds a response again from its token (or open-link key) without storing either."""
    return hmac.new(secret_key.encode(), b"resume:" + token.encode(), hashlib.sha256).hexdigest()


def new_resume_key() -> str:
    """A random key for an open-link browser to find its response again (128 bits)."""
    return secrets.token_urlsafe(16)


def recorded_time(survey: SurveyFacts, now: datetime) -> datetime:
    """When an invitation was opened or completed, as kept: only the day if anonymous.

    Exact times on both sides would pair an invitation with its response by timestamp.
    """
    if survey.anonymous:
        return now.replace(hour=0, minute=0, second=0, microsecond=0)
    return now


# --- opening a visit ------------------------------------------------------------------------


def open_invitation(session: DbSession, token: str, secret_key: str, now: datetime) -> Visit:
    key = resume_hash(secret_key, token)
    found = sql.visit_by_token(session, hash_token(token), key)
    if found is None:
        raise InvitationNotFound(token)
    if found.disposition is Disposition.COMPLETE:
        raise AlreadySubmitted(token)
    visit = _visit(session, found, key, now)
    invitation = InvitationFacts(
        found.invitation_id, found.disposition, found.invitation_stratum, found.base_weight
    )
    visit.invitation = invitation
    if invitation.disposition in NOT_YET_OPENED:
        move_invitation(
            session,
            invitation.id,
            NOT_YET_OPENED,
            disposition=Disposition.OPENED,
            opened_at=recorded_time(visit.survey, now),
        )
        visit.opened_now = True
    return visit


def open_link(
    session: DbSession,
    survey_id: int,
    agency_code: str,
    key: str,
    secret_key: str,
    now: datetime,
    channel: Channel = Channel.WEB,
    idle_limit: timedelta | None = None,
) -> Visit:
    """The visit of the browser holding ``key`` on an open survey's link for one agency.

    Raises ``LinkNotFound`` (no such open-mode survey, or the agency is not in it),
    ``SurveyClosed``, ``AlreadySubmitted`` when this key's response was sent, or
    ``VisitExpired`` when its last page was saved more than ``idle_limit`` ago (the
    response stays in progress, as the respondent left it).
    """
    resume = resume_hash(secret_key, key)
    found = sql.visit_by_link(session, survey_id, agency_code, resume)
    if found is None or found.mode is not SurveyMode.OPEN:
        raise LinkNotFound(survey_id)
    visit = _visit(session, found, resume, now)
    visit.channel = channel
    if (
        idle_limit is not None
        and found.response_updated_at is not None
        and now - found.response_updated_at > idle_limit
    ):
        raise VisitExpired(survey_id)
    return visit


def open_assignment(
    session: DbSession, assignment: RaterAssignment, secret_key: str, now: datetime
) -> Visit:
    """An official's rating of one agency; its response is unique per assignment.

    The caller has checked that the assignment is the signed-in official's.
    """
    survey = assignment.survey
    if survey.mode is not SurveyMode.OFFICIALS or not survey.is_open(now):
        raise SurveyClosed(survey.id)
    key = resume_hash(secret_key, f"assignment:{assignment.id}")
    visit = _loaded_visit(session, survey, assignment.agency, key)
    visit.assignment_id = assignment.id
    return visit


def open_paper_entry(
    session: DbSession,
    survey: Survey,
    agency: Agency,
    key: str,
    secret_key: str,
    entered_by_id: int,
) -> Visit:
    """A paper questionnaire being keyed in; ``key`` is the entry's random id in its URL.

    Raises ``EntryNotFound`` when the key's response belongs to another survey or agency,
    ``AlreadySubmitted`` once it was saved.
    """
    resume = resume_hash(secret_key, "paper:" + key)
    visit = _loaded_visit(session, survey, agency, resume)
    found = visit.response
    if found is not None and (
        found.survey_id != survey.id
        or found.agency_id != agency.id
        or found.channel is not Channel.PAPER
    ):
        raise EntryNotFound(key)
    visit.channel = Channel.PAPER
    visit.entered_by_id = entered_by_id
    return visit


def _visit(session: DbSession, row: sql.AnyRow, key: str, now: datetime) -> Visit:
    """The visit a row of ``sql.visit_by_*`` describes; raises if it may not go on."""
    if not taking_answers(row.survey_status, row.opens_at, row.closes_at, now):
        raise SurveyClosed(row.survey_id)
    progress = None
    if row.response_id is not None:
        progress = Progress(row.response_id, *(getattr(row, c.name) for c in sql.PROGRESS[1:]))
    frozen = row.version_status is not VersionStatus.DRAFT
    document = version_document(
        session, row.questionnaire_version_id, row.version_created_at, frozen
    )
    return _checked(
        Visit(
            SurveyFacts(
                row.survey_id,
                row.questionnaire_version_id,
                row.anonymous,
                Thresholds(
                    row.speeding_seconds, row.nonresponse_share, row.burst_minutes, row.burst_count
                ),
                row.refuse_repeat_dossier,
            ),
            document,
            AgencyFacts(row.agency_id, row.code, row.name_vi, row.name_en),
            None,
            key,
            progress,
            saved=sql.saved_rows(row),
        )
    )


def _loaded_visit(session: DbSession, survey: Survey, agency: Agency, key: str) -> Visit:
    """The visit of a survey and agency the caller has loaded already."""
    row = sql.find_progress(session, key)
    return _checked(
        Visit(
            SurveyFacts.of(survey),
            document_of(survey.version),
            AgencyFacts.of(agency),
            None,
            key,
            None if row is None else Progress(*row),
        )
    )


def _checked(visit: Visit) -> Visit:
    if visit.sent:
        raise AlreadySubmitted(visit.survey.id)
    return visit
