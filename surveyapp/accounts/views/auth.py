"""Signing in and out, and changing one's password.

Failed sign-ins (never successful ones) are counted in Flask-Limiter's storage, shared
by every worker: per e-mail and address (``RATELIMIT_LOGIN``) and, far higher, per address
(``RATELIMIT_LOGIN_IP``: an office signs in together) they are refused with 429; per
e-mail from everywhere (``RATELIMIT_LOGIN_ACCOUNT``) they only slow each attempt down,
so that nobody can lock a colleague out of their account.
"""

from __future__ import annotations

import hashlib
import math
from time import sleep
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user
from limits import RateLimitItem, parse
from werkzeug.exceptions import TooManyRequests

from surveyapp.accounts.forms import ChangePasswordForm
from surveyapp.accounts.services import users
from surveyapp.errors import retry_after
from surveyapp.extensions import db, limiter
from surveyapp.models.audit import record

bp = Blueprint("auth", __name__)

SLOWDOWN_SECONDS = 2  # each attempt on an account many addresses failed on


def _failed(response: Any) -> bool:
    return bool(response.status_code == 200)  # the form again, saying "incorrect"


def _account() -> str:
    """The e-mail typed, as a short key: the form may carry 64 KiB of it."""
    email = request.form.get("email", "").strip().lower()
    return hashlib.sha256(email.encode()).hexdigest()[:32]


def _account_at_address() -> str:
    return f"{_account()}@{get_remote_address()}"


@bp.get("/login")
def login() -> Any:
    return render_template("auth/login.html", email="", error=None)


@bp.post("/login")
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN_IP"], deduct_when=_failed)
@limiter.limit(
    lambda: current_app.config["RATELIMIT_LOGIN"],
    key_func=_account_at_address,
    deduct_when=_failed,
)
def login_post() -> Any:
    email = request.form.get("email", "").strip()
    if _account_failures_exceeded():
        sleep(SLOWDOWN_SECONDS)
    user = users.authenticate(db.session, email, request.form.get("password", ""))
    users.record_sign_in(db.session, email, user, get_remote_address())
    db.session.commit()
    if user is None:
        _count_account_failure()
        error = _("The e-mail or password is incorrect.")
        return render_template("auth/login.html", email=email, error=error), 200
    login_user(user)
    if user.must_change_password:
        return redirect(url_for(".change_password"), 303)
    return redirect(_safe_next(request.args.get("next")), 303)


@bp.errorhandler(429)
def _too_many_failures(error: TooManyRequests) -> Any:
    headers = retry_after(error)
    minutes = math.ceil(int(headers["Retry-After"]) / 60)
    message = ngettext(
        "Too many failed sign-ins from this network. Please wait %(num)s minute and try again.",
        "Too many failed sign-ins from this network. Please wait %(num)s minutes and try again.",
        minutes,
    )
    email = request.form.get("email", "").strip()
    return render_template("auth/login.html", email=email, error=message), 429, headers


@bp.post("/logout")
def logout() -> Any:
    # Signed cookies cannot be recalled: ending the user's session version ends them all.
    if current_user.is_authenticated:
        current_user.end_sessions()
        db.session.commit()
    logout_user()
    return redirect(url_for("auth.login"), 303)


# Pages an account with a temporary password may still reach: changing it, signing out.
UNTIL_CHANGED = frozenset({"auth.change_password", "auth.logout", "auth.login", "static"})
# Respondents' pages and the API never load the signed-in user: it would cost them a query.
WITHOUT_STAFF = frozenset({"respond", "api"})


@bp.before_app_request
def _temporary_password_first() -> Any:
    """Until a temporary password is replaced, every staff page asks for a new one."""
    if (
        request.blueprint not in WITHOUT_STAFF
        and current_user.is_authenticated
        and current_user.must_change_password
        and request.endpoint not in UNTIL_CHANGED
    ):
        flash(_("Please choose your own password before going on."), "warning")
        return redirect(url_for("auth.change_password"), 303)
    return None


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password() -> Any:
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        users.change_password(user, form.new_password.data or "")
        record(db.session, user.id, "user.password_change", user)
        db.session.commit()
        login_user(user)  # this session takes the new version; every other one has ended
        flash(_("Your password is changed. You are signed out everywhere else."), "success")
        return redirect(url_for("home.index"), 303)
    return render_template("auth/password.html", form=form)


def _account_limit() -> tuple[RateLimitItem, str, str, str]:
    prefix = current_app.config["RATELIMIT_KEY_PREFIX"]
    return parse(current_app.config["RATELIMIT_LOGIN_ACCOUNT"]), prefix, "login-account", _account()


def _account_failures_exceeded() -> bool:
    if not limiter.enabled:
        return False
    item, *key = _account_limit()
    return not limiter.limiter.test(item, *key)


def _count_account_failure() -> None:
    if limiter.enabled:
        item, *key = _account_limit()
        limiter.limiter.hit(item, *key)


def _safe_next(target: str | None) -> str:
    """Only a path of this site: ``next`` must not send anyone elsewhere, nor break headers."""
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and target.isprintable()  # no CR/LF (a header split), no tab (browsers drop it)
        and "\\" not in target  # browsers read /\\host as //host
    ):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("home.index")
