"""Sample sizes per stratum and in total: Slovin (the official method) and Cochran.

Slovin: n = ⌈N / (1 + N·e²)⌉ (SIPAS.md §3.1). Cochran: n₀ = z²·p(1−p)·deff / e², then
the finite population correction n = n₀ / (1 + (n₀ − 1)/N). Either is divided by the
expected response rate to give the number of people to invite. Both come from
``surveyapp.scoring`` (spec/scoring-api.md); this module only lays them out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select

from surveyapp.extensions import DbSession
from surveyapp.fieldwork.services.sampling import LABEL_SEPARATOR, STRATA_COLUMNS, label_text
from surveyapp.models import Agency, FrameUnit, Survey
from surveyapp.scoring import required_sample_size, slovin


@dataclass(frozen=True)
class Assumptions:
    margin: float = 0.05  # e, a proportion
    level: float = 0.95
    p: float = 0.5
    deff: float = 1.0
    response_rate: float = 0.7  # a proportion in (0, 1]


@dataclass(frozen=True)
class SizeRow:
    label: str
    population: int  # N (N_h)
    slovin: int  # completed answers needed
    slovin_invited: int  # to invite: ⌈slovin / response rate⌉
    cochran: int  # completed answers needed (with deff and the finite population correction)
    cochran_invited: int


@dataclass(frozen=True)
class SizeTable:
    strata: list[SizeRow]
    total: SizeRow  # the whole frame as one population

    def summed(self) -> SizeRow:
        """Each stratum to the same precision: the per-stratum sizes added up."""
        return SizeRow(
            "",
            sum(r.population for r in self.strata),
            sum(r.slovin for r in self.strata),
            sum(r.slovin_invited for r in self.strata),
            sum(r.cochran for r in self.strata),
            sum(r.cochran_invited for r in self.strata),
        )


def size_row(label: str, population: int, a: Assumptions) -> SizeRow:
    if not population:
        return SizeRow(label, 0, 0, 0, 0, 0)
    n_slovin = slovin(population, a.margin)

    def cochran(rate: float) -> int:
        return required_sample_size(
            population, margin=a.margin, level=a.level, p=a.p, deff=a.deff, response_rate=rate
        )

    invited = math.ceil(round(n_slovin / a.response_rate, 9))  # round: 0.7 is not exact
    return SizeRow(label, population, n_slovin, invited, cochran(1.0), cochran(a.response_rate))


def size_table(populations: Mapping[str, int], a: Assumptions) -> SizeTable:
    rows = [size_row(label, n, a) for label, n in sorted(populations.items())]
    return SizeTable(rows, size_row("", sum(populations.values()), a))


def stratum_sizes(session: DbSession, survey: Survey, columns: Sequence[str]) -> dict[str, int]:
    """N_h of the survey's frame by the given stratification columns (labels as in a draw)."""
    keys = [STRATA_COLUMNS[c] for c in columns]
    query = (
        select(*keys, func.count())
        .select_from(FrameUnit)
        .join(Agency, Agency.id == FrameUnit.agency_id)
        .where(FrameUnit.survey_id == survey.id)
        .group_by(*keys)
    )
    sizes: dict[str, int] = {}
    for *values, count in session.execute(query):
        label = LABEL_SEPARATOR.join(label_text(v) for v in values)
        sizes[label] = sizes.get(label, 0) + count
    return sizes
