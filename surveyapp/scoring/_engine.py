"""The engine behind score/score_by: many ratio estimators, many domains, one design.

Each *base column* b is a ratio R_b = Σ w·[success] / Σ w·[valid] coded per row as
q = 0 (not valid), 2 (valid, no success), 3 (success). *Pooled* columns are ratios of
sums of base columns (Σ_j successes / Σ_j valid answers of an element).

For domain d the linearised value of R is u_i = w_i·(num_i − R_d·den_i)/W_d for rows of
d and 0 elsewhere (Woodruff), here written u = α·w·q + β·w·q² (:func:`_poly_tables`), so
every variance needs only per-PSU sums of x = [w·q | w·q²]. Covariances follow the
ultimate-cluster formula of :mod:`surveyapp.scoring.design`; for a domain

    Σ_i (z_hi − z̄_h)(z_hi − z̄_h)ᵀ = Σ_{PSUs of d in h} (z − z̄_h)(z − z̄_h)ᵀ
                                      + (n_h − n_hd)·z̄_h z̄_hᵀ

where z̄_h = Σ_{i∈h} z_hi / n_h over all n_h PSUs of the stratum (those without rows in
d have z = 0) and n_hd counts the PSUs of h with rows in d.

Pass 1 gets weighted sums per (domain, stratum) cell with one ``bincount`` per column.
Pass 2 walks the rows in cache-sized chunks sorted by domain and either sums x per
(domain, PSU) and centres exactly (clustered or smaller samples), or accumulates one
Gram matrix of x per domain (large unclustered samples; see :meth:`Engine.run`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from surveyapp.scoring.design import FloatArray, IntArray, Layout

Int8Array = npt.NDArray[np.int8]

VALID = 2
SUCCESS = 3
_CHUNK = 32768
#: Unclustered samples up to this many rows get exactly centred variances (see Engine.run).
EXACT_ROWS = 200_000


@dataclass(frozen=True)
class DomainStats:
    """Ratios, weighted totals, counts and covariance for one domain.

    Columns are the base columns followed by the pooled columns. ``scale`` bounds the
    rounding error of ``cov`` (see :meth:`Engine.run`); ``n_any[s]`` counts rows with a
    valid answer in column set s.
    """

    ratio: FloatArray
    weight: FloatArray
    n_valid: npt.NDArray[np.int64]
    n_success: npt.NDArray[np.int64]
    cov: FloatArray
    scale: FloatArray
    n_any: npt.NDArray[np.int64]


def _poly_tables(
    success: FloatArray, weight: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Ratios R = S/W and their coefficients (α, β) from :func:`poly_coefficients`."""
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = success / weight
    alpha, beta = poly_coefficients(ratio, weight)
    return ratio, alpha, beta


def poly_coefficients(ratio: FloatArray, weight: FloatArray) -> tuple[FloatArray, FloatArray]:
    """(α, β) with u/w = α·q + β·q² for q ∈ {0, 2, 3}; 0 where W = 0.

    u/w must be 0 (q = 0), −R/W (q = 2) and (1 − R)/W (q = 3); solving 2α + 4β = −R/W,
    3α + 9β = (1 − R)/W gives α = −(4 + 5R)/(6W), β = (2 + R)/(6W). Sums over columns of
    α·q + β·q² give the pooled ratios' linearised values with the same coefficients.
    """
    safe = weight > 0
    r0 = np.where(safe, ratio, 0.0)
    w0 = np.where(safe, weight, 1.0)
    alpha = np.where(safe, -(4.0 + 5.0 * r0) / (6.0 * w0), 0.0)
    beta = np.where(safe, (2.0 + r0) / (6.0 * w0), 0.0)
    return alpha, beta


def _column_sets(sets: Sequence[Sequence[int]]) -> list[slice | IntArray]:
    """Each set of columns as a slice when contiguous (no copy), else an index array."""
    out: list[slice | IntArray] = []
    for cols in sets:
        c = list(cols)
        if c == list(range(c[0], c[0] + len(c))):
            out.append(slice(c[0], c[0] + len(c)))
        else:
            out.append(np.asarray(c, dtype=np.intp))
    return out


class Engine:
    """Estimates every column in every domain (and optionally the whole population)."""

    def __init__(
        self,
        layout: Layout,
        columns: Sequence[Int8Array],
        pooled: Sequence[Sequence[int]],
        any_sets: Sequence[Sequence[int]],
        domain: IntArray,
        n_domains: int,
    ) -> None:
        self.layout = layout
        self.columns = columns
        self.pooled = _column_sets(pooled)
        self.pooled_idx = [np.asarray(p, dtype=np.intp) for p in pooled]
        self.any_sets = [np.asarray(s, dtype=np.intp) for s in any_sets]
        self.n_base = len(columns)
        self.n_cols = self.n_base + len(pooled)
        self.n_domains = n_domains
        # rows outside every domain go to an extra bucket D
        self.bucket = np.where(domain < 0, n_domains, domain).astype(np.intp)

    def _pass_one(self) -> tuple[FloatArray, FloatArray, npt.NDArray[np.int64]]:
        """Weighted successes and valid weights per (bucket, stratum, column); any-valid counts.

        One weighted ``bincount`` per column over the code (bucket, stratum, q).
        """
        lay = self.layout
        n_buckets = self.n_domains + 1
        n_cells = n_buckets * lay.n_strata
        base4 = (self.bucket * lay.n_strata + lay.stratum) * 4
        shape = (n_buckets, lay.n_strata, 4)
        success = np.empty((n_buckets, lay.n_strata, self.n_cols))
        weight = np.empty_like(success)
        member = np.zeros((self.n_base, len(self.any_sets)), dtype=bool)
        for k, cols in enumerate(self.any_sets):
            member[cols, k] = True
        anyvalid = np.zeros((len(self.any_sets), lay.n), dtype=bool)
        for b, q in enumerate(self.columns):
            sums = np.bincount(base4 + q, weights=lay.weights, minlength=n_cells * 4)
            sums = sums.reshape(shape)
            success[..., b] = sums[..., SUCCESS]
            weight[..., b] = sums[..., SUCCESS] + sums[..., VALID]
            valid = q > 0
            for set_index in np.flatnonzero(member[b]):
                anyvalid[set_index] |= valid
        for e, cols in enumerate(self.pooled_idx):
            success[..., self.n_base + e] = success[..., cols].sum(axis=-1)
            weight[..., self.n_base + e] = weight[..., cols].sum(axis=-1)
        n_any = np.zeros((n_buckets, len(self.any_sets)), dtype=np.int64)
        for k, rows in enumerate(anyvalid):
            n_any[:, k] = np.bincount(self.bucket[rows], minlength=n_buckets)
        return success, weight, n_any

    def _chunks(
        self,
        w_scaled: FloatArray,
        counts: npt.NDArray[np.int64],
        perm: IntArray | None = None,
        *,
        outside: bool = True,
    ) -> Iterator[tuple[int, IntArray | slice, FloatArray]]:
        """Yield (bucket, rows, x) with x = [w·q ; w·q²] (2m × rows), one bucket per chunk.

        Rows come in ``perm`` order (default: sorted by bucket; ``perm`` must be sorted by
        bucket too). Pooled columns follow the base columns in each half. Counts of valid
        answers and successes per (bucket, column) are added to ``counts`` on the way.
        ``outside=False`` skips the rows outside every domain.
        """
        nb, m = self.n_base, self.n_cols
        n_buckets = self.n_domains + 1
        sizes = np.bincount(self.bucket, minlength=n_buckets)
        if perm is None and np.count_nonzero(sizes) > 1:
            key = self.bucket.astype(np.int16 if n_buckets < 32000 else np.intp)
            perm = np.argsort(key, kind="stable")
        bounds = np.concatenate([[0], np.cumsum(sizes)])
        if not outside:
            sizes[self.n_domains] = 0
        for d in np.flatnonzero(sizes):
            for start in range(int(bounds[d]), int(bounds[d + 1]), _CHUNK):
                stop = min(int(bounds[d + 1]), start + _CHUNK)
                rows: IntArray | slice = slice(start, stop) if perm is None else perm[start:stop]
                w = w_scaled[rows]
                x = np.empty((2 * m, stop - start))
                for b, col in enumerate(self.columns):
                    q = col[rows]
                    np.multiply(q, w, out=x[b])
                    np.multiply(x[b], q, out=x[m + b])
                    counts[d, b, 0] += np.count_nonzero(q)
                    counts[d, b, 1] += np.count_nonzero(q == SUCCESS)
                for e, cols in enumerate(self.pooled):
                    x[nb + e] = x[:nb][cols].sum(axis=0)
                    x[m + nb + e] = x[m : m + nb][cols].sum(axis=0)
                yield int(d), rows, x

    def _grams_by_row(
        self, w_scaled: FloatArray, counts: npt.NDArray[np.int64], *, outside: bool
    ) -> FloatArray:
        """Σ over each bucket's rows of x xᵀ, x = sqrt(factor_h)·[w·q ; w·q²] (rows = PSUs)."""
        m2 = 2 * self.n_cols
        grams = np.zeros((self.n_domains + 1, m2, m2))
        for d, _, x in self._chunks(w_scaled, counts, outside=outside):
            grams[d] += x @ x.T
        return grams

    def _unit_totals(
        self, psu: IntArray, n_psu: int, counts: npt.NDArray[np.int64]
    ) -> tuple[FloatArray, IntArray, IntArray]:
        """[w·q | w·q²] summed per (bucket, PSU) unit; units sorted by bucket then PSU."""
        units, unit_of_row = np.unique(
            self.bucket.astype(np.int64) * n_psu + psu, return_inverse=True
        )
        unit_of_row = unit_of_row.reshape(-1)
        totals = np.zeros((units.shape[0], 2 * self.n_cols))
        # unit codes are bucket-major, so this order is also sorted by bucket
        perm = np.argsort(unit_of_row, kind="stable").astype(np.intp)
        for _, rows, x in self._chunks(self.layout.weights, counts, perm):
            keys = unit_of_row[rows]
            starts = np.flatnonzero(np.concatenate([[True], keys[1:] != keys[:-1]]))
            totals[keys[starts]] += np.add.reduceat(x, starts, axis=1).T
        return totals, (units // n_psu).astype(np.intp), (units % n_psu).astype(np.intp)

    def _centred_cov(
        self,
        totals: FloatArray,
        strata: IntArray,
        alpha: FloatArray,
        beta: FloatArray,
        absent: FloatArray,
    ) -> FloatArray:
        """Σ_h factor_h·[Σ_units (z − z̄_h)(z − z̄_h)ᵀ + absent_h·z̄_h z̄_hᵀ], z = α·T₁ + β·T₂.

        z̄_h averages over all n_h PSUs of the stratum; ``absent_h`` counts those with no
        unit here (their z is 0).
        """
        lay, m = self.layout, self.n_cols
        z = totals[:, :m] * alpha + totals[:, m:] * beta
        sums = np.zeros((lay.n_strata, m))
        np.add.at(sums, strata, z)
        with np.errstate(invalid="ignore", divide="ignore"):
            zbar = np.nan_to_num(sums / lay.n_h[:, None])
        centred = (z - zbar[strata]) * np.sqrt(lay.factor)[strata][:, None]
        cov: FloatArray = centred.T @ centred
        cov += (zbar * (lay.factor * absent)[:, None]).T @ zbar
        return cov

    def _exact(
        self,
        counts: npt.NDArray[np.int64],
        dom: tuple[FloatArray, FloatArray],
        whole: tuple[FloatArray, FloatArray] | None,
    ) -> tuple[list[FloatArray], FloatArray | None]:
        """Exactly centred covariances from (domain, PSU) totals (rows when unclustered)."""
        lay = self.layout
        psu = lay.psu if lay.psu is not None else np.arange(lay.n, dtype=np.intp)
        n_psu = lay.n_psu
        psu_stratum = lay.psu_stratum if lay.psu is not None else lay.stratum
        totals, unit_bucket, unit_psu = self._unit_totals(psu, n_psu, counts)
        unit_h = psu_stratum[unit_psu]
        bounds = np.searchsorted(unit_bucket, np.arange(self.n_domains + 2))
        covs = []
        for d in range(self.n_domains):
            lo, hi = bounds[d], bounds[d + 1]
            present = np.bincount(unit_h[lo:hi], minlength=lay.n_strata)
            covs.append(
                self._centred_cov(
                    totals[lo:hi], unit_h[lo:hi], dom[0][d], dom[1][d], lay.n_h - present
                )
            )
        cov_all = None
        if whole is not None:
            psu_totals = np.zeros((n_psu, totals.shape[1]))
            np.add.at(psu_totals, unit_psu, totals)
            cov_all = self._centred_cov(
                psu_totals, psu_stratum, whole[0], whole[1], np.zeros(lay.n_strata)
            )
        return covs, cov_all

    def run(self, *, overall: bool) -> tuple[list[DomainStats], DomainStats | None]:
        """Per-domain stats and, with ``overall``, the whole population's.

        u = α·w·q + β·w·q² (see :func:`_poly_tables`). Clustered designs and samples of
        at most ``EXACT_ROWS`` rows sum x = [w·q | w·q²] per (domain, PSU), form z = αT₁ + βT₂
        and centre it exactly. Larger unclustered samples take the one-pass raw-moment
        route: V = AᵀGA − Σ_h factor_h·n_h·z̄_h z̄_hᵀ with G = Σ_rows factor_h·x xᵀ per
        domain and A = [diag α; diag β]; its rounding error is relative ~1e-13 there, and
        ``scale`` = |A|ᵀG|A| lets a variance below 1e-11 of it (the noise of a true 0, e.g.
        strata each answering unanimously) be reported as 0.
        """
        lay = self.layout
        success, weight, n_any = self._pass_one()
        w_dom = weight.sum(axis=1)
        dom_ratio, dom_a, dom_b = _poly_tables(success.sum(axis=1), w_dom)
        all_success, all_weight = success.sum(axis=0), weight.sum(axis=0)
        all_ratio, all_a, all_b = _poly_tables(all_success.sum(axis=0), all_weight.sum(axis=0))
        counts = np.zeros((self.n_domains + 1, self.n_base, 2), dtype=np.int64)
        zero = np.zeros((self.n_cols, self.n_cols))
        if lay.psu is not None or lay.n <= EXACT_ROWS:
            covs, cov_all = self._exact(counts, (dom_a, dom_b), (all_a, all_b) if overall else None)
            scales = [zero] * self.n_domains
            scale_all = zero
        else:
            w_scaled = lay.weights * np.sqrt(lay.factor)[lay.stratum]
            grams = self._grams_by_row(w_scaled, counts, outside=overall)
            pairs = [
                self._covariance(grams[d], dom_a[d], dom_b[d], success[d], weight[d], dom_ratio[d])
                for d in range(self.n_domains)
            ]
            covs, scales = [c for c, _ in pairs], [s for _, s in pairs]
            cov_all, scale_all = self._covariance(
                grams.sum(axis=0), all_a, all_b, all_success, all_weight, all_ratio
            )
        n_valid, n_success = counts[..., 0], counts[..., 1]
        results = [
            DomainStats(
                dom_ratio[d], w_dom[d], n_valid[d], n_success[d], covs[d], scales[d], n_any[d]
            )
            for d in range(self.n_domains)
        ]
        if not overall or cov_all is None:
            return results, None
        whole = DomainStats(
            all_ratio,
            all_weight.sum(axis=0),
            n_valid.sum(axis=0),
            n_success.sum(axis=0),
            cov_all,
            scale_all,
            n_any.sum(axis=0),
        )
        return results, whole

    def _covariance(
        self,
        gram: FloatArray,
        alpha: FloatArray,
        beta: FloatArray,
        success: FloatArray,
        weight: FloatArray,
        ratio: FloatArray,
    ) -> tuple[FloatArray, FloatArray]:
        """AᵀGA − Σ_h factor_h·n_h·z̄ z̄ᵀ and the rounding scale |A|ᵀG|A| (see run)."""
        lay, m = self.layout, self.n_cols
        a = np.concatenate([alpha, beta])
        cov = a[:, None] * gram * a[None, :]
        absa = np.abs(a)
        scale_full = absa[:, None] * gram * absa[None, :]
        cov = cov[:m, :m] + cov[:m, m:] + cov[m:, :m] + cov[m:, m:]
        scale = scale_full[:m, :m] + scale_full[:m, m:] + scale_full[m:, :m] + scale_full[m:, m:]
        total = weight.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            zsum = (success - np.nan_to_num(ratio) * weight) / np.where(total > 0, total, 1.0)
        zsum = np.nan_to_num(zsum)  # (stratum, column): Σ_{i∈h} z_hi = n_h·z̄_h
        with np.errstate(invalid="ignore", divide="ignore"):
            coef = np.where(lay.n_h > 0, lay.factor / lay.n_h, 0.0)
        cov -= (zsum * coef[:, None]).T @ zsum
        return cov, scale
