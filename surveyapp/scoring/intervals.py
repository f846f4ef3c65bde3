"""Confidence intervals for proportions and linear estimates.

All functions return ``(low, high)`` as floats; proportions stay in [0, 1].
"""

from __future__ import annotations

import math
from functools import lru_cache

from scipy import stats

PROPORTION_METHODS = ("logit", "wald", "wilson")


@lru_cache(maxsize=64)
def normal_quantile(level: float) -> float:
    """Two-sided normal quantile z_{1-(1-level)/2}."""
    _check_level(level)
    return float(stats.norm.ppf(0.5 + level / 2.0))


@lru_cache(maxsize=256)
def t_quantile(level: float, df: float) -> float:
    """Two-sided Student t quantile with ``df`` degrees of freedom (NaN when df <= 0)."""
    _check_level(level)
    if not df > 0:
        return math.nan
    return float(stats.t.ppf(0.5 + level / 2.0, df))


def symmetric_interval(value: float, se: float, level: float) -> tuple[float, float]:
    """value ± z·se with the normal quantile (R's ``confint`` for svymean/svytotal)."""
    z = normal_quantile(level)
    return value - z * se, value + z * se


def wilson_interval(p: float, n: float, level: float) -> tuple[float, float]:
    """Wilson score interval for a proportion ``p`` on ``n`` (effective) observations.

    centre = (p + z²/2n) / (1 + z²/n), half = z·sqrt(p(1−p)/n + z²/4n²) / (1 + z²/n).
    """
    if not n > 0 or math.isnan(p):
        return math.nan, math.nan
    z = normal_quantile(level)
    z2 = z * z
    denom = 1.0 + z2 / n
    centre = (p + z2 / (2.0 * n)) / denom
    half = z * math.sqrt(p * (1.0 - p) / n + z2 / (4.0 * n * n)) / denom
    # at p = 0 or 1 the bound is exactly 0 or 1; keep it so rather than 1 − 1e-16
    low = 0.0 if p == 0.0 else max(0.0, centre - half)
    high = 1.0 if p == 1.0 else min(1.0, centre + half)
    return low, high


def proportion_interval(
    p: float, se: float, n: int, *, df: float, method: str, level: float
) -> tuple[float, float]:
    """Interval for a design-based proportion ``p`` with standard error ``se``.

    - ``logit``: expit(logit(p) ± t_df·se/(p(1−p))) (R ``svyciprop(method="logit")``).
    - ``wald``: p ± z·se clipped to [0, 1].
    - ``wilson``: Wilson interval on n_eff = p(1−p)/se² (n when se = 0).
    Degenerate proportions (p exactly 0 or 1 with se 0) get the Wilson interval on ``n``
    whatever the method, so no interval is ever NaN for them.
    """
    if method not in PROPORTION_METHODS:
        raise ValueError(f"unknown proportion method {method!r}; use one of {PROPORTION_METHODS}")
    if math.isnan(p) or math.isnan(se):
        return math.nan, math.nan
    if se == 0.0:
        return wilson_interval(p, float(n), level)
    if method == "wald":
        z = normal_quantile(level)
        return max(0.0, p - z * se), min(1.0, p + z * se)
    if method == "wilson":
        n_eff = p * (1.0 - p) / (se * se)
        return wilson_interval(p, n_eff, level)
    if p <= 0.0 or p >= 1.0:
        return wilson_interval(p, float(n), level)
    t = t_quantile(level, df)
    centre = math.log(p / (1.0 - p))
    half = t * se / (p * (1.0 - p))
    return _expit(centre - half), _expit(centre + half)


def _expit(x: float) -> float:
    if math.isnan(x):
        return math.nan
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _check_level(level: float) -> None:
    if not 0.0 < level < 1.0:
        raise ValueError(f"confidence level must be between 0 and 1, got {level!r}")
