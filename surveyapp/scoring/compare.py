"""Comparisons: differences between domains, rankings with rank intervals, target gaps.

Covariances between domains come from the same linearisation as the estimates: the
linearised values of each domain's figure (zero outside the domain) are stacked as
columns and :func:`~surveyapp.scoring.design.linearised_covariance` gives their exact
covariance under the design (strata, shared PSUs and all), so two agencies in the same
strata, or two periods held in one design, are not treated as independent.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import stats as sps

from surveyapp.scoring._engine import poly_coefficients
from surveyapp.scoring.design import (
    Estimate,
    FloatArray,
    SurveyDesign,
    linearised_covariance,
)
from surveyapp.scoring.framework import Framework
from surveyapp.scoring.index import (
    _compose,
    _Plan,
    _Run,
    _run,
    answer_length,
    domain_codes,
    factorise_domains,
)
from surveyapp.scoring.intervals import t_quantile


@dataclass(frozen=True)
class Difference:
    """a − b with its standard error, a t test of a = b (df = design df) and a t interval."""

    value: float
    se: float
    ci_low: float
    ci_high: float
    t: float
    df: int
    p_value: float


@dataclass(frozen=True)
class Ranking:
    """One domain's place: ``rank`` 1 = highest value; [rank_low, rank_high] is the interval
    of simulated ranks; ``p_top`` the share of draws in which it ranked first."""

    label: Any
    estimate: Estimate
    rank: int
    rank_low: int
    rank_high: int
    p_top: float


@dataclass(frozen=True)
class Gap:
    """Distance of an estimate to a target (proportions): ``gap`` = value − target.

    ``status`` is "met" when the whole CI is at or above the target, "missed" when it is
    wholly below, "uncertain" otherwise.
    """

    target: float
    value: float
    gap: float
    met: bool
    status: str


def figure_vector(plan: _Plan, figure: str) -> FloatArray:
    """Coefficients over the ratio columns for "overall", "groups.<id>", "elements.<id>",
    "criteria.<item>" or "indicators.<id>"."""
    if figure == "overall":
        return plan.overall_vec
    part, _, key = figure.partition(".")
    vec = np.zeros(plan.n_cols)
    if part == "elements" and key in plan.element_vec:
        return plan.element_vec[key]
    if part == "groups" and key in plan.group_vec:
        return plan.group_vec[key]
    if part == "criteria" and key in plan.items:
        vec[plan.items.index(key)] = 1.0
        return vec
    ids = [i.id for i in plan.fw.indicators]
    if part == "indicators" and key in ids:
        vec[plan.n_crit + ids.index(key)] = 1.0
        return vec
    raise ValueError(f"unknown figure {figure!r}")


def _row_values(run: _Run, vec: FloatArray, n_domains: int) -> FloatArray:
    """Each row's linearised value of the figure l·θ for the domain it belongs to.

    u_i = w_i·Σ_j (A_j[d]·q_ij + B_j[d]·q_ij²) with A, B the α, β of the engine's
    polynomial (pooled columns folded into their criteria).
    """
    plan, n_base = run.plan, len(run.columns)
    alpha = np.zeros((n_domains + 1, plan.n_cols))
    beta = np.zeros_like(alpha)
    for d, st in enumerate(run.stats):
        a, b = poly_coefficients(st.ratio, st.weight)
        alpha[d], beta[d] = a * vec, b * vec
    a_eff, b_eff = alpha[:, :n_base].copy(), beta[:, :n_base].copy()
    for e, cols in enumerate(plan.pooled):
        a_eff[:, cols] += alpha[:, n_base + e][:, None]
        b_eff[:, cols] += beta[:, n_base + e][:, None]
    bucket = np.where(run.codes < 0, n_domains, run.codes)
    u = np.zeros(run.codes.shape[0])
    for j in np.flatnonzero(np.abs(a_eff).sum(axis=0) + np.abs(b_eff).sum(axis=0)):
        q = run.columns[j].astype(np.float64)
        u += (a_eff[bucket, j] + b_eff[bucket, j] * q) * q
    weights: FloatArray = run.layout.weights
    return u * weights


def _difference(a: float, b: float, cov: FloatArray, df: int, level: float) -> Difference:
    value = a - b
    se = math.sqrt(max(float(cov[0, 0] + cov[1, 1] - 2.0 * cov[0, 1]), 0.0))
    t = value / se if se > 0 else math.nan
    p = float(2.0 * sps.t.sf(abs(t), df)) if se > 0 and df > 0 else math.nan
    half = t_quantile(level, df) * se
    return Difference(value, se, value - half, value + half, t, df, p)


def index_difference(
    framework: Framework,
    answers: Mapping[str, Any],
    design: SurveyDesign,
    domain_a: Any,
    domain_b: Any,
    *,
    figure: str = "overall",
    level: float = 0.95,
) -> Difference:
    """Difference of an index figure between two domains (e.g. two agencies or two survey
    rounds held in one design), se = sqrt(V_a + V_b − 2·C_ab) with the design covariance."""
    n = answer_length(answers, design)
    runs = [
        _run(framework, answers, design, domain_codes(m, n), 1, overall=False)
        for m in (domain_a, domain_b)
    ]
    vec = figure_vector(runs[0].plan, figure)
    values = [
        _pick(_compose(r.plan, r.stats[0], df=r.layout.df, level=level), figure).value for r in runs
    ]
    u = np.stack([_row_values(r, vec, 1) for r in runs], axis=1)
    cov = linearised_covariance(u, runs[0].layout)
    return _difference(values[0], values[1], cov, runs[0].layout.df, level)


def independent_difference(a: Estimate, b: Estimate, *, df: int, level: float = 0.95) -> Difference:
    """a − b for estimates from independent samples (two survey rounds drawn apart):
    se = sqrt(se_a² + se_b²), t test and interval with ``df`` degrees of freedom (pass
    the smaller of the two designs' df: the conservative choice)."""
    cov = np.array([[a.se**2, 0.0], [0.0, b.se**2]])
    return _difference(a.value, b.value, cov, df, level)


@dataclass(frozen=True)
class RoundChange:
    """a − b between two rounds on the normal scale: its SE, normal interval, z, p and
    whether it is significant at the level asked for."""

    value: float
    se: float
    ci_low: float
    ci_high: float
    z: float
    p_value: float
    significant: bool

    def as_dict(self) -> dict[str, float | bool | None]:
        """Every field, a non-finite number as None (JSON friendly)."""

        def clean(x: float) -> float | None:
            return x if math.isfinite(x) else None

        return {
            "value": clean(self.value),
            "se": clean(self.se),
            "ci_low": clean(self.ci_low),
            "ci_high": clean(self.ci_high),
            "z": clean(self.z),
            "p_value": clean(self.p_value),
            "significant": self.significant,
        }


def round_change(a: Estimate, b: Estimate, *, level: float = 0.95) -> RoundChange:
    """The change from round b to round a, two samples drawn apart (independent).

    Each SE is design-based (its round's own linearisation); independence gives
    se = sqrt(se_a² + se_b²), z = (a − b) / se, p = 2·(1 − Φ(|z|)); significant when
    p < 1 − level (|z| > 1.96 at 95 %). Interval (a − b) ± z_{(1+level)/2}·se. A side
    without a finite value or SE gives NaN throughout and never significant.
    """
    value = a.value - b.value
    se = math.sqrt(a.se**2 + b.se**2) if math.isfinite(a.se) and math.isfinite(b.se) else math.nan
    if not (math.isfinite(value) and se > 0):
        return RoundChange(value, se, math.nan, math.nan, math.nan, math.nan, False)
    z = value / se
    p = float(2.0 * sps.norm.sf(abs(z)))
    half = float(sps.norm.ppf(0.5 + level / 2.0)) * se
    return RoundChange(value, se, value - half, value + half, z, p, p < 1.0 - level)


def domain_difference(
    design: SurveyDesign,
    y: Any,
    domain_a: Any,
    domain_b: Any,
    *,
    level: float = 0.95,
) -> Difference:
    """Difference of ratio means (or proportions, for 0/1 y) between two domains."""
    values = np.asarray(y, dtype=np.float64)
    layout = design.layout(values.shape[0])
    cols, means = [], []
    for name, mask in (("domain_a", domain_a), ("domain_b", domain_b)):
        valid = ~np.isnan(values) & np.asarray(mask, dtype=bool)
        w = np.where(valid, layout.weights, 0.0)
        if not w.sum() > 0:
            raise ValueError(f"{name} has no valid rows with positive weight")
        y0 = np.where(valid, values, 0.0)
        mean = float(w @ y0) / float(w.sum())
        means.append(mean)
        cols.append(w * (y0 - mean) / float(w.sum()))
    cov = linearised_covariance(np.stack(cols, axis=1), layout)
    return _difference(means[0], means[1], cov, layout.df, level)


def rank_domains(
    framework: Framework,
    answers: Mapping[str, Any],
    design: SurveyDesign,
    by: Sequence[Any] | npt.ArrayLike,
    *,
    figure: str = "overall",
    level: float = 0.95,
    draws: int = 10_000,
    seed: int = 0,
) -> list[Ranking]:
    """Rank domains (e.g. agencies, "7th of 16") by a figure, with rank intervals.

    Rank intervals by simulation: draw ``draws`` vectors from N(θ̂, V̂) where θ̂ are the
    domains' estimates and V̂ their design covariance (with covariances, not assuming
    independent agencies), rank each draw (1 = highest), and report the (1−level)/2 and
    1 − (1−level)/2 quantiles of each domain's simulated ranks. ``seed`` feeds
    ``numpy.random.default_rng`` so the intervals are reproducible. Domains without an
    estimate (no valid answers) are left out. Sorted by rank.
    """
    labels, codes = factorise_domains(by, answer_length(answers, design))
    run = _run(framework, answers, design, codes, len(labels), overall=False)
    vec = figure_vector(run.plan, figure)
    results = [_compose(run.plan, s, df=run.layout.df, level=level) for s in run.stats]
    estimates = [_pick(r, figure) for r in results]
    keep = [d for d, e in enumerate(estimates) if not math.isnan(e.value)]
    rows = _row_values(run, vec, len(labels))
    u = np.zeros((rows.shape[0], len(keep)))
    for k, d in enumerate(keep):
        u[:, k] = np.where(codes == d, rows, 0.0)
    cov = linearised_covariance(u, run.layout)
    theta = np.array([estimates[d].value for d in keep])
    rng = np.random.default_rng(seed)
    sims = rng.multivariate_normal(theta, cov, size=draws, method="eigh")
    ranks = (-sims).argsort(axis=1).argsort(axis=1) + 1
    tail = (1.0 - level) / 2.0
    low = np.quantile(ranks, tail, axis=0, method="lower")
    high = np.quantile(ranks, 1.0 - tail, axis=0, method="higher")
    observed = (-theta).argsort(kind="stable").argsort() + 1
    out = [
        Ranking(
            labels[d],
            estimates[d],
            int(observed[k]),
            int(low[k]),
            int(high[k]),
            float(np.mean(ranks[:, k] == 1)),
        )
        for k, d in enumerate(keep)
    ]
    return sorted(out, key=lambda r: r.rank)


def _pick(result: Any, figure: str) -> Estimate:
    if figure == "overall":
        est: Estimate = result.overall
        return est
    part, _, key = figure.partition(".")
    est = getattr(result, part)[key]
    return est


def target_gap(estimate: Estimate, target: float) -> Gap:
    """Gap of one estimate to one target (e.g. 0.85)."""
    gap = estimate.value - target
    if estimate.ci_low >= target:
        status = "met"
    elif estimate.ci_high < target:
        status = "missed"
    else:
        status = "uncertain"
    return Gap(target, estimate.value, gap, bool(estimate.value >= target), status)


def target_gaps(
    result: Any, targets: Mapping[str, float | Sequence[float]]
) -> dict[str, list[Gap]]:
    """Gaps for every targeted figure of an IndexResult.

    Keys: "overall", "<part>.<id>" (part = groups, elements, criteria, indicators), or a
    bare part name meaning every figure of it (Cần Thơ: "every criterion ≥ 85 %" is
    ``{"criteria": 0.85}``). Values: one target or several (``[0.85, 0.90]``).
    """
    out: dict[str, list[Gap]] = {}
    for key, value in targets.items():
        levels = [float(value)] if isinstance(value, int | float) else [float(v) for v in value]
        if key in ("groups", "elements", "criteria", "indicators"):
            figures = [f"{key}.{k}" for k in getattr(result, key)]
        else:
            figures = [key]
        for fig in figures:
            est = _pick(result, fig)
            out[fig] = [target_gap(est, t) for t in levels]
    return out


__all__ = [
    "Difference",
    "Gap",
    "Ranking",
    "RoundChange",
    "domain_difference",
    "independent_difference",
    "index_difference",
    "rank_domains",
    "round_change",
    "target_gap",
    "target_gaps",
]
