"""The weighting settings form of a survey's Weights page."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length


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
