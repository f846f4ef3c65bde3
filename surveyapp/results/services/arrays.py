"""Submitted responses as arrays: what loading produces and scoring reads."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from surveyapp.results.services.weighting import WeightsUsed
from surveyapp.scoring import SurveyDesign

NUMERIC_TYPES = ("likert", "single", "number")


@dataclass(frozen=True)
class ResponseArrays:
    """Submitted responses as columns: one row per response, NaN where not answered.

    ``weights_used`` says whether ``weights`` are the final weights of the survey's
    settings or the base weights (none saved, or saved ones that no longer fit).
    """

    response_ids: npt.NDArray[np.int64]
    agency_ids: npt.NDArray[np.int64]
    weights: npt.NDArray[np.float64]
    strata: npt.NDArray[np.str_]
    answers: dict[str, npt.NDArray[np.float64]]
    weights_used: WeightsUsed = field(default_factory=WeightsUsed)

    @property
    def n(self) -> int:
        return len(self.response_ids)

    def design(self) -> SurveyDesign:
        return SurveyDesign(self.weights, strata=self.strata)
