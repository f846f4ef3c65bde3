"""PAR cross-evaluation: an official's list of agencies to rate, and staff running the draw."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from surveyapp.collect.services import visits
from surveyapp.collect.services.visits import AlreadySubmitted
from surveyapp.collect.views.pages import Place, answer, done, just_submitted
from surveyapp.extensions import db
from surveyapp.fieldwork.services import assignments
from surveyapp.forms.staff import AssignForm
from surveyapp.models import SurveyMode
from surveyapp.models._types import utcnow
from surveyapp.security import current_scope, requires, visible_survey

bp = Blueprint("officials", __name__)


# --- the official -------------------------------------------------------------------------


@bp.get("/officials")
@login_required
def assigned() -> Any:
    rows = assignments.rater_assignments(db.session, current_user, utcnow())
    return render_template("officials/list.html", rows=rows)


@bp.route("/officials/<int:assignment_id>", methods=["GET", "POST"])
@login_required
def rate(assignment_id: int) -> Any:
    assignment = assignments.find_for_rater(db.session, assignment_id, current_user)
    if assignment is None:
        abort(404)  # someone else's assignment looks the same as none
    place = Place(
        here=url_for(".rate", assignment_id=assignment.id),
        marker=f"assignment:{assignment.id}",
        home=url_for(".assigned"),
    )
    if just_submitted(place):
        return done(place, "submitted", assignment.agency)
    try:
        visit = visits.open_assignment(
            db.session, assignment, current_app.config["SECRET_KEY"], utcnow()
        )
    except AlreadySubmitted:
        return done(place, "already-submitted", assignment.agency)
    except visits.SurveyClosed:
        return done(place, "closed", assignment.agency)
    return answer(visit, place)


# --- staff: making the assignment -------------------------------------------------------


@bp.route("/surveys/<int:survey_id>/officials", methods=["GET", "POST"])
@requires("field")
def manage(survey_id: int) -> Any:
    scope = current_scope()
    survey = visible_survey(survey_id)
    if survey.mode is not SurveyMode.OFFICIALS:
        abort(404)
    # The draw spans every agency of the survey: only someone who sees them all runs it.
    # Who rates an agency stays with them too: raters answer without the agency's pressure.
    may_assign = scope.spans(survey)
    form = AssignForm()
    if form.validate_on_submit():
        if not may_assign:
            abort(404)
        try:
            made = assignments.assign(
                db.session,
                survey,
                form.per_agency.data or 0,
                seed=form.seed.data or 0,
                actor_id=current_user.id,
                now=utcnow(),
            )
        except assignments.NotEnoughRaters as refused:
            db.session.rollback()
            for code, eligible in refused.short:
                message = _(
                    "%(agency)s: only %(n)s officials may rate it, %(k)s needed (nobody rates "
                    "their own agency, a unit under it or one above it).",
                    agency=code,
                    n=eligible,
                    k=refused.per_agency,
                )
                flash(message, "error")
        except assignments.AlreadyAnswered as refused:
            db.session.rollback()
            message = _(
                "%(n)s assignments already have answers: the assignment can no longer be redone.",
                n=refused.answered,
            )
            flash(message, "error")
        else:
            db.session.commit()
            flash(_("%(n)s assignments made.", n=len(made)), "success")
            return redirect(url_for(".manage", survey_id=survey.id), 303)
    rows = assignments.survey_assignments(db.session, survey, scope)
    return render_template(
        "officials/manage.html", survey=survey, rows=rows, form=form, may_assign=may_assign
    )
