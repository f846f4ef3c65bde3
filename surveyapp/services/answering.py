"""A respondent's way through a questionnaire: open, save page by page, submit exactly once.

Invitation links (``/s/<token>``) and open links (``/o/<survey>/<agency>``) share every
step after opening: both make a ``Visit``, whose response is found again through
``resume_hash`` (an HMAC of the token, or of the random key an open link keeps in a
cookie), so the database's unique index on it is what stops a second response.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from surveyapp.extensions import DbSession
from surveyapp.models import (
    Agency,
    Answer,
    Channel,
    Disposition,
    Invitation,
    QuestionnaireVersion,
    RaterAssignment,
    Response,
    ResponseStatus,
    Survey,
    SurveyMode,
)
from surveyapp.models.audit import record
from surveyapp.questionnaire.document import Questionnaire
from surveyapp.security import hash_token
from surveyapp.services.surveys import document_of

WELCOME = "welcome"
CONFIRM = "confirm"
# Dispositions an invitation may still move on from when the respondent acts.
# A link opened proves contact, so staff's "unreachable" gives way to "opened"; answering
# a page is a partial interview even after a recorded refusal (AAPOR: the best outcome).
NOT_YET_OPENED = (Disposition.NOT_SENT, Disposition.SENT, Disposition.UNREACHABLE)
NOT_YET_STARTED = (*NOT_YET_OPENED, Disposition.OPENED, Disposition.REFUSED)
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


@dataclass
class Visit:
    """Everything a respondent page needs: the survey, its questionnaire, the response.

    ``invitation`` is None on open links; the response is None until the first save.
    ``assignment`` is set for an official's rating, ``entered_by_id`` for a paper
    questionnaire keyed in by staff (who skip the welcome page).
    """

    survey: Survey
    questionnaire: Questionnaire
    agency: Agency
    invitation: Invitation | None
    resume_hash: str
    response: Response | None
    channel: Channel = Channel.WEB
    opened_now: bool = False  # this request moved the invitation to "opened"
    assignment: RaterAssignment | None = None
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


def open_invitation(session: DbSession, token: str, secret_key: str, now: datetime) -> Visit:
    key = resume_hash(secret_key, token)
    # One round trip: the invitation, its survey, version and agency, and any response.
    found = session.execute(
        select(Invitation, Response)
        .outerjoin(Response, Response.resume_hash == key)
        .where(Invitation.token_hash == hash_token(token))
        .options(
            joinedload(Invitation.survey)
            .joinedload(Survey.version)
            .defer(QuestionnaireVersion.document),
            joinedload(Invitation.agency),
        )
    ).first()
    if found is None:
        raise InvitationNotFound(token)
    invitation, response = found
    if invitation.disposition is Disposition.COMPLETE:
        raise AlreadySubmitted(token)
    survey = invitation.survey
    if not survey.is_open(now):
        raise SurveyClosed(survey.id)
    visit = _visit(survey, invitation.agency, key, response)
    visit.invitation = invitation
    if invitation.disposition in NOT_YET_OPENED:
        opened_at = _recorded(survey, now)
        _move_invitation(
            session, invitation, NOT_YET_OPENED, Disposition.OPENED, opened_at=opened_at
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
    survey = session.get(
        Survey,
        survey_id,
        options=[joinedload(Survey.version).defer(QuestionnaireVersion.document)],
    )
    if survey is None or survey.mode is not SurveyMode.OPEN:
        raise LinkNotFound(survey_id)
    agency = next((a for a in survey.agencies if a.code == agency_code), None)
    if agency is None:
        raise LinkNotFound(agency_code)
    if not survey.is_open(now):
        raise SurveyClosed(survey.id)
    resume = resume_hash(secret_key, key)
    visit = _visit(survey, agency, resume, _find(session, resume))
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
    visit = _visit(survey, assignment.agency, key, _find(session, key))
    visit.assignment = assignment
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
    visit = _visit(survey, agency, resume, _find(session, resume))
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


def _find(session: DbSession, key: str) -> Response | None:
    return session.scalar(select(Response).where(Response.resume_hash == key))


def _visit(survey: Survey, agency: Agency, key: str, response: Response | None) -> Visit:
    if response is not None and response.status is ResponseStatus.SUBMITTED:
        raise AlreadySubmitted(survey.id)
    return Visit(survey, document_of(survey.version), agency, None, key, response)


def _move_invitation(
    session: DbSession,
    invitation: Invitation,
    before: tuple[Disposition, ...],
    after: Disposition,
    **values: Any,
) -> None:
    """A conditional update, so that a late "opened" or "partial" never undoes "complete"."""
    session.execute(
        update(Invitation)
        .where(Invitation.id == invitation.id, Invitation.disposition.in_(before))
        .values(disposition=after, **values)
        .execution_options(synchronize_session=False)
    )
    session.expire(invitation, ["disposition", "opened_at"])


def saved_answers(session: DbSession, visit: Visit) -> dict[str, Any]:
    """The answers saved so far, typed as the questionnaire declares them."""
    if visit.response is None:
        return {}
    rows = session.scalars(
        select(Answer)
        .where(Answer.response_id == visit.response.id)
        .order_by(Answer.item_id, Answer.position)
    )
    answers: dict[str, Any] = {}
    for row in rows:
        item = visit.questionnaire.item(row.item_id)
        value = _typed(item, row)
        if item["type"] == "multi":
            answers.setdefault(row.item_id, []).append(value)
        else:
            answers[row.item_id] = value
    return answers


def pages(visit: Visit, answers: dict[str, Any]) -> list[str]:
    """The respondent's path: welcome, the sections shown given the answers, confirm."""
    shown = visit.questionnaire.shown_sections(answers)
    return [*([] if visit.skips_welcome else [WELCOME]), *shown, CONFIRM]


def save_page(
    session: DbSession, visit: Visit, page: str, page_answers: dict[str, Any], now: datetime
) -> None:
    """Replace the answers to ``page``'s items (None = left blank) in one go."""
    response = _ensure_response(session, visit, now)
    _hold(session, response, updated_at=now)
    item_ids = [i["id"] for i in visit.questionnaire.section(page)["items"]]
    session.execute(
        delete(Answer).where(Answer.response_id == response.id, Answer.item_id.in_(item_ids))
    )
    rows = _answer_rows(response.id, page_answers)
    if rows:  # Core executemany: compiled once per process, sent in one round trip
        session.execute(insert(Answer), rows)


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


def set_dossier_code(session: DbSession, visit: Visit, code: str | None, now: datetime) -> None:
    response = _ensure_response(session, visit, now)
    _hold(session, response, dossier_code=code, updated_at=now)


def move_to(session: DbSession, visit: Visit, page: str, now: datetime) -> None:
    response = _ensure_response(session, visit, now)
    _hold(session, response, updated_at=now, current_page=page)


def submit(session: DbSession, visit: Visit, now: datetime) -> None:
    """Finish the response; a concurrent or repeated submit raises ``AlreadySubmitted``.

    Conditional updates are the gate: of two transactions racing here, the second waits
    on the row lock (the invitation's, then the response's) and then matches no row.
    Rows are always locked in that order, so racing requests never deadlock.
    """
    if visit.invitation is not None:
        claimed = session.execute(
            update(Invitation)
            .where(Invitation.id == visit.invitation.id)
            .where(Invitation.disposition != Disposition.COMPLETE)
            .values(disposition=Disposition.COMPLETE, completed_at=_recorded(visit.survey, now))
            .execution_options(synchronize_session=False)
        )
        if _rowcount(claimed) != 1:
            raise AlreadySubmitted(visit.invitation.id)
    response = _ensure_response(session, visit, now)
    # An anonymous invitation's response keeps nothing derived from its token once sent:
    # the invitation (now "complete") is what refuses a second submission.
    forget = visit.survey.anonymous and visit.invitation is not None
    _hold(
        session,
        response,
        status=ResponseStatus.SUBMITTED,
        submitted_at=now,
        updated_at=now,
        current_page=None,
        **({"resume_hash": None} if forget else {}),
    )
    if visit.entered_by_id is not None:
        record(session, visit.entered_by_id, "response.paper_entry", response)
    kept = visit.questionnaire.path_answers(saved_answers(session, visit))
    session.execute(
        delete(Answer).where(
            Answer.response_id == response.id, Answer.item_id.not_in(list(kept) or [""])
        )
    )


def _recorded(survey: Survey, now: datetime) -> datetime:
    """When an invitation was opened or completed, as kept: only the day if anonymous.

    Exact times on both sides would pair an invitation with its response by timestamp.
    """
    if survey.anonymous:
        return now.replace(hour=0, minute=0, second=0, microsecond=0)
    return now


def _hold(session: DbSession, response: Response, **values: Any) -> None:
    """Update the response only while it is in progress, locking its row until commit.

    A page saved in a request that raced a submit finds the response sent and raises
    ``AlreadySubmitted``, so nothing is changed under a submitted response.
    """
    held = session.execute(
        update(Response)
        .where(Response.id == response.id, Response.status == ResponseStatus.IN_PROGRESS)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if _rowcount(held) != 1:
        raise AlreadySubmitted(response.id)
    session.expire(response, list(values))


def _rowcount(result: Any) -> int:
    return int(result.rowcount)


def _ensure_response(session: DbSession, visit: Visit, now: datetime) -> Response:
    if visit.response is not None:
        return visit.response
    survey, invitation = visit.survey, visit.invitation
    response = Response(
        survey_id=survey.id,
        questionnaire_version_id=survey.questionnaire_version_id,
        agency_id=visit.agency.id,
        invitation_id=None if survey.anonymous or invitation is None else invitation.id,
        resume_hash=visit.resume_hash,
        channel=visit.channel,
        assignment_id=None if visit.assignment is None else visit.assignment.id,
        entered_by_id=visit.entered_by_id,
        stratum=None if invitation is None else invitation.stratum,
        weight=1.0 if invitation is None else invitation.base_weight,
        started_at=now,
        updated_at=now,
    )
    try:
        with session.begin_nested():
            session.add(response)
    except IntegrityError:
        # Another request of the same respondent created it a moment ago: use that one.
        response = session.scalars(
            select(Response).where(Response.resume_hash == visit.resume_hash)
        ).one()
    if invitation is not None:
        _move_invitation(session, invitation, NOT_YET_STARTED, Disposition.PARTIAL)
    visit.response = response
    return response


def _answer_rows(response_id: int, answers: dict[str, Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for item_id, value in answers.items():
        if value is None:
            continue
        values = value if isinstance(value, list) else [value]
        for position, single in enumerate(values):
            row = {
                "response_id": response_id,
                "item_id": item_id,
                "position": position,
                "value_num": None,
                "value_text": None,
                "value_date": None,
            }
            if isinstance(single, date):
                row["value_date"] = single
            elif isinstance(single, str):
                row["value_text"] = single
            else:
                row["value_num"] = float(single)
            rows.append(row)
    return rows


def _typed(item: dict[str, Any], row: Answer) -> Any:
    if row.value_date is not None:
        return row.value_date
    if row.value_text is not None:
        return row.value_text
    if row.value_num is not None and item["type"] in ("likert", "single", "multi"):
        return int(row.value_num)
    if row.value_num is not None and float(row.value_num).is_integer():
        return int(row.value_num)
    return row.value_num
