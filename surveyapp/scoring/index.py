"""Framework → index: criteria, elements, groups, overall and indicators with SEs.

Criterion j in a domain is the ratio p_j = Σ w·[answer ∈ satisfied] / Σ w·[valid].
With ``aggregate = "mean"`` an element is E = Σ_j a_j p_j (a = criterion weights
normalised to 1); with ``"pooled"`` it is Σ_j Σ w·sat_j / Σ_j Σ w·valid_j. A group is
Σ_e b_e E_e and the overall index Σ_g c_g G_g (or Σ_e b_e E_e without groups), weights
normalised. Every such figure is a linear combination l·θ of ratio estimators θ whose
covariance V comes from one linearisation, so se = sqrt(lᵀ V l) is exact: criteria
keep their own denominators and correlated criteria are not assumed independent.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from surveyapp.scoring._engine import VALID, DomainStats, Engine, Int8Array
from surveyapp.scoring._rules import evaluate
from surveyapp.scoring.design import (
    Estimate,
    FloatArray,
    IntArray,
    Layout,
    SurveyDesign,
    nan_estimate,
)
from surveyapp.scoring.framework import Framework, Indicator
from surveyapp.scoring.intervals import proportion_interval, symmetric_interval


@dataclass(frozen=True)
class IndexResult:
    """Estimates of one domain: ``overall``, ``groups``, ``elements``, ``criteria``, ``indicators``.

    ``contrasts`` holds, for every element/group/overall id, the coefficient vector l over
    the ratio estimators and ``covariance`` their covariance V (internal detail kept for
    comparisons; see :func:`surveyapp.scoring.compare.difference`).
    """

    overall: Estimate
    groups: Mapping[str, Estimate]
    elements: Mapping[str, Estimate]
    criteria: Mapping[str, Estimate]
    indicators: Mapping[str, Estimate]
    covariance: FloatArray = field(default_factory=lambda: np.zeros((0, 0)), repr=False)

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of ``surveyapp score --format json`` (without survey/n)."""
        return {
            "overall": self.overall.as_dict(),
            "groups": {k: v.as_dict() for k, v in self.groups.items()},
            "elements": {k: v.as_dict() for k, v in self.elements.items()},
            "criteria": {k: v.as_dict() for k, v in self.criteria.items()},
            "indicators": {k: v.as_dict() for k, v in self.indicators.items()},
        }


@dataclass(frozen=True)
class DomainScores:
    """:func:`score_by` output: the whole population and one result per domain label."""

    overall: IndexResult
    domains: Mapping[Any, IndexResult]


class _Plan:
    """Base columns (criteria then indicators) and contrast vectors of one framework."""

    def __init__(self, fw: Framework) -> None:
        self.fw = fw
        self.items = fw.criteria_items
        col = {item: j for j, item in enumerate(self.items)}
        self.n_crit = len(self.items)
        n_base = self.n_crit + len(fw.indicators)
        pooled = fw.aggregate == "pooled"
        self.pooled = [[col[i] for i in e.items] for e in fw.elements] if pooled else []
        n_cols = n_base + len(self.pooled)
        self.n_cols = n_cols
        self.element_vec: dict[str, FloatArray] = {}
        for k, e in enumerate(fw.elements):
            vec = np.zeros(n_cols)
            if pooled:
                vec[n_base + k] = 1.0
            else:
                total = sum(c.weight for c in e.criteria)
                for c in e.criteria:
                    vec[col[c.item]] += c.weight / total
            self.element_vec[e.id] = vec
        self.group_vec: dict[str, FloatArray] = {}
        self.any_sets: list[list[int]] = [[col[i] for i in e.items] for e in fw.elements]
        for g in fw.groups:
            members = [e for e in fw.elements if e.group == g.id]
            total = sum(e.weight for e in members)
            self.group_vec[g.id] = sum(
                (e.weight / total * self.element_vec[e.id] for e in members), np.zeros(n_cols)
            )
            self.any_sets.append(sorted({col[i] for e in members for i in e.items}))
        if fw.groups:
            total = sum(g.weight for g in fw.groups)
            parts = [(g.weight / total, self.group_vec[g.id]) for g in fw.groups]
        else:
            total = sum(e.weight for e in fw.elements)
            parts = [(e.weight / total, self.element_vec[e.id]) for e in fw.elements]
        self.overall_vec = sum((wt * v for wt, v in parts), np.zeros(n_cols))
        self.any_sets.append(list(range(self.n_crit)))

    def columns(self, answers: Mapping[str, Any], n: int) -> list[Int8Array]:
        """q codes per base column: 0 not valid, 2 valid, 3 success."""
        sat = np.asarray(self.fw.satisfied, dtype=np.float64)
        cols = [_code(_answer(answers, item, n), lambda x: np.isin(x, sat)) for item in self.items]
        floats: dict[str, FloatArray] = {}
        for ind in self.fw.indicators:
            x = _answer(answers, ind.item, n)
            among = None
            if ind.among is not None:
                view = _LazyAnswers(answers, n, floats)
                among = evaluate(ind.among, view, n)
            cols.append(_code(x, _matcher(ind), among))
        return cols


class _LazyAnswers(Mapping[str, FloatArray]):
    def __init__(self, answers: Mapping[str, Any], n: int, cache: dict[str, FloatArray]) -> None:
        self._answers, self._n, self._cache = answers, n, cache

    def __getitem__(self, key: str) -> FloatArray:
        if key not in self._cache:
            self._cache[key] = _answer(self._answers, key, self._n)
        return self._cache[key]

    def __contains__(self, key: object) -> bool:
        return key in self._answers

    def __iter__(self) -> Any:
        return iter(self._answers)

    def __len__(self) -> int:
        return len(self._answers)


def _matcher(ind: Indicator) -> Any:
    if ind.codes is not None:
        codes = np.asarray(ind.codes, dtype=np.float64)
        return lambda x: np.isin(x, codes)
    low = -math.inf if ind.min is None else ind.min
    high = math.inf if ind.max is None else ind.max
    return lambda x: (x >= low) & (x <= high)


def _answer(answers: Mapping[str, Any], item: str, n: int) -> FloatArray:
    if item not in answers:
        raise ValueError(f"answers have no item {item!r} named by the framework")
    x = np.asarray(answers[item], dtype=np.float64)
    if x.shape != (n,):
        raise ValueError(f"answers[{item!r}] has {x.shape[0] if x.ndim else 0} rows, expected {n}")
    return x


def _code(x: FloatArray, match: Any, among: npt.NDArray[np.bool_] | None = None) -> Int8Array:
    valid = ~np.isnan(x)
    if among is not None:
        valid &= among
    success = match(x) & valid
    q: Int8Array = valid.view(np.int8) * np.int8(VALID)
    q += success.view(np.int8)
    return q


def answer_length(answers: Mapping[str, Any], design: SurveyDesign) -> int:
    if design.n is not None:
        return design.n
    for value in answers.values():
        return int(np.asarray(value).shape[0])
    raise ValueError("no answers given")


def _variance(var: float, scale: float) -> float:
    """A variance below 1e-11 of its rounding scale is the noise of a true 0."""
    return 0.0 if var <= 1e-11 * scale else var


def _compose(
    plan: _Plan, stats: DomainStats, *, df: int, level: float, method: str = "logit"
) -> IndexResult:
    ratio = stats.ratio.copy()
    cov = stats.cov.copy()
    n_base = plan.n_crit + len(plan.fw.indicators)
    props: list[Estimate] = []
    for j in range(n_base):
        nv, ns = int(stats.n_valid[j]), int(stats.n_success[j])
        if nv == 0:
            props.append(nan_estimate(0))
            continue
        if ns in (0, nv):
            ratio[j] = 1.0 if ns == nv else 0.0
            cov[j, :] = 0.0
            cov[:, j] = 0.0
            se = 0.0
        else:
            se = math.sqrt(_variance(cov[j, j], stats.scale[j, j]))
        low, high = proportion_interval(ratio[j], se, nv, df=df, method=method, level=level)
        props.append(Estimate(float(ratio[j]), se, low, high, nv))
    for e in range(len(plan.pooled)):
        col = n_base + e
        if ratio[col] in (0.0, 1.0):
            cov[col, :] = 0.0
            cov[:, col] = 0.0

    def linear(vec: FloatArray, n: int) -> Estimate:
        if n == 0:
            return nan_estimate(0)
        # Only the terms in the combination: an indicator with an empty ``among``
        # domain is NaN and must not leak into elements through 0 * NaN.
        used = np.flatnonzero(vec)
        coef, sub = vec[used], np.ix_(used, used)
        value = float(coef @ ratio[used])
        if math.isnan(value):  # a criterion without valid answers in the domain
            return nan_estimate(n)
        # A convex combination of proportions: clip the rounding of 22 × (1/22) etc.
        value = min(max(value, 0.0), 1.0)
        absvec = np.abs(coef)
        se = math.sqrt(
            _variance(float(coef @ cov[sub] @ coef), float(absvec @ stats.scale[sub] @ absvec))
        )
        low, high = symmetric_interval(value, se, level)
        return Estimate(value, se, low, high, n)

    fw = plan.fw
    n_any = stats.n_any
    elements = {
        e.id: linear(plan.element_vec[e.id], int(n_any[k])) for k, e in enumerate(fw.elements)
    }
    n_el = len(fw.elements)
    groups = {
        g.id: linear(plan.group_vec[g.id], int(n_any[n_el + k])) for k, g in enumerate(fw.groups)
    }
    return IndexResult(
        overall=linear(plan.overall_vec, int(n_any[-1])),
        groups=groups,
        elements=elements,
        criteria=dict(zip(plan.items, props[: plan.n_crit], strict=True)),
        indicators={ind.id: props[plan.n_crit + k] for k, ind in enumerate(fw.indicators)},
        covariance=cov,
    )


@dataclass(frozen=True)
class _Run:
    """One engine run: the plan, codes and per-domain statistics (shared with compare)."""

    plan: _Plan
    layout: Layout
    columns: list[Int8Array]
    codes: IntArray
    stats: list[DomainStats]
    whole: DomainStats | None


def _run(
    framework: Framework,
    answers: Mapping[str, Any],
    design: SurveyDesign,
    codes: IntArray,
    n_domains: int,
    *,
    overall: bool,
) -> _Run:
    plan = _Plan(framework)
    layout = design.layout(codes.shape[0])
    columns = plan.columns(answers, codes.shape[0])
    engine = Engine(layout, columns, plan.pooled, plan.any_sets, codes, n_domains)
    stats, whole = engine.run(overall=overall)
    return _Run(plan, layout, columns, codes, stats, whole)


def domain_codes(domain: Any, n: int) -> IntArray:
    """0 for rows in the boolean ``domain`` (everyone when None), −1 elsewhere."""
    if domain is None:
        return np.zeros(n, dtype=np.intp)
    mask = np.asarray(domain, dtype=bool)
    if mask.shape != (n,):
        raise ValueError(f"domain has {mask.shape[0] if mask.ndim else 0} rows, expected {n}")
    return np.where(mask, 0, -1).astype(np.intp)


def score(
    framework: Framework,
    answers: Mapping[str, Any],
    design: SurveyDesign,
    *,
    domain: Any = None,
    level: float = 0.95,
) -> IndexResult:
    """Index of a domain (default: everyone) with design-based SEs and CIs.

    ``answers`` maps item id → answer codes, NaN for missing / not applicable.
    """
    codes = domain_codes(domain, answer_length(answers, design))
    run = _run(framework, answers, design, codes, 1, overall=False)
    return _compose(run.plan, run.stats[0], df=run.layout.df, level=level)


def score_by(
    framework: Framework,
    answers: Mapping[str, Any],
    design: SurveyDesign,
    by: Sequence[Any] | npt.ArrayLike,
    *,
    level: float = 0.95,
) -> DomainScores:
    """Index of the whole population and of every domain ``by`` defines, in one pass.

    ``by`` holds a domain label per row (None or NaN: in no domain). Each domain result
    equals ``score(..., domain=(by == label))``.
    """
    labels, codes = factorise_domains(by, answer_length(answers, design))
    run = _run(framework, answers, design, codes, len(labels), overall=True)
    assert run.whole is not None
    df = run.layout.df
    return DomainScores(
        overall=_compose(run.plan, run.whole, df=df, level=level),
        domains={
            label: _compose(run.plan, s, df=df, level=level)
            for label, s in zip(labels, run.stats, strict=True)
        },
    )


def factorise_domains(by: Any, n: int) -> tuple[list[Any], IntArray]:
    """Sorted distinct labels and a code per row (−1 for None/NaN)."""
    arr = np.asarray(by)
    if arr.shape != (n,):
        raise ValueError(f"by has {arr.shape[0] if arr.ndim else 0} rows, expected {n}")
    if arr.dtype.kind == "f":
        missing = np.isnan(arr)
    elif arr.dtype.kind == "O":
        missing = np.array([v is None or (isinstance(v, float) and math.isnan(v)) for v in arr])
    else:
        missing = np.zeros(n, dtype=bool)
    present = arr[~missing]
    if arr.dtype.kind == "O":
        present = present.astype(str) if any(isinstance(v, str) for v in present) else present
    uniq, inv = np.unique(present, return_inverse=True)
    codes = np.full(n, -1, dtype=np.intp)
    codes[~missing] = inv.reshape(-1)
    return [v.item() if hasattr(v, "item") else v for v in uniq], codes
