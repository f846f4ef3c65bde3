"""The rule builder: conditions picked from lists, turned into the format's JSON rules.

A designer never types JSON. A rule the builder can show is a list of conditions (item,
operator, value) joined by "all" (``and``) or "any" (``or``); a rule imported from a file
that is more deeply nested is shown as it reads and can only be cleared.

One builder serves every rule of the format a designer writes: an item's or a section's
``show_when`` (kinds ``item``, ``section``: earlier items only) and the ``rule`` of an
item's answer checks (kind ``check``: earlier items and the item itself).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l

from surveyapp.design.services.edits.common import NotInDocument, find_item, find_section, item_ids
from surveyapp.problems import InputRefused, Problem
from surveyapp.questionnaire.document import CHOICE_TYPES

COMPARISONS = ("eq", "ne", "lt", "le", "gt", "ge")
COMBINE = {"all": "and", "any": "or"}


@dataclass(frozen=True)
class Condition:
    item: str
    op: str  # a key of wording.OPERATORS
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
    """Answerable items a rule of the target may name, in order.

    Before the section (``section``) or the item (``item``); for an item's checks
    (``check``) the item's own answer too.
    """
    found: list[dict[str, Any]] = []
    for section in doc.get("sections", []):
        if kind == "section" and section["id"] == target_id:
            return found
        for item in section.get("items", []):
            if kind != "section" and item["id"] == target_id:
                return [*found, item] if kind == "check" and item["type"] != "info" else found
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


def slot(
    doc: dict[str, Any], kind: str, target_id: str, check: int | None = None
) -> tuple[dict[str, Any], str]:
    """Where the rule lives: (the dict holding it, its key)."""
    if kind != "check":
        return target(doc, kind, target_id), "show_when"
    checks = find_item(doc, target_id)[2].get("checks", [])
    if check is None or not 0 <= check < len(checks):
        raise _refused("check", _l("That check no longer exists."))
    return checks[check], "rule"


def read(rule: dict[str, Any] | None) -> Logic:
    """A stored ``show_when`` as conditions, when it has the builder's shape."""
    if not rule:
        return Logic([])
    if not isinstance(rule, dict) or len(rule) != 1:
        return Logic([], editable=False)
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
        raise _refused("item", _not_a_source(doc, kind, item_id))
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


def _not_a_source(doc: dict[str, Any], kind: str, item_id: str) -> Any:
    """Why a rule of this kind may not name ``item_id``, naming it."""
    if not item_id:
        return _l("Choose a question.")
    if item_id not in item_ids(doc):
        return _l("There is no question %(id)s.", id=item_id)
    if find_item(doc, item_id)[2]["type"] == "info":
        return _l("%(id)s is an information text and takes no answer.", id=item_id)
    if kind == "check":
        return _l(
            "%(id)s is answered after this question: a check may only use this question "
            "and the ones before it.",
            id=item_id,
        )
    return _l("%(id)s comes after this one: choose a question that comes before it.", id=item_id)


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


# --- edits: one condition at a time ----------------------------------------------------------


def add_condition(
    doc: dict[str, Any],
    kind: str,
    target_id: str,
    *,
    item: str,
    op: str,
    values: list[str],
    combine: str = "all",
    check: int | None = None,
) -> None:
    """Add "<item> <op> <value>" to the rule; ``combine`` joins it to a lone earlier one."""
    condition = parse_condition(doc, kind, target_id, item, op, values)
    owner, key = slot(doc, kind, target_id, check)
    current = read(owner.get(key))
    if not current.editable:
        raise _refused("rule", _l("Clear the present rule before adding conditions."))
    if combine not in COMBINE:
        raise _refused("combine", _l("Choose all or any."))
    joined = current.combine if len(current.conditions) > 1 else combine
    store(owner, key, Logic([*current.conditions, condition], joined))


def remove_condition(
    doc: dict[str, Any], kind: str, target_id: str, index: int, check: int | None = None
) -> None:
    owner, key = slot(doc, kind, target_id, check)
    current = read(owner.get(key))
    if not 0 <= index < len(current.conditions):
        raise _refused("condition", _l("That condition no longer exists."))
    kept = [c for i, c in enumerate(current.conditions) if i != index]
    if not kept and kind == "check":  # a check is its rule: an empty one would accept anything
        raise _refused("condition", _l("A check needs a condition: delete the check instead."))
    store(owner, key, Logic(kept, current.combine))


def set_combine(
    doc: dict[str, Any], kind: str, target_id: str, combine: str, check: int | None = None
) -> None:
    if combine not in COMBINE:
        raise _refused("combine", _l("Choose all or any."))
    owner, key = slot(doc, kind, target_id, check)
    current = read(owner.get(key))
    if current.editable:
        store(owner, key, Logic(current.conditions, combine))


def store(owner: dict[str, Any], key: str, built: Logic) -> None:
    """Write the conditions as the owner's rule (none: the key goes)."""
    rule = write(built)
    if rule is None:
        owner.pop(key, None)
    else:
        owner[key] = rule


def _refused(where: str, message: Any) -> InputRefused:
    return InputRefused([Problem(where, str(message))])
