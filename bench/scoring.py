"""Benchmark: score() and score_by() against a bare numpy pass without variances.

1,000,000 respondents × 33 items (codes 1..5; 9 = missing → NaN), 60 strata, weights,
16 agencies. The baseline computes the same weighted proportions (every criterion,
overall and per agency) with no variances. Prints times and ratios; never asserts.

    .venv/bin/python bench/scoring.py [--n 1000000]

Run it on a quiet machine. The variance Gram matrices go through OpenBLAS, whose worker
threads slow down sharply when another process holds a core; on a shared box prefer
``OPENBLAS_NUM_THREADS=1`` (the numpy baseline is single-threaded either way).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from surveyapp.scoring import Framework, SurveyDesign, score, score_by

ELEMENTS = {  # SIPAS 2023–2026 question 9: 33 items in 9 elements, 2 groups
    "policy": {"accountability": 2, "participation": 2, "quality": 8, "impact": 2},
    "service": {"access": 4, "procedures": 4, "officials": 5, "results": 3, "feedback": 3},
}


def make_framework() -> tuple[Framework, list[str]]:
    items: list[str] = []
    elements = []
    for group, parts in ELEMENTS.items():
        for element, size in parts.items():
            ids = [f"q9_{len(items) + i + 1:02d}" for i in range(size)]
            items.extend(ids)
            elements.append({"id": element, "group": group, "criteria": [{"item": i} for i in ids]})
    fw = Framework.from_dict(
        {
            "satisfied": [4, 5],
            "groups": [{"id": "policy"}, {"id": "service"}],
            "elements": elements,
        }
    )
    return fw, items


def make_data(n: int, items: list[str], seed: int = 20240101) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    strata = rng.integers(0, 60, n)
    agency = strata % 16
    weights = rng.uniform(5.0, 50.0, 60)[strata] * rng.uniform(0.8, 1.2, n)
    mood = rng.normal(0.0, 1.0, n)
    answers = {}
    for item in items:
        code = np.clip(np.round(3.6 + mood + rng.normal(0.0, 1.0, n)), 1, 5)
        code[rng.random(n) < 0.06] = 9
        answers[item] = np.where(code == 9, np.nan, code)
    return {"answers": answers, "strata": strata, "agency": agency, "weights": weights}


def baseline(answers: dict[str, Any], weights: Any, agency: Any, sat: list[int]) -> list[Any]:
    """Weighted share satisfied per criterion, overall and per agency; no variances."""
    out = []
    for x in answers.values():
        valid = ~np.isnan(x)
        satisfied = np.isin(x, sat)
        ws, wv = weights * satisfied, weights * valid
        out.append((ws.sum() / wv.sum(), np.bincount(agency, ws) / np.bincount(agency, wv)))
    return out


def best_of(fn: Callable[[], Any], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    fw, items = make_framework()
    data = make_data(args.n, items)
    design = SurveyDesign(data["weights"], strata=data["strata"])
    answers, agency = data["answers"], data["agency"]

    t_base = best_of(lambda: baseline(answers, data["weights"], agency, [4, 5]), args.repeat)
    t_score = best_of(lambda: score(fw, answers, design), args.repeat)
    t_by = best_of(lambda: score_by(fw, answers, design, agency), args.repeat)
    psu = np.random.default_rng(1).integers(0, 50, args.n)  # 50 PSU ids per stratum
    clustered = SurveyDesign(data["weights"], strata=data["strata"], clusters=psu)
    t_clu = best_of(lambda: score_by(fw, answers, clustered, agency), args.repeat)
    one = int(agency[0])
    t_dom = best_of(lambda: score(fw, answers, design, domain=agency == one), args.repeat)

    print(f"n = {args.n:,} respondents × {len(items)} items, 60 strata, 16 agencies")
    print(f"baseline (weighted proportions, overall + per agency, no SEs): {t_base:8.3f} s")
    print(f"score()  overall with SEs:                                   {t_score:8.3f} s")
    print(f"score()  one agency domain with SEs:                         {t_dom:8.3f} s")
    print(f"score_by() overall + 16 agencies with SEs (one pass):        {t_by:8.3f} s")
    print(f"score_by() same, clustered design (3,000 PSUs):             {t_clu:8.3f} s")
    print(f"ratio score_by / baseline:                 {t_by / t_base:5.2f}×  (target ≤ 2)")
    print(f"ratio (score + score_by) / baseline:       {(t_score + t_by) / t_base:5.2f}×")
    print(f"ratio (score + 16 × score(domain)) / base: {(t_score + 16 * t_dom) / t_base:5.2f}×")


if __name__ == "__main__":
    main()
