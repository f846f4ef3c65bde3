"""Roles, permission checks, agency scoping, API tokens and response headers."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Flask, abort, current_app, g, redirect, request, url_for
from flask_login import LoginManager, current_user
from flask_wtf.csrf import validate_csrf
from sqlalchemy import Select, select
from wtforms.validators import ValidationError

from surveyapp.extensions import DbSession, csrf, db, login_manager
from surveyapp.models import Agency, ApiToken, Role, Survey, User
from surveyapp.models._types import utcnow

F = TypeVar("F", bound=Callable[..., Any])

# What each role may do; admins may do everything.
PERMISSIONS: dict[str, set[Role]] = {
    "design": {Role.DESIGNER},
    "field": {Role.FIELDWORK, Role.DESIGNER},
    "analyse": {Role.ANALYST, Role.DESIGNER, Role.FIELDWORK},
    "manage_users": set(),
}


def can(user: User, permission: str) -> bool:
    return user.role is Role.ADMIN or user.role in PERMISSIONS[permission]


def hash_token(token: str) -> str:
    """Tokens are stored as their SHA-256: a leaked table opens no survey."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    """A URL-safe token with 128 bits of randomness (22 characters)."""
    return secrets.token_urlsafe(16)


def accepts_upload(view: F) -> F:
    """Let this view's POSTs carry a file of up to ``UPLOAD_MAX_BYTES``.

    The app-wide CSRF check reads the form before any view runs, under the 64 KiB limit
    meant for respondent pages; so the view is exempt from it and the token is checked
    here, once the limit is raised. Put it below ``requires`` so that a signed-out POST
    is redirected before its body is read.
    """

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if request.method == "POST":
            request.max_content_length = current_app.config["UPLOAD_MAX_BYTES"]
            try:
                validate_csrf(request.form.get("csrf_token"))
            except ValidationError:
                abort(400)
        return view(*args, **kwargs)

    return cast(F, csrf.exempt(wrapped))


def init_login(manager: LoginManager) -> None:
    @manager.user_loader
    def _load(session_id: str) -> User | None:
        # User.get_id: "id:version"; a session of an older version (or none) has ended.
        user_id, _, version = session_id.partition(":")
        user = (
            db.session.get(User, int(user_id)) if user_id.isascii() and user_id.isdigit() else None
        )
        if user is None or not user.active or version != str(user.session_version):
            return None
        return user

    @manager.unauthorized_handler
    def _unauthorized() -> Any:
        if request.path.startswith("/api/"):
            abort(401)
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")), 303)


def requires(permission: str) -> Callable[[F], F]:
    """A view decorator: signed in (else 303 to the login page) and allowed (else 403)."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not can(current_user, permission):
                abort(403)
            return view(*args, **kwargs)

        return cast(F, wrapped)

    return decorator


# --- agency scoping -------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """The agencies a user may see and act for: one agency's subtree, or the province.

    Every page, count, list and write goes through it: what is outside does not exist
    (404, as for an unknown id). A survey-wide action (the draw, the frame, the purge,
    weighting) needs a scope that ``spans`` every agency of the survey.
    """

    root: Agency | None  # None: the whole province

    @classmethod
    def of(cls, user: User) -> Scope:
        return cls(user.agency)

    def covers(self, agency: Agency) -> bool:
        return self.root is None or agency.path.startswith(self.root.path)

    def agencies(self, survey: Survey) -> list[Agency]:
        """The survey's agencies in scope, in the survey's order."""
        return [a for a in survey.agencies if self.covers(a)]

    def sees(self, survey: Survey) -> bool:
        return any(self.covers(a) for a in survey.agencies)

    def spans(self, survey: Survey) -> bool:
        return all(self.covers(a) for a in survey.agencies)

    def agency_ids(self, survey: Survey) -> list[int] | None:
        """Ids to filter a survey's rows by; None when the scope spans the survey."""
        return None if self.spans(survey) else [a.id for a in self.agencies(survey)]

    def survey_agency(self, survey: Survey, code: str) -> Agency:
        """The survey's agency ``code`` in scope; any other code is a 404."""
        found = next((a for a in self.agencies(survey) if a.code == code), None)
        if found is None:
            abort(404)
        return found

    def visible(self, survey: Survey | None) -> Survey:
        """The survey if the scope sees it, else a 404 (as for an unknown id)."""
        if survey is None or not self.sees(survey):
            abort(404)
        return survey

    def whole(self, survey: Survey | None) -> Survey:
        """The survey for a survey-wide action: the scope must span it, else a 404."""
        if survey is None or not self.spans(survey):
            abort(404)
        return survey

    def agency_query(self) -> Select[Agency]:
        """A select of the agencies in scope."""
        query = select(Agency).order_by(Agency.path)
        if self.root is not None:
            query = query.where(Agency.path.startswith(self.root.path, autoescape=True))
        return query


def current_scope() -> Scope:
    """The signed-in user's scope (a view's helper: services take the ``Scope``)."""
    return Scope.of(current_user)


def visible_survey(survey_id: int) -> Survey:
    """A survey the current user may see (one of its agencies is in scope); else a 404."""
    return current_scope().visible(db.session.get(Survey, survey_id))


def scope_root(user: User) -> Agency | None:
    """The agency a user is tied to; None means the whole province (every agency)."""
    return Scope.of(user).root


def in_scope(user: User, agency: Agency) -> bool:
    return Scope.of(user).covers(agency)


def scoped_agencies(user: User) -> Select[Agency]:
    """A select of the agencies a user may see figures of."""
    return Scope.of(user).agency_query()


def require_agency(session: DbSession, user: User, code: str) -> Agency:
    """The agency with ``code`` if the user may see it; out of scope is a 404 like unknown."""
    agency = session.scalar(select(Agency).where(Agency.code == code))
    if agency is None or not in_scope(user, agency):
        abort(404)
    return agency


# --- API tokens -----------------------------------------------------------------------


def issue_api_token(session: DbSession, user: User, name: str = "") -> str:
    """A new bearer token for ``user``: returned once, stored only as its hash."""
    token = "sa_" + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, token_hash=hash_token(token), name=name))
    return token


def user_from_bearer(session: DbSession) -> User | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    api_token = session.scalar(
        select(ApiToken).where(ApiToken.token_hash == hash_token(token.strip()))
    )
    if api_token is None or api_token.revoked_at is not None or not api_token.user.active:
        return None
    api_token.last_used_at = utcnow()
    g.api_user = api_token.user
    return api_token.user


# --- response headers ------------------------------------------------------------------

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
# Set on every response unless a view set its own (the designer's preview frame its CSP).
SECURITY_HEADERS = (
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    # Invitation tokens live in URLs: never leak them to another site.
    ("Referrer-Policy", "no-referrer"),
    ("Permissions-Policy", "camera=(), microphone=()"),
)


def init_headers(app: Flask) -> None:
    @app.after_request
    def _headers(response: Any) -> Any:
        headers = response.headers
        present = {name.lower() for name, _ in headers}
        headers.extend((k, v) for k, v in SECURITY_HEADERS if k.lower() not in present)
        if app.config["SESSION_COOKIE_SECURE"] and "strict-transport-security" not in present:
            headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        if headers.get("Cache-Control") != "no-store" and _private(response):
            headers["Cache-Control"] = "no-store"
        return response


def _private(response: Any) -> bool:
    """Whether no cache may keep this answer: every page a signed-in user or an API token
    gets (tokens, contacts, figures in scope) and every file download."""
    if request.endpoint == "static":
        return False
    if response.headers.get("Content-Disposition", "").startswith("attachment"):
        return True
    return g.get("api_user") is not None or current_user.is_authenticated
