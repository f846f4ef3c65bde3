"""Edits of an item's answer checks: a rule the answer must meet, and what to say if not.

A check is ``{"rule": <rule>, "message": {"vi": ..., "en": ...}}``; the respondent pages
refuse an answer whose check's rule does not hold and show the message. The rule is built
with the skip-logic builder (``rules``, kind ``check``): conditions on this item's
answer and earlier ones. Plain functions over the document, called by name through
``OPERATIONS`` as the framework's edits are.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_babel import gettext as _

from surveyapp.design.services.edits import rules
from surveyapp.design.services.edits.common import find_item, label, refuse
from surveyapp.problems import InputRefused, Problem


def _checks(doc: dict[str, Any], item_id: str) -> list[dict[str, Any]]:
    item = find_item(doc, item_id)[2]
    if item["type"] == "info":
        raise refuse("item", _("An information text has no answer to check."))
    checks: list[dict[str, Any]] = item.setdefault("checks", [])
    return checks


def _message(message_vi: str, message_en: str) -> dict[str, str]:
    """The message in both languages: respondents answer in either."""
    problems = []
    if not message_vi.strip():
        problems.append(Problem("message_vi", _("The message in Vietnamese is required.")))
    if not message_en.strip():
        problems.append(Problem("message_en", _("The message in English is required.")))
    if problems:
        raise InputRefused(problems)
    return label(message_vi, message_en, "message")


def add(
    doc: dict[str, Any],
    item_id: str,
    *,
    message_vi: str,
    message_en: str,
    item: str,
    op: str,
    values: list[str],
) -> int:
    """A new check with its first condition; returns its index."""
    checks = _checks(doc, item_id)
    problems: list[Problem] = []
    try:
        message = _message(message_vi, message_en)
    except InputRefused as refused:
        problems += refused.problems
    try:
        condition = rules.parse_condition(doc, "check", item_id, item, op, values)
    except InputRefused as refused:
        problems += refused.problems
    if problems:
        raise InputRefused(problems)
    checks.append({"rule": condition.rule(), "message": message})
    return len(checks) - 1


def add_condition(
    doc: dict[str, Any],
    item_id: str,
    *,
    check: int,
    item: str,
    op: str,
    values: list[str],
    combine: str = "all",
) -> None:
    rules.add_condition(
        doc, "check", item_id, item=item, op=op, values=values, combine=combine, check=check
    )


def remove_condition(doc: dict[str, Any], item_id: str, *, check: int, index: int) -> None:
    rules.remove_condition(doc, "check", item_id, index, check=check)


def combine(doc: dict[str, Any], item_id: str, *, check: int, combine: str) -> None:
    rules.set_combine(doc, "check", item_id, combine, check=check)


def message(
    doc: dict[str, Any], item_id: str, *, check: int, message_vi: str, message_en: str
) -> None:
    owner, _key = rules.slot(doc, "check", item_id, check)
    owner["message"] = _message(message_vi, message_en)


def delete(doc: dict[str, Any], item_id: str, *, check: int) -> None:
    rules.slot(doc, "check", item_id, check)  # refused when it is gone already
    item = find_item(doc, item_id)[2]
    del item["checks"][check]
    if not item["checks"]:
        del item["checks"]


OPERATIONS: dict[str, Callable[..., Any]] = {
    f.__name__: f for f in (add, add_condition, remove_condition, combine, message, delete)
}
