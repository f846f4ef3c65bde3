"""The signed-in user's own account: changing the password."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import PasswordField
from wtforms.validators import EqualTo, InputRequired, ValidationError

from surveyapp.accounts.services.users import password_problems
from surveyapp.forms.staff import REQUIRED


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[InputRequired(REQUIRED)])
    new_password = PasswordField(_l("New password"), validators=[InputRequired(REQUIRED)])
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

    def validate_new_password(self, field: Any) -> None:
        for problem in password_problems(field.data):
            text = str(problem)  # a phrase ("at least 8 characters"): here it stands alone
            raise ValidationError(text[:1].upper() + text[1:])
