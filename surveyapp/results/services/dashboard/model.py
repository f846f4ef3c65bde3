"""What a dashboard page shows: plain values only (agencies as :class:`AgencyRef`), so a
built page can be cached and shared between workers (:mod:`.cache`)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from surveyapp.models import Agency
from surveyapp.results.services.dashboard.filters import Filters
from surveyapp.results.services.dashboard.period import Change
from surveyapp.scoring import Difference, Estimate, Framework, Gap, Ranking, par_points

BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class AgencyRef:
    """What a page needs of an agency, detached from the database session."""

    id: int
    code: str
    path: str
    name_vi: str
    name_en: str | None

    @classmethod
    def of(cls, agency: Agency) -> AgencyRef:
        return cls(agency.id, agency.code, agency.path, agency.name_vi, agency.name_en)

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" and self.name_en else self.name_vi


@dataclass(frozen=True)
class Figure:
    """One estimate with its label; ``parent`` is a criterion's element, ``alpha`` an
    element's Cronbach's α over its criteria (None: fewer than 2 criteria or answers)."""

    id: str
    label: str
    estimate: Estimate
    parent: str = ""
    gaps: tuple[Gap, ...] = ()
    change: Change | None = None
    alpha: float | None = None


@dataclass(frozen=True)
class AgencyRow:
    """An agency's figure; ``versus_total`` compares it with the whole survey."""

    agency: AgencyRef
    estimate: Estimate
    ranking: Ranking | None = None
    versus_total: Difference | None = None
    focus: bool = False
    change: Change | None = None


@dataclass(frozen=True)
class IndicatorBlock:
    """One negative experience (or compliance share) for the focus and for each agency.

    ``among`` describes the indicator's denominator condition in the questionnaire's
    own words (None = every valid answer); ``higher_is_better`` is True for compliance
    shares (apology given when late), False for negative experiences.
    """

    id: str
    label: str
    item_label: str
    among: str | None
    higher_is_better: bool
    estimate: Estimate
    total: Estimate | None
    agencies: list[AgencyRow] = field(default_factory=list)
    change: Change | None = None

    def row(self, code: str) -> AgencyRow | None:
        """This indicator's row for the agency with ``code`` (the overview matrix)."""
        return next((r for r in self.agencies if r.agency.code == code), None)


@dataclass(frozen=True)
class PreviousPeriod:
    survey_id: int
    title: str
    weighting: WeightingNote | None = None  # its own settings left out, as for this round


@dataclass(frozen=True)
class WeightingNote:
    """The survey's weighting settings were left out: its figures use the base weights.

    ``setting`` names the step that failed, ``reasons`` say why (empty for a scoped
    user: they may name other agencies' strata or categories).
    """

    setting: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Dashboard:
    focus: AgencyRef | None
    filters: Filters
    scoped: bool
    responses: int  # submitted responses in the focus and filters
    targets: tuple[float, ...]
    overall: Figure
    groups: list[Figure]
    elements: list[Figure]
    criteria: list[Figure]  # weakest first
    negatives: list[IndicatorBlock]
    compliance: list[IndicatorBlock]
    agencies: list[AgencyRow]  # ranked, only those the user may see
    ranked: int  # how many agencies the ranking has ("k of N")
    previous: PreviousPeriod | None = None
    weighting: WeightingNote | None = None
    par_points: float | None = None  # the PAR INDEX points a 100 % overall index is worth

    @property
    def channel(self) -> str | None:
        return self.filters.channel

    def points(self, estimate: Estimate) -> PointsFigure | None:
        """``estimate`` in PAR INDEX points (value and CI), None when not configured or
        not publishable."""
        if self.par_points is None or estimate.suppressed or math.isnan(estimate.value):
            return None
        top = self.par_points
        return PointsFigure(
            par_points(estimate.value, top),
            par_points(estimate.ci_low, top),
            par_points(estimate.ci_high, top),
            top,
        )


@dataclass(frozen=True)
class PointsFigure:
    value: float
    low: float
    high: float
    max: float


@dataclass(frozen=True)
class ScoredData:
    framework: Framework
    answers: Mapping[str, Any]
    design: Any
    by: npt.NDArray[np.float64]  # survey agency position per row, NaN = none/filtered out
    everyone: BoolArray  # every row the filters keep, whatever the agency
