"""Nonresponse adjustment, raking and the weights summary against hand-worked figures."""

from __future__ import annotations

import math

import numpy as np
import pytest

from surveyapp.scoring.weighting import nonresponse_adjustment, rake, summarize, summarize_by


def test_kish_design_effect_on_a_hand_example() -> None:
    """w = 1, 1, 2, 4: mean 2; deviations −1, −1, 0, 2 → variance (1+1+0+4)/4 = 1.5.

    CV² = 1.5 / 2² = 0.375 → deff = 1.375; n_eff = 4 / 1.375 = 2.9090…, which is also
    (Σw)²/Σw² = 8² / (1+1+4+16) = 64/22.
    """
    s = summarize([1, 1, 2, 4])
    assert (s.n, s.total, s.min, s.max, s.mean) == (4, 8.0, 1.0, 4.0, 2.0)
    assert s.cv == pytest.approx(math.sqrt(0.375))
    assert s.deff == pytest.approx(1.375)
    assert s.n_eff == pytest.approx(64 / 22)


def test_equal_weights_cost_nothing_and_empty_sets_are_nan() -> None:
    s = summarize([7.5] * 10)
    assert (s.cv, s.deff, s.n_eff) == (0.0, 1.0, 10.0)
    empty = summarize([])
    assert empty.n == 0 and math.isnan(empty.deff)


def test_summary_by_stratum() -> None:
    by = summarize_by([10, 10, 2, 4], ["A", "A", "B", "B"])
    assert list(by) == ["A", "B"]
    assert by["A"].deff == 1.0
    # B: mean 3, variance 1 → CV² = 1/9.
    assert by["B"].deff == pytest.approx(1 + 1 / 9)


def test_nonresponse_adjustment_by_hand() -> None:
    """Stratum A: 10 sampled at d = 10, one found ineligible, 6 respond.

    Eligible total 9 × 10 = 90, respondents 6 × 10 = 60 → f_A = 1.5, final weight 15;
    the respondents sum to 90 = the eligible part of N_A. Stratum B: 5 sampled at d = 4,
    none ineligible, 2 respond → f_B = 20/8 = 2.5, final weight 10.
    """
    weights = [10.0] * 6 + [4.0] * 2
    classes = ["A"] * 6 + ["B"] * 2
    result = nonresponse_adjustment(weights, classes, {"A": 90.0, "B": 20.0})
    assert result.factors == {"A": pytest.approx(1.5), "B": pytest.approx(2.5)}
    assert result.weights.tolist() == pytest.approx([15.0] * 6 + [10.0] * 2)
    assert result.weights[:6].sum() == pytest.approx(90.0)


def test_nonresponse_adjustment_refuses_classes_it_cannot_adjust() -> None:
    with pytest.raises(ValueError, match="no eligible sampled units"):
        nonresponse_adjustment([1.0], ["A"], {})
    with pytest.raises(ValueError, match="without respondents: B"):
        nonresponse_adjustment([1.0], ["A"], {"A": 2.0, "B": 3.0})
    with pytest.raises(ValueError, match="more than"):
        nonresponse_adjustment([5.0, 5.0], ["A", "A"], {"A": 6.0})


def _two_by_two() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    sex = np.array(["1"] * 20 + ["1"] * 30 + ["2"] * 25 + ["2"] * 25)
    age = np.array(["A"] * 20 + ["B"] * 30 + ["A"] * 25 + ["B"] * 25)
    return np.full(100, 10.0), sex, age


def test_raking_matches_the_closed_form_of_a_two_by_two_table() -> None:
    """Raking keeps the table's odds ratio and meets both margins (Deming & Stephan).

    Weighted cells (base weight 10): (1,A) 200, (1,B) 300, (2,A) 250, (2,B) 250, so the
    odds ratio is 200·250 / (300·250) = 2/3. Targets: sex 1: 480, 2: 520; age A: 550,
    B: 450. With x = m(1,A): m(1,B) = 480 − x, m(2,A) = 550 − x, m(2,B) = x − 30 and
    x(x − 30) = (2/3)(480 − x)(550 − x), i.e. x² + 1970x − 528000 = 0,
    x = (−1970 + √5992900)/2 ≈ 239.02. This is the fixed point R's
    ``survey::rake(design, list(~sex, ~age), list(pop_sex, pop_age))`` converges to.
    """
    base, sex, age = _two_by_two()
    result = rake(base, [sex, age], [{"1": 480, "2": 520}, {"A": 550, "B": 450}])
    x = (-1970 + math.sqrt(1970**2 + 4 * 528000)) / 2
    assert result.converged
    w = result.weights
    assert w[0] == pytest.approx(x / 20, rel=1e-7)  # cell (1,A) has 20 respondents
    assert w[20] == pytest.approx((480 - x) / 30, rel=1e-7)
    assert w[50] == pytest.approx((550 - x) / 25, rel=1e-7)
    assert w[75] == pytest.approx((x - 30) / 25, rel=1e-7)
    assert w[sex == "1"].sum() == pytest.approx(480)
    assert w[age == "B"].sum() == pytest.approx(450)


def test_one_margin_is_post_stratification_in_one_sweep() -> None:
    base, sex, _ = _two_by_two()
    result = rake(base, [sex], [{"1": 600, "2": 400}])
    assert result.iterations == 1 and result.converged
    assert result.weights[0] == pytest.approx(600 / 50)
    assert result.weights[-1] == pytest.approx(400 / 50)


def test_raking_refuses_an_empty_category_and_an_uncovered_one() -> None:
    base, sex, _ = _two_by_two()
    with pytest.raises(ValueError, match="without rows: 3"):
        rake(base, [sex], [{"1": 5, "2": 5, "3": 5}])
    with pytest.raises(ValueError, match="without a target: 2"):
        rake(base, [sex], [{"1": 5}])


def test_inconsistent_margins_do_not_converge() -> None:
    base, sex, age = _two_by_two()
    result = rake(base, [sex, age], [{"1": 500, "2": 500}, {"A": 900, "B": 900}])
    assert not result.converged and result.iterations == 100
    assert result.max_error > 0.1
