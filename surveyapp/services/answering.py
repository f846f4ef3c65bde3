"""A respondent's way through a questionnaire: open, save page by page, submit exactly once."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from surveyapp.extensions import DbSession
from surveyapp.models import (
    Answer,
    Channel,
    Disposition,
    Invitation,
    Response,
    ResponseStatus,
    Survey,
)
from surveyapp.questionnaire.document import Questionnaire
from surveyapp.security import hash_token

WELCOME = "welcome"
CONFIRM = "confirm"


class InvitationNotFound(LookupError):
    """No invitation has this token."""


class SurveyClosed(RuntimeError):
    """The survey is not (or no longer) taking answers."""


class AlreadySubmitted(RuntimeError):
    """This invitation's response was submitted before."""


@dataclass
class Visit:
    """Everything a respondent page needs: the survey, its questionnaire, the response."""

    survey: Survey
    questionnaire: Questionnaire
    invitation: Invitation
    resume_hash: str
    response: Response | None

    @property
    def page(self) -> str:
        if self.response is None or not self.response.current_page:
            return WELCOME
        return self.response.current_page


def resume_hash(secret_key: str, token: str) -> str:
    """Finds a response again from its token without the invitation storing a link to it."""
    return hmac.new(secret_key.encode(), b"resume:" + token.encode(), hashlib.sha256).hexdigest()


def open_invitation(session: DbSession, token: str, secret_key: str, now: datetime) -> Visit:
    invitation = session.scalar(
        select(Invitation).where(Invitation.token_hash == hash_token(token))
    )
    if invitation is None:
        raise InvitationNotFound(token)
    if invitation.disposition is Disposition.COMPLETE:
        raise AlreadySubmitted(token)
    survey = invitation.survey
    if not survey.is_open(now):
        raise SurveyClosed(survey.id)
    key = resume_hash(secret_key, token)
    response = session.scalar(select(Response).where(Response.resume_hash == key))
    if invitation.disposition in (Disposition.NOT_SENT, Disposition.SENT):
        invitation.disposition = Disposition.OPENED
        invitation.opened_at = now
    return Visit(survey, Questionnaire(survey.version.document), invitation, key, response)


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
    q = visit.questionnaire
    shown = [s["id"] for s in q.sections if q.section_visible(s["id"], answers)]
    return [WELCOME, *shown, CONFIRM]


def answers_before(visit: Visit, answers: dict[str, Any], page: str) -> dict[str, Any]:
    """Answers from the pages before ``page`` on the current path (what its rules may use)."""
    q = visit.questionnaire
    earlier: dict[str, Any] = {}
    for section in q.sections:
        if section["id"] == page:
            break
        for item in section["items"]:
            if item["id"] in answers:
                earlier[item["id"]] = answers[item["id"]]
    return q.path_answers(earlier)


def save_page(
    session: DbSession, visit: Visit, page: str, page_answers: dict[str, Any], now: datetime
) -> None:
    """Replace the answers to ``page``'s items (None = left blank) in one go."""
    response = _ensure_response(session, visit, now)
    item_ids = [i["id"] for i in visit.questionnaire.section(page)["items"]]
    session.execute(
        delete(Answer).where(Answer.response_id == response.id, Answer.item_id.in_(item_ids))
    )
    session.add_all(_answer_rows(response.id, page_answers))
    response.updated_at = now


def move_to(session: DbSession, visit: Visit, page: str, now: datetime) -> None:
    response = _ensure_response(session, visit, now)
    response.current_page = page


def submit(session: DbSession, visit: Visit, now: datetime) -> None:
    """Finish the response; a concurrent or repeated submit raises ``AlreadySubmitted``.

    The invitation's conditional update is the gate: of two transactions racing here,
    the second waits on the row lock and then matches no row.
    """
    claimed = session.execute(
        update(Invitation)
        .where(Invitation.id == visit.invitation.id)
        .where(Invitation.disposition != Disposition.COMPLETE)
        .values(disposition=Disposition.COMPLETE, completed_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise AlreadySubmitted(visit.invitation.id)
    response = _ensure_response(session, visit, now)
    kept = visit.questionnaire.path_answers(saved_answers(session, visit))
    session.execute(
        delete(Answer).where(
            Answer.response_id == response.id, Answer.item_id.not_in(list(kept) or [""])
        )
    )
    response.status = ResponseStatus.SUBMITTED
    response.submitted_at = now
    response.current_page = None


def _ensure_response(session: DbSession, visit: Visit, now: datetime) -> Response:
    if visit.response is not None:
        return visit.response
    survey, invitation = visit.survey, visit.invitation
    response = Response(
        survey_id=survey.id,
        questionnaire_version_id=survey.questionnaire_version_id,
        agency_id=invitation.agency_id,
        invitation_id=None if survey.anonymous else invitation.id,
        resume_hash=visit.resume_hash,
        channel=Channel.WEB,
        stratum=invitation.stratum,
        weight=invitation.base_weight,
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
    if invitation.disposition is not Disposition.COMPLETE:
        invitation.disposition = Disposition.PARTIAL
    visit.response = response
    return response


def _answer_rows(response_id: int, answers: dict[str, Any]) -> list[Answer]:
    rows: list[Answer] = []
    for item_id, value in answers.items():
        if value is None:
            continue
        values = value if isinstance(value, list) else [value]
        for position, single in enumerate(values):
            row = Answer(response_id=response_id, item_id=item_id, position=position)
            if isinstance(single, date):
                row.value_date = single
            elif isinstance(single, str):
                row.value_text = single
            else:
                row.value_num = float(single)
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
