"""The change between two rounds drawn apart: z on the difference, SEs combined."""

from __future__ import annotations

import math

import pytest

from surveyapp.scoring import Estimate, round_change


def _est(value: float, se: float) -> Estimate:
    return Estimate(value, se, value - 2 * se, value + 2 * se, 300)


def test_a_change_of_two_standard_errors_is_significant() -> None:
    """Worked by hand: se = sqrt(0.02² + 0.015²) = sqrt(0.000625) = 0.025;
    z = (0.80 − 0.75) / 0.025 = 2.0; p = 2·(1 − Φ(2)) = 2·(1 − 0.9772499) = 0.0455003
    (normal table); 95 % interval 0.05 ± 1.959964·0.025 = 0.05 ± 0.0489991."""
    change = round_change(_est(0.80, 0.02), _est(0.75, 0.015))
    assert change.value == pytest.approx(0.05)
    assert change.se == pytest.approx(0.025)
    assert change.z == pytest.approx(2.0)
    assert change.p_value == pytest.approx(0.0455003, abs=1e-7)
    assert change.ci_low == pytest.approx(0.0010009, abs=1e-7)
    assert change.ci_high == pytest.approx(0.0989991, abs=1e-7)
    assert change.significant


def test_a_small_change_with_large_errors_is_within_chance() -> None:
    """se = sqrt(0.03² + 0.04²) = 0.05 (a 3-4-5 triangle); z = (0.68 − 0.70) / 0.05 = −0.4;
    p = 2·(1 − Φ(0.4)) = 2·(1 − 0.6554217) = 0.6891566; at 90 % the interval is
    −0.02 ± 1.6448536·0.05 = −0.02 ± 0.0822427."""
    change = round_change(_est(0.68, 0.04), _est(0.70, 0.03), level=0.90)
    assert change.z == pytest.approx(-0.4)
    assert change.p_value == pytest.approx(0.6891566, abs=1e-7)
    assert change.ci_low == pytest.approx(-0.1022427, abs=1e-7)
    assert change.ci_high == pytest.approx(0.0622427, abs=1e-7)
    assert not change.significant


def test_a_side_without_a_value_gives_no_test() -> None:
    change = round_change(_est(0.8, 0.02), Estimate(math.nan, math.nan, math.nan, math.nan, 0))
    assert math.isnan(change.z) and math.isnan(change.p_value)
    assert not change.significant
