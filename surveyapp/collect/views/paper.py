"""Paper entry: fieldwork staff key in paper questionnaires through the respondent forms."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from surveyapp.collect.services import paper_entry, visits
from surveyapp.collect.services.visits import AlreadySubmitted
from surveyapp.collect.views.pages import Place, answer, plausible_link
from surveyapp.extensions import db
from surveyapp.models import Agency, Survey
from surveyapp.models._types import utcnow
from surveyapp.security import current_scope, requires, visible_survey
from surveyapp.surveys.services import surveys

bp = Blueprint("paper", __name__, url_prefix="/surveys/<int:survey_id>/paper")
bp.url_value_preprocessor(plausible_link)


@bp.get("")
@requires("field")
def start(survey_id: int) -> Any:
    survey = _paper_survey(survey_id)
    agencies = current_scope().agencies(survey)
    counts = paper_entry.counts(db.session, survey, current_user.id)
    return render_template(
        "paper/start.html",
        survey=survey,
        is_open=survey.is_open(utcnow()),
        agencies=agencies,
        counts=counts,
        new_entry=lambda agency: _new_entry_url(survey, agency),
    )


@bp.route("/<agency_code>/<key>", methods=["GET", "POST"])
@requires("field")
def entry(survey_id: int, agency_code: str, key: str) -> Any:
    survey = _paper_survey(survey_id)
    agency = current_scope().survey_agency(survey, agency_code)
    if not paper_entry.valid_key(key):
        abort(404)
    here = url_for(".entry", survey_id=survey.id, agency_code=agency.code, key=key)
    place = Place(
        here=here,
        marker=f"paper:{key}",
        template="paper/page.html",
        next_entry=_new_entry_url(survey, agency),
    )
    if not survey.is_open(utcnow()):  # nothing typed is saved, a half-keyed form included
        return render_template("paper/closed.html", survey=survey)
    try:
        visit = visits.open_paper_entry(
            db.session, survey, agency, key, current_app.config["SECRET_KEY"], current_user.id
        )
    except visits.EntryNotFound:
        abort(404)
    except AlreadySubmitted:  # the back button after saving, or Enter pressed twice
        flash(_("That questionnaire is already saved. Here is a blank one."), "success")
        return redirect(place.next_entry or here, 303)
    return answer(visit, place)


def _paper_survey(survey_id: int) -> Survey:
    survey = visible_survey(survey_id)
    if not surveys.features(survey).citizens:
        abort(404)  # officials rate after signing in; there is no paper form of that
    return survey


def _new_entry_url(survey: Survey, agency: Agency) -> str:
    return url_for(
        ".entry", survey_id=survey.id, agency_code=agency.code, key=visits.new_resume_key()
    )
