"""Accounts on the web (admins): create, change role and agency, disable, set a temporary
password, issue and revoke API tokens."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from surveyapp.accounts.forms import AccountForm, NewAccountForm, TemporaryPasswordForm, TokenForm
from surveyapp.accounts.services import admin
from surveyapp.extensions import db
from surveyapp.i18n import current_language
from surveyapp.models import Agency, ApiToken, Role, User
from surveyapp.models._types import utcnow
from surveyapp.problems import InputRefused
from surveyapp.security import requires
from surveyapp.surveys.services import agencies

bp = Blueprint("accounts", __name__, url_prefix="/admin/users")
WHOLE_PROVINCE = ""  # the agency choice of an account that sees every agency


@bp.get("")
@requires("manage_users")
def index() -> Any:
    return render_template("accounts/index.html", accounts=admin.list_users(db.session))


@bp.route("/new", methods=["GET", "POST"])
@requires("manage_users")
def new() -> Any:
    form = NewAccountForm()
    _offer_agencies(form)
    if form.validate_on_submit():
        try:
            user = admin.create(
                db.session,
                current_user,
                email=form.email.data or "",
                role=form.role.data or "",
                agency=_agency(form),
                password=form.password.data or "",
            )
        except InputRefused as refused:
            db.session.rollback()
            _flash_problems(refused)
        else:
            db.session.commit()
            flash(
                _(
                    "Account %(email)s created. Give them the temporary password: they "
                    "choose their own when they first sign in.",
                    email=user.email,
                ),
                "success",
            )
            return redirect(url_for(".edit", user_id=user.id), 303)
    status = 422 if form.is_submitted() else 200
    return render_template("accounts/new.html", form=form), status


@bp.route("/<int:user_id>", methods=["GET", "POST"])
@requires("manage_users")
def edit(user_id: int) -> Any:
    user = _user(user_id)
    form = AccountForm(data=None if request.method == "POST" else _account_data(user))
    _offer_agencies(form)
    if form.validate_on_submit():
        try:
            changed = admin.update(
                db.session, user, current_user, role=Role(form.role.data), agency=_agency(form)
            )
        except InputRefused as refused:
            db.session.rollback()
            _flash_problems(refused)
        else:
            db.session.commit()
            flash(
                _("Saved: the account's sessions have ended.")
                if changed
                else _("Nothing was changed."),
                "success",
            )
            return redirect(url_for(".edit", user_id=user.id), 303)
    return _edit_page(user, account_form=form), 422 if form.is_submitted() else 200


@bp.post("/<int:user_id>/active")
@requires("manage_users")
def set_active(user_id: int) -> Any:
    user = _user(user_id)
    active = request.form.get("active") == "1"
    try:
        admin.set_active(db.session, user, current_user, active)
    except InputRefused as refused:
        db.session.rollback()
        _flash_problems(refused)
    else:
        db.session.commit()
        if active:
            flash(_("Account enabled."), "success")
        else:
            flash(_("Account disabled: it can no longer sign in or use its tokens."), "success")
    return redirect(url_for(".edit", user_id=user.id), 303)


@bp.post("/<int:user_id>/password")
@requires("manage_users")
def temporary_password(user_id: int) -> Any:
    user = _user(user_id)
    form = TemporaryPasswordForm()
    if not form.validate():
        return _edit_page(user, password_form=form), 422
    admin.set_temporary_password(db.session, user, current_user, form.password.data or "")
    db.session.commit()
    flash(
        _(
            "Temporary password set: the account's sessions have ended, and it chooses "
            "its own password at the next sign-in."
        ),
        "success",
    )
    return redirect(url_for(".edit", user_id=user.id), 303)


@bp.post("/<int:user_id>/tokens")
@requires("manage_users")
def create_token(user_id: int) -> Any:
    user = _user(user_id)
    form = TokenForm()
    if not form.validate():
        return _edit_page(user, token_form=form), 422
    secret = admin.create_token(db.session, user, current_user, form.name.data or "")
    db.session.commit()
    # Shown on this response only, never stored: the page must not be cached or redirected to.
    return _edit_page(user, new_token=secret)


@bp.post("/<int:user_id>/tokens/<int:token_id>/revoke")
@requires("manage_users")
def revoke_token(user_id: int, token_id: int) -> Any:
    user = _user(user_id)
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        abort(404)
    try:
        admin.revoke_token(db.session, token, current_user, utcnow())
    except InputRefused as refused:
        db.session.rollback()
        _flash_problems(refused)
    else:
        db.session.commit()
        flash(
            _("Token “%(name)s” revoked: the API refuses it from now on.", name=token.name),
            "success",
        )
    return redirect(url_for(".edit", user_id=user.id, _anchor="tokens"), 303)


def _edit_page(
    user: User,
    *,
    account_form: AccountForm | None = None,
    password_form: TemporaryPasswordForm | None = None,
    token_form: TokenForm | None = None,
    new_token: str | None = None,
) -> str:
    if account_form is None:
        account_form = AccountForm(formdata=None, data=_account_data(user))
        _offer_agencies(account_form)
    return render_template(
        "accounts/edit.html",
        account=user,
        account_form=account_form,
        password_form=password_form or TemporaryPasswordForm(formdata=None),
        token_form=token_form or TokenForm(formdata=None),
        tokens=admin.tokens(db.session, user),
        new_token=new_token,
    )


def _user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


def _account_data(user: User) -> dict[str, str]:
    return {"role": user.role.value, "agency": user.agency.code if user.agency else WHOLE_PROVINCE}


def _offer_agencies(form: AccountForm) -> None:
    lang = current_language()
    form.agency.choices = [SelectChoice(WHOLE_PROVINCE, _("Every agency (the province)"))] + [
        SelectChoice(a.code, f"{a.code} — {a.name(lang)}")
        for a in agencies.all_agencies(db.session)
    ]


def _agency(form: AccountForm) -> Agency | None:
    code = form.agency.data or WHOLE_PROVINCE
    return agencies.by_codes(db.session, [code])[0] if code != WHOLE_PROVINCE else None


def _flash_problems(refused: InputRefused) -> None:
    for problem in refused.problems:
        flash(str(problem), "error")
