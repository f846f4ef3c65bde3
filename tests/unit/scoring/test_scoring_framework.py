"""Framework parsing and the vectorised `among` rule interpreter."""

from __future__ import annotations

import math

import numpy as np
import pytest

from surveyapp.scoring import Framework
from surveyapp.scoring._rules import evaluate, validate_rule

NAN = math.nan


def test_from_dict_reads_the_questionnaire_example() -> None:
    fw = Framework.from_dict(
        {
            "satisfied": [4, 5],
            "aggregate": "mean",
            "elements": [
                {
                    "id": "access",
                    "label": {"vi": "Tiếp cận dịch vụ", "en": "Access"},
                    "weight": 1,
                    "criteria": [{"item": "a1", "weight": 1}, {"item": "a2"}],
                }
            ],
            "indicators": [
                {"id": "multiple_trips", "item": "trips", "min": 2},
                {
                    "id": "apology_when_late",
                    "item": "late_apology",
                    "codes": [1],
                    "among": {"eq": ["late", 1]},
                },
            ],
            "targets": {"overall": 0.85},
            "points": {"items": ["i1", "i2"], "bands": [{"min": 3.5, "label": {"en": "top"}}]},
        }
    )
    assert fw.satisfied == (4.0, 5.0)
    assert fw.elements[0].items == ("a1", "a2")
    assert fw.indicators[0].min == 2.0
    assert fw.indicators[1].codes == (1.0,)
    assert fw.targets == {"overall": 0.85}
    assert fw.points is not None and fw.points.max_total == 4.0


@pytest.mark.parametrize(
    ("patch", "path"),
    [
        ({"aggregate": "median"}, "framework.aggregate"),
        ({"elements": []}, "framework.elements"),
        (
            {"elements": [{"id": "e", "criteria": [{"item": "a", "weight": 0}]}]},
            "criteria[0].weight",
        ),
        ({"elements": [{"id": "e", "criteria": [{"item": "a"}, {"item": "a"}]}]}, "duplicate"),
        ({"indicators": [{"id": "x", "item": "a"}]}, "framework.indicators[0]"),
        ({"indicators": [{"id": "x", "item": "a", "codes": [1], "among": {"xor": []}}]}, "among"),
        ({"groups": [{"id": "g"}]}, "group"),
        ({"targets": {"overall": 85}}, "framework.targets.overall"),
    ],
)
def test_from_dict_names_the_json_path_of_a_problem(patch: dict[str, object], path: str) -> None:
    base: dict[str, object] = {"elements": [{"id": "e", "criteria": [{"item": "a"}]}]}
    with pytest.raises(ValueError, match=path.replace("[", r"\[").replace("]", r"\]")):
        Framework.from_dict({**base, **patch})


ANSWERS = {
    "late": np.array([1.0, 2.0, NAN, 1.0]),
    "trips": np.array([1.0, 3.0, 2.0, NAN]),
}


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ({"eq": ["late", 1]}, [True, False, False, True]),
        ({"ne": ["late", 1]}, [False, True, False, False]),
        ({"lt": ["trips", 2]}, [True, False, False, False]),
        ({"le": ["trips", 2]}, [True, False, True, False]),
        ({"gt": ["trips", 2]}, [False, True, False, False]),
        ({"ge": ["trips", 2]}, [False, True, True, False]),
        ({"in": ["trips", [1, 3]]}, [True, True, False, False]),
        ({"answered": "late"}, [True, True, False, True]),
        ({"not": {"answered": "late"}}, [False, False, True, False]),
        ({"and": [{"eq": ["late", 1]}, {"answered": "trips"}]}, [True, False, False, False]),
        ({"or": [{"eq": ["late", 2]}, {"ge": ["trips", 2]}]}, [False, True, True, False]),
    ],
)
def test_rules_evaluate_vectorised_with_nan_as_unanswered(
    rule: dict[str, object], expected: list[bool]
) -> None:
    validate_rule(rule)
    assert evaluate(rule, ANSWERS, 4).tolist() == expected


def test_rules_refuse_unknown_operators_and_items() -> None:
    with pytest.raises(ValueError, match="unknown operator"):
        evaluate({"__import__": "os"}, ANSWERS, 4)
    with pytest.raises(ValueError, match="'ghost'"):
        evaluate({"eq": ["ghost", 1]}, ANSWERS, 4)
