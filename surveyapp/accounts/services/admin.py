"""What an admin does to other people's accounts and API tokens, each step audit-logged.

Disabling an account, setting a temporary password and revoking a token take effect at
once: the account's sessions end (``User.end_sessions``) and the API refuses a revoked
token on its next request.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from surveyapp.accounts.services.users import create_user, find_user, password_problems
from surveyapp.extensions import DbSession
from surveyapp.models import Agency, ApiToken, Role, User
from surveyapp.models.audit import record
from surveyapp.problems import InputRefused, Problem
from surveyapp.security import issue_api_token

TOKEN_NAME_MAX = 100  # ApiToken.name


def list_users(session: DbSession) -> list[User]:
    return list(session.scalars(select(User).order_by(User.email)))


def create(
    session: DbSession,
    actor: User,
    *,
    email: str,
    role: str,
    agency: Agency | None,
    password: str,
) -> User:
    """A new account with a temporary password, to be changed at its first sign-in."""
    user = create_user(session, email, role, password, agency)
    user.must_change_password = True
    record(session, actor.id, "user.create", user, role=user.role.value, agency=_code(agency))
    return user


def update(
    session: DbSession, user: User, actor: User, *, role: Role, agency: Agency | None
) -> list[str]:
    """Change an account's role and agency; returns what changed. Its sessions end, so
    that nobody keeps a wider scope than the one just given."""
    if user.id == actor.id and role is not user.role:
        raise InputRefused([Problem(_l("role"), _l("you cannot change your own role"))])
    changed = []
    if role is not user.role:
        changed.append("role")
    if (agency.id if agency else None) != user.agency_id:
        changed.append("agency")
    if changed:
        user.role, user.agency = role, agency
        user.end_sessions()
        record(
            session,
            actor.id,
            "user.update",
            user,
            changed=changed,
            role=role.value,
            agency=_code(agency),
        )
    return changed


def account(session: DbSession, email: str) -> User:
    """The account with this e-mail (any case), else refused."""
    user = find_user(session, email)
    if user is None:
        raise InputRefused([Problem(_l("e-mail"), _l("no account %(email)s", email=email))])
    return user


def set_active(session: DbSession, user: User, actor: User | None, active: bool) -> None:
    """Disable (every session ends, every sign-in and token is refused) or re-enable.
    ``actor`` None: the command line."""
    if actor is not None and user.id == actor.id and not active:
        raise InputRefused([Problem(_l("account"), _l("you cannot disable your own account"))])
    user.active = active
    if not active:
        user.end_sessions()
    record(session, _id(actor), "user.enable" if active else "user.disable", user)


def set_temporary_password(session: DbSession, user: User, actor: User, password: str) -> None:
    """A password the user must change at the next sign-in; their sessions end now."""
    problems = password_problems(password)
    if problems:
        raise InputRefused([Problem(_l("temporary password"), message) for message in problems])
    user.set_password(password)
    user.must_change_password = True
    record(session, actor.id, "user.temporary_password", user)


def tokens(session: DbSession, user: User) -> list[ApiToken]:
    """The user's API tokens, newest first, revoked ones included (they say when)."""
    query = select(ApiToken).where(ApiToken.user_id == user.id)
    return list(session.scalars(query.order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


def create_token(session: DbSession, user: User, actor: User, name: str) -> str:
    """A new token for ``user``; the secret is shown once, only its hash is kept."""
    name = name.strip()
    if not name:
        raise InputRefused([Problem(_l("name"), _l("name the token after what will use it"))])
    if len(name) > TOKEN_NAME_MAX:
        raise InputRefused(
            [Problem(_l("name"), _l("at most %(max)s characters", max=TOKEN_NAME_MAX))]
        )
    secret = issue_api_token(session, user, name=name)
    session.flush()
    record(session, actor.id, "token.create", user, name=name)
    return secret


def revoke_token(session: DbSession, token: ApiToken, actor: User | None, now: datetime) -> None:
    if token.revoked_at is not None:
        raise InputRefused([Problem(_l("token"), _l("the token is already revoked"))])
    token.revoked_at = now
    record(session, _id(actor), "token.revoke", token.user, token=token.id, name=token.name)


def revoke_all_tokens(session: DbSession, user: User, actor: User | None, now: datetime) -> int:
    """Revoke every token of ``user`` still valid; how many there were."""
    valid = [t for t in tokens(session, user) if t.revoked_at is None]
    for token in valid:
        revoke_token(session, token, actor, now)
    return len(valid)


def _id(actor: User | None) -> int | None:
    return actor.id if actor is not None else None


def _code(agency: Agency | None) -> str | None:
    return agency.code if agency else None
