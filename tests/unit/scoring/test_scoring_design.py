"""SurveyDesign.mean / proportion / total against hand-derived and loop-based references."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from scipy import stats
from scoring_reference import ratio_and_influence, ultimate_cluster_variance

from surveyapp.scoring import Estimate, SingletonStratumWarning, SurveyDesign

Z95 = 1.959963984540054  # qnorm(0.975)


def sipas_criterion_example() -> np.ndarray:
    """SIPAS.md §3.2: 6×5, 20×4, 8×3, 4×2 and 2 'no answer' (NaN) → 26 of 38 satisfied."""
    codes = [5] * 6 + [4] * 20 + [3] * 8 + [2] * 4 + [math.nan] * 2
    return np.array([1.0 if c >= 4 else (0.0 if c == c else math.nan) for c in codes])


def test_sipas_criterion_is_26_of_38_with_srs_standard_error() -> None:
    """p = 26/38 = 0.684210526…; each of the 40 rows is a PSU, one stratum, w = 1.

    The 2 'no answer' rows stay in the design with u = 0 (as R's survey does for NA), so
    u_i = (y_i − p)/38 on 38 rows, ū = 0 and V = 40/39 · Σ u² = 40·p(1−p)/(39·38).
    Logit CI: expit(logit p ± t_39 · se/(p(1−p))), df = 40 PSUs − 1 stratum.
    """
    y = sipas_criterion_example()
    est = SurveyDesign().proportion(y)
    p = 26 / 38
    assert est.value == pytest.approx(0.6842105263157895, abs=1e-15)
    se = math.sqrt(40 * p * (1 - p) / (39 * 38))
    assert est.se == pytest.approx(se, rel=1e-12)
    t = stats.t.ppf(0.975, 39)  # 40 rows, one stratum
    logit = math.log(p / (1 - p))
    half = t * se / (p * (1 - p))
    assert est.ci_low == pytest.approx(1 / (1 + math.exp(-(logit - half))), rel=1e-12)
    assert est.ci_high == pytest.approx(1 / (1 + math.exp(-(logit + half))), rel=1e-12)
    assert est.n == 38


def stratified_example() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """SIPAS.md §3.5: stratum A N=900, n=90, w=10, 72 satisfied; B N=100, n=50, w=2, 30."""
    y = np.array([1.0] * 72 + [0.0] * 18 + [1.0] * 30 + [0.0] * 20)
    strata = np.array(["A"] * 90 + ["B"] * 50)
    w = np.array([10.0] * 90 + [2.0] * 50)
    fpc = np.array([900.0] * 90 + [100.0] * 50)
    return y, strata, w, fpc


def test_stratified_weighted_share_is_078_with_hand_derived_variance() -> None:
    """p = (900·0.8 + 100·0.6)/1000 = 0.78 (not 102/140).

    u = w(y − p)/1000. Stratum A: Σ(u − ū)² = (10/1000)²·90·0.8·0.2 = 0.00144, times
    90/89; B: (2/1000)²·50·0.6·0.4 = 4.8e-5, times 50/49.
    V = 0.00144·90/89 + 4.8e-5·50/49 = 0.0015051593735…
    """
    y, strata, w, _ = stratified_example()
    est = SurveyDesign(w, strata=strata).proportion(y, method="wald")
    assert est.value == pytest.approx(0.78, abs=1e-15)
    var = 0.00144 * 90 / 89 + 4.8e-5 * 50 / 49
    assert est.se == pytest.approx(math.sqrt(var), rel=1e-12)
    assert est.ci_low == pytest.approx(0.78 - Z95 * math.sqrt(var), rel=1e-12)


def test_fpc_without_weights_derives_weights_and_finite_population_correction() -> None:
    """fpc N_h with no weights → w = N_h/n_h (10 and 2); V gets (1 − f_h):
    0.9·0.00144·90/89 + 0.5·4.8e-5·50/49."""
    y, strata, _, fpc = stratified_example()
    est = SurveyDesign(strata=strata, fpc=fpc).proportion(y)
    assert est.value == pytest.approx(0.78, abs=1e-15)
    var = 0.9 * 0.00144 * 90 / 89 + 0.5 * 4.8e-5 * 50 / 49
    assert est.se == pytest.approx(math.sqrt(var), rel=1e-12)


def test_df_is_psus_minus_strata() -> None:
    strata = [1, 1, 1, 2, 2, 2]
    clusters = [1, 1, 2, 1, 2, 3]  # id 1 in both strata: two different PSUs
    assert SurveyDesign(strata=strata, clusters=clusters).df == 5 - 2
    assert SurveyDesign([1.0] * 7).df == 6


@pytest.fixture
def clustered() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(7)
    n = 240
    strata = rng.integers(0, 4, n)
    clusters = rng.integers(0, 6, n)  # same ids reused in every stratum (nested)
    w = rng.uniform(1.0, 9.0, n)
    y = rng.normal(3.0, 1.0, n)
    y[rng.random(n) < 0.1] = np.nan
    b = (rng.random(n) < 0.6).astype(float)
    b[rng.random(n) < 0.1] = np.nan
    fpc = np.array([30.0, 40.0, 25.0, 60.0])[strata]
    domain = rng.random(n) < 0.4
    return {"strata": strata, "clusters": clusters, "w": w, "y": y, "b": b, "fpc": fpc, "d": domain}


@pytest.mark.parametrize("with_fpc", [False, True])
@pytest.mark.parametrize("use_domain", [False, True])
def test_mean_and_proportion_match_loop_reference(
    clustered: dict[str, np.ndarray], with_fpc: bool, use_domain: bool
) -> None:
    """Ratio mean and proportion, domain or not, against the loop reference."""
    c = clustered
    fpc = c["fpc"] if with_fpc else None
    domain = c["d"] if use_domain else None
    design = SurveyDesign(c["w"], strata=c["strata"], clusters=c["clusters"], fpc=fpc)
    for y, method in ((c["y"], "mean"), (c["b"], "proportion")):
        ratio, u = ratio_and_influence(
            list(y), list(c["w"]), None if domain is None else list(domain)
        )
        var = ultimate_cluster_variance(
            u, list(c["strata"]), list(c["clusters"]), None if fpc is None else list(fpc)
        )
        est = getattr(design, method)(y, domain=domain)
        assert est.value == pytest.approx(ratio, rel=1e-12)
        assert est.se == pytest.approx(math.sqrt(var), rel=1e-10)
        valid = ~np.isnan(y) & (True if domain is None else domain)
        assert est.n == int(valid.sum())


def test_mean_ci_uses_normal_quantile(clustered: dict[str, np.ndarray]) -> None:
    c = clustered
    est = SurveyDesign(c["w"], strata=c["strata"], clusters=c["clusters"]).mean(c["y"], level=0.9)
    z = stats.norm.ppf(0.95)
    assert est.ci_low == pytest.approx(est.value - z * est.se, rel=1e-13)
    assert est.ci_high == pytest.approx(est.value + z * est.se, rel=1e-13)


def test_total_matches_loop_reference(clustered: dict[str, np.ndarray]) -> None:
    """Total Σ w·y over valid domain rows; u_i = w_i·y_i."""
    c = clustered
    design = SurveyDesign(c["w"], strata=c["strata"], clusters=c["clusters"], fpc=c["fpc"])
    u = [
        wi * yi if (yi == yi and di) else 0.0
        for wi, yi, di in zip(c["w"], c["y"], c["d"], strict=True)
    ]
    est = design.total(c["y"], domain=c["d"])
    assert est.value == pytest.approx(sum(u), rel=1e-12)
    var = ultimate_cluster_variance(u, list(c["strata"]), list(c["clusters"]), list(c["fpc"]))
    assert est.se == pytest.approx(math.sqrt(var), rel=1e-10)


def test_domain_is_not_a_subset_design(clustered: dict[str, np.ndarray]) -> None:
    """Dropping rows (here whole PSUs) changes n_h and the centring, hence the SE."""
    c = clustered
    full = SurveyDesign(c["w"], strata=c["strata"], clusters=c["clusters"])
    keep = c["clusters"] < 3
    sub = SurveyDesign(c["w"][keep], strata=c["strata"][keep], clusters=c["clusters"][keep])
    a = full.mean(c["y"], domain=keep)
    b = sub.mean(c["y"][keep])
    assert a.value == pytest.approx(b.value, rel=1e-12)
    assert abs(a.se - b.se) > 1e-6


def test_fpc_fraction_uses_psus_of_whole_design_in_a_domain() -> None:
    """f_h = n_h/N_h with n_h the PSUs of the whole design (4), even in a 2-PSU domain."""
    y = np.array([1.0, 0.0, 1.0, 1.0])
    domain = np.array([True, True, False, False])
    est = SurveyDesign(fpc=[8.0] * 4).mean(y, domain=domain)
    # w = 8/4 = 2; ratio 0.5; u = 2(y − 0.5)/4 = ±0.25 on domain rows, 0 elsewhere
    u = [0.25, -0.25, 0.0, 0.0]
    var = (1 - 4 / 8) * 4 / 3 * sum(x * x for x in u)
    assert est.se == pytest.approx(math.sqrt(var), rel=1e-13)


def test_single_psu_stratum_warns_and_contributes_zero() -> None:
    y = np.array([1.0, 0.0, 1.0, 0.0, 1.0])
    strata = ["a", "a", "a", "a", "lonely"]
    with pytest.warns(SingletonStratumWarning):
        design = SurveyDesign(strata=strata)
    est = design.mean(y)
    p = 3 / 5
    u = [(v - p) / 5 for v in y]
    ubar = sum(u[:4]) / 4
    var = 4 / 3 * sum((x - ubar) ** 2 for x in u[:4])
    assert est.se == pytest.approx(math.sqrt(var), rel=1e-13)


@pytest.mark.parametrize("method", ["logit", "wald", "wilson"])
@pytest.mark.parametrize("value", [0.0, 1.0])
def test_unanimous_domain_gives_exact_p_zero_se_and_wilson_on_n(method: str, value: float) -> None:
    """10 valid answers all equal: p exact, se 0, Wilson on n = 10.

    Wilson with p = 1: low = 1/(1 + z²/n) = 10/(10 + z²), high = 1 (mirrored for p = 0).
    """
    y = np.array([value] * 10 + [1.0 - value] * 5 + [math.nan] * 3)
    domain = np.array([True] * 10 + [False] * 5 + [True] * 3)
    w = np.linspace(1.0, 3.0, 18)
    est = SurveyDesign(w, strata=[0, 1] * 9).proportion(y, domain=domain, method=method)
    bound = 10 / (10 + Z95**2)
    expected = (bound, 1.0) if value == 1.0 else (0.0, 1.0 - bound)
    assert (est.value, est.se, est.n) == (value, 0.0, 10)
    assert est.ci_low == pytest.approx(expected[0], rel=1e-14, abs=0.0)
    assert est.ci_high == pytest.approx(expected[1], rel=1e-14, abs=0.0)


def test_wald_interval_is_clipped_and_wilson_uses_effective_n() -> None:
    y = np.array([1.0] * 19 + [0.0])
    design = SurveyDesign()
    wald = design.proportion(y, method="wald")
    p, se = 0.95, math.sqrt(0.95 * 0.05 / 19)
    assert wald.se == pytest.approx(se, rel=1e-12)
    assert wald.ci_high == 1.0  # 0.95 + 1.96·0.05 > 1
    wilson = design.proportion(y, method="wilson")
    n_eff = p * (1 - p) / se**2  # = 19
    centre = (p + Z95**2 / (2 * n_eff)) / (1 + Z95**2 / n_eff)
    half = Z95 * math.sqrt(p * (1 - p) / n_eff + Z95**2 / (4 * n_eff**2)) / (1 + Z95**2 / n_eff)
    assert wilson.ci_low == pytest.approx(centre - half, rel=1e-12)
    assert wilson.ci_high == pytest.approx(centre + half, rel=1e-12)


def test_proportion_rejects_non_binary_values() -> None:
    with pytest.raises(ValueError, match="row 1"):
        SurveyDesign().proportion([1.0, 2.0])


def test_none_counts_as_missing() -> None:
    est = SurveyDesign().mean([1.0, None, 3.0])
    assert est.value == 2.0
    assert est.n == 2


def test_mismatched_lengths_are_refused() -> None:
    design = SurveyDesign([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="3"):
        design.mean([1.0, 2.0])


def test_small_n_flags() -> None:
    assert Estimate(0.5, 0.1, 0.3, 0.7, 9).flag == "suppressed"
    assert Estimate(0.5, 0.1, 0.3, 0.7, 10).flag == "small"
    assert Estimate(0.5, 0.1, 0.3, 0.7, 29).flag == "small"
    assert Estimate(0.5, 0.1, 0.3, 0.7, 30).flag is None


def test_no_valid_rows_gives_nan_not_error() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est = SurveyDesign().proportion([math.nan, math.nan])
    assert est.n == 0
    assert math.isnan(est.value)
    assert est.as_dict()["se"] is None
