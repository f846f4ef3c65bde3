"""The skip-logic builder: conditions picked from lists, turned into the format's JSON rules.

A designer never types JSON. A rule the builder can show is a list of conditions (earlier
item, operator, value) joined by "all" (``and``) or "any" (``or``); a rule imported from a
file that is more deeply nested is shown as it reads and can only be cleared.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l

from surveyapp.questionnaire.document import CHOICE_TYPES
from surveyapp.services.design_edits import NotInDocument, find_item, find_section
from surveyapp.services.problems import InputRefused, Problem

COMPARISONS = ("eq", "ne", "lt", "le", "gt", "ge")
# Operator → wording, in the order the builder offers them.
OPERATORS = {
    "eq": _l("is"),
    "ne": _l("is not"),
    "in": _l("is one of"),
    "lt": _l("is less than"),
    "le": _l("is at most"),
    "gt": _l("is greater than"),
    "ge": _l("is at least"),
    "answered": _l("is answered"),
    "unanswered": _l("is not answered"),
}
COMBINE = {"all": "and", "any": "or"}


@dataclass(frozen=True)
class Condition:
    item: str
    op: str  # a key of OPERATORS
    value: Any = None  # a code, number, text or date; a list for "in"; None for (un)answered

    def rule(self) -> dict[str, Any]:
        if self.op == "answered":
            return {"answered": self.item}
        if self.op == "unanswered":
            return {"not": {"answered": self.item}}
        return {self.op: [self.item, self.value]}


@dataclass(frozen=True)
class Logic:
    """A rule as the builder shows it; ``editable`` False for rules it can't take apart."""

    conditions: list[Condition]
    combine: str = "all"
    editable: bool = True


def operators_for(item: dict[str, Any]) -> list[str]:
    """The operators that make sense for an item's type."""
    if item["type"] in CHOICE_TYPES:  # "in" is written as several "is" joined by "any"
        return ["eq", "ne", "answered", "unanswered"]
    if item["type"] in ("number", "date"):
        return ["eq", "ne", "lt", "le", "gt", "ge", "answered", "unanswered"]
    return ["eq", "ne", "answered", "unanswered"]


def earlier_items(doc: dict[str, Any], kind: str, target_id: str) -> list[dict[str, Any]]:
    """Answerable items before the target (an item, or the first item of a section)."""
    found: list[dict[str, Any]] = []
    for section in doc.get("sections", []):
        if kind == "section" and section["id"] == target_id:
            return found
        for item in section.get("items", []):
            if kind == "item" and item["id"] == target_id:
                return found
            if item["type"] != "info":
                found.append(item)
    raise NotInDocument(target_id)


def target(doc: dict[str, Any], kind: str, target_id: str) -> dict[str, Any]:
    """The item or section whose ``show_when`` is being built."""
    if kind == "item":
        return find_item(doc, target_id)[2]
    if kind == "section":
        return find_section(doc, target_id)[1]
    raise NotInDocument(kind)


def read(rule: dict[str, Any] | None) -> Logic:
    """A stored ``show_when`` as conditions, when it has the builder's shape."""
    if not rule:
        return Logic([])
    ((op, arg),) = rule.items()
    if op in ("and", "or"):
        conditions = [_condition(part) for part in arg]
        if all(c is not None for c in conditions):
            return Logic([c for c in conditions if c], "all" if op == "and" else "any")
        return Logic([], editable=False)
    single = _condition(rule)
    return Logic([single]) if single else Logic([], editable=False)


def write(logic: Logic) -> dict[str, Any] | None:
    """The JSON rule for the conditions (None: always shown)."""
    if not logic.conditions:
        return None
    if len(logic.conditions) == 1:
        return logic.conditions[0].rule()
    return {COMBINE[logic.combine]: [c.rule() for c in logic.conditions]}


def _condition(rule: Any) -> Condition | None:
    if not isinstance(rule, dict) or len(rule) != 1:
        return None
    ((op, arg),) = rule.items()
    if op == "answered" and isinstance(arg, str):
        return Condition(arg, "answered")
    if op == "not" and isinstance(arg, dict) and set(arg) == {"answered"}:
        return Condition(arg["answered"], "unanswered")
    if op in (*COMPARISONS, "in") and isinstance(arg, list) and len(arg) == 2:
        return Condition(arg[0], op, arg[1])
    return None


def parse_condition(
    doc: dict[str, Any], kind: str, target_id: str, item_id: str, op: str, values: list[str]
) -> Condition:
    """A condition from the builder's form, checked against the document."""
    earlier = {i["id"]: i for i in earlier_items(doc, kind, target_id)}
    if item_id not in earlier:
        raise _refused("item", _l("Choose a question that comes before this one."))
    item = earlier[item_id]
    if op not in operators_for(item):
        raise _refused("op", _l("Choose how to compare."))
    if op in ("answered", "unanswered"):
        return Condition(item_id, op)
    values = [v.strip() for v in values if v.strip()]
    if not values:
        raise _refused("value", _l("Give the value to compare with."))
    typed = [_typed(doc, item, v) for v in values]
    if op == "in":
        return Condition(item_id, op, typed)
    return Condition(item_id, op, typed[0])


def _typed(doc: dict[str, Any], item: dict[str, Any], text: str) -> Any:
    if item["type"] in CHOICE_TYPES:
        codes = {int(o["code"]) for o in _options(doc, item)}
        if not re.fullmatch(r"-?\d+", text) or int(text) not in codes:
            raise _refused("value", _l("Choose one of the question's answers."))
        return int(text)
    if item["type"] == "number":
        try:
            value = float(text.replace(",", "."))
        except ValueError:
            raise _refused("value", _l("Give a number.")) from None
        return int(value) if value.is_integer() else value
    if item["type"] == "date" and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise _refused("value", _l("Give a date as YYYY-MM-DD."))
    return text


def _options(doc: dict[str, Any], item: dict[str, Any]) -> list[dict[str, Any]]:
    if "options" in item:
        return list(item["options"])
    return list(doc.get("scales", {}).get(item.get("scale"), {}).get("options", []))


def options_of(doc: dict[str, Any], item: dict[str, Any]) -> list[dict[str, Any]]:
    """The answer options a condition on ``item`` can pick from (empty for non-choice items)."""
    return _options(doc, item) if item["type"] in CHOICE_TYPES else []


def _refused(where: str, message: Any) -> InputRefused:
    return InputRefused([Problem(where, str(message))])
