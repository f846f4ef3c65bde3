"""Respondent pages: one URL per invitation, every page a form posted back to it."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _

from surveyapp.extensions import db, limiter
from surveyapp.forms.builder import build_section_form
from surveyapp.i18n import current_language
from surveyapp.models._types import utcnow
from surveyapp.security import hash_token
from surveyapp.services import answering
from surveyapp.services.answering import CONFIRM, WELCOME, AlreadySubmitted, Visit

bp = Blueprint("respond", __name__)

ACTIONS = ("next", "back", "submit")
JUST_SUBMITTED = "just_submitted"


def _token_key() -> str:
    # Per token, not per IP: many respondents share one office network.
    return "token:" + str((request.view_args or {}).get("token", ""))


@bp.route("/s/<token>", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_TOKEN"], key_func=_token_key)
def invitation(token: str) -> Any:
    if session.get(JUST_SUBMITTED) == hash_token(token)[:16] and request.method == "GET":
        session.pop(JUST_SUBMITTED)
        return render_template("respond/done.html", state="submitted")
    try:
        visit = answering.open_invitation(
            db.session, token, current_app.config["SECRET_KEY"], utcnow()
        )
    except answering.InvitationNotFound:
        abort(404)
    except AlreadySubmitted:
        return render_template("respond/done.html", state="already-submitted")
    except answering.SurveyClosed:
        return render_template("respond/done.html", state="closed")
    db.session.commit()  # "opened" is a disposition worth keeping even if nothing follows
    if request.method == "POST":
        return _post(visit, token)
    return _render(visit, answering.saved_answers(db.session, visit), visit.page)


def _post(visit: Visit, token: str) -> Any:
    here = url_for(".invitation", token=token)
    answers = answering.saved_answers(db.session, visit)
    path = answering.pages(visit, answers)
    page = visit.page if visit.page in path else path[0]
    if request.form.get("page", page) != page:
        return redirect(here, 303)  # a stale tab or a double click: show where we are
    action = request.form.get("action")
    if action not in ACTIONS:
        return _render(visit, answers, page, error=_("Please use the buttons on the page."))
    now = utcnow()
    if page not in (WELCOME, CONFIRM):
        form = _form(visit, answers, page, formdata=request.form)
        valid = form.validate()
        if action != "back" and not valid:
            return _render(visit, answers, page, form=form)
        answering.save_page(db.session, visit, page, form.answers(), now)
        answers = {**answers, **form.answers()}
        path = answering.pages(visit, answers)
    step = path.index(page)
    if action == "back":
        target = path[max(step - 1, 0)]
    elif page == CONFIRM or (action == "submit" and path[step + 1] == CONFIRM):
        return _submit(visit, token, now)
    else:
        target = path[min(step + 1, len(path) - 1)]
    answering.move_to(db.session, visit, target, now)
    db.session.commit()
    return redirect(here, 303)


def _submit(visit: Visit, token: str, now: Any) -> Any:
    try:
        answering.submit(db.session, visit, now)
        db.session.commit()
    except AlreadySubmitted:
        db.session.rollback()
        return render_template("respond/done.html", state="already-submitted")
    session[JUST_SUBMITTED] = hash_token(token)[:16]
    return redirect(url_for(".invitation", token=token), 303)


def _form(visit: Visit, answers: dict[str, Any], page: str, **kwargs: Any) -> Any:
    earlier = answering.answers_before(visit, answers, page)
    return build_section_form(
        visit.questionnaire, page, earlier, saved=answers, lang=current_language(), **kwargs
    )


def _render(
    visit: Visit, answers: dict[str, Any], page: str, form: Any = None, error: str | None = None
) -> Any:
    path = answering.pages(visit, answers)
    if page not in path:
        page = path[0]
    if page not in (WELCOME, CONFIRM) and form is None:
        form = _form(visit, answers, page)
    return render_template(
        "respond/page.html",
        q=visit.questionnaire,
        survey=visit.survey,
        agency=visit.invitation.agency,
        page=page,
        section=None if form is None else visit.questionnaire.section(page),
        form=form,
        # Progress over every page, so that it never shrinks when a rule skips one.
        step=_position(visit, page),
        steps=len(visit.questionnaire.sections) + 1,
        first=page == WELCOME,
        last=page == CONFIRM,
        error=error,
    )


def _position(visit: Visit, page: str) -> int:
    sections = [s["id"] for s in visit.questionnaire.sections]
    if page == WELCOME:
        return 0
    if page == CONFIRM:
        return len(sections) + 1
    return sections.index(page) + 1
