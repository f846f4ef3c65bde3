"""score / score_by against hand-worked figures and brute-force linearisation."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from scoring_reference import (
    numeric_influence,
    ratio_and_influence,
    ultimate_cluster_variance,
    weighted_share,
)

from surveyapp.scoring import Framework, SurveyDesign, score, score_by

Z95 = 1.959963984540054


def answers_with_shares(shares: list[int], n: int = 20) -> dict[str, np.ndarray]:
    """Item e{k}: `shares[k]` answers of 5, the rest 2 (n answers each)."""
    return {f"e{k}": np.array([5.0] * s + [2.0] * (n - s)) for k, s in enumerate(shares)}


def one_criterion_elements(k: int, **extra: Any) -> Framework:
    return Framework.from_dict(
        {
            "satisfied": [4, 5],
            "elements": [{"id": f"E{i}", "criteria": [{"item": f"e{i}"}]} for i in range(k)],
            **extra,
        }
    )


def test_sipas_2017_overall_is_mean_of_five_elements() -> None:
    """SIPAS.md §3.3: elements 80, 75, 85, 90, 70 % → SIPAS 80.00 %."""
    answers = answers_with_shares([16, 15, 17, 18, 14])
    result = score(one_criterion_elements(5), answers, SurveyDesign())
    assert [result.elements[f"E{i}"].value for i in range(5)] == pytest.approx(
        [0.80, 0.75, 0.85, 0.90, 0.70], abs=1e-15
    )
    assert result.overall.value == pytest.approx(0.80, abs=1e-15)
    assert result.groups == {}
    assert result.criteria["e0"].value == pytest.approx(0.8, abs=1e-15)


def test_groups_make_overall_the_mean_of_group_means() -> None:
    """SIPAS 2023: policy = (0.90 + 0.80)/2 = 0.85, service = 0.70 → (0.85 + 0.70)/2 = 0.775,
    not the mean of the three elements (0.80)."""
    fw = Framework.from_dict(
        {
            "satisfied": [4, 5],
            "groups": [{"id": "policy"}, {"id": "service"}],
            "elements": [
                {"id": "E0", "group": "policy", "criteria": [{"item": "e0"}]},
                {"id": "E1", "group": "policy", "criteria": [{"item": "e1"}]},
                {"id": "E2", "group": "service", "criteria": [{"item": "e2"}]},
            ],
        }
    )
    result = score(fw, answers_with_shares([18, 16, 14]), SurveyDesign())
    assert result.groups["policy"].value == pytest.approx(0.85, abs=1e-15)
    assert result.groups["service"].value == pytest.approx(0.70, abs=1e-15)
    assert result.overall.value == pytest.approx(0.775, abs=1e-15)


def test_criterion_weights_and_pooled_aggregation() -> None:
    """c1: 8 of 10 satisfied, c2: 1 of 5 (5 'no answer').
    mean with weights 2:1 → (2·0.8 + 0.2)/3 = 0.6; pooled → (8 + 1)/(10 + 5) = 0.6 too,
    so also weights 1:1: mean (0.8 + 0.2)/2 = 0.5 while pooled stays 0.6."""
    answers = {
        "c1": np.array([5.0] * 8 + [1.0] * 2),
        "c2": np.array([4.0] + [3.0] * 4 + [math.nan] * 5),
    }

    def fw(aggregate: str, w1: float) -> Framework:
        crit = [{"item": "c1", "weight": w1}, {"item": "c2"}]
        return Framework.from_dict(
            {"aggregate": aggregate, "elements": [{"id": "E", "criteria": crit}]}
        )

    design = SurveyDesign()
    assert score(fw("mean", 2), answers, design).overall.value == pytest.approx(0.6, abs=1e-15)
    assert score(fw("mean", 1), answers, design).overall.value == pytest.approx(0.5, abs=1e-15)
    pooled = score(fw("pooled", 2), answers, design).elements["E"]
    assert pooled.value == pytest.approx(0.6, abs=1e-15)
    assert pooled.n == 10


@pytest.fixture
def survey() -> dict[str, Any]:
    """Stratified two-stage sample with correlated criteria (a respondent 'mood')."""
    rng = np.random.default_rng(11)
    n = 90
    strata = rng.integers(0, 3, n)
    clusters = rng.integers(0, 5, n)
    w = rng.uniform(1.0, 6.0, n)
    mood = rng.normal(0, 1.2, n)
    items = {}
    for j in range(5):
        code = np.clip(np.round(3.5 + mood + rng.normal(0, 0.8, n)), 1, 5)
        code[rng.random(n) < 0.15] = np.nan
        items[f"q{j}"] = code
    items["late"] = rng.integers(1, 3, n).astype(float)
    items["apology"] = np.where(items["late"] == 1, rng.integers(1, 3, n), np.nan)
    items["trips"] = rng.integers(1, 5, n).astype(float)
    domain = rng.random(n) < 0.5
    return {"strata": strata, "clusters": clusters, "w": w, "items": items, "domain": domain}


FRAMEWORK = {
    "satisfied": [4, 5],
    "groups": [{"id": "g1", "weight": 2}, {"id": "g2"}],
    "elements": [
        {"id": "a", "group": "g1", "criteria": [{"item": "q0", "weight": 2}, {"item": "q1"}]},
        {"id": "b", "group": "g1", "weight": 3, "criteria": [{"item": "q2"}, {"item": "q3"}]},
        {"id": "c", "group": "g2", "criteria": [{"item": "q4"}, {"item": "q0"}]},
    ],
    "indicators": [
        {"id": "apology_when_late", "item": "apology", "codes": [1], "among": {"eq": ["late", 1]}},
        {"id": "multiple_trips", "item": "trips", "min": 2},
    ],
}


def reference_index(
    items: dict[str, np.ndarray], w: list[float], rows: list[bool], aggregate: str
) -> dict[str, float]:
    """Straight weighted shares and weighted means, element by element."""
    sat = {4.0, 5.0}
    crit = {k: weighted_share(list(v), w, sat, rows) for k, v in items.items() if k[0] == "q"}
    out: dict[str, float] = {}
    for e in FRAMEWORK["elements"]:
        if aggregate == "pooled":
            num = den = 0.0
            for c in e["criteria"]:
                for code, wi, keep in zip(items[c["item"]], w, rows, strict=True):
                    if keep and code == code:
                        den += wi
                        num += wi * (code in sat)
            out[e["id"]] = num / den
        else:
            weights = [c.get("weight", 1) for c in e["criteria"]]
            out[e["id"]] = sum(
                wt * crit[c["item"]] for wt, c in zip(weights, e["criteria"], strict=True)
            ) / sum(weights)
    g1 = (1 * out["a"] + 3 * out["b"]) / 4
    out["g1"], out["g2"] = g1, out["c"]
    out["overall"] = (2 * g1 + out["c"]) / 3
    return out


@pytest.mark.parametrize("aggregate", ["mean", "pooled"])
@pytest.mark.parametrize("use_domain", [False, True])
def test_element_group_overall_se_equal_brute_force_linearisation(
    survey: dict[str, Any], aggregate: str, use_domain: bool
) -> None:
    """se of every combination = sqrt(V(Σ u)) with u the numerical derivative of the
    estimator with respect to each row's weight (finite differences), V the loop-based
    ultimate-cluster variance; rows outside the domain are kept (their u is 0)."""
    s = survey
    items = {k: v for k, v in s["items"].items() if k.startswith("q")}
    n = len(s["w"])
    rows = list(s["domain"]) if use_domain else [True] * n
    fw = Framework.from_dict({**FRAMEWORK, "aggregate": aggregate})
    design = SurveyDesign(s["w"], strata=s["strata"], clusters=s["clusters"])
    result = score(fw, s["items"], design, domain=s["domain"] if use_domain else None)
    expected = reference_index(items, list(s["w"]), rows, aggregate)
    for key in ("a", "b", "c", "g1", "g2", "overall"):
        u = numeric_influence(
            lambda w, key=key: reference_index(items, w, rows, aggregate)[key], list(s["w"])
        )
        var = ultimate_cluster_variance(u, list(s["strata"]), list(s["clusters"]))
        est = (
            result.overall
            if key == "overall"
            else result.groups[key]
            if key.startswith("g")
            else result.elements[key]
        )
        assert est.value == pytest.approx(expected[key], rel=1e-12)
        assert est.se == pytest.approx(math.sqrt(var), rel=1e-7)
        assert est.ci_low == pytest.approx(est.value - Z95 * est.se, rel=1e-12)


def test_element_se_is_not_the_independent_criteria_approximation(survey: dict[str, Any]) -> None:
    """Criteria share respondents (mood), so sqrt(Σ a_j² se_j²) understates the element SE
    (the exact value is checked against brute force above)."""
    s = survey
    design = SurveyDesign(s["w"], strata=s["strata"])
    result = score(Framework.from_dict(FRAMEWORK), s["items"], design)
    naive = math.sqrt(
        (2 / 3) ** 2 * result.criteria["q0"].se ** 2 + (1 / 3) ** 2 * result.criteria["q1"].se ** 2
    )
    assert result.elements["a"].se > naive * 1.05


def test_criteria_and_indicators_match_design_proportion(survey: dict[str, Any]) -> None:
    """A criterion is design.proportion of [code ∈ satisfied] over valid answers; an indicator
    with `among` is a proportion in the domain where the rule holds."""
    s = survey
    design = SurveyDesign(s["w"], strata=s["strata"], clusters=s["clusters"])
    result = score(Framework.from_dict(FRAMEWORK), s["items"], design, domain=s["domain"])
    for j in range(5):
        x = s["items"][f"q{j}"]
        y = np.where(np.isnan(x), np.nan, np.isin(x, [4, 5]).astype(float))
        expected = design.proportion(y, domain=s["domain"])
        got = result.criteria[f"q{j}"]
        assert got.value == pytest.approx(expected.value, rel=1e-12)
        assert got.se == pytest.approx(expected.se, rel=1e-10)
        assert (got.ci_low, got.ci_high) == pytest.approx((expected.ci_low, expected.ci_high))
        assert got.n == expected.n
    apology = s["items"]["apology"]
    late = s["items"]["late"] == 1
    y = np.where(np.isnan(apology), np.nan, (apology == 1).astype(float))
    ratio, u = ratio_and_influence(list(y), list(s["w"]), list(late & s["domain"]))
    var = ultimate_cluster_variance(u, list(s["strata"]), list(s["clusters"]))
    got = result.indicators["apology_when_late"]
    assert got.value == pytest.approx(ratio, rel=1e-12)
    assert got.se == pytest.approx(math.sqrt(var), rel=1e-10)
    trips = (s["items"]["trips"] >= 2).astype(float)
    expected = design.proportion(trips, domain=s["domain"])
    assert result.indicators["multiple_trips"].value == pytest.approx(expected.value, rel=1e-12)


def test_element_n_counts_respondents_with_any_valid_criterion() -> None:
    answers = {
        "c1": np.array([5.0, math.nan, math.nan, 1.0]),
        "c2": np.array([math.nan, 4.0, math.nan, math.nan]),
    }
    fw = Framework.from_dict(
        {"elements": [{"id": "E", "criteria": [{"item": "c1"}, {"item": "c2"}]}]}
    )
    result = score(fw, answers, SurveyDesign())
    assert result.elements["E"].n == 3
    assert result.overall.n == 3
    assert result.criteria["c1"].n == 2


def test_unanimous_criterion_in_domain_has_zero_se_and_wilson_interval() -> None:
    answers = {"c1": np.array([5.0, 4.0, 5.0, 1.0, 2.0]), "c2": np.array([1.0, 5.0, 2.0, 4.0, 5.0])}
    fw = Framework.from_dict(
        {"elements": [{"id": "E", "criteria": [{"item": "c1"}, {"item": "c2"}]}]}
    )
    domain = np.array([True, True, True, False, False])
    result = score(fw, answers, SurveyDesign(strata=[0, 0, 1, 1, 1]), domain=domain)
    crit = result.criteria["c1"]
    assert (crit.value, crit.se, crit.n) == (1.0, 0.0, 3)
    assert crit.ci_low == pytest.approx(3 / (3 + Z95**2), rel=1e-14)
    assert crit.ci_high == 1.0


def test_score_by_equals_score_per_domain_and_overall(survey: dict[str, Any]) -> None:
    s = survey
    fw = Framework.from_dict({**FRAMEWORK, "aggregate": "pooled"})
    for clusters in (None, s["clusters"]):
        design = SurveyDesign(s["w"], strata=s["strata"], clusters=clusters)
        by = np.where(s["domain"], "north", np.where(s["strata"] == 0, "south", None))
        grouped = score_by(fw, s["items"], design, by)
        assert set(grouped.domains) == {"north", "south"}
        for label in ("north", "south"):
            single = score(fw, s["items"], design, domain=by == label)
            _assert_same(grouped.domains[label].as_dict(), single.as_dict())
        _assert_same(grouped.overall.as_dict(), score(fw, s["items"], design).as_dict())


def _assert_same(a: Any, b: Any) -> None:
    if isinstance(a, dict):
        assert a.keys() == b.keys()
        for k in a:
            _assert_same(a[k], b[k])
    elif isinstance(a, float):
        assert a == pytest.approx(b, rel=1e-10, abs=1e-14)
    else:
        assert a == b


def test_missing_item_is_reported_by_name() -> None:
    fw = one_criterion_elements(2)
    with pytest.raises(ValueError, match="e1"):
        score(fw, {"e0": np.array([5.0, 4.0])}, SurveyDesign())


def test_domain_without_answers_gives_nan_estimates_not_errors() -> None:
    fw = one_criterion_elements(1)
    result = score(fw, {"e0": np.array([5.0, math.nan])}, SurveyDesign(), domain=[False, True])
    assert result.overall.n == 0
    assert math.isnan(result.overall.value)
    assert result.as_dict()["criteria"]["e0"]["se"] is None


def test_large_sample_raw_moment_route_agrees_with_exact_centring(
    survey: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Unclustered samples above EXACT_ROWS use one-pass raw moments; force that route on
    a small sample and compare every figure with the exactly centred route."""
    from surveyapp.scoring import _engine

    s = survey
    fw = Framework.from_dict({**FRAMEWORK, "aggregate": "pooled"})
    design = SurveyDesign(s["w"], strata=s["strata"])
    by = np.where(s["domain"], "north", "south")
    exact = score_by(fw, s["items"], design, by)
    monkeypatch.setattr(_engine, "EXACT_ROWS", 0)
    raw = score_by(fw, s["items"], design, by)
    _assert_same(raw.overall.as_dict(), exact.overall.as_dict())
    for label in ("north", "south"):
        _assert_same(raw.domains[label].as_dict(), exact.domains[label].as_dict())


def test_unanimous_strata_give_exactly_zero_se_on_both_routes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Stratum A all satisfied, B all dissatisfied: p = 0.5 but, sampling within strata,
    with equal weights inside each stratum u is constant there: the variance is exactly 0."""
    from surveyapp.scoring import _engine

    answers = {"e0": np.array([5.0] * 6 + [1.0] * 6)}
    design = SurveyDesign([1.0] * 6 + [2.5] * 6, strata=["A"] * 6 + ["B"] * 6)
    for limit in (_engine.EXACT_ROWS, 0):
        monkeypatch.setattr(_engine, "EXACT_ROWS", limit)
        result = score(one_criterion_elements(1), answers, design)
        assert result.overall.se == 0.0
        assert result.criteria["e0"].se == 0.0


def test_indicator_with_empty_among_domain_leaves_the_index_alone() -> None:
    """Nobody was late, so 'apology among late' has no denominator: that indicator is NaN,
    while criteria, elements and the overall are unaffected (no 0 × NaN leak)."""
    fw = Framework.from_dict(
        {
            "elements": [{"id": "E0", "criteria": [{"item": "e0"}]}],
            "indicators": [
                {"id": "apology", "item": "apology", "codes": [1], "among": {"eq": ["late", 1]}}
            ],
        }
    )
    answers = {
        "e0": np.array([5.0, 4.0, 1.0, 2.0]),
        "late": np.array([2.0, 2.0, 2.0, 2.0]),
        "apology": np.array([math.nan] * 4),
    }
    result = score(fw, answers, SurveyDesign())
    assert math.isnan(result.indicators["apology"].value)
    assert result.indicators["apology"].n == 0
    assert result.overall.value == pytest.approx(0.5, abs=1e-15)
    assert result.overall.se == pytest.approx(math.sqrt(4 * 0.25 / (3 * 4)), rel=1e-12)
