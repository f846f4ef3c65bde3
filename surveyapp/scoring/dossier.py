"""Per-dossier points and bands (TT01: nine indices × 0/1/2 points = 18).

SIPAS.md §3.7: a respondent's total is the sum of the points of the answered items
(each answer scores its option's ``points``, which need not equal its code);
when some items are not applicable (NaN) the total is rescaled to the full scale,
total × max_total / (answered × item_max), and rounded to whole points (halves up)
before banding. Bands come from ``framework.points`` ordered from the top, ``min``
inclusive (TT01: > 15 excellent is ``min: 15.5``, so 16 after rounding).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from surveyapp.scoring.design import Estimate, FloatArray, IntArray, SurveyDesign
from surveyapp.scoring.framework import PointsScheme


@dataclass(frozen=True)
class DossierScores:
    """Per respondent: ``raw`` points, ``answered`` items, rescaled whole ``total`` (NaN
    when nothing was answered) and ``band`` (index into the scheme's bands, −1 = none)."""

    raw: FloatArray
    answered: npt.NDArray[np.int64]
    total: FloatArray
    band: IntArray


def dossier_points(scheme: PointsScheme, answers: Mapping[str, Any]) -> DossierScores:
    """Totals and bands of every respondent (vectorised).

    ``answers`` maps each points item to the points every respondent's answer scores,
    NaN when unanswered or not applicable: the caller maps answer codes to their
    options' points (``results.services.arrays.answer_points`` does), as it maps missing codes
    to NaN for ``score``.
    """
    cols = []
    for item in scheme.items:
        if item not in answers:
            raise ValueError(f"answers have no points item {item!r}")
        cols.append(np.asarray(answers[item], dtype=np.float64))
    matrix = np.stack(cols, axis=1)
    valid = ~np.isnan(matrix)
    raw = np.where(valid, matrix, 0.0).sum(axis=1)
    answered = valid.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        scaled = raw * scheme.max_total / (answered * scheme.item_max)
    # half points go up; the tiny offset absorbs binary noise such as 7.4999999999
    total = np.where(answered > 0, np.floor(scaled + 0.5 + 1e-9), np.nan)
    band = np.full(raw.shape[0], -1, dtype=np.intp)
    for k in range(len(scheme.bands) - 1, -1, -1):
        band[total >= scheme.bands[k].min] = k
    return DossierScores(raw, answered, total, band)


def band_shares(
    scheme: PointsScheme,
    scores: DossierScores,
    design: SurveyDesign,
    *,
    domain: Any = None,
    level: float = 0.95,
) -> list[Estimate]:
    """Design-based share of scored dossiers in each band (same order as the bands)."""
    scored = ~np.isnan(scores.total)
    out = []
    for k in range(len(scheme.bands)):
        y = np.where(scored, (scores.band == k).astype(np.float64), np.nan)
        out.append(design.proportion(y, domain=domain, level=level))
    return out
