"""TT01 dossier points, element reliability and item nonresponse."""

from __future__ import annotations

import math

import numpy as np
import pytest

from surveyapp.scoring import (
    Framework,
    SurveyDesign,
    band_shares,
    dossier_points,
    element_alphas,
    item_nonresponse,
)

NAN = math.nan
TT01 = Framework.from_dict(
    {
        "elements": [{"id": "x", "criteria": [{"item": "i1"}]}],
        "points": {
            "items": [f"i{k}" for k in range(1, 10)],
            "bands": [
                {"min": 15.5, "label": {"vi": "Xuất sắc", "en": "Excellent"}},
                {"min": 12, "label": {"vi": "Tốt", "en": "Good"}},
                {"min": 9, "label": {"vi": "Khá", "en": "Fair"}},
                {"min": 6, "label": {"vi": "Trung bình", "en": "Average"}},
                {"min": 0, "label": {"vi": "Yếu", "en": "Weak"}},
            ],
        },
    }
)


def test_tt01_points_rescale_round_and_band() -> None:
    """Row 1, SIPAS.md §3.7: 2,2,1,2,2,2,2,2,1 → 16 → excellent.
    Row 2: index 8 and 9 not applicable; 13 of 14 points → 13·18/14 = 16.71 → 17 → excellent.
    Row 3: 6 answered, 5 points → 5·18/12 = 7.5 → 8 (halves up) → average.
    Row 4: 9 answered, 15 points → 15, not > 15 → good. Row 5: nothing answered → no band."""
    rows = [
        [2, 2, 1, 2, 2, 2, 2, 2, 1],
        [2, 2, 2, 2, 2, 2, 1, NAN, NAN],
        [1, 1, 1, 1, 1, 0, NAN, NAN, NAN],
        [2, 2, 2, 2, 2, 2, 1, 1, 1],
        [NAN] * 9,
    ]
    matrix = np.array(rows, dtype=float)
    answers = {f"i{k + 1}": matrix[:, k] for k in range(9)}
    assert TT01.points is not None
    scores = dossier_points(TT01.points, answers)
    assert scores.raw.tolist() == [16, 13, 5, 15, 0]
    assert scores.answered.tolist() == [9, 7, 6, 9, 0]
    assert scores.total[:4].tolist() == [16, 17, 8, 15]
    assert math.isnan(scores.total[4])
    assert scores.band.tolist() == [0, 0, 3, 1, -1]
    shares = band_shares(TT01.points, scores, SurveyDesign())
    assert [s.value for s in shares] == [0.5, 0.25, 0.0, 0.25, 0.0]
    assert shares[0].n == 4


def test_element_alphas_use_cronbach_on_each_element() -> None:
    """Element e: the planning example (α = 0.9, NaN row dropped); f has one criterion."""
    fw = Framework.from_dict(
        {
            "elements": [
                {"id": "e", "criteria": [{"item": "a"}, {"item": "b"}, {"item": "c"}]},
                {"id": "f", "criteria": [{"item": "d"}]},
            ]
        }
    )
    answers = {
        "a": [1, 2, 3, 4, 5],
        "b": [2, 3, 5, 4, NAN],
        "c": [3, 4, 4, 5, 1],
        "d": [1, 1, 1, 1, 1],
    }
    alphas = element_alphas(fw, answers)
    assert alphas["e"] == pytest.approx(0.9, abs=1e-14)
    assert math.isnan(alphas["f"])


def test_item_nonresponse_counts_only_rows_that_were_asked() -> None:
    answers = {
        "late": [1, 2, 1, NAN, 1],
        "apology": [1, NAN, NAN, NAN, 2],
    }
    table = item_nonresponse(answers, show_when={"apology": {"eq": ["late", 1]}})
    assert table["late"].asked == 5 and table["late"].missing == 1
    assert table["late"].rate == pytest.approx(0.2)
    apology = table["apology"]
    assert (apology.asked, apology.valid, apology.missing) == (3, 2, 1)
    assert apology.rate == pytest.approx(1 / 3)
    subset = item_nonresponse(answers, ["late"], domain=[True, True, False, False, False])
    assert subset["late"].asked == 2 and subset["late"].missing == 0
