"""Data-quality helpers: item nonresponse and reliability of elements."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from surveyapp.scoring._rules import evaluate
from surveyapp.scoring.framework import Framework
from surveyapp.scoring.planning import cronbach_alpha


@dataclass(frozen=True)
class ItemNonresponse:
    """Unweighted counts for one item: ``asked`` rows, ``valid`` answers, ``missing`` =
    asked − valid and ``rate`` = missing / asked (NaN when never asked)."""

    asked: int
    valid: int
    missing: int
    rate: float


def item_nonresponse(
    answers: Mapping[str, Any],
    items: Iterable[str] | None = None,
    *,
    show_when: Mapping[str, Any] | None = None,
    domain: Any = None,
) -> dict[str, ItemNonresponse]:
    """Per item: how many were asked, answered validly, and missed (NaN).

    An item is asked of every row of the domain unless ``show_when`` gives it a rule
    (the questionnaire's JSON rule); then only rows where the rule holds were asked.
    """
    names = list(answers) if items is None else list(items)
    floats = {k: np.asarray(v, dtype=np.float64) for k, v in answers.items()}
    n = next(iter(floats.values())).shape[0] if floats else 0
    base = np.ones(n, dtype=bool) if domain is None else np.asarray(domain, dtype=bool)
    out = {}
    for item in names:
        if item not in floats:
            raise ValueError(f"answers have no item {item!r}")
        asked = base.copy()
        if show_when and item in show_when:
            asked &= evaluate(show_when[item], floats, n)
        n_asked = int(asked.sum())
        n_valid = int((asked & ~np.isnan(floats[item])).sum())
        missing = n_asked - n_valid
        rate = missing / n_asked if n_asked else math.nan
        out[item] = ItemNonresponse(n_asked, n_valid, missing, rate)
    return out


def element_alphas(framework: Framework, answers: Mapping[str, Any]) -> dict[str, float]:
    """Cronbach's α of each element's criteria (answer codes as scores; complete rows
    only); NaN for an element with a single criterion or fewer than two complete rows."""
    out = {}
    for element in framework.elements:
        if len(element.criteria) < 2:
            out[element.id] = math.nan
            continue
        matrix = np.stack([np.asarray(answers[i], dtype=np.float64) for i in element.items], 1)
        out[element.id] = cronbach_alpha(matrix)
    return out
