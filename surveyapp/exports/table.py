"""The response table every export writes: metadata columns, then one column per item."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from flask_babel import force_locale, gettext
from sqlalchemy import Row, Select, func, select

from surveyapp.extensions import DbSession
from surveyapp.models import Agency, Answer, Channel, Response, Survey, counted
from surveyapp.questionnaire.document import Questionnaire

# The per-response columns before the answers.
Head = tuple[int, str, str | None, Channel, datetime | None, float]
META_COLUMNS = ("response_id", "agency", "stratum", "channel", "submitted_at", "weight")
# After them when voided responses are exported too: "submitted" or "voided".
STATUS_COLUMN = "status"
Cell = str | int | float | date | datetime | None
# A multi item's ticked codes stay a tuple when the writer spreads them (sav, dta).
RawCell = Cell | tuple[int, ...]


class WeightLookup(Protocol):
    """Response id → the final weight scoring uses; the results domain hands one in when
    the survey's weighting settings change the drawn weights."""

    def get(self, response_id: int, default: float) -> float: ...


@dataclass(frozen=True)
class Column:
    name: str
    label: str
    item: dict[str, Any] | None = None


def meta_labels(lang: str) -> dict[str, str]:
    with force_locale(lang):
        return {
            "response_id": gettext("Response id"),
            "agency": gettext("Agency code"),
            "stratum": gettext("Sampling stratum"),
            "channel": gettext("Channel"),
            "submitted_at": gettext("Submitted at (UTC)"),
            "weight": gettext("Weight"),
            STATUS_COLUMN: gettext("Status (submitted or voided)"),
        }


def columns(
    questionnaire: Questionnaire, lang: str, *, include_voided: bool = False
) -> list[Column]:
    labels = meta_labels(lang)
    names = (*META_COLUMNS, STATUS_COLUMN) if include_voided else META_COLUMNS
    cols = [Column(name, labels[name]) for name in names]
    cols += [
        Column(item["id"], questionnaire.label(item, lang), item)
        for item in questionnaire.answerable_items
    ]
    return cols


def count_responses(
    session: DbSession,
    survey: Survey,
    agency: Agency | None = None,
    *,
    include_voided: bool = False,
) -> int:
    """Submitted responses an export of this scope will hold."""
    query = _heads(survey, agency, include_voided).with_only_columns(func.count()).order_by(None)
    return int(session.scalar(query) or 0)


def response_rows(
    session: DbSession,
    survey: Survey,
    *,
    labels: bool,
    lang: str = "vi",
    agency: Agency | None = None,
    batch: int = 2000,
    spread_multi: bool = False,
    weights: WeightLookup | None = None,
    include_voided: bool = False,
) -> Iterator[list[Cell]] | Iterator[list[RawCell]]:
    """Rows of submitted responses in id order, streamed in batches (bounded memory).

    A multi item's cell is its codes (or labels) joined by "; ", or with
    ``spread_multi`` the tuple of ticked codes. ``include_voided`` adds the voided
    responses and the ``status`` column (``columns(..., include_voided=True)``).
    """
    questionnaire = Questionnaire(survey.version.document)
    cols = columns(questionnaire, lang, include_voided=include_voided)
    query = _heads(survey, agency, include_voided)
    last_id = 0
    while True:
        heads = session.execute(query.where(Response.id > last_id).limit(batch)).all()
        if not heads:
            return
        if weights is not None:  # the weights scoring uses, not the drawn ones
            heads = [(*h[:5], weights.get(h[0], h[5]), *h[6:]) for h in heads]  # type: ignore[misc]
        yield from _rows(session, questionnaire, cols, heads, labels, lang, spread_multi)
        last_id = heads[-1][0]


def response_page(
    session: DbSession,
    survey: Survey,
    *,
    page: int,
    per_page: int,
    agency: Agency | None = None,
    weights: WeightLookup | None = None,
) -> list[list[Cell]]:
    """One page of rows (codes), for the API."""
    questionnaire = Questionnaire(survey.version.document)
    cols = columns(questionnaire, "vi")
    query = _heads(survey, agency).offset((page - 1) * per_page).limit(per_page)
    heads = session.execute(query).all()
    if weights is not None:
        heads = [(*h[:5], weights.get(h[0], h[5]), *h[6:]) for h in heads]  # type: ignore[misc]
    return list(_rows(session, questionnaire, cols, heads, False, "vi", False))  # type: ignore[arg-type]


def _heads(survey: Survey, agency: Agency | None, include_voided: bool = False) -> Select[Any]:
    heads: list[Any] = [
        Response.id,
        Agency.code,
        Response.stratum,
        Response.channel,
        Response.submitted_at,
        Response.weight,
    ]
    if include_voided:
        heads.append(Response.status)
    query: Select[Any] = (
        select(*heads)
        .join(Agency, Agency.id == Response.agency_id)
        .where(counted(survey.id, include_voided=include_voided))
        .order_by(Response.id)
    )
    if agency is not None:
        query = query.where(Agency.path.startswith(agency.path, autoescape=True))
    return query


def _rows(
    session: DbSession,
    questionnaire: Questionnaire,
    cols: list[Column],
    heads: Sequence[Row[Any]] | Sequence[tuple[Any, ...]],
    labels: bool,
    lang: str,
    spread_multi: bool,
) -> Iterator[list[RawCell]]:
    item_index = {c.name: i for i, c in enumerate(cols) if c.item is not None}
    rows: dict[int, list[RawCell]] = {}
    blanks = [None] * (len(cols) - len(heads[0]) if heads else 0)
    for rid, code, stratum, channel, submitted, weight, *status in heads:
        statuses = [s.value for s in status]  # the status column, when asked for
        rows[rid] = [rid, code, stratum, channel.value, submitted, weight, *statuses, *blanks]
    answers = session.execute(
        select(
            Answer.response_id,
            Answer.item_id,
            Answer.value_num,
            Answer.value_text,
            Answer.value_date,
        )
        .where(Answer.response_id.in_(list(rows)))
        .order_by(Answer.response_id, Answer.position)
    )
    for rid, item_id, num, text, day in answers:
        index = item_index.get(item_id)
        if index is None:
            continue
        item = cols[index].item or {}
        row = rows[rid]
        value = _value(item, num, text, day, questionnaire, labels, lang)
        if item.get("type") != "multi" or value is None:
            row[index] = value
        elif spread_multi:
            previous = row[index]
            row[index] = (*(previous if isinstance(previous, tuple) else ()), int(num or 0))
        elif row[index] is not None:
            row[index] = f"{row[index]}; {value}"  # multi choice: codes or labels joined
        else:
            row[index] = value
    yield from rows.values()


def _value(
    item: dict[str, Any],
    num: float | None,
    text: str | None,
    day: date | None,
    questionnaire: Questionnaire,
    labels: bool,
    lang: str,
) -> Cell:
    if text is not None:
        return text
    if day is not None:
        return day
    if num is None:
        return None
    if item["type"] in ("likert", "single", "multi"):
        code = int(num)
        return questionnaire.option_label(item["id"], code, lang) if labels else code
    return int(num) if num.is_integer() else num


def loose_positions(cols: list[Column], labels: bool) -> list[int]:
    """Positions whose cells may hold text or dates; the others only numbers or nothing.

    Writers check just these cells for formula-like text, so a wide table of codes
    costs them next to nothing beyond the bare library call.
    """
    numeric_types = ("number",) if labels else ("number", "likert", "single")
    return [
        position
        for position, column in enumerate(cols)
        if column.name not in ("response_id", "weight")
        and (column.item is None or column.item["type"] not in numeric_types)
    ]


INERT_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def needs_neutralising(value: object) -> bool:
    """Text a spreadsheet would run as a formula (CSV injection)."""
    return isinstance(value, str) and value.startswith(INERT_PREFIXES)
