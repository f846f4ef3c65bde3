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
Measure = Literal["nominal", "ordinal", "scale"]
# Formats of the numeric design columns: SPSS (width.decimals) and Stata display formats.
# Ids and population sizes are whole numbers; weights keep six decimals on screen (the
# file stores them as doubles, whole).
META_FORMATS: dict[str, tuple[Measure, str, str]] = {
    "response_id": ("nominal", "F10.0", "%12.0f"),
    "weight": ("scale", "F12.6", "%12.6f"),
    "base_weight": ("scale", "F12.6", "%12.6f"),
    "fpc": ("scale", "F10.0", "%12.0f"),
    "duration_s": ("scale", "F10.0", "%12.0f"),
    "back_navigations": ("scale", "F5.0", "%5.0f"),
}
PAGE_SECONDS_FORMAT: tuple[Measure, str, str] = ("scale", "F10.1", "%10.1f")


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
    # SPSS measurement level; SPSS and Stata display formats (None: the writer's own).
    measure: Measure = "nominal"
    spss_format: str | None = None
    stata_format: str | None = None


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
            result.append(_meta(column, position, taken))
            continue
        item_type = item["type"]
        options = questionnaire.options(item["id"])
        if item_type == "multi":
            for option in options:
                code = int(option["code"])
                label = f"{column.label}: {questionnaire.label(option, lang)}"
                name = legal_name(f"{item['id']}_{code}", taken)
                labels = {1: chosen, 0: not_chosen}
                flag = Variable(name, label, "numeric", position, code, labels)
                flag.spss_format, flag.stata_format = "F1.0", "%1.0f"
                result.append(flag)
            continue
        variable = Variable(legal_name(item["id"], taken), column.label, _kind(item_type), position)
        if options:
            variable.value_labels = {int(o["code"]): questionnaire.label(o, lang) for o in options}
            variable.missing = sorted(questionnaire.missing_codes(item["id"]))
            digits = max(len(str(abs(code))) for code in variable.value_labels)
            variable.spss_format, variable.stata_format = f"F{digits}.0", f"%{digits + 1}.0f"
        variable.measure = _measure(item_type)
        result.append(variable)
    return result


def _meta(column: Column, position: int, taken: set[str]) -> Variable:
    """A column before the answers: ids, codes, the time, the design columns."""
    name = legal_name(column.name, taken)
    if column.numeric:
        measure, spss, stata = META_FORMATS.get(column.name, PAGE_SECONDS_FORMAT)
        return Variable(name, column.label, "numeric", position, measure=measure,
                        spss_format=spss, stata_format=stata)  # fmt: skip
    if column.name in ("submitted_at", "started_at"):
        return Variable(name, column.label, "datetime", position, measure="scale")
    return Variable(name, column.label, "string", position)


def _measure(item_type: str) -> Measure:
    """Likert scales are ordered; numbers and dates are scale; the rest are categories."""
    if item_type == "likert":
        return "ordinal"
    if item_type in ("number", "date"):
        return "scale"
    return "nominal"


def _kind(item_type: str) -> Kind:
    if item_type in ("likert", "single", "number"):
        return "numeric"
    if item_type == "date":
        return "date"
    return "string"
