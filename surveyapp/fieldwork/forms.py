"""Forms of the fieldwork pages: the draw, the sample size calculator, the contacts purge."""

from __future__ import annotations

import secrets
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DecimalField, IntegerField, RadioField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional

from surveyapp.fieldwork.services.sampling import MAX_SEED
from surveyapp.forms.staff import REQUIRED, CheckboxList

NUMBER = _l("Enter a number from %(min)s to %(max)s.")
STRATA_LABELS = {
    "agency": _l("Agency"),
    "service_field": _l("Service field"),
    "procedure": _l("Procedure"),
    "channel": _l("Submission channel"),
    "district": _l("District"),
    "stratum": _l("Stratum given in the records"),
}


def random_seed() -> int:
    """A fresh seed to show as the default: short enough to write down (9 digits)."""
    return secrets.randbelow(900_000_000) + 100_000_000


class PurgeContactsForm(FlaskForm):
    confirm = BooleanField(
        _l("I confirm: fieldwork is over and the contact details may be deleted for good."),
        validators=[DataRequired(_l("Tick the box to confirm."))],
    )


class DrawForm(FlaskForm):
    strata = CheckboxList(
        _l("Strata: one stratum per combination of these columns"),
        choices=[SelectChoice(k, v) for k, v in STRATA_LABELS.items()],
        default=["agency", "service_field"],
        validators=[DataRequired(_l("Choose at least one column."))],
    )
    allocation = RadioField(
        _l("Allocation over the strata"),
        choices=[
            SelectChoice("proportional", _l("Proportional to the stratum size")),
            SelectChoice("equal", _l("Equal in every stratum")),
            SelectChoice("neyman", _l("Neyman (size × spread; without spreads, as proportional)")),
        ],
        default="proportional",
    )
    size = IntegerField(
        _l("Total sample size n"),
        validators=[Optional(), NumberRange(min=1, max=10_000_000, message=NUMBER)],
    )
    margin = DecimalField(
        _l("or margin of error e (Slovin on the whole frame), e.g. 0.05"),
        places=None,
        validators=[Optional(), NumberRange(min=0.001, max=0.5, message=NUMBER)],
    )
    minimum = IntegerField(
        _l("At least this many per stratum"),
        default=0,
        validators=[InputRequired(REQUIRED), NumberRange(min=0, max=100_000, message=NUMBER)],
    )
    reserve = DecimalField(
        _l("Reserve, as a share of each stratum's sample (e.g. 0.2)"),
        default=0.2,
        places=None,
        validators=[InputRequired(REQUIRED), NumberRange(min=0, max=1, message=NUMBER)],
    )
    seed = IntegerField(
        _l("Seed (write it down: the same seed draws the same units)"),
        validators=[InputRequired(REQUIRED), NumberRange(min=0, max=MAX_SEED, message=NUMBER)],
    )

    def validate(self, extra_validators: object = None) -> bool:
        valid = super().validate()
        if (self.size.data is None) == (self.margin.data is None) and not self.size.errors:
            self.size.errors = [*self.size.errors, _l("Give either a sample size or a margin.")]
            return False
        return valid


class SampleSizeForm(FlaskForm):
    """Read from the query string (a GET form: the calculator changes nothing)."""

    strata = CheckboxList(
        _l("Strata of the frame"),
        choices=[SelectChoice(k, v) for k, v in STRATA_LABELS.items()],
        default=["agency"],
        validators=[Optional()],
    )
    population = IntegerField(
        _l("Population size N"),
        validators=[Optional(), NumberRange(min=1, max=100_000_000, message=NUMBER)],
    )
    margin = DecimalField(
        _l("Margin of error e (0.05 = ±5 percentage points)"),
        default=Decimal("0.05"),
        places=None,
        validators=[InputRequired(REQUIRED), NumberRange(min=0.005, max=0.5, message=NUMBER)],
    )
    level = SelectField(
        _l("Confidence level (Cochran)"),
        choices=[SelectChoice("0.9", "90"), SelectChoice("0.95", "95"), SelectChoice("0.99", "99")],
        default="0.95",
    )
    p = DecimalField(
        _l("Expected proportion p (Cochran; 0.5 is the safest)"),
        default=Decimal("0.5"),
        places=None,
        validators=[InputRequired(REQUIRED), NumberRange(min=0.01, max=0.99, message=NUMBER)],
    )
    deff = DecimalField(
        _l("Design effect (Cochran; 1 for simple random sampling)"),
        default=Decimal("1.0"),
        places=None,
        validators=[InputRequired(REQUIRED), NumberRange(min=1, max=10, message=NUMBER)],
    )
    response_rate = DecimalField(
        _l("Expected response rate (0.7 = 7 in 10 people answer)"),
        default=Decimal("0.7"),
        places=None,
        validators=[InputRequired(REQUIRED), NumberRange(min=0.05, max=1, message=NUMBER)],
    )
