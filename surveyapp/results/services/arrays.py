"""A survey's submitted answers as columns: what loading fills and scoring reads."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from surveyapp.questionnaire.document import Questionnaire
from surveyapp.results.services.weighting import WeightsUsed
from surveyapp.scoring import SurveyDesign

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

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
    # N_h of each row's stratum (∞ where the draw does not know it); None when the
    # survey was not drawn from a frame: with replacement (``sample_design``).
    fpc: FloatArray | None = None
    # Each row's PSU; None when the draw had no clusters (every row its own PSU).
    psu: npt.NDArray[np.str_] | None = None

    @property
    def n(self) -> int:
        return len(self.response_ids)

    def design(self) -> SurveyDesign:
        """The design every estimate uses: weights, strata, PSUs and the fpc of the draw."""
        return SurveyDesign(self.weights, strata=self.strata, clusters=self.psu, fpc=self.fpc)

    @property
    def finite_population(self) -> bool:
        """Whether some stratum carries the finite-population correction."""
        return self.fpc is not None and bool(np.isfinite(self.fpc).any())


@dataclass(frozen=True)
class LoadedArrays(ResponseArrays):
    """``ResponseArrays`` plus where the questionnaire changed between versions.

    ``versions``: questionnaire version number of each row. ``not_asked``: item id →
    version numbers (among those with submitted responses) whose questionnaire does not
    ask it as a number; those rows are NaN for that item. ``weights`` are the final
    weights (``Survey.weighting`` applied), ``base_weights`` the drawn ones.
    """

    base_weights: FloatArray = field(default_factory=lambda: np.empty(0, dtype=np.float64))
    versions: IntArray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    not_asked: dict[str, list[int]] = field(default_factory=dict)
    questionnaires: dict[int, Questionnaire] = field(default_factory=dict)  # by version number


def answer_points(arrays: LoadedArrays, items: Sequence[str]) -> dict[str, FloatArray]:
    """Each row's answer to ``items`` as its option's points in the row's version.

    NaN where the answer is NaN (unanswered, not asked, missing-coded) or its option
    carries no points (validation refuses that on a counted item).
    """
    single = len(arrays.questionnaires) == 1
    found: dict[str, FloatArray] = {}
    for item in items:
        codes = arrays.answers[item]
        points = np.full(codes.shape, np.nan)
        for number, questionnaire in arrays.questionnaires.items():
            mine = codes if single else np.where(arrays.versions == number, codes, np.nan)
            for code, value in questionnaire.option_points(item).items():
                points[mine == code] = value
        found[item] = points
    return found
