"""The ``fieldwork`` blueprint and what its route modules share.

Its routes live in ``overview.py`` (the fieldwork page, the contacts purge, invitation
links), ``frame.py`` (the frame import) and ``sample.py`` (sample size and the draw); the
package imports them so that they are on ``bp`` before the app registers it.
"""

from __future__ import annotations

from flask import Blueprint, abort

from surveyapp.extensions import db
from surveyapp.models import Survey
from surveyapp.problems import Problem
from surveyapp.security import current_scope
from surveyapp.surveys.services import surveys

bp = Blueprint("fieldwork", __name__, url_prefix="/surveys")


def managed_survey(survey_id: int) -> Survey:
    """A survey whose fieldwork the current user may run: every one of its agencies is in
    the user's scope (the frame, the draw and the purge span them all), and citizens
    answer it; else 404."""
    survey = current_scope().whole(surveys.get_survey(db.session, survey_id))
    if not surveys.features(survey).citizens:
        abort(404)
    return survey


def invited_survey(survey_id: int) -> Survey:
    """A managed survey that invites a drawn sample (the draw is its alone); else 404."""
    survey = managed_survey(survey_id)
    if not surveys.features(survey).invitations:
        abort(404)
    return survey


def problem_message(problem: Problem) -> str:
    """The problem's message, rendered now: its lazy string reads in the user's language."""
    return str(problem.message)
