"""A survey's final weights as scoring, pages and files use them: its saved settings
(:mod:`.weighting`) applied to the responses loaded."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from surveyapp.extensions import DbSession
from surveyapp.models import Survey
from surveyapp.results.services.weighting import (
    FloatArray,
    Respondents,
    Settings,
    SettingsRefused,
    WeightingStatus,
    WeightsUsed,
    compute,
    respondents,
)

log = logging.getLogger(__name__)


def final_weights(
    session: DbSession,
    survey: Survey,
    ids: npt.NDArray[np.int64],
    agency_ids: npt.NDArray[np.int64],
    strata: npt.NDArray[np.str_],
    base: FloatArray,
) -> tuple[FloatArray, WeightsUsed]:
    """The weights scoring uses: the survey's settings applied to the loaded rows.

    Settings that no longer fit the responses (checked when saved, but data change)
    leave the base weights in place; the ``WeightsUsed`` says so and why, for every
    page, file and answer that shows weighted results.
    """
    settings = Settings.from_json(survey.weighting)
    if settings.to_json() is None:
        return base, WeightsUsed()
    people = Respondents(ids, agency_ids, strata, base)
    try:
        final = compute(session, survey, settings, people).final
    except SettingsRefused as refused:
        log.warning("survey %s: weighting not applied: %s", survey.id, refused)
        used = WeightsUsed(WeightingStatus.NOT_APPLIED, refused.setting, tuple(refused.problems))
        return base, used
    return final, WeightsUsed(WeightingStatus.APPLIED)


@dataclass(frozen=True)
class FinalWeights:
    """Response id → final weight, for writers that read responses row by row."""

    ids: npt.NDArray[np.int64]  # sorted
    weights: FloatArray

    def get(self, response_id: int, default: float) -> float:
        at = int(np.searchsorted(self.ids, response_id))
        if at < len(self.ids) and self.ids[at] == response_id:
            return float(self.weights[at])
        return default


def final_weight_lookup(session: DbSession, survey: Survey) -> FinalWeights | None:
    """The final weights of every submitted response; None when they are the base weights."""
    if Settings.from_json(survey.weighting).to_json() is None:
        return None
    people = respondents(session, survey)
    final, _used = final_weights(
        session, survey, people.ids, people.agency_ids, people.strata, people.base
    )
    return FinalWeights(people.ids, final)
