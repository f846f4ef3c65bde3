"""Forms of the survey's own pages."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DecimalField, IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, NumberRange, ValidationError

from surveyapp.review.services.settings import RANGES

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


def _threshold(
    field: type[IntegerField] | type[DecimalField],
    label: Any,
    required: Any,
    name: str,
    scale: int = 1,
    **options: Any,
) -> Any:
    """A threshold field bounded as the service bounds it (``settings.RANGES``), times
    ``scale`` (100 for a share asked as a percentage)."""
    low, high = (_plain(bound * scale) for bound in RANGES[name])
    between = _l("Enter a number from %(min)s to %(max)s.")
    return field(
        label,
        validators=[InputRequired(required), NumberRange(min=low, max=high, message=between)],
        **options,
    )


def _plain(number: float) -> float | int:
    """A bound as people write it: 60, not 60.0 (and 1 for a share of 0.01 times 100)."""
    rounded = round(number, 1)
    return int(rounded) if float(rounded).is_integer() else rounded


class QualitySettingsForm(FlaskForm):
    """The thresholds of the data-quality flags, and the kiosk's rule on a dossier code
    answered already (``review.services.settings``)."""

    speeding_seconds = _threshold(
        DecimalField,
        _l("Speeding: a median under this many seconds per answered question"),
        _l("Enter a number of seconds."),
        "speeding_seconds",
        places=1,
    )
    nonresponse_percent = _threshold(
        IntegerField,
        _l('Item nonresponse: more than this percentage of questions blank or "don\'t know"'),
        _l("Enter a percentage."),
        "nonresponse_share",
        scale=100,
    )
    burst_count = _threshold(
        IntegerField,
        _l("Burst: this many responses from one device…"),
        _l("Enter a number."),
        "burst_count",
    )
    burst_minutes = _threshold(
        IntegerField,
        _l("…within this many minutes (open links and counter tablets)"),
        _l("Enter a number of minutes."),
        "burst_minutes",
    )
    repeat_dossier = SelectField(
        _l("A dossier code the survey has a response for, typed at the counter tablet"),
        choices=[
            SelectChoice("refuse", _l("Refuse it, saying it was answered already")),
            SelectChoice("flag", _l("Take the answers, and flag both responses")),
        ],
    )
