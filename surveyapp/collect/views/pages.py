"""The questionnaire pages every way of answering shares: render, save, move, send.

Invitation and open links (``respond.py``), officials' ratings (``officials.py``) and paper
entry (``paper.py``) each make a ``Visit`` and a ``Place``, then hand over
here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, session
from flask_babel import gettext as _

from surveyapp.collect.services import answering, paradata
from surveyapp.collect.services.visits import WELCOME, AlreadySubmitted, Visit
from surveyapp.extensions import db
from surveyapp.forms.fields import CONTROLS
from surveyapp.forms.page import page_form, render_page
from surveyapp.models._types import utcnow

MAX_ID = 2**31 - 1  # an INTEGER column's largest value
AGENCY_CODE_MAX = 32  # Agency.code is a String(32)
ACTIONS = ("next", "back", "submit", "stay")  # "stay": save as is, show the page again
JUST_SUBMITTED = "just_submitted"
# How long a counter tablet shows the thank-you page before the next person's welcome.
KIOSK_RESET_SECONDS = 10


@dataclass
class Place:
    """Where a respondent answers: the URL forms post back to, and how it remembers them."""

    here: str
    marker: str  # the session value meaning "this browser has just submitted here"
    kiosk: bool = False
    cookie: str | None = None  # open links: the cookie holding this browser's resume key
    cookie_path: str = "/"
    submitted: bool = False  # set once the answers are sent: an open link forgets its key
    template: str = "respond/page.html"
    home: str | None = None  # officials: their list of agencies, linked from every page
    next_entry: str | None = None  # paper: after saving, straight to a blank questionnaire
    start: str = ""  # kiosk: the start page, a new visit ("Start over" posts there)
    goes_on: str | None = None  # kiosk start: where its visit goes on after a valid post
    notice: str | None = None  # a note above the page (the kiosk's "left idle")
    respondent: bool = False  # a respondent's own browser: its device class and IP hash kept


def plausible_link(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """A blueprint's URL check: a survey id or agency code no survey could have is 404.

    Left to the database, they would be errors (an integer out of range, a NUL byte in
    a text parameter), not "not found" as any other unknown link.
    """
    values = values or {}
    code = values.get("agency_code", "")
    if values.get("survey_id", 0) > MAX_ID or len(code) > AGENCY_CODE_MAX or CONTROLS.search(code):
        abort(404)


def just_submitted(place: Place) -> bool:
    if request.method == "GET" and session.get(JUST_SUBMITTED) == place.marker:
        session.pop(JUST_SUBMITTED)
        return True
    return False


def answer(visit: Visit, place: Place) -> Any:
    """The page a GET shows, or what a POST of it leads to."""
    if request.method == "POST":
        return _post(visit, place)
    return _render(visit, place, answering.saved_answers(db.session, visit), visit.page)


def done(place: Place, state: str, agency: Any = None) -> Any:
    """The thank-you, already-submitted, closed or busy page."""
    return render_template(
        "respond/done.html",
        state=state,
        kiosk=place.kiosk,
        open_link=place.cookie is not None,
        here=place.here,
        home=place.home,
        reset_seconds=KIOSK_RESET_SECONDS,
        kiosk_start=place.start,
        agency=agency,
    )


def _post(visit: Visit, place: Place) -> Any:
    if visit.sent:  # sent by a concurrent request since this one opened the visit
        place.submitted = True
        return done(place, "already-submitted", visit.agency)
    answers = answering.saved_answers(db.session, visit)
    path = answering.pages(visit, answers)
    page = visit.page if visit.page in path else path[0]
    if request.form.get("page", page) != page:
        return redirect(place.here, 303)  # a stale tab or a double click: show where we are
    action = request.form.get("action")
    switch = request.form.get("lang")
    if switch not in current_app.config["LANGUAGES"]:
        switch = None
    elif action is None:  # the language switch: keep this page's answers, show it again
        action = "stay"
    if action not in ACTIONS:
        error = _("Please use the buttons on the page.")
        return _render(visit, place, answers, page, error=error)
    now = utcnow()
    answered: tuple[str, dict[str, Any]] | None = None
    changes: dict[str, Any] = {}
    checked = action not in ("back", "stay")  # leaving is never refused; a draft is kept
    # An anonymous survey keeps no dossier code: it would join the answers to the frame's
    # record of the dossier, and so to the citizen's contact details (docs/anonymity.md).
    if page == WELCOME and place.kiosk and not visit.survey.anonymous and action != "back":
        try:
            changes["dossier_code"] = answering.clean_dossier_code(
                request.form.get("dossier_code", "")
            )
        except ValueError:
            if checked:
                return _render(visit, place, answers, page, dossier_error=True)
        else:
            code = changes["dossier_code"]
            if checked and answering.repeated_dossier(db.session, visit, code):
                return _render(visit, place, answers, page, dossier_error="repeated")
    elif page != WELCOME:
        form = page_form(visit.questionnaire, answers, page, formdata=request.form)
        valid = form.validate()
        if checked and not valid:
            return _render(visit, place, answers, page, form=form)
        page_answers = form.answers()
        answered = (page, page_answers)
        answers = {**answers, **page_answers}
        path = answering.pages(visit, answers)
    changes.update(paradata.on_leaving(visit.response, page, now, action))
    if visit.response is None and place.respondent:  # kept with the new response
        visit.device = paradata.device_class(request.user_agent.string)
        visit.ip_hash = paradata.ip_hash(current_app.config["SECRET_KEY"], request.remote_addr)
    if action == "stay":
        return _stay(visit, place, now, page, answered, changes, switch)
    target = answering.next_page(path, page, action)
    try:
        if target is None:
            return _submit(visit, place, now, answers, answered, changes)
        answering.save_page(db.session, visit, now, target, answered, **changes)
    except AlreadySubmitted:  # another request sent these answers a moment ago
        db.session.rollback()
        place.submitted = True
        return done(place, "already-submitted", visit.agency)
    db.session.commit()
    return redirect(place.goes_on or place.here, 303)


def _stay(
    visit: Visit,
    place: Place,
    now: Any,
    page: str,
    answered: tuple[str, dict[str, Any]] | None,
    changes: dict[str, Any],
    switch: str | None,
) -> Any:
    """Keep what the page holds, valid or not yet, and show it again (in ``switch``'s
    language): a language switch, or the kiosk's "still here"."""
    if visit.response is not None or answered is not None or any(changes.values()):
        try:
            answering.save_page(db.session, visit, now, page, answered, **changes)
        except AlreadySubmitted:
            db.session.rollback()
            place.submitted = True
            return done(place, "already-submitted", visit.agency)
        db.session.commit()
    return redirect((place.goes_on or place.here) + (f"?lang={switch}" if switch else ""), 303)


def _submit(
    visit: Visit,
    place: Place,
    now: Any,
    answers: dict[str, Any],
    answered: tuple[str, dict[str, Any]] | None,
    changes: dict[str, Any],
) -> Any:
    # AlreadySubmitted is the caller's to show
    answering.submit(db.session, visit, now, answers, answered, **changes)
    place.submitted = True
    if place.next_entry is not None:
        flash(_("Questionnaire saved. The next one is ready to key in."), "success")
        db.session.commit()
        return redirect(place.next_entry, 303)
    db.session.commit()
    session[JUST_SUBMITTED] = place.marker
    return redirect(place.goes_on or place.here, 303)


def _render(
    visit: Visit,
    place: Place,
    answers: dict[str, Any],
    page: str,
    form: Any = None,
    error: str | None = None,
    dossier_error: bool | str = False,
) -> Any:
    dossier = request.form.get("dossier_code", "") if dossier_error else None
    if dossier is None and visit.response is not None:
        dossier = visit.response.dossier_code
    return render_page(
        visit.questionnaire,
        page,
        answers,
        answering.pages(visit, answers),
        place.here,
        form,
        place.template,
        survey=visit.survey,
        agency=visit.agency,
        kiosk=place.kiosk,
        home=place.home,
        official=visit.assignment_id is not None,
        paper=visit.skips_welcome,
        open_link=place.cookie is not None,
        error=error,
        dossier_code=dossier or "",
        dossier_error=dossier_error,
        kiosk_start=place.start,
        notice=place.notice,
        lang_form="answers",  # the language switch saves this page's answers first
        idle_seconds=current_app.config["KIOSK_IDLE_SECONDS"] if place.kiosk else None,
    )
