"""Differences, rankings and target gaps."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from scipy import stats
from scoring_reference import (
    numeric_influence,
    ratio_and_influence,
    ultimate_cluster_variance,
    weighted_share,
)

from surveyapp.scoring import (
    Estimate,
    Framework,
    IndexResult,
    SurveyDesign,
    domain_difference,
    independent_difference,
    index_difference,
    rank_domains,
    score_by,
    target_gaps,
)

FW = Framework.from_dict(
    {
        "elements": [
            {"id": "a", "criteria": [{"item": "q0"}, {"item": "q1", "weight": 3}]},
            {"id": "b", "criteria": [{"item": "q2"}]},
        ]
    }
)


@pytest.fixture
def survey() -> dict[str, Any]:
    rng = np.random.default_rng(5)
    n = 80
    mood = rng.normal(0, 1, n)
    items = {
        f"q{j}": np.where(
            rng.random(n) < 0.1, np.nan, np.clip(np.round(3.4 + mood + rng.normal(0, 1, n)), 1, 5)
        )
        for j in range(3)
    }
    return {
        "items": items,
        "w": rng.uniform(1, 5, n),
        "strata": rng.integers(0, 3, n),
        "clusters": rng.integers(0, 4, n),  # PSUs hold rows of both domains
        "agency": rng.integers(0, 2, n),
        "round": rng.random(n) < 0.5,
    }


def overall(items: dict[str, np.ndarray], w: list[float], rows: list[bool]) -> float:
    sat = {4.0, 5.0}
    p = {k: weighted_share(list(v), w, sat, rows) for k, v in items.items()}
    return ((p["q0"] + 3 * p["q1"]) / 4 + p["q2"]) / 2


def test_index_difference_matches_brute_force_and_uses_the_covariance(
    survey: dict[str, Any],
) -> None:
    """u = ∂(θ_a − θ_b)/∂w by finite differences; V by the loop formula; p = 2·P(T_df > |t|)."""
    s = survey
    design = SurveyDesign(s["w"], strata=s["strata"], clusters=s["clusters"])
    a, b = s["agency"] == 0, s["agency"] == 1
    got = index_difference(FW, s["items"], design, a, b)
    w = list(s["w"])
    ra, rb = list(a), list(b)
    expected = overall(s["items"], w, ra) - overall(s["items"], w, rb)
    u = numeric_influence(lambda x: overall(s["items"], x, ra) - overall(s["items"], x, rb), w)
    var = ultimate_cluster_variance(u, list(s["strata"]), list(s["clusters"]))
    assert got.value == pytest.approx(expected, rel=1e-12)
    assert got.se == pytest.approx(math.sqrt(var), rel=1e-7)
    df = design.df
    assert got.df == df
    assert got.p_value == pytest.approx(
        2 * stats.t.sf(abs(expected / math.sqrt(var)), df), rel=1e-6
    )
    ua = numeric_influence(lambda x: overall(s["items"], x, ra), w)
    ub = numeric_influence(lambda x: overall(s["items"], x, rb), w)
    independent = math.sqrt(
        ultimate_cluster_variance(ua, list(s["strata"]), list(s["clusters"]))
        + ultimate_cluster_variance(ub, list(s["strata"]), list(s["clusters"]))
    )
    assert abs(got.se - independent) > 1e-4


def test_index_difference_of_overlapping_domains(survey: dict[str, Any]) -> None:
    """Round 2 vs everyone: the domains overlap; still the exact linearisation."""
    s = survey
    design = SurveyDesign(s["w"], strata=s["strata"])
    a = s["round"]
    everyone = np.ones_like(a)
    got = index_difference(FW, s["items"], design, a, everyone, figure="elements.a")
    w = list(s["w"])

    def element_a(x: list[float], rows: list[bool]) -> float:
        sat = {4.0, 5.0}
        return (
            weighted_share(list(s["items"]["q0"]), x, sat, rows)
            + 3 * weighted_share(list(s["items"]["q1"]), x, sat, rows)
        ) / 4

    u = numeric_influence(lambda x: element_a(x, list(a)) - element_a(x, [True] * len(w)), w)
    var = ultimate_cluster_variance(u, list(s["strata"]))
    assert got.se == pytest.approx(math.sqrt(var), rel=1e-7)


def test_domain_difference_of_means(survey: dict[str, Any]) -> None:
    s = survey
    design = SurveyDesign(s["w"], strata=s["strata"], clusters=s["clusters"])
    y = s["items"]["q0"]
    a, b = s["agency"] == 0, s["agency"] == 1
    got = domain_difference(design, y, a, b)
    ma, ua = ratio_and_influence(list(y), list(s["w"]), list(a))
    mb, ub = ratio_and_influence(list(y), list(s["w"]), list(b))
    u = [x - z for x, z in zip(ua, ub, strict=True)]
    var = ultimate_cluster_variance(u, list(s["strata"]), list(s["clusters"]))
    assert got.value == pytest.approx(ma - mb, rel=1e-12)
    assert got.se == pytest.approx(math.sqrt(var), rel=1e-10)
    t = stats.t.ppf(0.975, design.df)
    assert got.ci_low == pytest.approx(got.value - t * got.se, rel=1e-12)


def test_rank_domains_is_reproducible_and_orders_by_value() -> None:
    """Three agencies with clearly different shares (0.9, 0.5, 0.1 satisfied): every draw
    ranks them the same, so each rank interval is a single rank."""
    rng = np.random.default_rng(3)
    n = 600
    agency = np.repeat(["A", "B", "C"], 200)
    p = np.repeat([0.9, 0.5, 0.1], 200)
    codes = np.where(rng.random(n) < p, 5.0, 2.0)
    answers = {"q0": codes, "q1": codes, "q2": codes}
    design = SurveyDesign(strata=rng.integers(0, 4, n))
    ranks = rank_domains(FW, answers, design, agency, draws=2000, seed=1)
    assert [r.label for r in ranks] == ["A", "B", "C"]
    assert [(r.rank, r.rank_low, r.rank_high) for r in ranks] == [(1, 1, 1), (2, 2, 2), (3, 3, 3)]
    assert ranks[0].p_top == 1.0
    assert rank_domains(FW, answers, design, agency, draws=2000, seed=1) == ranks
    by = score_by(FW, answers, design, agency)
    assert ranks[1].estimate == by.domains["B"].overall


def test_rank_intervals_widen_when_domains_are_close() -> None:
    rng = np.random.default_rng(4)
    n = 400
    agency = np.repeat(["A", "B"], 200)
    codes = np.where(rng.random(n) < 0.6, 5.0, 2.0)
    answers = {"q0": codes, "q1": codes, "q2": codes}
    ranks = rank_domains(FW, answers, SurveyDesign(), agency, seed=2)
    assert all((r.rank_low, r.rank_high) == (1, 2) for r in ranks)
    assert 0.0 < ranks[0].p_top < 1.0


def test_target_gaps() -> None:
    """0.86 with CI [0.84, 0.88]: 0.85 is met by the estimate but within the CI ("uncertain",
    gap +0.01); 0.90 is missed (gap −0.04); 0.80 is met with confidence."""

    result = IndexResult(
        overall=Estimate(0.86, 0.01, 0.84, 0.88, 400),
        groups={},
        elements={},
        criteria={
            "q0": Estimate(0.90, 0.01, 0.88, 0.92, 400),
            "q1": Estimate(0.70, 0.01, 0.68, 0.72, 400),
        },
        indicators={},
    )
    gaps = target_gaps(result, {"overall": [0.85, 0.90, 0.80], "criteria": 0.85})
    assert [(g.gap, g.met, g.status) for g in gaps["overall"]] == [
        (pytest.approx(0.01), True, "uncertain"),
        (pytest.approx(-0.04), False, "missed"),
        (pytest.approx(0.06), True, "met"),
    ]
    assert gaps["criteria.q0"][0].status == "met"
    assert gaps["criteria.q1"][0].status == "missed"


def test_independent_difference_of_two_rounds() -> None:
    """Two rounds drawn apart: 0.80 (se 0.02) this year, 0.75 (se 0.015) last year.

    By hand: d = 0.05, se = sqrt(0.02² + 0.015²) = sqrt(0.000625) = 0.025, t = 2.
    With 100 df the two-sided p is 2·P(T₁₀₀ > 2) = 0.0482 (t tables), and the 95 %
    interval is 0.05 ± 1.984·0.025 = [0.0004, 0.0996].
    """
    now = Estimate(0.80, 0.02, 0.76, 0.84, 400)
    before = Estimate(0.75, 0.015, 0.72, 0.78, 500)
    diff = independent_difference(now, before, df=100)
    assert diff.value == pytest.approx(0.05)
    assert diff.se == pytest.approx(0.025)
    assert diff.t == pytest.approx(2.0)
    assert diff.p_value == pytest.approx(0.0482, abs=5e-4)
    assert diff.ci_low == pytest.approx(0.0004, abs=1e-4)
    assert diff.ci_high == pytest.approx(0.0996, abs=1e-4)
