"""The indices table that exports carry beside the responses: estimate, SE, CI, n, flag."""

from __future__ import annotations

from typing import Any

from surveyapp.questionnaire.document import Questionnaire
from surveyapp.scoring import Estimate, IndexResult

HEADER = ("level", "id", "label", "value", "se", "ci_low", "ci_high", "n", "flag")


def index_rows(q: Questionnaire, result: IndexResult, lang: str) -> list[list[Any]]:
    """One row per estimate, proportions in [0, 1]; suppressed (n < 10) values left empty."""
    framework = q.framework
    labels = {
        **{e["id"]: q.label(e, lang) for e in framework.get("elements", [])},
        **{g["id"]: q.label(g, lang) for g in framework.get("groups", [])},
        **{i["id"]: q.label(i, lang) for i in framework.get("indicators", [])},
    }
    rows = [_row("overall", "overall", q.title(lang), result.overall)]
    for level, estimates in (
        ("group", result.groups),
        ("element", result.elements),
        ("criterion", result.criteria),
        ("indicator", result.indicators),
    ):
        for key, estimate in estimates.items():
            label = q.label(q.item(key), lang) if level == "criterion" else labels.get(key, key)
            rows.append(_row(level, key, label, estimate))
    return rows


def _row(level: str, key: str, label: str, estimate: Estimate) -> list[Any]:
    values = estimate.as_dict()
    if estimate.suppressed:
        values.update(value=None, se=None, ci_low=None, ci_high=None)
    return [
        level,
        key,
        label,
        values["value"],
        values["se"],
        values["ci_low"],
        values["ci_high"],
        estimate.n,
        estimate.flag or "",
    ]
