"""The response table every export writes: metadata columns, then one column per item."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from flask_babel import force_locale, gettext
from sqlalchemy import Row, Select, func, select

from surveyapp.extensions import DbSession
from surveyapp.models import Agency, Answer, Channel, Response, Survey, counted
from surveyapp.questionnaire.document import Questionnaire

# The per-response columns before the answers: who, when, and the design (``DESIGN``).
Head = tuple[int, str, str | None, Channel, datetime | None, float]
META_COLUMNS = ("response_id", "agency", "stratum", "channel", "submitted_at", "weight")
# After ``weight`` (final): the base weight of the draw, the stratum's population size
# N_h, and the PSU when the draw was clustered: what an analyst needs to declare the
# design in R, Stata or SPSS.
DESIGN_COLUMNS = ("base_weight", "fpc")
PSU_COLUMN = "psu"
# After them when voided responses are exported too: "submitted" or "voided".
STATUS_COLUMN = "status"
# Then the paradata: when the response began (its first page saved), seconds from then to
# sending, the device class, the "Back" presses, and seconds on each page (``secs_<page>``,
# summed over visits; empty for a page never timed, such as the welcome page).
PARADATA_COLUMNS = ("started_at", "duration_s", "device", "back_navigations")
PAGE_SECONDS_PREFIX = "secs_"
NUMERIC_META = ("response_id", "weight", "base_weight", "fpc", "duration_s", "back_navigations")
Cell = str | int | float | date | datetime | None
# A multi item's ticked codes stay a tuple when the writer spreads them (sav, dta).
RawCell = Cell | tuple[int, ...]


class WeightLookup(Protocol):
    """Response id → the final weight scoring uses; the results domain hands one in when
    the survey's weighting settings change the drawn weights."""

    def get(self, response_id: int, default: float) -> float: ...


@dataclass(frozen=True)
class ExportDesign:
    """The design columns' values, handed in by the results domain.

    ``weights``: the final weights (None: the drawn ones are final). ``populations``:
    stratum label → N_h of the draw (None: not drawn from a frame; ``fpc`` stays empty,
    as it does for a stratum the draw does not know). ``psu``: response id → PSU
    (None: the draw had no clusters, and there is no ``psu`` column).
    """

    weights: WeightLookup | None = None
    populations: Mapping[str, int] | None = None
    psu: Mapping[int, str] | None = None

    @property
    def clustered(self) -> bool:
        return self.psu is not None

    def cells(self, response_id: int, stratum: str | None, base: float) -> list[Cell]:
        """``weight``, ``base_weight``, ``fpc`` (and ``psu``) of one response."""
        final = self.weights.get(response_id, base) if self.weights is not None else base
        fpc = (self.populations or {}).get(stratum or "")
        cells: list[Cell] = [final, base, fpc]
        if self.psu is not None:
            cells.append(self.psu.get(response_id))
        return cells


@dataclass(frozen=True)
class RowFilter:
    """Which responses a page holds beyond the scope (the API's filters; None: any).

    ``submitted_from`` and ``submitted_before`` bound ``submitted_at`` (UTC, from
    included, before excluded); ``after_id`` keeps the responses whose id is above it.
    """

    channel: Channel | None = None
    submitted_from: datetime | None = None
    submitted_before: datetime | None = None
    after_id: int | None = None

    def apply(self, query: Select[Any]) -> Select[Any]:
        if self.channel is not None:
            query = query.where(Response.channel == self.channel)
        if self.submitted_from is not None:
            query = query.where(Response.submitted_at >= self.submitted_from)
        if self.submitted_before is not None:
            query = query.where(Response.submitted_at < self.submitted_before)
        if self.after_id is not None:
            query = query.where(Response.id > self.after_id)
        return query


@dataclass(frozen=True)
class Column:
    name: str
    label: str
    item: dict[str, Any] | None = None
    page: str | None = None  # a ``secs_`` column: the page (section id) it times

    @property
    def numeric(self) -> bool:
        """A column before the answers that holds only numbers (or nothing)."""
        return self.name in NUMERIC_META or self.page is not None


def meta_labels(lang: str) -> dict[str, str]:
    with force_locale(lang):
        return {
            "response_id": gettext("Response id"),
            "agency": gettext("Agency code"),
            "stratum": gettext("Sampling stratum"),
            "channel": gettext("Channel"),
            "submitted_at": gettext("Submitted at (UTC)"),
            "weight": gettext("Final weight"),
            "base_weight": gettext("Base weight of the draw (N_h / n_h)"),
            "fpc": gettext("Stratum population size N_h (finite-population correction)"),
            "psu": gettext("Primary sampling unit"),
            STATUS_COLUMN: gettext("Status (submitted or voided)"),
            "started_at": gettext("Started at (UTC): first page saved"),
            "duration_s": gettext("Seconds from start to sending"),
            "device": gettext("Device (phone, tablet or desktop)"),
            "back_navigations": gettext("Times the respondent went back a page"),
        }


def meta_names(clustered: bool = False, include_voided: bool = False) -> tuple[str, ...]:
    """The columns before the answers, in order."""
    psu = (PSU_COLUMN,) if clustered else ()
    status = (STATUS_COLUMN,) if include_voided else ()
    return META_COLUMNS + DESIGN_COLUMNS + psu + status


def columns(
    questionnaire: Questionnaire,
    lang: str,
    *,
    clustered: bool = False,
    include_voided: bool = False,
) -> list[Column]:
    labels = meta_labels(lang)
    cols = [Column(name, labels[name]) for name in meta_names(clustered, include_voided)]
    cols += [Column(name, labels[name]) for name in PARADATA_COLUMNS]
    with force_locale(lang):
        cols += [
            Column(
                PAGE_SECONDS_PREFIX + section["id"],
                gettext("Seconds on page: %(page)s", page=questionnaire.label(section, lang)),
                page=section["id"],
            )
            for section in questionnaire.sections
        ]
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
    where: RowFilter | None = None,
) -> int:
    """Submitted responses an export of this scope (and ``where``) will hold."""
    query = (where or RowFilter()).apply(_heads(survey, agency, include_voided))
    query = query.with_only_columns(func.count()).order_by(None)
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
    design: ExportDesign | None = None,
    include_voided: bool = False,
) -> Iterator[list[Cell]] | Iterator[list[RawCell]]:
    """Rows of submitted responses in id order, streamed in batches (bounded memory).

    A multi item's cell is its codes (or labels) joined by "; ", or with
    ``spread_multi`` the tuple of ticked codes. ``design`` fills the design columns
    (None: drawn weights final, no frame). ``include_voided`` adds the voided responses
    and the ``status`` column (``columns(..., include_voided=True)``).
    """
    design = design or ExportDesign()
    questionnaire = Questionnaire(survey.version.document)
    cols = columns(questionnaire, lang, clustered=design.clustered, include_voided=include_voided)
    query = _heads(survey, agency, include_voided)
    last_id = 0
    while True:
        heads = session.execute(query.where(Response.id > last_id).limit(batch)).all()
        if not heads:
            return
        yield from _rows(session, questionnaire, cols, heads, labels, lang, spread_multi, design)
        last_id = heads[-1][0]


def response_page(
    session: DbSession,
    survey: Survey,
    *,
    page: int,
    per_page: int,
    agency: Agency | None = None,
    design: ExportDesign | None = None,
    where: RowFilter | None = None,
) -> list[list[RawCell]]:
    """One page of rows (codes; a multi item's ticked codes as a tuple), for the API."""
    design = design or ExportDesign()
    questionnaire = Questionnaire(survey.version.document)
    cols = columns(questionnaire, "vi", clustered=design.clustered)
    query = (where or RowFilter()).apply(_heads(survey, agency))
    heads = session.execute(query.offset((page - 1) * per_page).limit(per_page)).all()
    return list(_rows(session, questionnaire, cols, heads, False, "vi", True, design))


def _heads(survey: Survey, agency: Agency | None, include_voided: bool = False) -> Select[Any]:
    heads: list[Any] = [
        Response.id,
        Agency.code,
        Response.stratum,
        Response.channel,
        Response.submitted_at,
        Response.weight,
        Response.started_at,
        Response.device,
        Response.back_navigations,
        Response.page_seconds,
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
    design: ExportDesign,
) -> Iterator[list[RawCell]]:
    item_index = {c.name: i for i, c in enumerate(cols) if c.item is not None}
    pages = [c.page for c in cols if c.page is not None]
    rows: dict[int, list[RawCell]] = {}
    blanks = [None] * sum(c.item is not None for c in cols)
    for rid, code, stratum, channel, submitted, base, *more in heads:
        started, device, back, seconds, *status = more
        who: list[RawCell] = [rid, code, stratum, channel.value, submitted]
        statuses = [s.value for s in status]  # the status column, when asked for
        paradata = _paradata(started, submitted, device, back, seconds or {}, pages)
        rows[rid] = [*who, *design.cells(rid, stratum, base), *statuses, *paradata, *blanks]
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


def _paradata(
    started: datetime | None,
    submitted: datetime | None,
    device: str | None,
    back: int,
    seconds: Mapping[str, float],
    pages: list[str],
) -> list[RawCell]:
    """The paradata cells of one response, in ``PARADATA_COLUMNS`` order, then its pages'."""
    duration = None
    if started is not None and submitted is not None:
        duration = max(round((submitted - started).total_seconds()), 0)
    timed = [None if seconds.get(p) is None else round(seconds[p], 1) for p in pages]
    return [started, duration, device, back, *timed]


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
        if not column.numeric and (column.item is None or column.item["type"] not in numeric_types)
    ]


INERT_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def needs_neutralising(value: object) -> bool:
    """Text a spreadsheet would run as a formula (CSV injection)."""
    return isinstance(value, str) and value.startswith(INERT_PREFIXES)
