"""Forms of the survey's own pages."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DecimalField, IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, NumberRange, ValidationError

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


class QualitySettingsForm(FlaskForm):
    """The thresholds of the data-quality flags, and the kiosk's rule on a dossier code
    answered already (``review.services.settings``)."""

    speeding_seconds = DecimalField(
        _l("Speeding: a median under this many seconds per answered question"),
        places=1,
        validators=[
            InputRequired(_l("Enter a number of seconds.")),
            NumberRange(min=0.1, max=60, message=_l("Enter a number from %(min)s to %(max)s.")),
        ],
    )
    nonresponse_percent = IntegerField(
        _l('Item nonresponse: more than this percentage of questions blank or "don\'t know"'),
        validators=[
            InputRequired(_l("Enter a percentage.")),
            NumberRange(min=1, max=99, message=_l("Enter a number from %(min)s to %(max)s.")),
        ],
    )
    burst_count = IntegerField(
        _l("Burst: this many responses from one device…"),
        validators=[
            InputRequired(_l("Enter a number.")),
            NumberRange(min=2, max=100, message=_l("Enter a number from %(min)s to %(max)s.")),
        ],
    )
    burst_minutes = IntegerField(
        _l("…within this many minutes (open links and counter tablets)"),
        validators=[
            InputRequired(_l("Enter a number of minutes.")),
            NumberRange(min=1, max=1440, message=_l("Enter a number from %(min)s to %(max)s.")),
        ],
    )
    repeat_dossier = SelectField(
        _l("A dossier code the survey has a response for, typed at the counter tablet"),
        choices=[
            SelectChoice("refuse", _l("Refuse it, saying it was answered already")),
            SelectChoice("flag", _l("Take the answers, and flag both responses")),
        ],
    )
