"""Dossier totals and bands come from the options' points, not from the answer codes."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from surveyapp.questionnaire.document import Questionnaire
from surveyapp.questionnaire.templates import load_template
from surveyapp.results.services.arrays import LoadedArrays, answer_points
from surveyapp.scoring import Framework, SurveyDesign, band_shares, dossier_points

NAN = math.nan
ITEMS = ["a", "b", "c"]
SCHEME = Framework.from_dict(
    {
        "elements": [{"id": "x", "criteria": [{"item": "a"}]}],
        "points": {
            "items": ITEMS,
            "item_max": 10,
            "bands": [
                {"min": 25, "label": {"en": "Top"}},
                {"min": 15, "label": {"en": "Middle"}},
                {"min": 0, "label": {"en": "Low"}},
            ],
        },
    }
).points


def document(version: int, points: list[float]) -> dict[str, Any]:
    """Codes 1..4 score ``points``; code 9 is "not applicable"."""
    options: list[dict[str, Any]] = [
        {"code": code, "label": str(code), "points": value}
        for code, value in zip([1, 2, 3, 4], points, strict=True)
    ]
    options.append({"code": 9, "label": "n/a", "missing": True})
    items = [{"id": i, "type": "single", "scale": "pts", "label": i} for i in ITEMS]
    return {
        "id": "points-test",
        "version": version,
        "title": "t",
        "scales": {"pts": {"options": options}},
        "sections": [{"id": "s", "title": "S", "items": items}],
    }


def arrays(codes: list[list[float]], versions: list[int], docs: dict[int, Any]) -> LoadedArrays:
    matrix = np.array(codes, dtype=np.float64)
    n = len(codes)
    return LoadedArrays(
        response_ids=np.arange(1, n + 1, dtype=np.int64),
        agency_ids=np.ones(n, dtype=np.int64),
        weights=np.ones(n),
        strata=np.array([""] * n, dtype=np.str_),
        answers={item: matrix[:, j] for j, item in enumerate(ITEMS)},
        versions=np.array(versions, dtype=np.int64),
        questionnaires={v: Questionnaire(doc) for v, doc in docs.items()},
    )


def test_totals_and_bands_add_up_each_versions_option_points_not_codes() -> None:
    """Version 1 scores codes 1..4 as 0, 2, 5, 10 points; version 2 as 0, 6, 8, 10.
    Three items of at most 10 points, so the full scale is 30 (N/A rescales to it).

    row  version  codes      points         answered  total                 band
    1    1        4, 4, 3    10+10+5 = 25   3         25                    Top (≥ 25)
    2    1        2, 9, 3    2+5 = 7        2         7·30/20 = 10.5 → 11   Low
    3    1        1, 1, 1    0              3         0                     Low
    4    2        4, 3, 3    10+8+8 = 26    3         26                    Top
    5    2        –, –, –    0              0         none                  none
    6    1        4, 3, –    10+5 = 15      2         15·30/20 = 22.5 → 23  Middle

    Adding the codes instead would give 11, 5→8, 3, 10, –, 7→11: all Low.
    """
    loaded = arrays(
        [[4, 4, 3], [2, 9, 3], [1, 1, 1], [4, 3, 3], [NAN, NAN, NAN], [4, 3, NAN]],
        [1, 1, 1, 2, 2, 1],
        {1: document(1, [0, 2, 5, 10]), 2: document(2, [0, 6, 8, 10])},
    )
    points = answer_points(loaded, ITEMS)
    assert np.array_equal(points["b"], [10, NAN, 0, 8, NAN, 5], equal_nan=True)
    assert SCHEME is not None
    scores = dossier_points(SCHEME, points)
    assert scores.raw.tolist() == [25, 7, 0, 26, 0, 15]
    assert scores.answered.tolist() == [3, 2, 3, 3, 0, 2]
    assert np.array_equal(scores.total, [25, 11, 0, 26, NAN, 23], equal_nan=True)
    assert scores.band.tolist() == [0, 2, 2, 0, -1, 1]
    shares = band_shares(SCHEME, scores, SurveyDesign())
    assert [s.value for s in shares] == [0.4, 0.2, 0.4]


def test_tt01_points_equal_its_codes_and_not_applicable_is_rescaled() -> None:
    """SIPAS.md §3.7: 2,2,1,2,2,2,2,2,1 → 16, excellent; with indices 8 and 9 not
    applicable (code 9, no points): 13 of 14 points → 13·18/14 = 16.71 → 17, excellent."""
    template = load_template("tt01-dossier")
    scheme = Framework.from_dict(template["framework"]).points
    assert scheme is not None
    rows = np.array([[2, 2, 1, 2, 2, 2, 2, 2, 1], [2, 2, 2, 2, 2, 2, 1, 9, 9]], dtype=float)
    loaded = LoadedArrays(
        response_ids=np.array([1, 2]),
        agency_ids=np.array([1, 1]),
        weights=np.ones(2),
        strata=np.array(["", ""], dtype=np.str_),
        answers={item: rows[:, j] for j, item in enumerate(scheme.items)},
        versions=np.array([1, 1]),
        questionnaires={1: Questionnaire(template)},
    )
    scores = dossier_points(scheme, answer_points(loaded, scheme.items))
    assert scores.answered.tolist() == [9, 7]
    assert scores.total.tolist() == [16, 17]
    assert scores.band.tolist() == [0, 0]
