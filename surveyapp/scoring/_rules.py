"""Vectorised evaluation of JSON rules (``among`` conditions) over answer arrays.

Operators: ``{"eq": [item, value]}``, ``ne``, ``lt``, ``le``, ``gt``, ``ge``,
``{"in": [item, [values]]}``, ``{"answered": item}``, ``{"and": [...]}``,
``{"or": [...]}``, ``{"not": rule}``. NaN means not answered: every comparison with
NaN is false (``ne`` included: an unanswered item is not "different from 1"), and
``answered`` is "not NaN". Rules are data, interpreted here; nothing is ever ``eval``-ed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]

_COMPARE: dict[str, Callable[[FloatArray, float], BoolArray]] = {
    "eq": np.equal,
    "ne": lambda a, v: np.not_equal(a, v) & ~np.isnan(a),
    "lt": np.less,
    "le": np.less_equal,
    "gt": np.greater,
    "ge": np.greater_equal,
}
OPERATORS = frozenset({*_COMPARE, "in", "answered", "and", "or", "not"})


def rule_items(rule: Any) -> set[str]:
    """Item ids a rule reads (validates the rule's shape on the way)."""
    op, arg = _split(rule, "rule")
    if op in _COMPARE or op == "in":
        return {str(arg[0])}
    if op == "answered":
        return {str(arg)}
    if op == "not":
        return rule_items(arg)
    return set().union(*(rule_items(r) for r in arg))


def validate_rule(rule: Any, path: str = "rule") -> None:
    """Raise ValueError (with the JSON path) when the rule is malformed."""
    op, arg = _split(rule, path)
    if op in _COMPARE:
        if not (isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str)):
            raise ValueError(f"{path}.{op}: expected [item, value]")
        _number(arg[1], f"{path}.{op}[1]")
    elif op == "in":
        if not (
            isinstance(arg, list)
            and len(arg) == 2
            and isinstance(arg[0], str)
            and isinstance(arg[1], list)
        ):
            raise ValueError(f"{path}.in: expected [item, [values]]")
        for i, v in enumerate(arg[1]):
            _number(v, f"{path}.in[1][{i}]")
    elif op == "answered":
        if not isinstance(arg, str):
            raise ValueError(f"{path}.answered: expected an item id")
    elif op == "not":
        validate_rule(arg, f"{path}.not")
    else:
        if not isinstance(arg, list) or not arg:
            raise ValueError(f"{path}.{op}: expected a non-empty list of rules")
        for i, r in enumerate(arg):
            validate_rule(r, f"{path}.{op}[{i}]")


def evaluate(rule: Any, answers: Mapping[str, FloatArray], n: int) -> BoolArray:
    """Boolean mask of rows where ``rule`` holds; ``answers`` maps item → float array."""
    op, arg = _split(rule, "rule")
    if op in _COMPARE:
        return np.asarray(_COMPARE[op](_column(answers, arg[0], n), float(arg[1])), dtype=bool)
    if op == "in":
        return np.isin(_column(answers, arg[0], n), np.asarray(arg[1], dtype=np.float64))
    if op == "answered":
        return ~np.isnan(_column(answers, arg, n))
    if op == "not":
        return ~evaluate(arg, answers, n)
    masks = [evaluate(r, answers, n) for r in arg]
    combine = np.logical_and if op == "and" else np.logical_or
    out = masks[0].copy()
    for m in masks[1:]:
        combine(out, m, out=out)
    return out


def _split(rule: Any, path: str) -> tuple[str, Any]:
    if not isinstance(rule, Mapping) or len(rule) != 1:
        raise ValueError(f"{path}: a rule is an object with exactly one operator")
    ((op, arg),) = rule.items()
    if op not in OPERATORS:
        raise ValueError(f"{path}: unknown operator {op!r}")
    return str(op), arg


def _number(value: Any, path: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{path}: expected a number, got {value!r}")


def _column(answers: Mapping[str, FloatArray], item: str, n: int) -> FloatArray:
    if item not in answers:
        raise ValueError(f"rule names item {item!r}, which is not in the answers")
    col = np.asarray(answers[item], dtype=np.float64)
    if col.shape != (n,):
        raise ValueError(f"answers[{item!r}] has shape {col.shape}, expected ({n},)")
    return col
