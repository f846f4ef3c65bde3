"""Sample size, allocation, reliability and PAR points."""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping
from typing import Any

import numpy as np

from surveyapp.scoring.intervals import normal_quantile

ALLOCATION_METHODS = ("proportional", "equal", "neyman")


def slovin(N: int, margin: float = 0.05) -> int:
    """Slovin's sample size ceil(N / (1 + N·e²)); SIPAS.md §3.1: N = 2400 → 343."""
    if N < 0:
        raise ValueError(f"population size must be >= 0, got {N}")
    if not margin > 0:
        raise ValueError(f"margin must be positive, got {margin}")
    return math.ceil(N / (1.0 + N * margin * margin))


def required_sample_size(
    N: int | None = None,
    *,
    margin: float = 0.05,
    level: float = 0.95,
    p: float = 0.5,
    deff: float = 1.0,
    response_rate: float = 1.0,
) -> int:
    """Sample size for a proportion: n0 = z²·p(1−p)·deff/e²; n = n0/(1 + (n0−1)/N); n/rr.

    Cochran (1977) §4.4 with the finite-population correction; rounded up once, at the end.
    """
    if not margin > 0:
        raise ValueError(f"margin must be positive, got {margin}")
    if not 0 < response_rate <= 1:
        raise ValueError(f"response_rate must be in (0, 1], got {response_rate}")
    if not 0 <= p <= 1:
        raise ValueError(f"p must be a proportion, got {p}")
    if not deff > 0:
        raise ValueError(f"deff must be positive, got {deff}")
    z = normal_quantile(level)
    n = z * z * p * (1.0 - p) * deff / (margin * margin)
    if N is not None:
        if N <= 0:
            raise ValueError(f"population size must be positive, got {N}")
        n = n / (1.0 + (n - 1.0) / N)
    return math.ceil(n / response_rate)


def allocate(
    sizes: Mapping[Hashable, float],
    n: int,
    *,
    method: str = "proportional",
    sd: Mapping[Hashable, float] | None = None,
    minimum: int = 0,
) -> dict[Hashable, int]:
    """Split a sample of ``n`` over strata of the given population ``sizes``.

    Shares ∝ N_h (proportional), 1 (equal) or N_h·S_h (neyman). Repeatedly fix every free
    stratum whose share of the remaining n breaks its cap (→ its size) or its floor
    (→ ``minimum`` capped by its size), then round the free strata by largest remainder
    (ties to the stratum listed first). The result sums to n.
    """
    if method not in ALLOCATION_METHODS:
        raise ValueError(f"unknown allocation method {method!r}; use one of {ALLOCATION_METHODS}")
    keys = list(sizes)
    cap = {k: _size(sizes[k], k) for k in keys}
    floor = {k: min(minimum, cap[k]) for k in keys}
    if n < 0 or int(n) != n:
        raise ValueError(f"n must be a non-negative integer, got {n}")
    if n > sum(cap.values()):
        raise ValueError(f"n = {n} exceeds the total population size {sum(cap.values())}")
    if n < sum(floor.values()):
        raise ValueError(f"n = {n} is below the sum of the stratum minimums {sum(floor.values())}")
    basis = _basis(keys, cap, method, sd)
    fixed, shares = _fix_breakers(keys, basis, cap, floor, n)
    if not shares and sum(fixed.values()) != n:
        # Fixing cap- and floor-breakers in the same round can fix every stratum and miss n
        # (a cap's excess would have lifted a floor-breaker, or the reverse); then solve
        # the bounded allocation exactly.
        fixed, shares = _water_fill(keys, basis, cap, floor, n)
    result = dict(fixed)
    base = {k: math.floor(shares[k]) for k in shares}
    left = n - sum(fixed.values()) - sum(base.values())
    by_remainder = sorted(shares, key=lambda k: (-(shares[k] - base[k]), keys.index(k)))
    for k in by_remainder[:left]:
        base[k] += 1
    result.update(base)
    return {k: result[k] for k in keys}


def _fix_breakers(
    keys: list[Hashable],
    basis: Mapping[Hashable, float],
    cap: Mapping[Hashable, int],
    floor: Mapping[Hashable, int],
    n: int,
) -> tuple[dict[Hashable, int], dict[Hashable, float]]:
    """Fixed strata and the shares of the free ones once no free stratum breaks a bound."""
    fixed: dict[Hashable, int] = {}
    free = list(keys)
    while free:
        remaining = n - sum(fixed.values())
        total = sum(basis[k] for k in free)
        if total > 0:
            shares = {k: remaining * basis[k] / total for k in free}
        else:
            shares = {k: remaining / len(free) for k in free}
        broken = {k: cap[k] for k in free if shares[k] > cap[k]}
        broken.update({k: floor[k] for k in free if shares[k] < floor[k]})
        if not broken:
            return fixed, shares
        fixed.update(broken)
        free = [k for k in free if k not in broken]
    return fixed, {}


def _water_fill(
    keys: list[Hashable],
    basis: Mapping[Hashable, float],
    cap: Mapping[Hashable, int],
    floor: Mapping[Hashable, int],
    n: int,
) -> tuple[dict[Hashable, int], dict[Hashable, float]]:
    """x_k = clamp(λ·b_k, floor_k, cap_k) with λ such that Σ x_k = n.

    Σ x_k grows continuously from Σ floor to Σ cap as λ grows, so bisection finds the
    strata held at a bound; the others share what is left in proportion to b_k.
    """

    def total(lam: float) -> float:
        return sum(min(max(lam * basis[k], floor[k]), cap[k]) for k in keys)

    low, high = 0.0, max((cap[k] / basis[k] for k in keys if basis[k] > 0), default=0.0)
    for _ in range(200):
        middle = (low + high) / 2
        low, high = (middle, high) if total(middle) < n else (low, middle)
    fixed = {
        k: floor[k] if high * basis[k] <= floor[k] else cap[k]
        for k in keys
        if not floor[k] < high * basis[k] < cap[k]
    }
    free = [k for k in keys if k not in fixed]
    left = n - sum(fixed.values())
    weight = sum(basis[k] for k in free)
    return fixed, {k: left * basis[k] / weight for k in free}


def _size(value: Any, key: Hashable) -> int:
    if int(value) != value or value < 0:
        raise ValueError(f"stratum {key!r}: size must be a non-negative integer, got {value!r}")
    return int(value)


def _basis(
    keys: list[Hashable],
    cap: Mapping[Hashable, int],
    method: str,
    sd: Mapping[Hashable, float] | None,
) -> dict[Hashable, float]:
    if method == "proportional":
        return {k: float(cap[k]) for k in keys}
    if method == "equal":
        return {k: 1.0 for k in keys}
    if sd is None:
        raise ValueError("neyman allocation needs sd (stratum → standard deviation)")
    missing = [k for k in keys if k not in sd]
    if missing:
        raise ValueError(f"sd has no value for strata {missing!r}")
    if any(sd[k] < 0 for k in keys):
        raise ValueError("standard deviations must be >= 0")
    return {k: cap[k] * float(sd[k]) for k in keys}


def cronbach_alpha(matrix: Any) -> float:
    """Cronbach's α = k/(k−1)·(1 − Σ var_item / var_total), ddof = 1, complete rows only."""
    data = np.asarray(matrix, dtype=np.float64)
    if data.ndim != 2:
        raise ValueError("cronbach_alpha needs a 2-D matrix (respondents × items)")
    k = data.shape[1]
    if k < 2:
        raise ValueError("cronbach_alpha needs at least two items")
    data = data[~np.isnan(data).any(axis=1)]
    if data.shape[0] < 2:
        return math.nan
    item_var = data.var(axis=0, ddof=1).sum()
    total_var = data.sum(axis=1).var(ddof=1)
    if total_var == 0:
        return math.nan
    return float(k / (k - 1) * (1.0 - item_var / total_var))


def par_points(value: float, max_points: float) -> float:
    """PAR points from a proportion: round(max_points × value, 2); 0.8624 of 25 → 21.56."""
    return round(max_points * value, 2)
