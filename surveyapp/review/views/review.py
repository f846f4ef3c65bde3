"""Reviewing a survey's responses: the data-quality summary, the list to look over, one
response as sent with its void, restore and correct forms (each with a reason)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from surveyapp.extensions import db
from surveyapp.i18n import current_language
from surveyapp.models import Response, Survey
from surveyapp.problems import InputRefused, Problem
from surveyapp.review.services import cleaning, reading
from surveyapp.review.services import quality as flags
from surveyapp.review.services.nonresponse import HIGH_NONRESPONSE
from surveyapp.review.services.summary import data_quality
from surveyapp.security import current_scope, requires, visible_survey

bp = Blueprint("review", __name__)


@bp.get("/surveys/<int:survey_id>/quality")
@requires("analyse")
def quality(survey_id: int) -> Any:
    """What counts, what was set aside, and the questions left unanswered (in scope)."""
    found = visible_survey(survey_id)
    summary = data_quality(db.session, found, current_scope().root, current_language())
    return render_template(
        "review/quality.html",
        survey=found,
        q=summary,
        high=HIGH_NONRESPONSE,
        may_clean=reading.may_clean(current_user, found),
        kinds=flags.KINDS,
        flag_label=flags.label,
    )


@bp.get("/surveys/<int:survey_id>/review")
@requires("analyse")
def index(survey_id: int) -> Any:
    found = _cleanable(survey_id)
    status = request.args.get("status", "all")
    if status not in reading.STATUSES:
        status = "all"
    flag = request.args.get("flag", "")
    if flag not in ("any", *flags.KINDS):
        flag = ""
    query = request.args.get("q", "")[:64]
    page = request.args.get("page", "1")
    listing = reading.listing(
        db.session, found, current_scope().root,
        status=status, flag=flag, query=query, page=int(page) if page.isdigit() else 1,
    )  # fmt: skip
    return render_template(
        "review/index.html",
        survey=found,
        listing=listing,
        status=status,
        flag=flag,
        query=query,
        kinds=flags.KINDS,
        flag_label=flags.label,
    )


@bp.get("/surveys/<int:survey_id>/responses/<int:response_id>")
@requires("analyse")
def response(survey_id: int, response_id: int) -> Any:
    found = _cleanable(survey_id)
    return _response_page(found, _response(found, response_id))


@bp.post("/surveys/<int:survey_id>/responses/<int:response_id>/<action>")
@requires("analyse")
def act(survey_id: int, response_id: int, action: str) -> Any:
    """Void, restore or correct one answer: the reason is mandatory, the audit log keeps it."""
    found = _cleanable(survey_id)
    target = _response(found, response_id)
    reason = request.form.get("reason", "")
    try:
        if action == "void":
            cleaning.void(db.session, found, target.id, reason, actor_id=current_user.id)
            done = _("Response %(r)s voided: it no longer counts anywhere.", r=target.id)
        elif action == "restore":
            cleaning.restore(db.session, found, target.id, reason, actor_id=current_user.id)
            done = _("Response %(r)s restored: it counts again.", r=target.id)
        elif action == "correct":
            item = request.form.get("item", "")
            cleaning.correct(
                db.session, found, target.id, item, request.form.get("value", ""), reason,
                actor_id=current_user.id,
            )  # fmt: skip
            done = _("Answer %(item)s of response %(r)s corrected.", item=item, r=target.id)
        else:
            abort(404)
    except InputRefused as refused:
        db.session.rollback()
        return _response_page(found, target, refused.problems, request.form), 422
    db.session.commit()
    flash(done, "success")
    return redirect(url_for("review.response", survey_id=found.id, response_id=target.id), 303)


def _cleanable(survey_id: int) -> Survey:
    """A survey the user sees and may clean; a department analyst gets a 403."""
    found = visible_survey(survey_id)
    if not reading.may_clean(current_user, found):
        abort(403)
    return found


def _response(survey: Survey, response_id: int) -> Response:
    """The survey's sent response in the user's scope; anything else is a 404."""
    found = db.session.get(Response, response_id)
    scope = current_scope()
    if (
        found is None
        or found.survey_id != survey.id
        or found.submitted_at is None
        or not scope.covers(found.agency)
    ):
        abort(404)
    return found


def _response_page(
    survey: Survey, target: Response, problems: list[Problem] | None = None, form: Any = None
) -> str:
    return render_template(
        "review/response.html",
        survey=survey,
        r=reading.read(db.session, target, current_language()),
        flag_label=flags.label,
        describe=flags.describe,
        problems=problems or [],
        form=form or {},
    )
