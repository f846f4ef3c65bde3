"""``relevant`` and ``among`` expressions into JSON rules, choice names into our codes.

Read after the whole survey sheet, so that a rule naming a later item is reported by
validation ("comes later") rather than as an unknown name.
"""

from __future__ import annotations

import re
from typing import Any

from flask_babel import lazy_gettext as _l

from surveyapp.questionnaire.xlsform.expressions import ExpressionError, parse_expression
from surveyapp.questionnaire.xlsform.reading import Reading
from surveyapp.questionnaire.xlsform.sheets import Where


class _Unresolved(ValueError):
    """A value in an expression names no choice of its item (the message is lazy)."""

    def __str__(self) -> str:
        return str(self.args[0])


def read_pending(reading: Reading) -> None:
    """Every expression queued while reading the survey sheet; then each item of a nested
    group also takes its groups' rules (a skip rule on a group is never lost)."""
    for node, key, text, where in reading.pending:
        read_expression(reading, node, key, text, where)
    for item, groups in reading.nested:
        parts = [g["show_when"] for g in groups if "show_when" in g]
        if parts:
            own = [item["show_when"]] if "show_when" in item else []
            item["show_when"] = {"and": [*parts, *own]} if len(parts) + len(own) > 1 else parts[0]


def read_expression(
    reading: Reading, node: dict[str, Any], key: str, text: str, where: Where
) -> None:
    """``node[key]`` = the rule ``text`` says, or an error at ``where``."""
    try:
        node[key] = _resolve(reading, parse_expression(text))
    except (ExpressionError, _Unresolved) as error:
        reading.error(where, _l('cannot read "%(text)s": %(reason)s', text=text, reason=error))


def _resolve(reading: Reading, rule: dict[str, Any]) -> dict[str, Any]:
    """Choice names in a parsed rule as our integer codes."""
    ((op, arg),) = rule.items()
    if op in ("and", "or"):
        return {op: [_resolve(reading, r) for r in arg]}
    if op == "not":
        return {op: _resolve(reading, arg)}
    if op == "answered":
        return rule
    item, value = arg
    codes = reading.codes.get(item)
    if isinstance(value, str) and codes is not None:
        if value in codes:
            value = codes[value]
        elif re.fullmatch(r"-?\d+", value):
            value = int(value)
        else:
            raise _Unresolved(_l('"%(value)s" is not a choice of %(item)s', value=value, item=item))
    elif isinstance(value, str) and reading.types.get(item) == "number":
        try:
            value = int(value) if re.fullmatch(r"-?\d+", value) else float(value)
        except ValueError:
            raise _Unresolved(_l('"%(value)s" is not a number', value=value)) from None
    return {op: [item, value]}
