"""Sent answers read back for review: typed as each response's questionnaire version
declares them, a multi item's ticks as a list, in one query for many responses."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import ColumnElement, select

from surveyapp.collect.services.visit_sql import typed
from surveyapp.extensions import DbSession
from surveyapp.models import Answer, QuestionnaireVersion, Response
from surveyapp.questionnaire.document import Questionnaire


def questionnaires(session: DbSession, version_ids: Iterable[int]) -> dict[int, Questionnaire]:
    """Version id → its questionnaire, in one query."""
    versions = session.scalars(
        select(QuestionnaireVersion).where(QuestionnaireVersion.id.in_(set(version_ids)))
    )
    return {v.id: Questionnaire(v.document) for v in versions}


def typed_answers(
    session: DbSession, where: ColumnElement[bool], by_version: Mapping[int, Questionnaire]
) -> dict[int, tuple[int, dict[str, Any]]]:
    """Response id → (its version id, its answers) for the responses ``where`` selects;
    one with no answer maps to an empty dict. ``by_version`` holds their versions."""
    items = {v: {i["id"]: i for i in q.answerable_items} for v, q in by_version.items()}
    query = (
        select(
            Response.id,
            Response.questionnaire_version_id,
            Answer.item_id,
            Answer.value_num,
            Answer.value_text,
            Answer.value_date,
        )
        .outerjoin(Answer, Answer.response_id == Response.id)
        .where(where)
        .order_by(Response.id, Answer.item_id, Answer.position)
    )
    found: dict[int, tuple[int, dict[str, Any]]] = {}
    for rid, version_id, item_id, number, written, day in session.execute(query):
        _version, answers = found.setdefault(rid, (version_id, {}))
        item = items[version_id].get(item_id)
        if item is None:  # no answer at all, or one to an item the version lost
            continue
        value = typed(item, number, written, day)
        if item["type"] == "multi":
            answers.setdefault(item_id, []).append(value)
        else:
            answers[item_id] = value
    return found
