"""Cleaning a survey's responses: void one, restore it, correct a single answer.

Each takes a mandatory reason and is audit-logged with who and when. Nothing is deleted:
a voided response keeps its answers (``ResponseStatus.VOIDED`` leaves it out of every
count, score and export, ``models.counted``); a corrected answer keeps the value it had
in ``answer_corrections``. The caller commits.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any, cast

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select
from werkzeug.datastructures import MultiDict
from wtforms.meta import DefaultMeta

from surveyapp.extensions import DbSession
from surveyapp.forms.fields import FIELD_TYPES
from surveyapp.models import (
    Answer,
    AnswerCorrection,
    QuestionnaireVersion,
    Response,
    ResponseStatus,
    Survey,
)
from surveyapp.models._types import utcnow
from surveyapp.models.audit import record
from surveyapp.problems import InputRefused, Problem
from surveyapp.questionnaire.document import CHOICE_TYPES, Questionnaire

REASON_MAX = 1000
# A multi item's codes as typed: "1;3", "1, 3" or "1 3".
CODE_SEPARATORS = re.compile(r"[;,\s]+")


def find_response(session: DbSession, survey: Survey, response_id: int) -> Response:
    """The survey's response ``response_id``; refused when the survey has none such."""
    response = session.get(Response, response_id)
    if response is None or response.survey_id != survey.id:
        raise _refused(
            "response", _l("Survey %(s)s has no response %(r)s.", s=survey.id, r=response_id)
        )
    return response


def void(
    session: DbSession, survey: Survey, response_id: int, reason: str, actor_id: int | None
) -> Response:
    """Set a submitted response aside: it stops counting anywhere, its answers kept."""
    response = find_response(session, survey, response_id)
    why = _reason(reason)
    if response.status is ResponseStatus.VOIDED:
        raise _refused("response", _l("Response %(r)s is voided already.", r=response.id))
    if response.status is not ResponseStatus.SUBMITTED:
        raise _refused(
            "response",
            _l(
                "Response %(r)s is still being answered: only a submitted response can be voided.",
                r=response.id,
            ),
        )
    response.status = ResponseStatus.VOIDED
    response.updated_at = utcnow()  # the dashboards' cache stamp moves
    record(session, actor_id, "response.voided", response, reason=why)
    return response


def restore(
    session: DbSession, survey: Survey, response_id: int, reason: str, actor_id: int | None
) -> Response:
    """Count a voided response again."""
    response = find_response(session, survey, response_id)
    why = _reason(reason)
    if response.status is not ResponseStatus.VOIDED:
        raise _refused(
            "response",
            _l("Response %(r)s is not voided: there is nothing to restore.", r=response.id),
        )
    response.status = ResponseStatus.SUBMITTED
    response.updated_at = utcnow()
    record(session, actor_id, "response.restored", response, reason=why)
    return response


def correct(
    session: DbSession,
    survey: Survey,
    response_id: int,
    item_id: str,
    value: str,
    reason: str,
    actor_id: int | None,
) -> AnswerCorrection:
    """Replace one answer of a sent response with ``value`` (as typed: an option code,
    codes separated by ";" for a multi item, a number, a date, text; empty = not
    answered), checked as the respondent's page checks it. The old value is kept."""
    response = find_response(session, survey, response_id)
    problems: list[Problem] = []
    try:
        why = _reason(reason)
    except InputRefused as refused:
        problems += refused.problems
    if response.status is ResponseStatus.IN_PROGRESS:
        problems.append(
            Problem(
                "response",
                _l(
                    "Response %(r)s is still being answered: only a sent one can be corrected.",
                    r=response.id,
                ),
            )
        )
    questionnaire = _questionnaire(session, response)
    item = questionnaire.item(item_id) if _asks(questionnaire, item_id) else None
    if item is None:
        problems.append(
            Problem(
                "item",
                _l(
                    "The questionnaire of response %(r)s has no question %(item)s.",
                    r=response.id,
                    item=item_id,
                ),
            )
        )
    else:
        try:
            new = parse_value(questionnaire, item, value)
        except ValueError as problem:
            problems.append(Problem(f"{item_id}", str(problem)))
    if problems:
        raise InputRefused(problems)
    assert item is not None
    old = _stored(session, questionnaire, response.id, item)
    if as_text(new) == old:
        raise _refused(item_id, _l("The answer is %(value)s already.", value=old or "—"))
    now = utcnow()
    session.execute(
        delete(Answer).where(Answer.response_id == response.id, Answer.item_id == item_id)
    )
    for position, single in enumerate(
        new if isinstance(new, list) else [new] if new is not None else []
    ):
        session.add(
            Answer(response_id=response.id, item_id=item_id, position=position, **_columns(single))
        )
    correction = AnswerCorrection(
        response_id=response.id,
        item_id=item_id,
        old_value=old,
        new_value=as_text(new),
        reason=why,
        user_id=actor_id,
        at=now,
    )
    session.add(correction)
    response.updated_at = now
    record(
        session, actor_id, "response.corrected", response,
        item=item_id, old=old, new=correction.new_value, reason=why,
    )  # fmt: skip
    session.flush()
    return correction


def parse_value(questionnaire: Questionnaire, item: dict[str, Any], value: str) -> Any:
    """``value`` typed as the item's answer (None when empty); ``ValueError`` saying why."""
    raw = value.strip()
    if not raw:
        return None
    if item["type"] == "info":
        raise ValueError(str(_l("This is a text to read, not a question.")))
    codes = (
        [int(o["code"]) for o in questionnaire.options(item["id"])]
        if item["type"] in CHOICE_TYPES
        else []
    )
    values = CODE_SEPARATORS.split(raw) if codes else [raw]
    field = FIELD_TYPES[item["type"]](item, codes, False).bind(
        None, item["id"], _meta=DefaultMeta()
    )
    field.process(MultiDict([(item["id"], v) for v in values]))
    field.errors = []  # what validate() would start from
    field.pre_validate(None)
    if field.errors:
        message = " ".join(map(str, field.errors))
        if codes:
            message += " " + str(_l("Options: %(codes)s.", codes=", ".join(map(str, codes))))
        raise ValueError(message)
    return field.answer


def as_text(value: Any) -> str | None:
    """An answer written as ``correct`` takes it: codes joined by ";", ISO dates."""
    if value is None or value == []:
        return None
    if isinstance(value, list):
        return ";".join(map(str, value))
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _stored(
    session: DbSession, questionnaire: Questionnaire, response_id: int, item: dict[str, Any]
) -> str | None:
    rows = session.execute(
        select(Answer.value_num, Answer.value_text, Answer.value_date)
        .where(Answer.response_id == response_id, Answer.item_id == item["id"])
        .order_by(Answer.position)
    ).all()
    values = [
        text if text is not None else day if day is not None else num for num, text, day in rows
    ]
    if item["type"] in CHOICE_TYPES:
        values = [int(cast(float, v)) for v in values]
    return as_text(values if item["type"] == "multi" else values[0] if values else None)


def _columns(value: Any) -> dict[str, Any]:
    if isinstance(value, date) and not isinstance(value, datetime):
        return {"value_date": value}
    if isinstance(value, str):
        return {"value_text": value}
    return {"value_num": float(value)}


def _questionnaire(session: DbSession, response: Response) -> Questionnaire:
    version = session.get(QuestionnaireVersion, response.questionnaire_version_id)
    assert version is not None, "a response's version is never deleted (foreign key)"
    return Questionnaire(version.document)


def _asks(questionnaire: Questionnaire, item_id: str) -> bool:
    return any(i["id"] == item_id for i in questionnaire.answerable_items)


def _reason(reason: str) -> str:
    why = " ".join(reason.split())
    if not why:
        raise _refused("reason", _l("Give the reason: it is kept in the audit log."))
    if len(why) > REASON_MAX:
        raise _refused("reason", _l("Keep the reason to at most %(n)s characters.", n=REASON_MAX))
    return why


def _refused(where: str, message: Any) -> InputRefused:
    return InputRefused([Problem(where, message)])
