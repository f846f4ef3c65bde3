"""Survey design and the Taylor-linearisation variance core.

Variance of an estimator θ̂ with linearised values u_i (per row, already multiplied by
the weight) uses the ultimate-cluster approximation (Wolter 2007 §6; R ``survey``)::

    V(θ̂) = Σ_h (1 − f_h) · n_h/(n_h − 1) · Σ_i (z_hi − z̄_h)²,   z_hi = Σ_{rows of PSU i} u

where n_h counts the PSUs sampled in stratum h in the whole design and f_h = n_h/N_h
(0 without ``fpc``). A stratum with one PSU contributes 0 (R's
``survey.lonely.psu = "remove"``); a :class:`SingletonStratumWarning` says so.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from surveyapp.scoring.intervals import proportion_interval, symmetric_interval

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
BoolArray = npt.NDArray[np.bool_]

#: Estimates on fewer valid rows than this are flagged "small" (publish with care).
SMALL_N = 30
#: Estimates on fewer valid rows than this are flagged "suppressed" (do not publish).
SUPPRESS_N = 10


class SingletonStratumWarning(UserWarning):
    """A stratum has a single PSU: it contributes nothing to variances."""


@dataclass(frozen=True)
class Estimate:
    """A design-based estimate: proportions in [0, 1], never percents.

    ``n`` is the unweighted count of valid rows (respondents) in the domain.
    """

    value: float
    se: float
    ci_low: float
    ci_high: float
    n: int

    @property
    def flag(self) -> str | None:
        """Small-sample flag: ``"suppressed"`` when n < 10, ``"small"`` when n < 30, else None."""
        if self.n < SUPPRESS_N:
            return "suppressed"
        if self.n < SMALL_N:
            return "small"
        return None

    @property
    def suppressed(self) -> bool:
        """True when n < 10: too few answers to publish the figure."""
        return self.n < SUPPRESS_N

    def as_dict(self) -> dict[str, float | int | None]:
        """``{value, se, ci_low, ci_high, n}`` with NaN turned into None (JSON friendly)."""

        def clean(x: float) -> float | None:
            return None if math.isnan(x) else x

        return {
            "value": clean(self.value),
            "se": clean(self.se),
            "ci_low": clean(self.ci_low),
            "ci_high": clean(self.ci_high),
            "n": self.n,
        }


def nan_estimate(n: int = 0) -> Estimate:
    """The estimate of something with no valid data (everything NaN)."""
    return Estimate(math.nan, math.nan, math.nan, math.nan, n)


@dataclass(frozen=True)
class Layout:
    """Integer codes of a design for ``n`` rows, factorised once.

    ``stratum`` (n,) codes 0..H−1; ``psu`` (n,) codes 0..G−1 ordered by stratum, or None
    when every row is its own PSU; ``psu_stratum`` (G,); ``n_h`` PSUs per stratum;
    ``factor`` = (1 − f_h)·n_h/(n_h − 1), 0 for single-PSU strata.
    """

    n: int
    weights: FloatArray
    stratum: IntArray
    n_strata: int
    psu: IntArray | None
    n_psu: int
    psu_stratum: IntArray
    n_h: FloatArray
    factor: FloatArray

    @property
    def df(self) -> int:
        return self.n_psu - self.n_strata


def _factorise(labels: Any, name: str, n: int | None) -> IntArray:
    arr = np.asarray(labels)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional")
    if n is not None and arr.shape[0] != n:
        raise ValueError(f"{name} has {arr.shape[0]} rows, expected {n}")
    if arr.dtype.kind == "f" and np.isnan(arr).any():
        raise ValueError(f"{name} has missing labels (row {int(np.flatnonzero(np.isnan(arr))[0])})")
    if arr.dtype.kind == "O":
        if any(v is None for v in arr):
            raise ValueError(f"{name} has missing labels")
        arr = arr.astype(str)
    _, codes = np.unique(arr, return_inverse=True)
    return codes.reshape(-1).astype(np.intp)


def _as_vector(values: Any, name: str, n: int | None) -> FloatArray:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional")
    if n is not None and arr.shape[0] != n:
        raise ValueError(f"{name} has {arr.shape[0]} rows, expected {n}")
    return arr


def build_layout(
    n: int,
    weights: FloatArray | None,
    strata: IntArray | None,
    clusters: IntArray | None,
    fpc: FloatArray | None,
) -> Layout:
    """Factorise strata and PSUs (the pair (stratum, id)) and derive the variance factors."""
    stratum = strata if strata is not None else np.zeros(n, dtype=np.intp)
    n_strata = int(stratum.max()) + 1 if n else 0
    if clusters is None:
        psu = None
        n_psu = n
        psu_stratum = stratum
    else:
        span = int(clusters.max()) + 1 if n else 1
        uniq, inverse = np.unique(stratum.astype(np.int64) * span + clusters, return_inverse=True)
        psu = inverse.reshape(-1).astype(np.intp)
        n_psu = int(uniq.shape[0])
        psu_stratum = (uniq // span).astype(np.intp)
    n_h = np.bincount(psu_stratum, minlength=n_strata).astype(np.float64)
    f_h = np.zeros(n_strata)
    if fpc is not None:
        first = np.unique(stratum, return_index=True)[1]
        big_n = fpc[first]
        if not np.array_equal(fpc, big_n[stratum]):
            raise ValueError("fpc must be constant within each stratum")
        if (big_n < n_h).any():
            h = int(np.flatnonzero(big_n < n_h)[0])
            raise ValueError(
                f"fpc gives a population size {big_n[h]:g} smaller than the {int(n_h[h])} "
                "PSUs sampled in its stratum"
            )
        f_h = n_h / big_n
        if weights is None:
            weights = (big_n / n_h)[stratum]
    if weights is None:
        weights = np.ones(n)
    if not np.isfinite(weights).all() or (weights < 0).any():
        raise ValueError("weights must be finite and non-negative")
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(n_h > 1, (1.0 - f_h) * n_h / (n_h - 1.0), 0.0)
    if (n_h == 1).any():
        warnings.warn(
            f"{int((n_h == 1).sum())} stratum/strata with a single PSU contribute 0 to variances",
            SingletonStratumWarning,
            stacklevel=3,
        )
    return Layout(n, weights, stratum, n_strata, psu, n_psu, psu_stratum, n_h, factor)


def linearised_covariance(u: FloatArray, layout: Layout) -> FloatArray:
    """k×k covariance of estimators whose (weighted) linearised values are the columns of u.

    Z = PSU totals centred within strata, V = Zᵀ·diag(factor_h)·Z (one matrix product).
    """
    u2 = u.reshape(layout.n, -1)
    if layout.psu is None:
        totals = u2
        psu_stratum = layout.stratum
    else:
        totals = np.stack(
            [np.bincount(layout.psu, weights=col, minlength=layout.n_psu) for col in u2.T], axis=1
        )
        psu_stratum = layout.psu_stratum
    sums = np.stack(
        [np.bincount(psu_stratum, weights=col, minlength=layout.n_strata) for col in totals.T],
        axis=1,
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        means = sums / layout.n_h[:, None]
    centred = totals - means[psu_stratum]
    cov: FloatArray = (centred * layout.factor[psu_stratum, None]).T @ centred
    return cov


class SurveyDesign:
    """A complex sample: weights, strata, clusters (PSUs) and finite-population sizes.

    ``SurveyDesign(weights=None, *, strata=None, clusters=None, fpc=None)``; see the module
    docstring for the variance. ``df`` = number of PSUs − number of strata (whole design).
    A design given no arrays adapts to the length of the data it is used with.
    """

    def __init__(
        self,
        weights: Any = None,
        *,
        strata: Any = None,
        clusters: Any = None,
        fpc: Any = None,
    ) -> None:
        n: int | None = None
        for arr in (weights, strata, clusters, fpc):
            if arr is not None:
                n = int(np.asarray(arr).shape[0])
                break
        self._n = n
        self._weights = None if weights is None else _as_vector(weights, "weights", n)
        self._strata = None if strata is None else _factorise(strata, "strata", n)
        self._clusters = None if clusters is None else _factorise(clusters, "clusters", n)
        self._fpc = None if fpc is None else _as_vector(fpc, "fpc", n)
        self._layouts: dict[int, Layout] = {}
        if n is not None:
            self.layout(n)

    @property
    def n(self) -> int | None:
        """Number of rows, or None for a design given no arrays."""
        return self._n

    @property
    def df(self) -> int:
        """Degrees of freedom of the whole design: number of PSUs − number of strata."""
        if self._n is None:
            raise ValueError("a design without arrays has no fixed size; df depends on the data")
        return self.layout(self._n).df

    def layout(self, n: int) -> Layout:
        """The factorised codes for ``n`` rows (cached)."""
        if self._n is not None and n != self._n:
            raise ValueError(f"data has {n} rows but the design has {self._n}")
        cached = self._layouts.get(n)
        if cached is None:
            cached = build_layout(n, self._weights, self._strata, self._clusters, self._fpc)
            self._layouts[n] = cached
        return cached

    def _prepare(self, y: Any, domain: Any) -> tuple[FloatArray, BoolArray, Layout]:
        values = _as_vector(y, "y", self._n)
        layout = self.layout(values.shape[0])
        valid = ~np.isnan(values)
        if domain is not None:
            mask = np.asarray(domain, dtype=bool)
            if mask.shape != values.shape:
                raise ValueError(f"domain has {mask.shape[0]} rows, expected {values.shape[0]}")
            valid &= mask
        return values, valid, layout

    def mean(self, y: Any, *, domain: Any = None, level: float = 0.95) -> Estimate:
        """Ratio mean Σwy/Σw over valid rows of the domain; CI value ± z·se."""
        values, valid, layout = self._prepare(y, domain)
        n = int(valid.sum())
        w = np.where(valid, layout.weights, 0.0)
        total_w = float(w.sum())
        if n == 0 or total_w == 0.0:
            return nan_estimate(n)
        y0 = np.where(valid, values, 0.0)
        value = float(w @ y0) / total_w
        u = w * (y0 - value) / total_w
        se = math.sqrt(max(float(linearised_covariance(u, layout)[0, 0]), 0.0))
        low, high = symmetric_interval(value, se, level)
        return Estimate(value, se, low, high, n)

    def total(self, y: Any, *, domain: Any = None, level: float = 0.95) -> Estimate:
        """Horvitz–Thompson total Σwy over valid rows of the domain; CI value ± z·se."""
        values, valid, layout = self._prepare(y, domain)
        n = int(valid.sum())
        u = np.where(valid, layout.weights * np.where(valid, values, 0.0), 0.0)
        value = float(u.sum())
        se = math.sqrt(max(float(linearised_covariance(u, layout)[0, 0]), 0.0))
        low, high = symmetric_interval(value, se, level)
        return Estimate(value, se, low, high, n)

    def proportion(
        self, y: Any, *, domain: Any = None, method: str = "logit", level: float = 0.95
    ) -> Estimate:
        """Share of 1s among valid 0/1 values of y in the domain, with a proportion CI.

        Logit CI uses the t quantile with ``design.df``; an all-1 (all-0) domain gives
        p = 1 (0), se = 0 and the Wilson interval on n for every method.
        """
        values, valid, layout = self._prepare(y, domain)
        bad = valid & (values != 0.0) & (values != 1.0)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise ValueError(f"proportion needs 0/1 values; row {row} has {values[row]!r}")
        n = int(valid.sum())
        if n == 0:
            return nan_estimate(0)
        ones = int((valid & (values == 1.0)).sum())
        if ones in (0, n):
            p = 1.0 if ones == n else 0.0
            low, high = proportion_interval(p, 0.0, n, df=layout.df, method=method, level=level)
            return Estimate(p, 0.0, low, high, n)
        w = np.where(valid, layout.weights, 0.0)
        total_w = float(w.sum())
        if total_w == 0.0:
            return nan_estimate(n)
        y0 = np.where(valid, values, 0.0)
        p = float(w @ y0) / total_w
        u = w * (y0 - p) / total_w
        se = math.sqrt(max(float(linearised_covariance(u, layout)[0, 0]), 0.0))
        low, high = proportion_interval(p, se, n, df=layout.df, method=method, level=level)
        return Estimate(p, se, low, high, n)
