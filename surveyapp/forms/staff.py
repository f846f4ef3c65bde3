"""Forms of the staff pages (Flask-WTF: CSRF included)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from surveyapp.i18n import current_language
from surveyapp.models import Survey
from surveyapp.security import current_scope

# WTForms has no Vietnamese catalogue: every validator message is ours.
REQUIRED = _l("Please fill in this field.")


class CheckboxList(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class SurveySettingsForm(FlaskForm):
    """A survey's own settings, when it is made and while it is a draft."""

    title = StringField(
        _l("Title"),
        validators=[
            DataRequired(REQUIRED),
            Length(max=255, message=_l("At most %(max)s characters.")),
        ],
    )
    agencies = CheckboxList(
        _l("Agencies surveyed"),
        validators=[DataRequired(message=_l("Choose at least one agency."))],
    )
    mode = SelectField(
        _l("How people answer"),
        choices=[
            SelectChoice("invited", _l("Invitation links (drawn sample)")),
            SelectChoice("open", _l("Open link or counter tablet")),
            SelectChoice("officials", _l("Officials, after signing in")),
        ],
    )
    anonymous = BooleanField(_l("Anonymous: answers can't be linked to invitations"))
    contact_retention_days = IntegerField(
        _l("Keep contact details for this many days after the round closes"),
        default=90,
        validators=[  # left out: as it was (90 days for a new survey)
            Optional(),
            NumberRange(min=0, max=3650, message=_l("Enter a number from %(min)s to %(max)s.")),
        ],
    )


class NewSurveyForm(SurveySettingsForm):
    questionnaire = SelectField(_l("Questionnaire"), validators=[DataRequired(REQUIRED)])


class InviteForm(FlaskForm):
    agency = SelectField(_l("Agency"), validators=[DataRequired(REQUIRED)])
    count = IntegerField(
        _l("Number of links"),
        default=50,
        validators=[
            InputRequired(REQUIRED),
            NumberRange(min=1, max=10_000, message=_l("Enter a number from %(min)s to %(max)s.")),
        ],
    )


class AssignForm(FlaskForm):
    per_agency = IntegerField(
        _l("Raters per agency"),
        default=3,
        validators=[
            InputRequired(REQUIRED),
            NumberRange(min=1, max=100, message=_l("Enter a number from %(min)s to %(max)s.")),
        ],
    )
    seed = IntegerField(
        _l("Seed"),
        default=1,
        validators=[
            InputRequired(REQUIRED),
            NumberRange(
                min=0, max=2**31 - 1, message=_l("Enter a number from %(min)s to %(max)s.")
            ),
        ],
    )


def agency_choices(survey: Survey) -> list[SelectChoice]:
    """The survey's agencies in the user's scope, for a form's drop-down."""
    lang = current_language()
    return [SelectChoice(a.code, a.name(lang)) for a in current_scope().agencies(survey)]
