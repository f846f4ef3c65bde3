"""Staff accounts and API tokens."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
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
        problems.append(Problem("email", str(error)))
    try:
        parsed_role = Role(role)
    except ValueError:
        roles = ", ".join(r.value for r in Role)
        problems.append(Problem("role", f'unknown role "{role}" (one of {roles})'))
    if len(password) < MIN_PASSWORD:
        problems.append(Problem("password", f"at least {MIN_PASSWORD} characters"))
    if not problems and find_user(session, email) is not None:
        problems.append(Problem("email", f"{email} already has an account"))
    if problems:
        raise InputRefused(problems)
    user = User(email=email, role=parsed_role, agency=agency)
    user.set_password(password)
    session.add(user)
    session.flush()
    return user


def find_user(session: DbSession, email: str) -> User | None:
    return session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
