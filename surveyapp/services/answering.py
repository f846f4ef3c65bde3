"""A respondent's way through a questionnaire: open, save page by page, submit exactly once.

Invitation links (``/s/<token>``) and open links (``/o/<survey>/<agency>``) share every
step after opening: both make a ``Visit``, whose response is found again through
``resume_hash`` (an HMAC of the token, or of the random key an open link keeps in a
cookie), so the database's unique index on it is what stops a second response.

These are the busiest pages of the product, so a visit is read in one query of plain
columns, not ORM objects, and every write is a single statement (``answering_sql``).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from surveyapp.extensions import DbSession
from surveyapp.models import (
    Agency,
    Channel,
    Disposition,
    RaterAssignment,
    Response,
    ResponseStatus,
    Survey,
    SurveyMode,
    VersionStatus,
)
from surveyapp.models.audit import record
from surveyapp.models.survey import taking_answers
from surveyapp.questionnaire.document import Questionnaire
from surveyapp.security import hash_token
from surveyapp.services import answering_sql as sql
from surveyapp.services.surveys import document_of, version_document

WELCOME = "welcome"
# Dispositions an invitation may still move on from when the respondent acts.
# A link opened proves contact, so staff's "unreachable" gives way to "opened"; answering
# a page is a partial interview even after a recorded refusal (AAPOR: the best outcome).
NOT_YET_OPENED = (Disposition.NOT_SENT, Disposition.SENT, Disposition.UNREACHABLE)
NOT_YET_STARTED = (*NOT_YET_OPENED, Disposition.OPENED, Disposition.REFUSED)
NOT_YET_COMPLETE = tuple(d for d in Disposition if d is not Disposition.COMPLETE)
DOSSIER_CODE = re.compile(r"[A-Z0-9][A-Z0-9./_-]{0,63}")


class InvitationNotFound(LookupError):
    """No invitation has this token."""


class LinkNotFound(LookupError):
    """No open survey link for this survey and agency."""


class SurveyClosed(RuntimeError):
    """The survey is not (or no longer) taking answers."""


class AlreadySubmitted(RuntimeError):
    """This response (or invitation) was submitted before."""


class EntryNotFound(LookupError):
    """No paper entry with this key for this survey and agency."""


@dataclass(frozen=True)
class SurveyFacts:
    """What answering needs of a survey."""

    id: int
    version_id: int
    anonymous: bool


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

    @property
    def sent(self) -> bool:
        """Whether the response was submitted (by this request or, a moment ago, another)."""
        return self.response is not None and self.response.status is ResponseStatus.SUBMITTED

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
        sql.move_invitation(
            session,
            invitation.id,
            NOT_YET_OPENED,
            disposition=Disposition.OPENED,
            opened_at=_recorded(visit.survey, now),
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
) -> Visit:
    """The visit of the browser holding ``key`` on an open survey's link for one agency.

    Raises ``LinkNotFound`` (no such open-mode survey, or the agency is not in it),
    ``SurveyClosed``, or ``AlreadySubmitted`` when this key's response was sent.
    """
    resume = resume_hash(secret_key, key)
    found = sql.visit_by_link(session, survey_id, agency_code, resume)
    if found is None or found.mode is not SurveyMode.OPEN:
        raise LinkNotFound(survey_id)
    visit = _visit(session, found, resume, now)
    visit.channel = channel
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
        progress = Progress(
            row.response_id,
            row.survey_id,
            row.agency_id,
            row.channel,
            row.status,
            row.current_page,
            row.dossier_code,
        )
    frozen = row.version_status is not VersionStatus.DRAFT
    document = version_document(
        session, row.questionnaire_version_id, row.version_created_at, frozen
    )
    return _checked(
        Visit(
            SurveyFacts(row.survey_id, row.questionnaire_version_id, row.anonymous),
            document,
            AgencyFacts(row.agency_id, row.code, row.name_vi, row.name_en),
            None,
            key,
            progress,
        )
    )


def _loaded_visit(session: DbSession, survey: Survey, agency: Agency, key: str) -> Visit:
    """The visit of a survey and agency the caller has loaded already."""
    row = sql.find_progress(session, key)
    return _checked(
        Visit(
            SurveyFacts(survey.id, survey.questionnaire_version_id, survey.anonymous),
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


# --- reading and saving -------------------------------------------------------------------


def saved_answers(session: DbSession, visit: Visit) -> dict[str, Any]:
    """The answers saved so far, typed as the questionnaire declares them."""
    if visit.response is None:
        return {}
    answers: dict[str, Any] = {}
    for item_id, number, written, day in sql.answer_rows(session, visit.response.id):
        item = visit.questionnaire.item(item_id)
        value = sql.typed(item, number, written, day)
        if item["type"] == "multi":
            answers.setdefault(item_id, []).append(value)
        else:
            answers[item_id] = value
    return answers


def pages(visit: Visit, answers: Mapping[str, Any]) -> list[str]:
    """The respondent's path: welcome, then the sections shown given the answers.

    The last page's button sends: a page that only says "ready to send" would cost
    every respondent one more round trip on a slow phone, and say nothing.
    """
    shown = visit.questionnaire.shown_sections(answers)
    return [*([] if visit.skips_welcome else [WELCOME]), *shown]


def next_page(path: list[str], page: str, action: str) -> str | None:
    """Where ``action`` ("next", "back" or "submit") on ``page`` leads; None to send.

    The last page sends, whichever button it showed: its own answers may have ended the
    path (a screened-out respondent pressing "Next") or gone on (then "Send" goes on).
    """
    at = path.index(page)
    if action == "back":
        return path[max(at - 1, 0)]
    return None if at == len(path) - 1 else path[at + 1]


def save_page(
    session: DbSession,
    visit: Visit,
    now: datetime,
    to_page: str,
    answered: tuple[str, Mapping[str, Any]] | None = None,
    **changes: Any,
) -> None:
    """Move the respondent to ``to_page``, saving what they answered on the way.

    ``answered`` is a page and its answers (None = left blank), which replace that page's
    saved ones; ``changes`` are other columns of the response (the kiosk's dossier code).
    """
    _hold(session, visit, now, current_page=to_page, **changes)
    if answered is not None:
        page, page_answers = answered
        items = [i["id"] for i in visit.questionnaire.section(page)["items"]]
        sql.drop_answers(session, _response_id(visit), items)
        sql.add_answers(session, _response_id(visit), page_answers)


def clean_dossier_code(raw: str) -> str | None:
    """The dossier code as stored (None when left blank); ``ValueError`` when malformed.

    One-stop dossier codes look like ``000.00.12.H56-240115-0001``: letters, digits and
    ``. - / _``, at most 64 characters.
    """
    code = raw.strip().upper()
    if not code:
        return None
    if not DOSSIER_CODE.fullmatch(code):
        raise ValueError(code)
    return code


def submit(
    session: DbSession,
    visit: Visit,
    now: datetime,
    answers: Mapping[str, Any],
    answered: tuple[str, Mapping[str, Any]] | None = None,
    **changes: Any,
) -> None:
    """Send the response, with the last page's answers (``answered``, as ``save_page``).

    ``answers`` are all the respondent's answers, the last page's included; those off
    their path are dropped. A concurrent or repeated submit raises ``AlreadySubmitted``.
    Conditional updates are the gate: of two transactions racing here, the second waits
    on the row lock and then matches no row. Rows are always locked in the same order
    (the response's, then the invitation's), so racing requests never deadlock.
    """
    # An anonymous invitation's response keeps nothing derived from its token once sent:
    # the invitation (now "complete") is what refuses a second submission.
    forget = visit.survey.anonymous and visit.invitation is not None
    _hold(
        session,
        visit,
        now,
        status=ResponseStatus.SUBMITTED,
        submitted_at=now,
        current_page=None,
        **({"resume_hash": None} if forget else {}),
        **changes,
    )
    if visit.invitation is not None:
        claimed = sql.move_invitation(
            session,
            visit.invitation.id,
            NOT_YET_COMPLETE,
            disposition=Disposition.COMPLETE,
            completed_at=_recorded(visit.survey, now),
        )
        if not claimed:
            raise AlreadySubmitted(visit.invitation.id)
    response_id = _response_id(visit)
    if visit.entered_by_id is not None:
        sent = session.get(Response, response_id)
        record(session, visit.entered_by_id, "response.paper_entry", sent)
    kept = visit.questionnaire.path_answers(answers)
    page_answers = {} if answered is None else answered[1]
    # One DELETE for what is off the path and what the last page replaces.
    sql.keep_only_answers(session, response_id, [i for i in kept if i not in page_answers])
    sql.add_answers(session, response_id, {k: v for k, v in page_answers.items() if k in kept})


def _recorded(survey: SurveyFacts, now: datetime) -> datetime:
    """When an invitation was opened or completed, as kept: only the day if anonymous.

    Exact times on both sides would pair an invitation with its response by timestamp.
    """
    if survey.anonymous:
        return now.replace(hour=0, minute=0, second=0, microsecond=0)
    return now


def _hold(session: DbSession, visit: Visit, now: datetime, **values: Any) -> None:
    """Update the response only while it is in progress, locking its row until commit.

    The first save creates the response with ``values``. A page saved in a request that
    raced a submit finds the response sent and raises ``AlreadySubmitted``, so nothing
    is changed under a submitted response.
    """
    if visit.response is None and _create_response(session, visit, now, values):
        return
    progress = visit.response
    assert progress is not None
    if not sql.hold_response(session, progress.id, updated_at=now, **values):
        raise AlreadySubmitted(progress.id)
    for name in ("status", "current_page", "dossier_code"):
        if name in values:
            setattr(progress, name, values[name])


def _create_response(
    session: DbSession, visit: Visit, now: datetime, values: Mapping[str, Any]
) -> bool:
    """Insert the visit's response with ``values``; False if another request of the same
    respondent created it a moment ago (``visit.response`` is then that one, to update)."""
    survey, invitation = visit.survey, visit.invitation
    row = {
        "survey_id": survey.id,
        "questionnaire_version_id": survey.version_id,
        "agency_id": visit.agency.id,
        "invitation_id": None if survey.anonymous or invitation is None else invitation.id,
        "resume_hash": visit.resume_hash,
        "channel": visit.channel,
        "status": ResponseStatus.IN_PROGRESS,
        "current_page": None,
        "dossier_code": None,
        "assignment_id": visit.assignment_id,
        "entered_by_id": visit.entered_by_id,
        "stratum": None if invitation is None else invitation.stratum,
        "weight": 1.0 if invitation is None else invitation.base_weight,
        "started_at": now,
        "updated_at": now,
        **values,
    }
    response_id = sql.create_response(session, row)
    if response_id is None:
        found = sql.find_progress(session, visit.resume_hash)
        assert found is not None, "another request's response, committed before ours"
        visit.response = Progress(*found)
    else:
        visit.response = Progress(
            response_id,
            survey.id,
            visit.agency.id,
            visit.channel,
            row["status"],
            row["current_page"],
            row["dossier_code"],
        )
    if invitation is not None:
        sql.move_invitation(
            session, invitation.id, NOT_YET_STARTED, disposition=Disposition.PARTIAL
        )
    return response_id is not None


def _response_id(visit: Visit) -> int:
    assert visit.response is not None, "saved after _hold, which creates the response"
    return visit.response.id
