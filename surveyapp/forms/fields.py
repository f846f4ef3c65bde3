"""One WTForms field per questionnaire item type, found through ``FIELD_TYPES``.

The fields parse raw form data themselves so that every malformed input (an unknown
code, two values for a single choice, text in a number field) becomes a message beside
the field, never an exception, and what was typed is shown again.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import Field

Answer = int | float | str | date | list[int] | None

TEXT_MAX = 2000
# C0 controls but tab and line breaks: PostgreSQL refuses NUL in text, and spreadsheets
# (openpyxl, so the xlsx exports) refuse the rest.
CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# Where a stencil (forms/stencil.py) later fills in a respondent's answer: private-use
# characters, never in a label and left alone by HTML escaping.
MARK, MARK_END = "\ue000", "\ue001"


class ItemField(Field):
    """Base: holds the item dict and produces a typed ``answer``."""

    item: dict[str, Any]
    answer: Answer = None
    marks = False  # render markers instead of this respondent's answer (for a stencil)

    def __init__(self, *args: Any, item: dict[str, Any], required: bool, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.item = item
        self.is_required = required
        self.raw: list[str] = []

    def process_formdata(self, valuelist: list[str]) -> None:
        self.raw = [v for v in valuelist if v.strip() != ""]

    def process_data(self, value: Any) -> None:
        self.answer = value
        self.raw = as_raw(value)

    def pre_validate(self, form: Any) -> None:
        if not self.raw:
            self.answer = None
            if self.is_required:
                self.errors.append(str(_l("Please answer this question.")))
            return
        try:
            self.answer = self.parse(self.raw)
        except ValueError as problem:
            self.answer = None
            self.errors.append(str(problem))

    def parse(self, raw: list[str]) -> Answer:
        raise NotImplementedError

    def _value(self) -> str:  # what the widget shows again
        return self.raw[0] if self.raw else ""

    def shown_value(self) -> str:
        return f"{MARK}value {self.name}{MARK_END}" if self.marks else self._value()


class ChoiceField(ItemField):
    """``single`` and ``likert``: exactly one option code."""

    def __init__(self, *args: Any, codes: list[int], **kwargs: Any):
        super().__init__(*args, **kwargs)
        # Compared as written on the page: int() would also read "١", "01" or "1_0".
        self.by_text = {str(code): code for code in codes}

    def parse(self, raw: list[str]) -> Answer:
        if len(raw) > 1:
            raise ValueError(str(_l("Choose only one answer.")))
        return _known_code(raw[0], self.by_text)

    def checked(self, code: int) -> bool:
        return str(code) in self.raw

    def checked_attr(self, code: int) -> str:
        if self.marks:
            return f"{MARK}checked {self.name} {code}{MARK_END}"
        return "checked" if self.checked(code) else ""


class MultiField(ChoiceField):
    """``multi``: any number of distinct option codes."""

    def parse(self, raw: list[str]) -> Answer:
        codes = [_known_code(value, self.by_text) for value in raw]
        return sorted(set(codes))


class NumberField(ItemField):
    def parse(self, raw: list[str]) -> Answer:
        if len(raw) > 1:
            raise ValueError(str(_l("Enter a single number.")))
        text = raw[0].strip().replace(" ", "")
        # Vietnamese writes decimals with a comma: 2,5
        if re.fullmatch(r"[+-]?[0-9]+", text):
            value: float | int = int(text)
        elif re.fullmatch(r"[+-]?[0-9]*[.,][0-9]+", text):
            value = float(text.replace(",", "."))
        else:
            raise ValueError(str(_l("Enter a number, for example 3.")))
        low, high = self.item.get("min"), self.item.get("max")
        if (low is not None and value < low) or (high is not None and value > high):
            raise ValueError(
                str(_l("Enter a number from %(low)s to %(high)s.", low=low, high=high))
                if low is not None and high is not None
                else str(_l("The number is out of range."))
            )
        return value


class TextField(ItemField):
    def process_formdata(self, valuelist: list[str]) -> None:
        self.raw = [valuelist[0]] if valuelist and valuelist[0].strip() else []

    def parse(self, raw: list[str]) -> Answer:
        text = raw[0].strip()
        if CONTROLS.search(text):
            raise ValueError(
                str(_l("This answer contains an invisible control character; please retype it."))
            )
        if len(text) > TEXT_MAX:
            raise ValueError(str(_l("Please use at most %(n)s characters.", n=TEXT_MAX)))
        return text

    def _value(self) -> str:
        return CONTROLS.sub("", super()._value())


class DateField(ItemField):
    def parse(self, raw: list[str]) -> Answer:
        text = raw[0].strip()
        for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
            try:
                return datetime.strptime(text, pattern).date()
            except ValueError:
                continue
        raise ValueError(str(_l("Enter a date such as 31/12/2026.")))


def as_raw(value: Answer) -> list[str]:
    """A saved answer as the form data that would give it: what its field shows again."""
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return [str(int(value))]
    return [value.isoformat() if isinstance(value, date) else str(value)]


def _known_code(value: str, by_text: dict[str, int]) -> int:
    code = by_text.get(value.strip())
    if code is None:
        raise ValueError(str(_l("This is not one of the options.")))
    return code


FieldFactory = Callable[[dict[str, Any], list[int], bool], ItemField]

FIELD_TYPES: dict[str, FieldFactory] = {
    "likert": lambda item, codes, req: ChoiceField(item=item, codes=codes, required=req),
    "single": lambda item, codes, req: ChoiceField(item=item, codes=codes, required=req),
    "multi": lambda item, codes, req: MultiField(item=item, codes=codes, required=req),
    "number": lambda item, codes, req: NumberField(item=item, required=req),
    "text": lambda item, codes, req: TextField(item=item, required=req),
    "date": lambda item, codes, req: DateField(item=item, required=req),
}
