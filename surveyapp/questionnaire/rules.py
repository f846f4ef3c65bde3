"""The rule interpreter for ``show_when``, ``among`` and ``checks``: JSON operator trees.

Never ``eval``: a rule is a one-key dict, ``{"eq": [item, value]}``, ``ne``, ``lt``, ``le``,
``gt``, ``ge``, ``{"in": [item, [values]]}``, ``{"answered": item}``, ``{"and": [...]}``,
``{"or": [...]}``, ``{"not": rule}``.

An item that is unanswered (absent, or None) makes every comparison false, ``ne``
included, as SQL's NULL does: a question shown "when the result was not on time" stays
hidden until the timing is known; ``{"not": {"eq": ...}}`` is the way to say "unless we
know it is". For a ``multi`` answer (a list), ``eq``, ``in`` and the order comparisons hold
when they hold for any ticked code (membership), and ``ne`` when no ticked code is equal.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from typing import Any

COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
}
OPERATORS = (*COMPARISONS, "in", "answered", "and", "or", "not")


class RuleError(ValueError):
    """A rule is not a well-formed operator tree."""


def evaluate(rule: Mapping[str, Any] | None, answers: Mapping[str, Any]) -> bool:
    """Whether ``rule`` holds for ``answers`` (item id → value); no rule always holds."""
    if rule is None:
        return True
    op, arg = _split(rule)
    if op == "and":
        return all(evaluate(_rule(op, r), answers) for r in _list(op, arg))
    if op == "or":
        return any(evaluate(_rule(op, r), answers) for r in _list(op, arg))
    if op == "not":
        return not evaluate(_rule(op, arg), answers)
    if op == "answered":
        return _values(answers, _item(op, arg)) != []
    item, target = _pair(op, arg)
    values = _values(answers, item)
    if op == "in":
        if not isinstance(target, list):
            raise RuleError(f'"in" takes [item, [values]], got {target!r}')
        return any(v in target for v in values)
    if op == "ne":  # "7 is not ticked" for a multi answer, not "something else is ticked"
        return bool(values) and all(v != target for v in values)
    compare = COMPARISONS[op]
    try:
        return any(compare(v, target) for v in values)
    except TypeError:  # e.g. text compared with a number: not a match
        return False


def referenced_items(rule: Mapping[str, Any] | None) -> set[str]:
    """The item ids a rule names."""
    if rule is None:
        return set()
    op, arg = _split(rule)
    if op in ("and", "or"):
        return set().union(*(referenced_items(_rule(op, r)) for r in _list(op, arg)))
    if op == "not":
        return referenced_items(_rule(op, arg))
    if op == "answered":
        return {_item(op, arg)}
    return {_pair(op, arg)[0]}


def _split(rule: Any) -> tuple[str, Any]:
    if not isinstance(rule, Mapping) or len(rule) != 1:
        raise RuleError(f"a rule is an object with exactly one operator, got {rule!r}")
    ((op, arg),) = rule.items()
    if op not in OPERATORS:
        raise RuleError(f'unknown operator "{op}" (known: {", ".join(OPERATORS)})')
    return op, arg


def _rule(op: str, arg: Any) -> Mapping[str, Any]:
    # None means "no rule" only at the top: {"not": null} is a mistake, not "never"
    if not isinstance(arg, Mapping):
        raise RuleError(f'"{op}" takes a rule, got {arg!r}')
    return arg


def _list(op: str, arg: Any) -> list[Any]:
    if not isinstance(arg, list):
        raise RuleError(f'"{op}" takes a list of rules, got {arg!r}')
    return arg


def _item(op: str, arg: Any) -> str:
    if not isinstance(arg, str):
        raise RuleError(f'"{op}" takes an item id, got {arg!r}')
    return arg


def _pair(op: str, arg: Any) -> tuple[str, Any]:
    if not isinstance(arg, list) or len(arg) != 2 or not isinstance(arg[0], str):
        raise RuleError(f'"{op}" takes [item, value], got {arg!r}')
    return arg[0], arg[1]


def _values(answers: Mapping[str, Any], item: str) -> list[Any]:
    value = answers.get(item)
    if value is None or value == "":
        return []
    return list(value) if isinstance(value, list) else [value]
