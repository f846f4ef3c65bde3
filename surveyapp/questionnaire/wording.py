"""Rules in words: a ``show_when`` as a person reads it, on paper or in the designer.

The one describer of the format's JSON rules (``rules.py`` is their interpreter). Who
reads decides how an item is named: the printed questionnaire says "question 12", the
designer says the item id. Option codes are shown with their labels, ``7 “Other”``, since
a paper form is keyed in by code.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from surveyapp.questionnaire.document import Questionnaire

# Operator → wording, in the order the designer's condition builder offers them.
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


def describe(
    q: Questionnaire, rule: Mapping[str, Any] | None, lang: str, name: Callable[[str], str]
) -> str:
    """``rule`` as a sentence, each item called ``name(item_id)``; "" for no rule."""
    if not rule:
        return ""
    return _describe(q, rule, lang, name, nested=False)


def _describe(
    q: Questionnaire, rule: Mapping[str, Any], lang: str, name: Callable[[str], str], nested: bool
) -> str:
    ((op, arg),) = rule.items()
    if op in ("and", "or"):
        joiner = f" {_('and') if op == 'and' else _('or')} "
        text = joiner.join(_describe(q, part, lang, name, nested=True) for part in arg)
        return f"({text})" if nested and len(arg) > 1 else text
    if op == "not":
        if set(arg) == {"answered"}:
            return f"{name(arg['answered'])} {OPERATORS['unanswered']}"
        return _("not (%(rule)s)", rule=_describe(q, arg, lang, name, nested=False))
    if op == "answered":
        return f"{name(arg)} {OPERATORS['answered']}"
    item, value = arg
    values = value if isinstance(value, list) else [value]
    shown = ", ".join(_value(q, item, v, lang) for v in values)
    return f"{name(item)} {OPERATORS[op]} {shown}"


def _value(q: Questionnaire, item_id: str, value: Any, lang: str) -> str:
    """An option code with its label (``7 “Other”``); any other value as it is."""
    try:
        codes = {o["code"] for o in q.options(item_id)}
    except KeyError:  # an item this version does not have
        codes = set()
    if value in codes:
        return f"{value} “{q.option_label(item_id, value, lang)}”"
    return str(value)
