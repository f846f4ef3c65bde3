"""Stratified samples drawn from a survey's frame: size, allocation, a seeded draw, invitations.

Sizes: ``size`` is the total n; ``margin`` gives the total by Slovin's formula on the whole
frame, n = ceil(N / (1 + N·e²)) (SIPAS.md §3.1), the population the index is reported
for. Either total is then split over the strata by ``scoring.allocate``; ``minimum``
guards small strata. Neyman allocation needs per-stratum standard deviations (``sd``);
without them every stratum gets sqrt(0.5 · 0.5), the worst case for a proportion, and
Neyman equals proportional allocation.

The draw is reproducible: the frame units of each stratum are taken in id order, the
strata in label order, and one ``numpy.random.Generator(PCG64(seed))`` chooses n_h + r_h
of them without replacement; the first n_h are the main sample, the rest the reserve (in
order). The same frame and seed give the same units on SQLite and PostgreSQL.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, insert, select

from surveyapp.extensions import DbSession
from surveyapp.fieldwork.services.invitations import Links
from surveyapp.models import (
    Agency,
    Allocation,
    Disposition,
    FrameUnit,
    Invitation,
    Response,
    Sample,
    SampledUnit,
    SampleStratum,
    Survey,
)
from surveyapp.models._types import utcnow
from surveyapp.models.audit import record
from surveyapp.problems import InputRefused, Problem
from surveyapp.scoring import allocate, slovin
from surveyapp.security import hash_token

STRATA_COLUMNS: dict[str, Any] = {
    "agency": Agency.code,
    "service_field": FrameUnit.service_field,
    "procedure": FrameUnit.procedure,
    "channel": FrameUnit.channel,
    "district": FrameUnit.district,
    "stratum": FrameUnit.stratum,
}
LABEL_SEPARATOR = " | "
EMPTY_VALUE = "-"
MAX_LABEL = 128  # Invitation.stratum and Response.stratum hold this much
MAX_SEED = 2**63 - 1
WORST_CASE_SD = 0.5


@dataclass(frozen=True)
class StratumRow:
    label: str
    population: int  # N_h
    size: int  # n_h
    reserve: int  # r_h

    @property
    def weight(self) -> float | None:
        """Base weight N_h / n_h; None when nothing was drawn from the stratum."""
        return self.population / self.size if self.size else None


@dataclass(frozen=True)
class SampleLink:
    """A main-sample invitation as issued: the token exists only here, stored hashed."""

    token: str
    url: str
    agency_code: str
    stratum: str


@dataclass(frozen=True)
class Draw:
    sample: Sample
    strata: list[StratumRow]
    links: list[SampleLink]  # one per main-sample invitation; the tokens are shown only here

    @property
    def population(self) -> int:
        return sum(s.population for s in self.strata)

    @property
    def size(self) -> int:
        return sum(s.size for s in self.strata)


@dataclass
class _Stratum:
    ids: list[int]
    agency_ids: list[int]


def draw_sample(
    session: DbSession,
    survey: Survey,
    *,
    size: int | None = None,
    margin: float | None = None,
    allocation: str = "proportional",
    minimum: int = 0,
    strata_columns: Sequence[str] = ("agency", "service_field"),
    seed: int,
    reserve_fraction: float = 0.2,
    sd: Mapping[str, float] | None = None,
    links: Links,
    actor_id: int | None = None,
    now: datetime | None = None,
) -> Draw:
    """Draw a stratified sample from the survey's frame and invite its main units.

    An earlier sample of the survey is replaced while none of its invitations has been
    sent, opened or answered; after that a redraw is refused. The invitations' tokens
    derive from ``links``' secret, so their letters can be printed
    (``invitations.py``).
    """
    _check_arguments(size, margin, allocation, minimum, strata_columns, seed, reserve_fraction)
    strata = frame_strata(session, survey, strata_columns)
    if not strata:
        raise InputRefused([Problem("", _l("the survey has no frame yet: import one first"))])
    too_long = [label for label in strata if len(label) > MAX_LABEL]
    if too_long:
        message = _l(
            "stratum labels longer than %(n)s characters: %(labels)s",
            n=MAX_LABEL,
            labels=", ".join(too_long[:3]),
        )
        raise InputRefused([Problem("--strata", message)])
    sizes = {label: len(s.ids) for label, s in strata.items()}
    total = size if size is not None else slovin(sum(sizes.values()), margin or 0.0)
    allocated = _allocate(sizes, total, allocation, minimum, sd)
    _discard_earlier_samples(session, survey)
    sample = Sample(
        survey_id=survey.id,
        seed=seed,
        allocation=Allocation(allocation),
        size=total,
        margin=margin,
        minimum=minimum,
        reserve_fraction=reserve_fraction,
        strata_columns=list(strata_columns),
        created_at=now or utcnow(),
        created_by_id=actor_id,
    )
    session.add(sample)
    session.flush()
    rng = np.random.Generator(np.random.PCG64(seed))
    rows: list[StratumRow] = []
    issued: list[SampleLink] = []
    for label in sorted(strata):
        n_h = allocated[label]
        r_h = min(math.ceil(round(n_h * reserve_fraction, 9)), sizes[label] - n_h)
        row = StratumRow(label, sizes[label], n_h, r_h)
        picked = rng.choice(row.population, size=n_h + r_h, replace=False)
        issued += _store_stratum(session, survey, sample, row, strata[label], picked, links)
        rows.append(row)
    session.add_all(
        SampleStratum(
            sample_id=sample.id,
            label=r.label,
            population=r.population,
            size=r.size,
            reserve=r.reserve,
        )
        for r in rows
    )
    session.flush()
    record(session, actor_id, "sample.draw", sample, survey=survey.id, seed=seed, size=total)
    return Draw(sample, rows, issued)


def current_sample(session: DbSession, survey: Survey) -> Sample | None:
    """The survey's sample (a redraw replaces it, so there is at most one)."""
    query = select(Sample).where(Sample.survey_id == survey.id).order_by(Sample.id.desc())
    return session.scalars(query.limit(1)).first()


def _check_arguments(
    size: int | None,
    margin: float | None,
    allocation: str,
    minimum: int,
    strata_columns: Sequence[str],
    seed: int,
    reserve_fraction: float,
) -> None:
    problems: list[Problem] = []
    if (size is None) == (margin is None):
        problems.append(Problem("--size", _l("give either a sample size or a margin of error")))
    if size is not None and size < 1:
        problems.append(Problem("--size", _l("at least 1")))
    if margin is not None and not 0 < margin < 1:
        problems.append(Problem("--margin", _l("a proportion between 0 and 1, e.g. 0.05")))
    if allocation not in {a.value for a in Allocation}:
        choices = ", ".join(a.value for a in Allocation)
        problems.append(
            Problem(
                "--allocation",
                _l('unknown method "%(method)s"; use %(known)s', method=allocation, known=choices),
            )
        )
    if minimum < 0:
        problems.append(Problem("--min", _l("0 or more")))
    unknown = [c for c in strata_columns if c not in STRATA_COLUMNS]
    if unknown or not strata_columns:
        known = ", ".join(STRATA_COLUMNS)
        problems.append(Problem("--strata", _l("strata columns are among: %(known)s", known=known)))
    if not 0 <= seed <= MAX_SEED:
        problems.append(Problem("--seed", _l("an integer from 0 to %(n)s", n=MAX_SEED)))
    if not 0 <= reserve_fraction <= 1:
        problems.append(Problem("--reserve", _l("a proportion between 0 and 1")))
    if problems:
        raise InputRefused(problems)


def frame_strata(session: DbSession, survey: Survey, columns: Sequence[str]) -> dict[str, _Stratum]:
    """Label → the stratum's frame units in id order (labels join the column values)."""
    query = (
        select(FrameUnit.id, FrameUnit.agency_id, *(STRATA_COLUMNS[c] for c in columns))
        .join(Agency, Agency.id == FrameUnit.agency_id)
        .where(FrameUnit.survey_id == survey.id)
        .order_by(FrameUnit.id)
        .execution_options(yield_per=10_000)
    )
    strata: dict[str, _Stratum] = {}
    for unit_id, agency_id, *values in session.execute(query):
        label = LABEL_SEPARATOR.join(label_text(v) for v in values)
        stratum = strata.get(label)
        if stratum is None:
            stratum = strata[label] = _Stratum([], [])
        stratum.ids.append(unit_id)
        stratum.agency_ids.append(agency_id)
    return strata


def label_text(value: Any) -> str:
    if value is None or value == "":
        return EMPTY_VALUE
    return str(getattr(value, "value", value))


def _allocate(
    sizes: dict[str, int], total: int, method: str, minimum: int, sd: Mapping[str, float] | None
) -> dict[str, int]:
    spread: Mapping[Hashable, float] | None = None
    if method == "neyman":
        spread = {label: (sd or {}).get(label, WORST_CASE_SD) for label in sizes}
    populations: dict[Hashable, float] = {label: n for label, n in sizes.items()}
    frame, floors = sum(sizes.values()), sum(min(minimum, n) for n in sizes.values())
    if total > frame:
        message = _l(
            "the sample size %(n)s is larger than the frame (%(frame)s units)", n=total, frame=frame
        )
        raise InputRefused([Problem("--size", message)])
    if total < floors:
        message = _l(
            "the sample size %(n)s is below the minimums per stratum (%(floors)s in all)",
            n=total,
            floors=floors,
        )
        raise InputRefused([Problem("--size", message)])
    try:
        allocated = allocate(populations, total, method=method, sd=spread, minimum=minimum)
    except ValueError as error:
        raise InputRefused([Problem("--size", str(error))]) from None
    return {str(label): n for label, n in allocated.items()}


def _discard_earlier_samples(session: DbSession, survey: Survey) -> None:
    earlier = list(session.scalars(select(Sample.id).where(Sample.survey_id == survey.id)))
    if not earlier:
        return
    invited = select(SampledUnit.invitation_id).where(
        SampledUnit.sample_id.in_(earlier), SampledUnit.invitation_id.is_not(None)
    )
    fielded = session.scalar(
        select(func.count())
        .select_from(Invitation)
        .where(Invitation.id.in_(invited), Invitation.disposition != Disposition.NOT_SENT)
    )
    answered = session.scalar(
        select(func.count()).select_from(Response).where(Response.invitation_id.in_(invited))
    )
    if fielded or answered:
        message = _l("the survey's sample is already in the field; it cannot be drawn again")
        raise InputRefused([Problem("", message)])
    invitation_ids = list(session.scalars(invited))
    session.execute(delete(SampledUnit).where(SampledUnit.sample_id.in_(earlier)))
    session.execute(delete(Invitation).where(Invitation.id.in_(invitation_ids)))
    session.execute(delete(SampleStratum).where(SampleStratum.sample_id.in_(earlier)))
    session.execute(delete(Sample).where(Sample.id.in_(earlier)))
    session.expire_all()


def _store_stratum(
    session: DbSession,
    survey: Survey,
    sample: Sample,
    row: StratumRow,
    stratum: _Stratum,
    picked: Any,
    links: Links,
) -> list[SampleLink]:
    """Invite the stratum's main units and store them and the reserve as sampled units."""
    if not len(picked):
        return []
    weight = row.population / row.size if row.size else 0.0
    probability = row.size / row.population
    main = [int(i) for i in picked[: row.size]]
    issued = [links.issue() for _ in main]
    tokens = [token for _, token in issued]
    invitation_ids: list[int] = []
    if main:
        statement = insert(Invitation.__table__).returning(  # type: ignore[arg-type]
            Invitation.__table__.c.id, sort_by_parameter_order=True
        )
        invitation_rows = [
            {
                "survey_id": survey.id,
                "agency_id": stratum.agency_ids[i],
                "token_hash": hash_token(token),
                "token_salt": salt,
                "stratum": row.label,
                "base_weight": weight,
                "disposition": Disposition.NOT_SENT,
                "created_at": sample.created_at,
            }
            for i, (salt, token) in zip(main, issued, strict=True)
        ]
        invitation_ids = list(session.execute(statement, invitation_rows).scalars())
    units = [
        _unit(sample, stratum.ids[i], row, probability, weight, invitation_id=invitation_id)
        for i, invitation_id in zip(main, invitation_ids, strict=True)
    ]
    units += [
        _unit(sample, stratum.ids[int(i)], row, probability, weight, reserve_order=order)
        for order, i in enumerate(picked[row.size :], start=1)
    ]
    session.execute(insert(SampledUnit.__table__), units)  # type: ignore[arg-type]
    codes = {agency_id: code for agency_id, code in session.execute(select(Agency.id, Agency.code))}
    return [
        SampleLink(token, links.url(token), codes[stratum.agency_ids[i]], row.label)
        for i, token in zip(main, tokens, strict=True)
    ]


def _unit(
    sample: Sample,
    frame_unit_id: int,
    row: StratumRow,
    probability: float,
    weight: float,
    *,
    invitation_id: int | None = None,
    reserve_order: int | None = None,
) -> dict[str, Any]:
    return {
        "sample_id": sample.id,
        "frame_unit_id": frame_unit_id,
        "stratum": row.label,
        "inclusion_probability": probability,
        "base_weight": weight,
        "reserve": reserve_order is not None,
        "reserve_order": reserve_order,
        "invitation_id": invitation_id,
    }
