"""Respondent pages: one URL per invitation or open link, every page a form posted back to it."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    make_response,
    redirect,
    request,
    url_for,
)
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from werkzeug.exceptions import TooManyRequests

from surveyapp.collect.services import visits
from surveyapp.collect.services.visits import AlreadySubmitted, Visit
from surveyapp.collect.views.pages import Place, answer, done, just_submitted, plausible_link
from surveyapp.errors import retry_after
from surveyapp.extensions import db, limiter
from surveyapp.fieldwork.services import invitations
from surveyapp.models import Channel
from surveyapp.models._types import utcnow
from surveyapp.security import hash_token

bp = Blueprint("respond", __name__)


def _token_key() -> str:
    # Per token, not per IP: many respondents share one office network.
    return "token:" + str((request.view_args or {}).get("token", ""))


def _missed(response: Any) -> bool:
    return bool(response.status_code == 404)


bp.url_value_preprocessor(plausible_link)


@bp.after_request
def _no_store(response: Any) -> Any:
    # Answers must not linger in a shared browser's cache (a counter tablet, the back button).
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(TooManyRequests)
def _too_many(error: TooManyRequests) -> Any:
    page = done(Place(here=request.path, marker="", kiosk=_kiosk_requested()), "busy")
    return page, 429, retry_after(error)


# --- invitation links -------------------------------------------------------------------


@bp.route("/s/<token>", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_TOKEN"], key_func=_token_key, methods=["POST"])
# Per IP, counting only unknown tokens: a guesser's misses, never a respondent's pages.
@limiter.limit(lambda: current_app.config["RATELIMIT_TOKEN_MISSES"], deduct_when=_missed)
def invitation(token: str) -> Any:
    if (typed := invitations.canonical_token(token)) != token:  # a letter's link typed in capitals
        return redirect(url_for(".invitation", token=typed), 308)
    place = Place(
        here=url_for(".invitation", token=token), marker=hash_token(token)[:16], respondent=True
    )
    if just_submitted(place):
        return done(place, "submitted")
    _reads_outside_a_transaction()
    try:
        visit = visits.open_invitation(
            db.session, token, current_app.config["SECRET_KEY"], utcnow()
        )
    except visits.InvitationNotFound:
        abort(404)
    except AlreadySubmitted:
        return done(place, "already-submitted")
    except visits.SurveyClosed:
        return done(place, "closed")
    page = answer(visit, place)
    if visit.opened_now:
        db.session.commit()  # "opened" is a disposition worth keeping even if nothing follows
    return page


def _reads_outside_a_transaction() -> None:
    """A page view reads, and at most marks an invitation opened (one statement): it needs
    no transaction, and not opening one saves the BEGIN and ROLLBACK round trips."""
    if request.method == "GET":
        db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


# --- open links and counter tablets -----------------------------------------------------


@bp.route("/o/<int:survey_id>/<agency_code>", methods=["GET", "POST"])
@bp.route(
    "/o/<int:survey_id>/<agency_code>/kiosk/visit", methods=["GET", "POST"], endpoint="kiosk_visit"
)
@limiter.limit(lambda: current_app.config["RATELIMIT_OPEN_LINK"])  # per IP
def open_link(survey_id: int, agency_code: str) -> Any:
    place = _open_place(survey_id, agency_code, kiosk=request.endpoint == "respond.kiosk_visit")
    if just_submitted(place):
        return done(place, "submitted")
    _reads_outside_a_transaction()
    key = _read_key(place)
    if key is None and place.kiosk:
        return redirect(place.start, 303)  # a tablet's visit begins at its start page
    fresh = key is None
    key = key or visits.new_resume_key()
    try:
        try:
            visit = _open_visit(survey_id, agency_code, key, place)
        except AlreadySubmitted:
            if request.method == "POST":  # a double click on "Send", or a stale tab
                return _forget(done(place, "already-submitted"), place)
            # This browser sent its answers: the next visit is the next person's.
            fresh, key = True, visits.new_resume_key()
            visit = _open_visit(survey_id, agency_code, key, place)
    except visits.LinkNotFound:
        abort(404)
    except visits.SurveyClosed:
        return done(place, "closed")
    except visits.VisitExpired:  # nothing of it is shown, nor saved from this request
        return _forget(redirect(place.start + "?timed_out=1", 303), place)
    response = make_response(answer(visit, place))
    if place.submitted:
        return _forget(response, place)
    if fresh:
        _remember(response, place, key)
    return response


@bp.route("/o/<int:survey_id>/<agency_code>/kiosk", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_OPEN_LINK"])  # per IP
def kiosk(survey_id: int, agency_code: str) -> Any:
    """A counter tablet's start: a new visit for whoever opens it, never the last person's.

    Its welcome page posts back here, as every page does; a valid post hands the new
    visit to ``kiosk_visit``, found through a cookie, until sent, left idle, or started
    over. "Start over" on every kiosk page posts to ``?restart=1`` here (in the URL, so
    that no field of the page's own form can be taken for it).
    """
    place = _open_place(survey_id, agency_code, kiosk=True)
    if request.method == "POST" and request.args.get("restart"):
        return _forget(redirect(place.start, 303), place)
    _reads_outside_a_transaction()
    if request.args.get("timed_out"):
        place.notice = _("The previous visit was left idle, so it was closed. Please start again.")
    welcome = replace(place, here=place.start, goes_on=place.here)
    key = visits.new_resume_key()
    try:
        visit = _open_visit(survey_id, agency_code, key, welcome)
    except visits.LinkNotFound:
        abort(404)
    except visits.SurveyClosed:
        return done(place, "closed")
    response = make_response(answer(visit, welcome))
    if request.method == "POST" and response.status_code == 303:
        _remember(response, place, key)
        return response
    return _forget(response, place)


def _open_place(survey_id: int, agency_code: str, kiosk: bool) -> Place:
    ids: dict[str, Any] = {"survey_id": survey_id, "agency_code": agency_code}
    if not kiosk:
        here = url_for(".open_link", **ids)
        return Place(
            here=here,
            marker=f"open:{survey_id}:{agency_code}",
            cookie=f"surveyapp_open_{survey_id}_{agency_code}",
            cookie_path=here,
            respondent=True,
        )
    start = url_for(".kiosk", **ids)
    return Place(
        here=url_for(".kiosk_visit", **ids),
        marker=f"kiosk:{survey_id}:{agency_code}",
        kiosk=True,
        cookie=f"surveyapp_kiosk_{survey_id}_{agency_code}",
        cookie_path=start,
        start=start,
        respondent=True,
    )


def _kiosk_requested() -> bool:
    return request.endpoint in ("respond.kiosk", "respond.kiosk_visit")


def _open_visit(survey_id: int, agency_code: str, key: str, place: Place) -> Visit:
    channel, idle = Channel.WEB, None
    if place.kiosk:
        channel, idle = Channel.KIOSK, timedelta(seconds=current_app.config["KIOSK_IDLE_SECONDS"])
    secret = current_app.config["SECRET_KEY"]
    return visits.open_link(
        db.session, survey_id, agency_code, key, secret, utcnow(), channel, idle
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
