"""Synthetic responses written in bulk: the response rows, then their answers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import insert

from surveyapp.extensions import Base, DbSession
from surveyapp.models import Answer, Response


def insert_responses(
    session: DbSession, rows: Sequence[Mapping[str, Any]], given: Sequence[Mapping[str, Any]]
) -> list[int]:
    """Insert ``rows`` (response columns) and each one's answers (item → a number, a text,
    or a multi item's list of codes); the new ids, in order."""
    responses = Base.metadata.tables[Response.__tablename__]
    added = insert(responses).returning(responses.c.id, sort_by_parameter_order=True)
    ids = list(session.scalars(added, list(rows)).all())
    session.execute(
        insert(Answer),
        [
            {
                "response_id": rid,
                "item_id": item,
                "position": position,
                "value_num": None if isinstance(one, str) else float(one),
                "value_text": one if isinstance(one, str) else None,
            }
            for rid, answers in zip(ids, given, strict=True)
            for item, value in answers.items()
            for position, one in enumerate(value if isinstance(value, list) else [value])
        ],
    )
    return ids
