"""SPSS / Stata variables from the response table: legal names, labels, declared missing.

Each item keeps its id as the variable name when that name is legal in both formats
(the questionnaire format already asks for ``[a-z][a-z0-9_]{0,31}``); anything else is
made legal, and a ``multi`` item is spread into one 0/1 variable per option.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field
from typing import Literal

from flask_babel import force_locale, gettext

from surveyapp.exports.table import Column
from surveyapp.questionnaire.document import Questionnaire

MAX_NAME = 32  # Stata's limit; SPSS allows 64 bytes
# Stata's reserved names and SPSS's reserved keywords, compared case-insensitively.
RESERVED = {
    "_all", "_b", "byte", "_coef", "_cons", "double", "float", "if", "in", "int", "long",
    "_n", "_pi", "_pred", "_rc", "_skip", "strl", "using", "with", "all", "and", "by",
    "eq", "ge", "gt", "le", "lt", "ne", "not", "or", "to",
}  # fmt: skip
Kind = Literal["numeric", "string", "datetime", "date"]


@dataclass
class Variable:
    """One output variable: where its values come from and how they are described.

    ``source`` is the column position in a table row; ``code`` is set for the 0/1
    variable of one option of a multi item. ``missing`` lists the declared missing
    codes (options marked ``"missing": true``), distinct from system missing (not asked).
    """

    name: str
    label: str
    kind: Kind
    source: int
    code: int | None = None
    value_labels: dict[int, str] = field(default_factory=dict)
    missing: list[int] = field(default_factory=list)


def legal_name(raw: str, taken: set[str]) -> str:
    """A name legal in SPSS and Stata, unique (case-insensitively) among ``taken``."""
    name = re.sub(r"[^A-Za-z0-9_]", "_", raw)
    if not name or name[0] not in string.ascii_letters:
        name = "v" + name
    name = name[:MAX_NAME]
    candidate, suffix = name, 1
    while candidate.lower() in taken or candidate.lower() in RESERVED:
        suffix += 1
        tail = f"_{suffix}"
        candidate = name[: MAX_NAME - len(tail)] + tail
    taken.add(candidate.lower())
    return candidate


def variables(cols: list[Column], questionnaire: Questionnaire, lang: str) -> list[Variable]:
    taken: set[str] = set()
    result: list[Variable] = []
    with force_locale(lang):
        chosen, not_chosen = gettext("Chosen"), gettext("Not chosen")
    for position, column in enumerate(cols):
        item = column.item
        if item is None:
            kind: Kind = "datetime" if column.name == "submitted_at" else "string"
            if column.name in ("response_id", "weight"):
                kind = "numeric"
            result.append(Variable(legal_name(column.name, taken), column.label, kind, position))
            continue
        item_type = item["type"]
        options = questionnaire.options(item["id"])
        if item_type == "multi":
            for option in options:
                code = int(option["code"])
                label = f"{column.label}: {questionnaire.label(option, lang)}"
                name = legal_name(f"{item['id']}_{code}", taken)
                labels = {1: chosen, 0: not_chosen}
                result.append(Variable(name, label, "numeric", position, code, labels))
            continue
        variable = Variable(legal_name(item["id"], taken), column.label, _kind(item_type), position)
        if options:
            variable.value_labels = {int(o["code"]): questionnaire.label(o, lang) for o in options}
            variable.missing = sorted(questionnaire.missing_codes(item["id"]))
        result.append(variable)
    return result


def _kind(item_type: str) -> Kind:
    if item_type in ("likert", "single", "number"):
        return "numeric"
    if item_type == "date":
        return "date"
    return "string"
