"""Two-pass engine: many ratio estimators, many domains, one design.

Each *base column* b is a ratio R_b = Σ w·[success] / Σ w·[valid] coded per row as
q = 0 (not valid), 2 (valid, no success), 3 (success). *Pooled* columns are ratios of
sums of base columns (Σ_j successes / Σ_j valid answers of an element).

For domain d the linearised value of R is u_i = w_i·(num_i − R_d·den_i)/W_d for rows of
d and 0 elsewhere (Woodruff). Covariances follow the ultimate-cluster formula of
:mod:`surveyapp.scoring.design`, computed centred (no "Σz² − n·z̄²" cancellation):

    Σ_i (z_hi − z̄_h)(z_hi − z̄_h)ᵀ = Σ_{PSUs of d in h} (z − z̄_h)(z − z̄_h)ᵀ
                                      + (n_h − n_hd)·z̄_h z̄_hᵀ

where z̄_h = Σ_{i∈h} z_hi / n_h over all n_h PSUs of the stratum (those without rows in
d have z = 0) and n_hd counts the PSUs of h with rows in d.

Pass 1 gets weighted sums per (domain, stratum) cell with one ``bincount`` per column;
pass 2 walks the rows in cache-sized chunks sorted by domain, builds linearised values
by table look-up and accumulates one Gram matrix per domain.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from surveyapp.scoring.design import FloatArray, IntArray, Layout

Int8Array = npt.NDArray[np.int8]

VALID = 2
SUCCESS = 3
_CHUNK = 32768


@dataclass(frozen=True)
class DomainStats:
    """Ratios, weighted totals, counts and covariance for one domain.

    Columns are the base columns followed by the pooled columns.
    """

    ratio: FloatArray
    weight: FloatArray
    n_valid: npt.NDArray[np.int64]
    n_success: npt.NDArray[np.int64]
    cov: FloatArray
    n_any: npt.NDArray[np.int64]


def _boundaries(sorted_keys: npt.NDArray[np.integer], n_keys: int) -> IntArray:
    return np.searchsorted(sorted_keys, np.arange(n_keys + 1)).astype(np.intp)


def _ratio_tables(
    success: FloatArray, weight: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Ratios and the look-up table q → linearised value / w for each column (last axis)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = success / weight
        table = np.zeros((*ratio.shape, 4))
        table[..., VALID] = np.where(weight > 0, -ratio / weight, 0.0)
        table[..., SUCCESS] = np.where(weight > 0, (1.0 - ratio) / weight, 0.0)
    return ratio, np.nan_to_num(table, nan=0.0), np.nan_to_num(ratio)


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
        self.pooled = [np.asarray(p, dtype=np.intp) for p in pooled]
        self.any_sets = [np.asarray(s, dtype=np.intp) for s in any_sets]
        self.n_base = len(columns)
        self.n_cols = self.n_base + len(pooled)
        self.n_domains = n_domains
        # rows outside every domain go to an extra bucket D
        self.bucket = np.where(domain < 0, n_domains, domain).astype(np.intp)

    # ----------------------------------------------------------------- pass 1
    def _cell_sums(self) -> tuple[FloatArray, FloatArray]:
        """Weighted successes and valid weights per (bucket, stratum, column)."""
        lay = self.layout
        n_cells = (self.n_domains + 1) * lay.n_strata
        base4 = (self.bucket * lay.n_strata + lay.stratum) * 4
        shape = (self.n_domains + 1, lay.n_strata, 4)
        success = np.empty((self.n_domains + 1, lay.n_strata, self.n_cols))
        weight = np.empty_like(success)
        for b, q in enumerate(self.columns):
            sums = np.bincount(base4 + q, weights=lay.weights, minlength=n_cells * 4)
            sums = sums.reshape(shape)
            success[..., b] = sums[..., SUCCESS]
            weight[..., b] = sums[..., SUCCESS] + sums[..., VALID]
        for e, cols in enumerate(self.pooled):
            success[..., self.n_base + e] = success[..., cols].sum(axis=-1)
            weight[..., self.n_base + e] = weight[..., cols].sum(axis=-1)
        return success, weight

    # ----------------------------------------------------------------- pass 2
    def _linearised(
        self, table: FloatArray, keys: IntArray | None, q: Int8Array, w: FloatArray
    ) -> FloatArray:
        """u/w per row for all columns from the look-up table ([key,] column, q)."""
        nb = self.n_base
        out = np.empty((q.shape[0], self.n_cols))
        flat = table.reshape(-1)
        if keys is None:
            idx = np.arange(nb)[None, :] * 4 + q
        else:
            idx = (keys[:, None] * self.n_cols + np.arange(nb)[None, :]) * 4 + q
        out[:, :nb] = flat[idx]
        for e, cols in enumerate(self.pooled):
            col = nb + e
            if keys is None:
                pidx = col * 4 + q[:, cols]
            else:
                pidx = (keys[:, None] * self.n_cols + col) * 4 + q[:, cols]
            out[:, col] = flat[pidx].sum(axis=1)
        out *= w[:, None]
        return out

    def run(self, *, overall: bool) -> tuple[list[DomainStats], DomainStats | None]:
        lay = self.layout
        n_dom, n_cols, n_h = self.n_domains, self.n_cols, lay.n_h
        success, weight = self._cell_sums()
        dom_ratio, dom_table, dom_ratio0 = _ratio_tables(success.sum(axis=1), weight.sum(axis=1))
        # z̄ per (bucket, stratum, column): stratum total of u over all n_h PSUs
        with np.errstate(invalid="ignore", divide="ignore"):
            w_dom = weight.sum(axis=1)
            zbar = (success - dom_ratio0[:, None, :] * weight) / np.where(w_dom > 0, w_dom, 1.0)[
                :, None, :
            ]
            zbar /= n_h[None, :, None]
        zbar = np.nan_to_num(zbar)
        all_success, all_weight = success.sum(axis=(0, 1)), weight.sum(axis=(0, 1))
        all_ratio, all_table, all_ratio0 = _ratio_tables(all_success, all_weight)
        with np.errstate(invalid="ignore", divide="ignore"):
            zbar_all = (success.sum(axis=0) - all_ratio0 * weight.sum(axis=0)) / np.where(
                all_weight > 0, all_weight, 1.0
            )
            zbar_all = np.nan_to_num(zbar_all / n_h[:, None])
        sqrt_c = np.sqrt(lay.factor)

        grams = np.zeros((n_dom + 1, n_cols, n_cols))
        gram_all = np.zeros((n_cols, n_cols))
        n_valid = np.zeros((n_dom + 1, self.n_base), dtype=np.int64)
        n_success = np.zeros_like(n_valid)
        n_any = np.zeros((n_dom + 1, len(self.any_sets)), dtype=np.int64)
        clustered = lay.psu is not None
        if clustered:
            assert lay.psu is not None
            unit_key = self.bucket.astype(np.int64) * lay.n_psu + lay.psu
            units, unit_of_row = np.unique(unit_key, return_inverse=True)
            unit_of_row = unit_of_row.reshape(-1)
            unit_bucket = (units // lay.n_psu).astype(np.intp)
            unit_psu = (units % lay.n_psu).astype(np.intp)
            totals = np.zeros((units.shape[0], n_cols))
            totals_all = np.zeros((lay.n_psu, n_cols)) if overall else None
        sort_key = self.bucket.astype(np.int16 if n_dom < 32000 else np.intp)

        n = lay.n
        for start in range(0, n, _CHUNK):
            stop = min(n, start + _CHUNK)
            order = np.argsort(sort_key[start:stop], kind="stable") + start
            keys = self.bucket[order]
            q = np.empty((stop - start, self.n_base), dtype=np.int8)
            for b, col in enumerate(self.columns):
                q[:, b] = col[order]
            w = lay.weights[order]
            bounds = _boundaries(keys, n_dom + 1)
            valid = q >= VALID
            self._count(valid, q == SUCCESS, bounds, n_valid, n_success, n_any)
            u = self._linearised(dom_table, keys, q, w)
            u_all = self._linearised(all_table, None, q, w) if overall else None
            if clustered:
                np.add.at(totals, unit_of_row[order], u)
                if u_all is not None and totals_all is not None:
                    assert lay.psu is not None
                    np.add.at(totals_all, lay.psu[order], u_all)
                continue
            h = lay.stratum[order]
            u -= zbar[keys, h]
            u *= sqrt_c[h][:, None]
            for d in range(n_dom):
                block = u[bounds[d] : bounds[d + 1]]
                if block.shape[0]:
                    grams[d] += block.T @ block
            if u_all is not None:
                u_all -= zbar_all[h]
                u_all *= sqrt_c[h][:, None]
                gram_all += u_all.T @ u_all

        if clustered:
            unit_h = lay.psu_stratum[unit_psu]
            centred = (totals - zbar[unit_bucket, unit_h]) * sqrt_c[unit_h][:, None]
            ubounds = _boundaries(unit_bucket, n_dom + 1)
            for d in range(n_dom):
                block = centred[ubounds[d] : ubounds[d + 1]]
                grams[d] = block.T @ block
            n_hd = np.bincount(
                unit_bucket * lay.n_strata + unit_h, minlength=(n_dom + 1) * lay.n_strata
            )
            if totals_all is not None:
                ph = lay.psu_stratum
                centred_all = (totals_all - zbar_all[ph]) * sqrt_c[ph][:, None]
                gram_all = centred_all.T @ centred_all
        else:
            n_hd = np.bincount(
                self.bucket * lay.n_strata + lay.stratum, minlength=(n_dom + 1) * lay.n_strata
            )
        n_hd = n_hd.reshape(n_dom + 1, lay.n_strata).astype(np.float64)
        outside = lay.factor[None, :] * (n_h[None, :] - n_hd)
        grams += np.einsum("dh,dhi,dhj->dij", outside, zbar, zbar)

        results = [
            DomainStats(
                dom_ratio[d],
                w_dom[d],
                n_valid[d],
                n_success[d],
                grams[d],
                n_any[d],
            )
            for d in range(n_dom)
        ]
        whole = None
        if overall:
            whole = DomainStats(
                all_ratio,
                all_weight,
                n_valid.sum(axis=0),
                n_success.sum(axis=0),
                gram_all,
                n_any.sum(axis=0),
            )
        return results, whole

    def _count(
        self,
        valid: npt.NDArray[np.bool_],
        success: npt.NDArray[np.bool_],
        bounds: IntArray,
        n_valid: npt.NDArray[np.int64],
        n_success: npt.NDArray[np.int64],
        n_any: npt.NDArray[np.int64],
    ) -> None:
        """Add per-bucket counts of valid rows, successes and 'any valid' rows."""
        anyv = np.empty((valid.shape[0], len(self.any_sets)), dtype=np.bool_)
        for s, cols in enumerate(self.any_sets):
            anyv[:, s] = valid[:, cols].any(axis=1)
        for target, flags in ((n_valid, valid), (n_success, success), (n_any, anyv)):
            cum = np.zeros((flags.shape[0] + 1, flags.shape[1]), dtype=np.int64)
            np.cumsum(flags, axis=0, out=cum[1:])
            target += cum[bounds[1:]] - cum[bounds[:-1]]
