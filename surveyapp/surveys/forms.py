"""Forms of the survey's own page."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import ValidationError

# A browser's date input sends ISO dates; one without it (or a keyboard) gives Vietnam's.
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y")


def parse_day(text: str) -> date | None:
    """``2027-03-31`` or ``31/03/2027`` as a date; blank is None; else ValueError."""
    text = text.strip()
    if not text:
        return None
    for pattern in DATE_FORMATS:
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(text)


class DayField(StringField):
    """A day typed or picked; ``day`` is the date read from it."""

    day: date | None = None

    def pre_validate(self, form: Any) -> None:
        try:
            self.day = parse_day(self.data or "")
        except ValueError:
            raise ValidationError(_l("Enter a date as dd/mm/yyyy.")) from None
        if self.day and not 2000 <= self.day.year <= 2100:
            raise ValidationError(_l("Enter a date between 2000 and 2100."))


class RoundDatesForm(FlaskForm):
    opens = DayField(_l("Opens on"))
    closes = DayField(_l("Closes at the end of"))
