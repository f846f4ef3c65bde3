"""Planning helpers against hand-worked values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from surveyapp.scoring import allocate, cronbach_alpha, par_points, required_sample_size, slovin

Z2 = 1.959963984540054**2  # 3.841458820694124


def test_slovin_sipas_example() -> None:
    """SIPAS.md §3.1: 2400 / (1 + 2400·0.0025) = 342.86 → 343."""
    assert slovin(2400) == 343
    assert slovin(100, margin=0.1) == 50
    assert slovin(0) == 0


def test_required_sample_size_rounds_once_at_the_end() -> None:
    """n0 = z²·0.25/0.05² = 384.146 → 385. With N = 2400: 384.146/(1 + 383.146/2400) = 331.2619;
    over a 60 % response rate 552.1 → 553 (rounding 331.26 up first would give 554)."""
    assert required_sample_size() == 385
    n = Z2 * 0.25 / 0.0025
    with_fpc = n / (1 + (n - 1) / 2400)
    assert with_fpc == pytest.approx(331.2619, abs=1e-4)
    assert required_sample_size(2400) == 332
    assert required_sample_size(2400, response_rate=0.6) == math.ceil(with_fpc / 0.6) == 553
    assert required_sample_size(deff=2.0) == 769  # 768.29
    assert required_sample_size(p=0.8, margin=0.03) == math.ceil(Z2 * 0.16 / 0.0009)


def test_allocate_proportional() -> None:
    assert allocate({"A": 500, "B": 300, "C": 200}, 100) == {"A": 50, "B": 30, "C": 20}


def test_allocate_largest_remainder_ties_go_to_the_first_listed() -> None:
    assert allocate({"A": 1, "B": 1, "C": 1}, 2, method="equal") == {"A": 1, "B": 1, "C": 0}
    assert allocate({"C": 1, "B": 1, "A": 1}, 2, method="equal") == {"C": 1, "B": 1, "A": 0}


def test_allocate_fixes_floors_and_repeats() -> None:
    """Shares 181.8 / 1.8 / 16.4: B breaks its floor min(20, 10) → 10; then C's share of the
    remaining 190 (15.7) breaks 20 → 20; A takes the remaining 170."""
    got = allocate({"A": 1000, "B": 10, "C": 90}, 200, minimum=20)
    assert got == {"A": 170, "B": 10, "C": 20}


def test_allocate_caps_at_stratum_size() -> None:
    """Equal: 20 each, A capped at 5, B and C share 55 → 27.5 each; the tie goes to B."""
    assert allocate({"A": 5, "B": 100, "C": 100}, 60, method="equal") == {"A": 5, "B": 28, "C": 27}


def test_allocate_neyman() -> None:
    """∝ N_h·S_h = 300 : 100 → 30 : 10."""
    got = allocate({"A": 100, "B": 100}, 40, method="neyman", sd={"A": 3.0, "B": 1.0})
    assert got == {"A": 30, "B": 10}


def test_allocate_refuses_impossible_requests() -> None:
    with pytest.raises(ValueError, match="exceeds"):
        allocate({"A": 5, "B": 5}, 11)
    with pytest.raises(ValueError, match="minimum"):
        allocate({"A": 50, "B": 50}, 15, minimum=10)
    with pytest.raises(ValueError, match="sd"):
        allocate({"A": 50}, 5, method="neyman")
    with pytest.raises(ValueError, match="unknown"):
        allocate({"A": 50}, 5, method="optimal")


def test_cronbach_alpha_by_hand() -> None:
    """Item variances 5/3, 5/3, 2/3 (sum 4); totals 6, 9, 12, 13 have variance 10;
    α = 3/2·(1 − 4/10) = 0.9. The row with a NaN is dropped first."""
    matrix = [[1, 2, 3], [2, 3, 4], [3, 5, 4], [4, 4, 5], [5, np.nan, 1]]
    assert cronbach_alpha(matrix) == pytest.approx(0.9, abs=1e-14)


def test_par_points() -> None:
    """SIPAS.md §3.6: 86.24 % of 25 points → 21.56."""
    assert par_points(0.8624, 25) == 21.56
    assert par_points(0.81, 6) == 4.86
