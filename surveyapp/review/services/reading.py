"""What the review pages read: the responses to look over, and one response as sent.

Who may clean: fieldwork staff for the agencies of their scope, and analysts whose scope
spans the survey (the province's); admins always. Department analysts read results only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from surveyapp.extensions import DbSession
from surveyapp.models import (
    Agency,
    AnswerCorrection,
    AuditEvent,
    Response,
    ResponseFlag,
    ResponseStatus,
    Role,
    Survey,
    User,
    counted,
)
from surveyapp.questionnaire.document import Questionnaire
from surveyapp.review.services.answers import questionnaires, typed_answers
from surveyapp.review.services.checks import KINDS
from surveyapp.review.services.nonresponse import Outcome, item_outcomes
from surveyapp.security import Scope

PAGE_SIZE = 50
# The states a listing can ask for; "all" is both.
STATUSES = {"all": None, "submitted": ResponseStatus.SUBMITTED, "voided": ResponseStatus.VOIDED}


def may_clean(user: User, survey: Survey) -> bool:
    """Whether ``user`` may void, restore and correct responses of ``survey``."""
    if user.role is Role.ADMIN or user.role is Role.FIELDWORK:
        return True
    return user.role is Role.ANALYST and Scope.of(user).spans(survey)


@dataclass(frozen=True)
class Listed:
    """One response in the review list: its corrections and flags beside it."""

    response: Response
    corrections: int
    flags: list[str]  # kinds, in ``quality.KINDS`` order

    @property
    def duration_s(self) -> float | None:
        """Seconds from the first page to sending (None while not sent)."""
        sent, began = self.response.submitted_at, self.response.started_at
        return None if sent is None else (sent - began).total_seconds()


@dataclass(frozen=True)
class Listing:
    rows: list[Listed]
    total: int
    page: int
    pages: int


def listing(
    session: DbSession,
    survey: Survey,
    under: Agency | None,
    *,
    status: str = "all",
    flag: str = "",
    query: str = "",
    page: int = 1,
) -> Listing:
    """Sent responses in scope, newest first, ``PAGE_SIZE`` a page; ``flag`` keeps those
    flagged ("any") or flagged so (a kind); ``query`` finds a response id or a dossier
    code (its start)."""
    where = _where(survey, under, status, query)
    if flag:
        flagged = select(ResponseFlag.response_id)
        if flag in KINDS:
            flagged = flagged.where(ResponseFlag.kind == flag)
        where.append(Response.id.in_(flagged))
    total = session.scalar(select(func.count()).select_from(Response).where(*where)) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages)
    fixes = (
        select(func.count())
        .where(AnswerCorrection.response_id == Response.id)
        .correlate(Response)
        .scalar_subquery()
    )
    rows = session.execute(
        select(Response, fixes)
        .options(joinedload(Response.agency))
        .where(*where)
        .order_by(Response.submitted_at.desc(), Response.id.desc())
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    ).all()
    kinds: dict[int, list[str]] = {}
    for rid, kind in session.execute(
        select(ResponseFlag.response_id, ResponseFlag.kind).where(
            ResponseFlag.response_id.in_([r.id for r, _n in rows])
        )
    ):
        kinds.setdefault(rid, []).append(kind)
    listed = [Listed(r, n, sorted(kinds.get(r.id, []), key=KINDS.index)) for r, n in rows]
    return Listing(listed, total, page, pages)


def _where(survey: Survey, under: Agency | None, status: str, query: str) -> list[Any]:
    wanted = STATUSES.get(status)
    where: list[Any] = [
        counted(survey.id, include_voided=True)
        if wanted is None
        else (Response.survey_id == survey.id) & (Response.status == wanted)
    ]
    if under is not None:
        where.append(Response.agency_id.in_(under.subtree_ids()))
    text = query.strip()
    if text:
        found: list[Any] = [Response.dossier_code.startswith(text.upper(), autoescape=True)]
        if text.isdigit() and len(text) < 10:
            found.append(Response.id == int(text))
        where.append(or_(*found))
    return where


@dataclass(frozen=True)
class ShownAnswer:
    """One question as the respondent's path had it."""

    item: dict[str, Any]
    label: str
    text: str  # the answer for reading: codes with their labels; empty when skipped
    outcome: Outcome
    corrected: bool


@dataclass(frozen=True)
class Reading:
    response: Response
    answers: list[ShownAnswer]
    flags: list[ResponseFlag]  # in ``quality.KINDS`` order
    events: list[tuple[AuditEvent, str | None]]  # void/restore/correct, with who


def read(session: DbSession, response: Response, lang: str) -> Reading:
    """``response`` as sent: its answers on the path (those corrected marked), its flags,
    and the audit of its cleaning."""
    by_version = questionnaires(session, [response.questionnaire_version_id])
    questionnaire = by_version[response.questionnaire_version_id]
    answers = typed_answers(session, Response.id == response.id, by_version)[response.id][1]
    corrected = set(
        session.scalars(
            select(AnswerCorrection.item_id).where(AnswerCorrection.response_id == response.id)
        )
    )
    outcomes = item_outcomes(questionnaire, answers)
    shown = [
        ShownAnswer(
            item,
            questionnaire.label(item, lang),
            _text(questionnaire, item, answers.get(item["id"]), lang),
            outcomes[item["id"]],
            item["id"] in corrected,
        )
        for item in questionnaire.answerable_items
        if item["id"] in outcomes
    ]
    flags = sorted(
        session.scalars(select(ResponseFlag).where(ResponseFlag.response_id == response.id)),
        key=lambda f: KINDS.index(f.kind),
    )
    return Reading(response, shown, flags, _events(session, response))


def _text(questionnaire: Questionnaire, item: dict[str, Any], value: Any, lang: str) -> str:
    if value is None or value == []:
        return ""
    if not questionnaire.options(item["id"]):
        return value.isoformat() if hasattr(value, "isoformat") else str(value)
    codes = value if isinstance(value, list) else [value]
    return "; ".join(f"{c} = {questionnaire.option_label(item['id'], c, lang)}" for c in codes)


def _events(session: DbSession, response: Response) -> list[tuple[AuditEvent, str | None]]:
    query = (
        select(AuditEvent, User.email)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(
            AuditEvent.object_type == Response.__tablename__,
            AuditEvent.object_id == str(response.id),
            AuditEvent.action.startswith("response."),
        )
        .order_by(AuditEvent.at, AuditEvent.id)
    )
    return [(e, who) for e, who in session.execute(query).all()]
