"""Properties that must hold for any data (hypothesis)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from surveyapp.scoring import Framework, SingletonStratumWarning, SurveyDesign, allocate, score

FW = Framework.from_dict(
    {
        "satisfied": [4, 5],
        "groups": [{"id": "g1"}, {"id": "g2"}],
        "elements": [
            {"id": "a", "group": "g1", "criteria": [{"item": "q0", "weight": 2}, {"item": "q1"}]},
            {"id": "b", "group": "g2", "criteria": [{"item": "q2"}]},
        ],
        "indicators": [{"id": "i", "item": "q2", "codes": [1, 2], "among": {"ge": ["q0", 3]}}],
    }
)
PROPS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def samples(draw: st.DrawFn) -> dict[str, np.ndarray]:
    n = draw(st.integers(6, 40))
    codes = st.sampled_from([1.0, 2.0, 3.0, 4.0, 5.0, math.nan])
    out = {f"q{j}": np.array(draw(st.lists(codes, min_size=n, max_size=n))) for j in range(3)}
    out["w"] = np.array(draw(st.lists(st.floats(0.5, 20.0), min_size=n, max_size=n)))
    out["strata"] = np.array(draw(st.lists(st.integers(0, 2), min_size=n, max_size=n)))
    out["clusters"] = np.array(draw(st.lists(st.integers(0, 3), min_size=n, max_size=n)))
    out["domain"] = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    return out


def flat(result: object) -> list[tuple[str, float]]:
    d = result.as_dict()  # type: ignore[attr-defined]
    out = []
    for part in ("criteria", "elements", "groups", "indicators"):
        for key, est in d[part].items():
            out += [(f"{part}.{key}.{f}", est[f]) for f in ("value", "se")]
    out += [(f"overall.{f}", d["overall"][f]) for f in ("value", "se")]
    return out


def close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


@PROPS
@given(samples(), st.floats(0.01, 1000.0))
def test_scaling_all_weights_changes_no_estimate_or_se(s: dict[str, np.ndarray], c: float) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        d1 = SurveyDesign(s["w"], strata=s["strata"], clusters=s["clusters"])
        d2 = SurveyDesign(s["w"] * c, strata=s["strata"], clusters=s["clusters"])
    for a, b in zip(flat(score(FW, s, d1)), flat(score(FW, s, d2)), strict=True):
        assert close(a[1], b[1]), (a, b)
    y = np.where(np.isnan(s["q0"]), np.nan, s["q0"])
    m1, m2 = d1.mean(y, domain=s["domain"]), d2.mean(y, domain=s["domain"])
    assert close(m1.value, m2.value) or math.isnan(m1.value)
    assert close(m1.se, m2.se) or math.isnan(m1.se)


@PROPS
@given(samples())
def test_domain_of_everyone_equals_the_full_estimate(s: dict[str, np.ndarray]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        design = SurveyDesign(s["w"], strata=s["strata"])
    everyone = np.ones(len(s["w"]), dtype=bool)
    for a, b in zip(
        flat(score(FW, s, design, domain=everyone)), flat(score(FW, s, design)), strict=True
    ):
        assert close(a[1], b[1]), (a, b)


@PROPS
@given(st.integers(1, 60), st.lists(st.floats(0.1, 10.0), min_size=1, max_size=60))
def test_unanimous_proportion_is_exact_with_zero_se(n: int, weights: list[float]) -> None:
    w = (weights * n)[:n]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SingletonStratumWarning)  # n = 1
        est = SurveyDesign(w).proportion(np.ones(n))
    assert (est.value, est.se, est.n) == (1.0, 0.0, n)
    assert est.ci_high == 1.0
    assert est.ci_low == pytest.approx(n / (n + 1.959963984540054**2), rel=1e-12)


@PROPS
@given(
    st.lists(st.integers(0, 200), min_size=1, max_size=8),
    st.integers(0, 30),
    st.sampled_from(["proportional", "equal", "neyman"]),
    st.data(),
)
def test_allocation_sums_to_n_within_caps_and_floors(
    sizes: list[int], minimum: int, method: str, data: st.DataObject
) -> None:
    strata = {f"s{i}": size for i, size in enumerate(sizes)}
    floors = {k: min(minimum, v) for k, v in strata.items()}
    total = sum(sizes)
    if total < sum(floors.values()):
        return
    n = data.draw(st.integers(sum(floors.values()), total))
    sd = {k: data.draw(st.floats(0.1, 5.0)) for k in strata}
    got = allocate(strata, n, method=method, sd=sd, minimum=minimum)
    assert sum(got.values()) == n
    assert list(got) == list(strata)
    for k, v in got.items():
        assert floors[k] <= v <= strata[k]
