"""Staff accounts and API tokens."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from surveyapp.extensions import DbSession
from surveyapp.models import Agency, Role, User
from surveyapp.services.problems import InputRefused, Problem

MIN_PASSWORD = 8


def create_user(
    session: DbSession, email: str, role: str, password: str, agency: Agency | None = None
) -> User:
    problems: list[Problem] = []
    try:
        email = validate_email(email, check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        problems.append(
            Problem(_l("e-mail"), _l("not a valid e-mail address (%(detail)s)", detail=str(error)))
        )
    try:
        parsed_role = Role(role)
    except ValueError:
        roles = ", ".join(r.value for r in Role)
        problems.append(
            Problem(
                _l("role"), _l('unknown role "%(role)s" (one of %(roles)s)', role=role, roles=roles)
            )
        )
    if len(password) < MIN_PASSWORD:
        problems.append(Problem(_l("password"), _l("at least %(n)s characters", n=MIN_PASSWORD)))
    if not problems and find_user(session, email) is not None:
        problems.append(Problem(_l("e-mail"), _l("%(email)s already has an account", email=email)))
    if problems:
        raise InputRefused(problems)
    user = User(email=email, role=parsed_role, agency=agency)
    user.set_password(password)
    session.add(user)
    session.flush()
    return user


def find_user(session: DbSession, email: str) -> User | None:
    return session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
