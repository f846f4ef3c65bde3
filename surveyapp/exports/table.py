"""The response table every export writes: metadata columns, then one column per item."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, Select, select

from surveyapp.extensions import DbSession
from surveyapp.models import Agency, Answer, Channel, Response, ResponseStatus, Survey
from surveyapp.questionnaire.document import Questionnaire

# The per-response columns before the answers: id, agency code, channel, submitted, weight.
Head = tuple[int, str, Channel, datetime | None, float]
META_COLUMNS = ("response_id", "agency", "channel", "submitted_at", "weight")
Cell = str | int | float | date | datetime | None


@dataclass(frozen=True)
class Column:
    name: str
    label: str
    item: dict[str, Any] | None = None


def columns(questionnaire: Questionnaire, lang: str) -> list[Column]:
    meta_labels = {
        "response_id": "Response id",
        "agency": "Agency code",
        "channel": "Channel",
        "submitted_at": "Submitted at (UTC)",
        "weight": "Weight",
    }
    cols = [Column(name, meta_labels[name]) for name in META_COLUMNS]
    cols += [
        Column(item["id"], questionnaire.label(item, lang), item)
        for item in questionnaire.answerable_items
    ]
    return cols


def response_rows(
    session: DbSession,
    survey: Survey,
    *,
    labels: bool,
    lang: str = "vi",
    agency: Agency | None = None,
    batch: int = 2000,
) -> Iterator[list[Cell]]:
    """Rows of submitted responses in id order, streamed in batches (bounded memory)."""
    query = _heads(survey, agency)
    last_id = 0
    while True:
        heads = session.execute(query.where(Response.id > last_id).limit(batch)).all()
        if not heads:
            return
        yield from _rows(session, survey, heads, labels, lang)
        last_id = heads[-1][0]


def response_page(
    session: DbSession,
    survey: Survey,
    *,
    page: int,
    per_page: int,
    agency: Agency | None = None,
) -> list[list[Cell]]:
    """One page of rows (codes), for the API."""
    query = _heads(survey, agency).offset((page - 1) * per_page).limit(per_page)
    return list(_rows(session, survey, session.execute(query).all(), False, "vi"))


def _heads(
    survey: Survey, agency: Agency | None
) -> Select[int, str, Channel, datetime | None, float]:
    query = (
        select(Response.id, Agency.code, Response.channel, Response.submitted_at, Response.weight)
        .join(Agency, Agency.id == Response.agency_id)
        .where(Response.survey_id == survey.id, Response.status == ResponseStatus.SUBMITTED)
        .order_by(Response.id)
    )
    if agency is not None:
        query = query.where(Agency.path.startswith(agency.path, autoescape=True))
    return query


def _rows(
    session: DbSession,
    survey: Survey,
    heads: Sequence[Row[int, str, Channel, datetime | None, float]],
    labels: bool,
    lang: str,
) -> Iterator[list[Cell]]:
    questionnaire = Questionnaire(survey.version.document)
    cols = columns(questionnaire, lang)
    item_index = {c.name: i for i, c in enumerate(cols) if c.item is not None}
    rows: dict[int, list[Cell]] = {}
    for rid, code, channel, submitted, weight in heads:
        row: list[Cell] = [rid, code, channel.value, submitted, weight]
        rows[rid] = row + [None] * (len(cols) - len(META_COLUMNS))
    answers = session.scalars(
        select(Answer).where(Answer.response_id.in_(list(rows))).order_by(Answer.position)
    )
    for answer in answers:
        index = item_index.get(answer.item_id)
        if index is not None:
            _put(rows[answer.response_id], index, cols[index], answer, questionnaire, labels, lang)
    yield from rows.values()


def _put(
    row: list[Cell],
    index: int,
    column: Column,
    answer: Answer,
    questionnaire: Questionnaire,
    labels: bool,
    lang: str,
) -> None:
    item = column.item or {}
    value: Cell
    if answer.value_text is not None:
        value = answer.value_text
    elif answer.value_date is not None:
        value = answer.value_date
    elif answer.value_num is None:
        value = None
    elif item["type"] in ("likert", "single", "multi"):
        code = int(answer.value_num)
        value = questionnaire.option_label(item["id"], code, lang) if labels else code
    else:
        number = answer.value_num
        value = int(number) if number.is_integer() else number
    if item.get("type") == "multi" and row[index] is not None:
        row[index] = f"{row[index]}; {value}"  # multi choice: codes or labels joined
    else:
        row[index] = value


INERT_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def needs_neutralising(value: Cell) -> bool:
    """Text a spreadsheet would run as a formula (CSV injection)."""
    return isinstance(value, str) and value.startswith(INERT_PREFIXES)
