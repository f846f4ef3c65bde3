"""The weighting settings form of a survey's Weights page, and the records check's threshold."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, DecimalField, RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange


class WeightsForm(FlaskForm):
    nonresponse = BooleanField(_l("Adjust for nonresponse"))
    classes = RadioField(
        _l("Adjustment classes"),
        choices=[
            SelectChoice("stratum", _l("Within each sampling stratum")),
            SelectChoice("agency", _l("Within each agency")),
        ],
        default="stratum",
    )
    targets = TextAreaField(
        _l("Population totals (variable,category,total)"),
        validators=[Length(max=200_000, message=_l("At most %(max)s characters."))],
    )
    targets_file = FileField(_l("…or upload a CSV file"))


class LateThresholdForm(FlaskForm):
    """Rule R6's threshold as a percentage of dossiers due (stored as a proportion)."""

    percent = DecimalField(
        _l("Threshold of rule R6, in percent of dossiers due"),
        places=1,
        validators=[
            InputRequired(_l("Enter a percentage.")),
            NumberRange(min=0.1, max=100, message=_l("Enter a percentage from 0.1 to 100.")),
        ],
    )
