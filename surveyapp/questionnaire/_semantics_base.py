"""What the meaning checks of the document and of its framework share.

The ``Finding`` they report, the index of items by id, the check that a rule names only
items it may read, and accessors that tolerate a structurally broken document (the schema
pass reports that), so that one upload lists every problem.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from surveyapp.questionnaire import rules
from surveyapp.questionnaire.document import CHOICE_TYPES

COMPARISON_OPS = ("eq", "ne", "lt", "le", "gt", "ge")


@dataclass(frozen=True)
class Finding:
    path: str
    code: str
    params: dict[str, Any] = field(default_factory=dict)
    severity: str = "error"


Items = dict[str, tuple[str, dict[str, Any]]]  # item id → (path, item), first occurrence


def all_items(doc: Mapping[str, Any]) -> Items:
    items: Items = {}
    for path, item in items_with_paths(doc):
        if isinstance(item.get("id"), str):
            items.setdefault(item["id"], (path, item))
    return items


def items_with_paths(doc: Mapping[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for s, section in enumerate(as_list(doc.get("sections"))):
        for i, item in enumerate(as_list(as_dict(section).get("items"))):
            if isinstance(item, dict):
                yield f"sections[{s}].items[{i}]", item


def check_rule(
    rule: Any,
    path: str,
    earlier: Mapping[str, dict[str, Any]],
    items: Items,
    scales: dict[str, Any],
    *,
    ordered: bool = True,
    numeric: bool = False,
) -> list[Finding]:
    """The items a rule names must exist, take answers and (``ordered``) come earlier."""
    try:
        names = rules.referenced_items(rule)
    except rules.RuleError:
        return []  # the schema pass has already said what is wrong with its shape
    found: list[Finding] = []
    for name in sorted(names):
        known = earlier.get(name) if ordered else items.get(name, ("", None))[1]
        if known is None:
            code = "rule_later_item" if name in items else "rule_unknown_item"
            found.append(Finding(path, code, {"id": name}))
        elif known.get("type") == "info":
            found.append(Finding(path, "rule_info_item", {"id": name}))
    for name, values in _compared(rule):
        for value in values:
            if numeric and not is_number(value):
                found.append(Finding(path, "rule_value_not_number", {"value": repr(value)}))
        codes = option_codes(items.get(name, ("", {}))[1], scales)
        for value in values:
            if codes and is_number(value) and value not in codes:
                params = {"code": value, "id": name}
                found.append(Finding(path, "rule_unknown_code", params, "warning"))
    return found


def _compared(rule: Any) -> Iterator[tuple[str, list[Any]]]:
    """(item, values) of every comparison in a rule (malformed parts are skipped)."""
    if not isinstance(rule, Mapping) or len(rule) != 1:
        return
    ((op, arg),) = rule.items()
    if op in ("and", "or") and isinstance(arg, list):
        for sub in arg:
            yield from _compared(sub)
    elif op == "not":
        yield from _compared(arg)
    elif op in COMPARISON_OPS and isinstance(arg, list) and len(arg) == 2:
        yield arg[0], [arg[1]]
    elif op == "in" and isinstance(arg, list) and len(arg) == 2 and isinstance(arg[1], list):
        yield arg[0], list(arg[1])


def option_codes(
    item: Mapping[str, Any] | None, scales: dict[str, Any], *, answers_only: bool = False
) -> set[int]:
    """Option codes of a choice item for an equality test (empty when unknowable);
    ``answers_only`` leaves out the "missing" ones (no answer, not applicable)."""
    if item is None or item.get("type") not in CHOICE_TYPES:
        return set()
    scale = as_dict(scales.get(str(item.get("scale"))))
    options = [as_dict(o) for o in as_list(item.get("options") or scale.get("options"))]
    return {
        o["code"]
        for o in options
        if isinstance(o.get("code"), int) and not (answers_only and o.get("missing"))
    }


def duplicate(value: str, seen: dict[str, str]) -> dict[str, str]:
    return {"id": value, "first": seen[value]}


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def above(low: Any, high: Any) -> bool:
    """Both are numbers and ``low`` is greater than ``high``."""
    return is_number(low) and is_number(high) and bool(low > high)


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
