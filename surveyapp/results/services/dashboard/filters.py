"""What a dashboard may be filtered by, and the rows a filter keeps.

A filter is a scoring domain, never rows dropped from the design: the mask built here is
handed to scoring with every response still in place, so standard errors keep the whole
design's strata and degrees of freedom (spec/scoring-api.md, "domains").

Service field comes from the one-stop record a response was sampled from (through its
invitation) or names (its kiosk dossier code). Respondent characteristics are the
single-choice items of the questionnaire's section about the respondent.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
from sqlalchemy import and_, select

from surveyapp.extensions import DbSession
from surveyapp.models import (
    Agency,
    Channel,
    FrameUnit,
    Response,
    SampledUnit,
    Survey,
    counted,
)
from surveyapp.questionnaire.document import Questionnaire
from surveyapp.results.services import results
from surveyapp.results.services.arrays import ResponseArrays

CHANNELS = tuple(c.value for c in Channel)
# Section ids the built-in questionnaires give the part about the respondent.
CHARACTERISTIC_SECTIONS = ("background", "respondent")

BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Characteristic:
    """A respondent characteristic to filter on: a single-choice item and its options."""

    item: str
    label: str
    options: tuple[tuple[int, str], ...]


@dataclass(frozen=True)
class FilterChoices:
    """What this survey can be filtered by: service fields found, characteristics asked."""

    fields: tuple[str, ...] = ()
    characteristics: tuple[Characteristic, ...] = ()

    def characteristic(self, item: str) -> Characteristic | None:
        return next((c for c in self.characteristics if c.item == item), None)


@dataclass(frozen=True)
class Filters:
    """The filters asked for, every value already checked against the choices.

    ``traits`` are (item, option code) pairs; ``date_to`` includes that whole day.
    """

    channel: str | None = None
    service_field: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    traits: tuple[tuple[str, int], ...] = field(default=())

    @property
    def active(self) -> bool:
        return bool(
            self.channel or self.service_field or self.date_from or self.date_to or self.traits
        )

    def args(self) -> dict[str, str]:
        """The query-string form (``c_<item>`` for a characteristic), for links and keys."""
        out = {
            "channel": self.channel or "",
            "field": self.service_field or "",
            "from": self.date_from.isoformat() if self.date_from else "",
            "to": self.date_to.isoformat() if self.date_to else "",
        }
        out.update({f"c_{item}": str(code) for item, code in self.traits})
        return {k: v for k, v in out.items() if v}

    def key(self) -> str:
        return "&".join(f"{k}={v}" for k, v in sorted(self.args().items()))

    def without_period(self) -> Filters:
        """The same filters for another period: dates belong to this survey alone."""
        return Filters(self.channel, self.service_field, None, None, self.traits)


@dataclass(frozen=True)
class DashboardRequest:
    """One dashboard asked for: whose figures (``focus``, None = every agency), seen by
    a user scoped to ``viewer`` (None = the province), for the responses ``filters``
    keep, in ``lang``, dates counted as days in ``timezone``."""

    focus: Agency | None
    viewer: Agency | None
    filters: Filters
    lang: str
    timezone: str

    def key(self) -> str:
        """Everything but the data a built page depends on (see ``cache.freshness``)."""
        focus = str(self.focus.id) if self.focus else "-"
        viewer = str(self.viewer.id) if self.viewer else "-"
        return ":".join([focus, viewer, self.lang, self.timezone, self.filters.key()])


def choices(session: DbSession, survey: Survey, lang: str) -> FilterChoices:
    """The service fields this survey's responses come from and its characteristics."""
    q = Questionnaire(survey.version.document)
    fields = session.scalars(
        select(FrameUnit.service_field)
        .where(FrameUnit.survey_id == survey.id, FrameUnit.service_field.is_not(None))
        .distinct()
        .order_by(FrameUnit.service_field)
    ).all()
    traits = [
        Characteristic(
            item["id"],
            q.label(item, lang),
            tuple(
                (int(o["code"]), q.text(o.get("label"), lang) or str(o["code"]))
                for o in q.options(item["id"])
                if not o.get("missing")
            ),
        )
        for section in q.sections
        if section["id"] in CHARACTERISTIC_SECTIONS
        for item in section["items"]
        if item["type"] == "single"
    ]
    return FilterChoices(tuple(f for f in fields if f), tuple(traits))


@dataclass(frozen=True)
class Refused:
    """A filter value left out: ``reason`` is "choice" (not offered), "date" (not
    YYYY-MM-DD) or "order" (end date before the start date)."""

    parameter: str
    value: str
    reason: str


def parse(args: Mapping[str, str], known: FilterChoices) -> tuple[Filters, list[Refused]]:
    """Filters from query arguments; each refused value is left out and reported, so the
    page can say what was ignored."""
    refused: list[Refused] = []
    channel = args.get("channel") or None
    if channel is not None and channel not in CHANNELS:
        refused.append(Refused("channel", channel, "choice"))
        channel = None
    service_field = args.get("field") or None
    if service_field is not None and service_field not in known.fields:
        refused.append(Refused("field", service_field, "choice"))
        service_field = None
    dates: dict[str, date | None] = {}
    for name in ("from", "to"):
        raw = (args.get(name) or "").strip()
        try:
            dates[name] = date.fromisoformat(raw) if raw else None
        except ValueError:
            refused.append(Refused(name, raw, "date"))
            dates[name] = None
    traits = []
    for name, raw in sorted(args.items()):
        if not name.startswith("c_") or not raw:
            continue
        found = known.characteristic(name[2:])
        codes = {code for code, _ in found.options} if found else set()
        if raw.isdigit() and int(raw) in codes:
            traits.append((name[2:], int(raw)))
        else:
            refused.append(Refused(name, raw, "choice"))
    start, end = dates["from"], dates["to"]
    if start and end and end < start:
        refused.append(Refused("to", end.isoformat(), "order"))
        end = None
    return Filters(channel, service_field, start, end, tuple(traits)), refused


@dataclass(frozen=True)
class RowFacts:
    """Per-row facts the filters need, aligned with ``ResponseArrays.response_ids``."""

    channels: npt.NDArray[np.str_]
    submitted: npt.NDArray[np.datetime64]
    fields: npt.NDArray[np.str_]


def row_facts(
    session: DbSession, survey: Survey, arrays: ResponseArrays, timezone: str
) -> RowFacts:
    """Channel, local submission time (in ``timezone``, where the period's days are
    counted) and service field of every submitted response."""
    zone = ZoneInfo(timezone)
    by_dossier = and_(
        FrameUnit.survey_id == Response.survey_id, FrameUnit.dossier_code == Response.dossier_code
    )
    sampled = (
        select(SampledUnit.invitation_id, FrameUnit.service_field)
        .join(FrameUnit, FrameUnit.id == SampledUnit.frame_unit_id)
        .where(FrameUnit.survey_id == survey.id, SampledUnit.invitation_id.is_not(None))
        .subquery()
    )
    rows = session.execute(
        select(
            Response.id,
            Response.channel,
            Response.submitted_at,
            sampled.c.service_field,
            FrameUnit.service_field,
        )
        .outerjoin(sampled, sampled.c.invitation_id == Response.invitation_id)
        .outerjoin(FrameUnit, by_dossier)
        .where(counted(survey.id))
        .order_by(Response.id)
    ).all()
    position = {int(rid): k for k, rid in enumerate(arrays.response_ids)}
    channels = np.full(arrays.n, "", dtype=object)
    submitted = np.full(arrays.n, np.datetime64("NaT"), dtype="datetime64[s]")
    fields = np.full(arrays.n, "", dtype=object)
    for rid, channel, at, via_sample, via_dossier in rows:
        k = position.get(int(rid))
        if k is None:  # submitted since the arrays were loaded
            continue
        channels[k] = channel.value
        if at is not None:
            submitted[k] = np.datetime64(at.astimezone(zone).replace(tzinfo=None), "s")
        fields[k] = via_sample or via_dossier or ""
    return RowFacts(channels.astype(str), submitted, fields.astype(str))


# Loaded answers kept in this process between pages: changing a filter re-scores the
# same arrays instead of reading every answer again. Small surveys only (the cap is in
# cells), and a few of them: each worker holds its own copy.
_LOADED: OrderedDict[tuple[int, str, str], tuple[ResponseArrays, RowFacts]] = OrderedDict()
_LOADED_SURVEYS = 4
_LOADED_MAX_CELLS = 5_000_000
_LOADED_LOCK = threading.Lock()


def load(
    session: DbSession, survey: Survey, timezone: str, stamp: str
) -> tuple[ResponseArrays, RowFacts]:
    """The survey's arrays and row facts, reused while ``stamp`` (a freshness stamp of
    its responses, see ``cache.freshness``) is unchanged."""
    key = (survey.id, stamp, timezone)
    with _LOADED_LOCK:
        if key in _LOADED:
            _LOADED.move_to_end(key)
            return _LOADED[key]
    arrays = results.load_arrays(session, survey)
    facts = row_facts(session, survey, arrays, timezone)
    if arrays.n * max(len(arrays.answers), 1) <= _LOADED_MAX_CELLS:
        with _LOADED_LOCK:
            _LOADED[key] = (arrays, facts)
            while len(_LOADED) > _LOADED_SURVEYS:
                _LOADED.popitem(last=False)
    return arrays, facts


def mask(filters: Filters, arrays: ResponseArrays, facts: RowFacts) -> BoolArray:
    """Rows every filter keeps (the domain), over all of the survey's responses."""
    keep = np.ones(arrays.n, dtype=bool)
    if filters.channel:
        keep &= facts.channels == filters.channel
    if filters.service_field:
        keep &= facts.fields == filters.service_field
    if filters.date_from:
        keep &= facts.submitted >= np.datetime64(datetime.combine(filters.date_from, time()), "s")
    if filters.date_to:
        end = datetime.combine(filters.date_to + timedelta(days=1), time())
        keep &= facts.submitted < np.datetime64(end, "s")
    for item, code in filters.traits:
        values = arrays.answers.get(item)
        keep &= values == code if values is not None else False
    return keep
