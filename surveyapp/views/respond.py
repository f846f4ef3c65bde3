"""Respondent pages: one URL per invitation or open link, every page a form posted back to it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from werkzeug.exceptions import TooManyRequests

from surveyapp.extensions import db, limiter
from surveyapp.forms.builder import build_section_form
from surveyapp.i18n import current_language
from surveyapp.models import Channel
from surveyapp.models._types import utcnow
from surveyapp.security import hash_token
from surveyapp.services import answering
from surveyapp.services.answering import CONFIRM, WELCOME, AlreadySubmitted, Visit

bp = Blueprint("respond", __name__)

ACTIONS = ("next", "back", "submit")
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


def _token_key() -> str:
    # Per token, not per IP: many respondents share one office network.
    return "token:" + str((request.view_args or {}).get("token", ""))


@bp.after_request
def _no_store(response: Any) -> Any:
    # Answers must not linger in a shared browser's cache (a counter tablet, the back button).
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(TooManyRequests)
def _too_many(error: TooManyRequests) -> Any:
    return _done(Place(here=request.path, marker="", kiosk=_kiosk_requested()), "busy"), 429


# --- invitation links -------------------------------------------------------------------


@bp.route("/s/<token>", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_TOKEN"], key_func=_token_key)
def invitation(token: str) -> Any:
    place = Place(here=url_for(".invitation", token=token), marker=hash_token(token)[:16])
    if _just_submitted(place):
        return _done(place, "submitted")
    try:
        visit = answering.open_invitation(
            db.session, token, current_app.config["SECRET_KEY"], utcnow()
        )
    except answering.InvitationNotFound:
        abort(404)
    except AlreadySubmitted:
        return _done(place, "already-submitted")
    except answering.SurveyClosed:
        return _done(place, "closed")
    if visit.opened_now:
        db.session.commit()  # "opened" is a disposition worth keeping even if nothing follows
    return _answer(visit, place)


# --- open links and counter tablets -----------------------------------------------------


@bp.route("/o/<int:survey_id>/<agency_code>", methods=["GET", "POST"])
@bp.route("/o/<int:survey_id>/<agency_code>/kiosk", methods=["GET", "POST"], endpoint="kiosk")
@limiter.limit(lambda: current_app.config["RATELIMIT_OPEN_LINK"])  # per IP
def open_link(survey_id: int, agency_code: str) -> Any:
    place = _open_place(survey_id, agency_code)
    if _just_submitted(place):
        return _done(place, "submitted")
    key = _read_key(place)
    fresh = key is None
    key = key or answering.new_resume_key()
    try:
        try:
            visit = _open_visit(survey_id, agency_code, key, place)
        except AlreadySubmitted:
            if request.method == "POST":  # a double click on "Send", or a stale tab
                return _forget(_done(place, "already-submitted"), place)
            # This browser sent its answers: the next visit is the next person's.
            fresh, key = True, answering.new_resume_key()
            visit = _open_visit(survey_id, agency_code, key, place)
    except answering.LinkNotFound:
        abort(404)
    except answering.SurveyClosed:
        return _done(place, "closed")
    response = make_response(_answer(visit, place))
    if place.submitted:
        return _forget(response, place)
    if fresh:
        _remember(response, place, key)
    return response


def _open_place(survey_id: int, agency_code: str) -> Place:
    kiosk = _kiosk_requested()
    path = url_for(".open_link", survey_id=survey_id, agency_code=agency_code)
    here = url_for(request.endpoint or ".open_link", survey_id=survey_id, agency_code=agency_code)
    if kiosk and request.endpoint != "respond.kiosk":
        here += "?kiosk=1"
    return Place(
        here=here,
        marker=f"open:{survey_id}:{agency_code}",
        kiosk=kiosk,
        cookie=f"surveyapp_open_{survey_id}_{agency_code}",
        cookie_path=path,
    )


def _kiosk_requested() -> bool:
    return request.endpoint == "respond.kiosk" or request.args.get("kiosk") == "1"


def _open_visit(survey_id: int, agency_code: str, key: str, place: Place) -> Visit:
    channel = Channel.KIOSK if place.kiosk else Channel.WEB
    return answering.open_link(
        db.session, survey_id, agency_code, key, current_app.config["SECRET_KEY"], utcnow(), channel
    )


def _signer(place: Place) -> URLSafeSerializer:
    # The salt names the link, so a key copied to another survey's cookie is refused.
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=f"resume:{place.marker}")


def _read_key(place: Place) -> str | None:
    raw = request.cookies.get(place.cookie or "")
    if not raw:
        return None
    try:
        key = _signer(place).loads(raw)
    except BadSignature:
        return None
    return key if isinstance(key, str) and key else None


def _remember(response: Any, place: Place, key: str) -> None:
    response.set_cookie(
        place.cookie,
        _signer(place).dumps(key),
        path=place.cookie_path,
        httponly=True,
        samesite="Lax",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
    )


def _forget(response: Any, place: Place) -> Any:
    response = make_response(response)
    response.delete_cookie(
        place.cookie,
        path=place.cookie_path,
        httponly=True,
        samesite="Lax",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
    )
    return response


# --- the pages, the same for both kinds of link -----------------------------------------


def _just_submitted(place: Place) -> bool:
    if request.method == "GET" and session.get(JUST_SUBMITTED) == place.marker:
        session.pop(JUST_SUBMITTED)
        return True
    return False


def _answer(visit: Visit, place: Place) -> Any:
    if request.method == "POST":
        return _post(visit, place)
    return _render(visit, place, answering.saved_answers(db.session, visit), visit.page)


def _post(visit: Visit, place: Place) -> Any:
    if visit.sent:  # sent by a concurrent request since this one opened the visit
        place.submitted = True
        return _done(place, "already-submitted")
    answers = answering.saved_answers(db.session, visit)
    path = answering.pages(visit, answers)
    page = visit.page if visit.page in path else path[0]
    if request.form.get("page", page) != page:
        return redirect(place.here, 303)  # a stale tab or a double click: show where we are
    action = request.form.get("action")
    if action not in ACTIONS:
        error = _("Please use the buttons on the page.")
        return _render(visit, place, answers, page, error=error)
    now = utcnow()
    try:
        if page not in (WELCOME, CONFIRM):
            form = _form(visit, answers, page, formdata=request.form)
            valid = form.validate()
            if action != "back" and not valid:
                return _render(visit, place, answers, page, form=form)
            answering.save_page(db.session, visit, page, form.answers(), now)
            answers = {**answers, **form.answers()}
            path = answering.pages(visit, answers)
        step = path.index(page)
        if action == "back":
            target = path[max(step - 1, 0)]
        elif page == CONFIRM or (action == "submit" and path[step + 1] == CONFIRM):
            return _submit(visit, place, now)
        else:
            target = path[min(step + 1, len(path) - 1)]
        answering.move_to(db.session, visit, target, now)
    except AlreadySubmitted:  # another request sent these answers a moment ago
        db.session.rollback()
        place.submitted = True
        return _done(place, "already-submitted")
    db.session.commit()
    return redirect(place.here, 303)


def _submit(visit: Visit, place: Place, now: Any) -> Any:
    answering.submit(db.session, visit, now)  # AlreadySubmitted is the caller's to show
    db.session.commit()
    place.submitted = True
    session[JUST_SUBMITTED] = place.marker
    return redirect(place.here, 303)


def _done(place: Place, state: str) -> Any:
    """The thank-you, already-submitted, closed or busy page."""
    return render_template(
        "respond/done.html",
        state=state,
        kiosk=place.kiosk,
        open_link=place.cookie is not None,
        here=place.here,
        reset_seconds=KIOSK_RESET_SECONDS,
        agency=None,
    )


def _form(visit: Visit, answers: dict[str, Any], page: str, **kwargs: Any) -> Any:
    earlier = answering.answers_before(visit, answers, page)
    return build_section_form(
        visit.questionnaire, page, earlier, saved=answers, lang=current_language(), **kwargs
    )


def _render(
    visit: Visit,
    place: Place,
    answers: dict[str, Any],
    page: str,
    form: Any = None,
    error: str | None = None,
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
        agency=visit.agency,
        here=place.here,
        kiosk=place.kiosk,
        open_link=place.cookie is not None,
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
