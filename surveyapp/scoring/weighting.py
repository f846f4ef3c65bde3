"""Final weights from base weights: nonresponse adjustment, raking, and their summary.

Pure numpy, no database: the service (``surveyapp.results.services.weighting``) gathers the
arrays. References: Valliant, Dever & Kreuter, *Practical Tools for Designing and
Weighting Survey Samples* (2nd ed., 2018), ch. 13–14; Kalton & Flores-Cervantes,
"Weighting methods", *J. Official Statistics* 19 (2003); Kish, *Survey Sampling* (1965),
§11.7; Lumley, *Complex Surveys* (2010), §7.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class WeightSummary:
    """Spread of a set of weights and what it costs in precision (Kish).

    ``cv`` uses the population standard deviation (divisor n), so that
    ``deff = 1 + cv**2 = n·Σw²/(Σw)²`` exactly and ``n_eff = n / deff = (Σw)²/Σw²``.
    """

    n: int
    total: float
    min: float
    max: float
    mean: float
    cv: float
    deff: float
    n_eff: float


def summarize(weights: npt.ArrayLike) -> WeightSummary:
    """Kish's design effect due to unequal weights: deff_w = 1 + CV²(w).

    Kish (1965, §11.7; 1992, "Weighting for unequal P_i", J. Official Statistics 8):
    deff_w = n Σw_i² / (Σw_i)² = 1 + CV², CV = sd(w)/mean(w) with divisor n;
    effective sample size n / deff_w. An empty set gives n = 0 and NaN elsewhere.
    """
    w = np.asarray(weights, dtype=np.float64)
    n = len(w)
    if n == 0:
        nan = float("nan")
        return WeightSummary(0, 0.0, nan, nan, nan, nan, nan, nan)
    total = float(w.sum())
    mean = total / n
    cv = float(w.std() / mean) if mean else float("nan")
    deff = 1.0 + cv * cv
    return WeightSummary(
        n=n,
        total=total,
        min=float(w.min()),
        max=float(w.max()),
        mean=mean,
        cv=cv,
        deff=deff,
        n_eff=n / deff,
    )


def summarize_by(weights: npt.ArrayLike, labels: npt.ArrayLike) -> dict[str, WeightSummary]:
    """``summarize`` within each label (stratum), labels in sorted order."""
    w = np.asarray(weights, dtype=np.float64)
    lab = np.asarray(labels).astype(str)
    return {str(label): summarize(w[lab == label]) for label in np.unique(lab)}


@dataclass(frozen=True)
class NonresponseResult:
    weights: FloatArray
    factors: dict[str, float]  # adjustment class → factor applied to its respondents


def nonresponse_adjustment(
    weights: npt.ArrayLike, classes: npt.ArrayLike, eligible_totals: Mapping[str, float]
) -> NonresponseResult:
    """Weighting-class nonresponse adjustment (Valliant et al. 2018, §13.3).

    Within adjustment class c, every respondent's base weight d_i is multiplied by
    f_c = Σ_{i ∈ s_c, eligible} d_i / Σ_{i ∈ r_c} d_i, where s_c is the sampled units
    of the class known not to be ineligible (AAPOR: respondents, eligible nonrespondents
    and units of unknown eligibility; known ineligibles leave the sum) and r_c its
    respondents. Respondents' weights then sum, class by class, to the eligible part of
    the sample's base-weight total.

    ``weights`` and ``classes`` describe the respondents; ``eligible_totals`` maps each
    class to Σ d_i over its eligible sampled units. Raises ``ValueError`` for a class
    whose respondents have no eligible total or weigh more than it (f_c < 1), and for
    a class with an eligible total but no respondents (its weight would be lost).
    """
    w = np.asarray(weights, dtype=np.float64)
    cls = np.asarray(classes).astype(str)
    present, inverse = np.unique(cls, return_inverse=True)
    respondent_totals = np.bincount(inverse, weights=w, minlength=len(present))
    factors: dict[str, float] = {}
    for label, responded in zip(present.tolist(), respondent_totals.tolist(), strict=True):
        eligible = eligible_totals.get(label)
        if eligible is None or eligible <= 0:
            raise ValueError(f"class {label!r} has respondents but no eligible sampled units")
        if responded <= 0:
            raise ValueError(f"class {label!r}: respondents' base weights sum to {responded}")
        if eligible < responded * (1 - 1e-9):
            raise ValueError(
                f"class {label!r}: respondents weigh {responded:g}, more than the "
                f"{eligible:g} of its eligible sampled units"
            )
        factors[label] = eligible / responded
    missing = sorted(set(eligible_totals) - set(factors))
    if missing:
        raise ValueError(f"classes without respondents: {', '.join(missing)}")
    per_row = np.array([factors[label] for label in present.tolist()], dtype=np.float64)
    return NonresponseResult(w * per_row[inverse], factors)


@dataclass(frozen=True)
class RakeResult:
    weights: FloatArray
    iterations: int  # full sweeps over the margins
    converged: bool
    max_error: float  # largest |Σw − T| / T over every margin category at the end


def rake(
    weights: npt.ArrayLike,
    variables: Sequence[npt.ArrayLike],
    targets: Sequence[Mapping[str, float]],
    *,
    tolerance: float = 1e-8,
    max_iterations: int = 100,
) -> RakeResult:
    """Raking (iterative proportional fitting) of weights to known margins.

    Deming & Stephan (1940); Kalton & Flores-Cervantes (2003, §2.3); R
    ``survey::rake`` (Lumley 2010, §7.3). Each sweep post-stratifies to every margin
    in turn: for variable v and category c, w_i ← w_i · T_vc / Σ_{j: x_vj = c} w_j.
    The sweeps stop when every margin is within ``tolerance`` (relative) of its
    target. With a single variable this is post-stratification and one sweep is exact.

    ``variables[k]`` holds each row's category (as text) of margin k and ``targets[k]``
    its population totals by category. Raises ``ValueError`` when a row's category has
    no target, or a target category has no rows (Σw = 0 cannot be scaled up).
    """
    w = np.asarray(weights, dtype=np.float64).copy()
    margins = [
        _margin(np.asarray(v).astype(str), t) for v, t in zip(variables, targets, strict=True)
    ]
    error = _max_error(w, margins)
    iterations = 0
    while error > tolerance and iterations < max_iterations:
        iterations += 1
        for codes, totals in margins:
            sums = np.bincount(codes, weights=w, minlength=len(totals))
            w *= (totals / sums)[codes]
        error = _max_error(w, margins)
    return RakeResult(w, iterations, error <= tolerance, error)


def _margin(
    labels: npt.NDArray[np.str_], target: Mapping[str, float]
) -> tuple[npt.NDArray[np.intp], FloatArray]:
    categories = list(target)
    index = {c: k for k, c in enumerate(categories)}
    unknown = sorted(set(np.unique(labels).tolist()) - set(index))
    if unknown:
        raise ValueError(f"rows in categories without a target: {', '.join(unknown)}")
    codes = np.array([index[label] for label in labels.tolist()], dtype=np.intp)
    counts = np.bincount(codes, minlength=len(categories))
    empty = [c for c, k in index.items() if counts[k] == 0]
    if empty:
        raise ValueError(f"target categories without rows: {', '.join(empty)}")
    return codes, np.array([float(target[c]) for c in categories])


def _max_error(w: FloatArray, margins: list[tuple[npt.NDArray[np.intp], FloatArray]]) -> float:
    worst = 0.0
    for codes, totals in margins:
        sums = np.bincount(codes, weights=w, minlength=len(totals))
        worst = max(worst, float(np.max(np.abs(sums - totals) / totals)))
    return worst
