"""Staff accounts: creating, signing in, passwords, disabling."""

from __future__ import annotations

import gzip
import secrets
from functools import cache
from pathlib import Path

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from surveyapp.extensions import DbSession
from surveyapp.models import Agency, AuditEvent, Role, User
from surveyapp.models.audit import record
from surveyapp.problems import InputRefused, Problem

MIN_PASSWORD = 8
EMAIL_MAX = 255  # User.email
# Django's list of 20,000 common passwords, lowercased (BSD licence: common-passwords.LICENSE).
COMMON_PASSWORDS = Path(__file__).with_name("common-passwords.txt.gz")


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
    problems += [Problem(_l("password"), message) for message in password_problems(password)]
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


def authenticate(session: DbSession, email: str, password: str) -> User | None:
    """The active account with this e-mail and password, or None.

    The password is hashed even when no account has the e-mail, against a stand-in hash:
    otherwise an unknown e-mail would answer many times faster than a known one.
    """
    user = find_user(session, email) if email.strip() else None
    matches = check_password_hash(user.password_hash if user else _stand_in_hash(), password)
    return user if matches and user is not None and user.active else None


def record_sign_in(session: DbSession, email: str, user: User | None, address: str) -> None:
    """Audit a sign-in, or a refused one (``user`` None) with the e-mail as typed."""
    if user is not None:
        record(session, user.id, "auth.login", user, address=address)
        return
    session.add(
        AuditEvent(
            action="auth.login_failed",
            object_type="users",
            object_id="",
            details={"email": email.strip()[:EMAIL_MAX], "address": address},
        )
    )


def password_problems(password: str) -> list[LazyString]:
    """What makes a password unacceptable (NIST SP 800-63B): short, or commonly used."""
    if len(password) < MIN_PASSWORD:
        return [_l("at least %(n)s characters", n=MIN_PASSWORD)]
    if password.lower() in _common_passwords():
        return [_l("too common: it is on a list of passwords that attackers try first")]
    return []


def change_password(user: User, new: str) -> None:
    """Set ``user``'s password; every session signed in with the old one ends."""
    problems = password_problems(new)
    if problems:
        raise InputRefused([Problem(_l("new password"), message) for message in problems])
    user.set_password(new)
    user.must_change_password = False


@cache
def _common_passwords() -> frozenset[str]:
    with gzip.open(COMMON_PASSWORDS, "rt", encoding="utf-8") as lines:
        return frozenset(line.strip() for line in lines)


@cache
def _stand_in_hash() -> str:
    return generate_password_hash(secrets.token_urlsafe(16))
