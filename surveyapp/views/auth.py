"""Sign in and out."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_user, logout_user

from surveyapp.extensions import db, limiter
from surveyapp.services.users import find_user

bp = Blueprint("auth", __name__)


def _account_key() -> str:
    return "login:" + request.form.get("email", "").strip().lower()


@bp.get("/login")
def login() -> Any:
    return render_template("auth/login.html", email="", error=None)


@bp.post("/login")
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"])
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"], key_func=_account_key)
def login_post() -> Any:
    email = request.form.get("email", "").strip()
    user = find_user(db.session, email) if email else None
    if user is None or not user.active or not user.check_password(request.form.get("password", "")):
        error = _("The e-mail or password is incorrect.")
        return render_template("auth/login.html", email=email, error=error), 200
    login_user(user)
    return redirect(_safe_next(request.args.get("next")), 303)


@bp.post("/logout")
def logout() -> Any:
    logout_user()
    return redirect(url_for("auth.login"), 303)


def _safe_next(target: str | None) -> str:
    """Only same-site paths: ``next`` must not send anyone elsewhere."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/"):
            return target
    return url_for("home.index")
