"""Independent textbook implementations used as references by the scoring tests.

Written with explicit Python loops over strata and PSUs, straight from the formulas
(Lohr, *Sampling: Design and Analysis*, 2nd ed., §9.1 "linearization" and eq. (6.9) for
with-replacement PSU variance; Wolter, *Introduction to Variance Estimation*, §6.11):

    V(θ̂) = Σ_h (1 − f_h) · n_h/(n_h − 1) · Σ_{i=1..n_h} (z_hi − z̄_h)²

with z_hi the sum over PSU i of the linearised values. Nothing here imports the code
under test, so agreement is evidence, not tautology.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Sequence


def ultimate_cluster_variance(
    u: Sequence[float],
    strata: Sequence[object] | None = None,
    clusters: Sequence[object] | None = None,
    fpc: Sequence[float] | None = None,
) -> float:
    """The ultimate-cluster variance of Σ u, by loops (single-PSU strata add 0)."""
    n = len(u)
    strata = strata if strata is not None else [0] * n
    clusters = clusters if clusters is not None else list(range(n))
    totals: dict[object, dict[object, float]] = defaultdict(lambda: defaultdict(float))
    population: dict[object, float] = {}
    for i in range(n):
        totals[strata[i]][clusters[i]] += u[i]
        if fpc is not None:
            population[strata[i]] = fpc[i]
    variance = 0.0
    for h, psus in totals.items():
        n_h = len(psus)
        if n_h < 2:
            continue
        mean = sum(psus.values()) / n_h
        ss = sum((z - mean) ** 2 for z in psus.values())
        f_h = n_h / population[h] if fpc is not None else 0.0
        variance += (1.0 - f_h) * n_h / (n_h - 1) * ss
    return variance


def ratio_and_influence(
    y: Sequence[float], w: Sequence[float], domain: Sequence[bool] | None = None
) -> tuple[float, list[float]]:
    """Weighted ratio mean over valid (non-NaN) rows of the domain and its influence values.

    Woodruff: u_i = w_i·(y_i − R)/Σw for valid rows of the domain, 0 elsewhere.
    """
    n = len(y)
    keep = [(not math.isnan(y[i])) and (domain is None or bool(domain[i])) for i in range(n)]
    total_w = sum(w[i] for i in range(n) if keep[i])
    ratio = sum(w[i] * y[i] for i in range(n) if keep[i]) / total_w
    return ratio, [w[i] * (y[i] - ratio) / total_w if keep[i] else 0.0 for i in range(n)]


def numeric_influence(
    estimator: Callable[[list[float]], float], w: Sequence[float], step: float = 1e-6
) -> list[float]:
    """Brute-force Jacobian: u_i = ∂θ(w ∘ (1 + t·e_i))/∂t at t = 0, central differences.

    The linearised value of an estimator that is a smooth function of weighted totals is
    exactly this derivative (Deville 1999, "influence function"); the check is
    independent of how the code under test derives it analytically.
    """
    out = []
    for i in range(len(w)):
        up = list(w)
        down = list(w)
        up[i] = w[i] * (1.0 + step)
        down[i] = w[i] * (1.0 - step)
        out.append((estimator(up) - estimator(down)) / (2.0 * step))
    return out


def weighted_share(
    codes: Sequence[float], w: Sequence[float], satisfied: set[float], rows: Sequence[bool]
) -> float:
    """Σ w·[code ∈ satisfied] / Σ w·[code valid] over the given rows."""
    num = den = 0.0
    for c, wi, keep in zip(codes, w, rows, strict=True):
        if keep and not math.isnan(c):
            den += wi
            if c in satisfied:
                num += wi
    return num / den
