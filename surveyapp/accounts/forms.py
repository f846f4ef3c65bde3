"""Accounts: one's own password; an admin's forms for other people's accounts and tokens."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import EqualTo, InputRequired, Length, ValidationError

from surveyapp.accounts.services.users import password_problems
from surveyapp.forms.staff import REQUIRED


def acceptable_password(form: Any, field: Any) -> None:
    for problem in password_problems(field.data or ""):
        text = str(problem)  # a phrase ("at least 8 characters"): here it stands alone
        raise ValidationError(text[:1].upper() + text[1:])


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[InputRequired(REQUIRED)])
    new_password = PasswordField(
        _l("New password"), validators=[InputRequired(REQUIRED), acceptable_password]
    )
    confirm = PasswordField(
        _l("New password again"),
        validators=[
            InputRequired(REQUIRED),
            EqualTo("new_password", message=_l("The two new passwords differ.")),
        ],
    )

    def validate_current_password(self, field: Any) -> None:
        if not current_user.check_password(field.data):
            raise ValidationError(_l("This is not your current password."))


ROLE_CHOICES = [
    SelectChoice("analyst", _l("Analyst: reads results")),
    SelectChoice("fieldwork", _l("Fieldwork: frames, samples, invitations, paper entry")),
    SelectChoice("designer", _l("Designer: questionnaires and surveys")),
    SelectChoice("official", _l("Official: rates the agencies assigned")),
    SelectChoice("admin", _l("Admin: everything, accounts included")),
]


class AccountForm(FlaskForm):
    """An account's role and agency (its scope); a new account also gets an e-mail and a
    temporary password."""

    role = SelectField(_l("Role"), choices=ROLE_CHOICES)
    agency = SelectField(_l("Agency (what the account sees)"))


class NewAccountForm(AccountForm):
    email = StringField(
        _l("E-mail"),
        validators=[
            InputRequired(REQUIRED),
            Length(max=255, message=_l("At most %(max)s characters.")),
        ],
    )
    password = PasswordField(
        _l("Temporary password"), validators=[InputRequired(REQUIRED), acceptable_password]
    )


class TemporaryPasswordForm(FlaskForm):
    password = PasswordField(
        _l("Temporary password"), validators=[InputRequired(REQUIRED), acceptable_password]
    )


class TokenForm(FlaskForm):
    name = StringField(
        _l("What will use it"),
        validators=[
            InputRequired(REQUIRED),
            Length(max=100, message=_l("At most %(max)s characters.")),
        ],
    )
