"""Creating surveys from questionnaires and looking at one."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from surveyapp.design.services import designer
from surveyapp.extensions import db
from surveyapp.fieldwork.services import assignments
from surveyapp.forms.staff import InviteForm, NewSurveyForm, agency_choices
from surveyapp.i18n import current_language
from surveyapp.models import SurveyMode
from surveyapp.models._types import utcnow
from surveyapp.problems import InputRefused
from surveyapp.questionnaire.templates import list_templates
from surveyapp.results.services.dashboard import period
from surveyapp.security import current_scope, requires, visible_survey
from surveyapp.surveys.services import agencies, surveys

bp = Blueprint("surveys", __name__, url_prefix="/surveys")


@bp.route("/new", methods=["GET", "POST"])
@requires("design")
def new() -> Any:
    form = NewSurveyForm()
    lang = current_language()
    scope = designer.scope_for(db.session, current_user)
    form.questionnaire.choices = questionnaire_choices(scope, lang)
    offered = list(db.session.scalars(current_scope().agency_query()))
    form.agencies.choices = [SelectChoice(a.code, f"{a.code} — {a.name(lang)}") for a in offered]
    if form.is_submitted() and set(form.agencies.data or []) - {a.code for a in offered}:
        abort(404)  # an agency out of scope, as for an unknown one
    if form.validate_on_submit():
        try:
            survey = surveys.create_survey(
                db.session,
                version=designer.version_for_survey(db.session, scope, form.questionnaire.data),
                title=form.title.data or "",
                agencies=agencies.by_codes(db.session, form.agencies.data or []),
                mode=SurveyMode(form.mode.data),
                anonymous=form.anonymous.data,
                actor_id=current_user.id,
                now=utcnow(),
            )
        except InputRefused as refused:
            db.session.rollback()
            for problem in refused.problems:
                flash(str(problem), "error")
        else:
            db.session.commit()
            flash(_("Survey created and open for answers."), "success")
            return redirect(url_for(".detail", survey_id=survey.id), 303)
    return render_template("surveys/new.html", form=form)


def questionnaire_choices(scope: designer.Scope, lang: str) -> dict[str, list[SelectChoice]]:
    """Options grouped by who made them, each naming its id and version: a province's
    copy often keeps the national title."""

    def option(key: str, title: dict[str, str], version: int) -> SelectChoice:
        text = title.get(lang) or next(iter(title.values()), key)
        return SelectChoice(
            key, _("%(title)s (%(id)s, version %(n)s)", title=text, id=key, n=version)
        )

    groups = {
        _("National questionnaires"): [option(t.id, t.title, t.version) for t in list_templates()]
    }
    for q in designer.fieldable(db.session, scope):  # the variants made in the designer
        fielded = designer.version_for_survey(db.session, scope, q.key)
        owner = designer.owner_name(db.session, q, lang)
        group = _("Made by %(owner)s", owner=owner) if owner else _("Shared")
        groups.setdefault(group, []).append(
            option(q.key, fielded.document["title"], fielded.version)
        )
    return groups


@bp.get("/<int:survey_id>")
@requires("analyse")
def detail(survey_id: int) -> Any:
    scope = current_scope()
    survey = visible_survey(survey_id)
    invite_form = InviteForm()
    invite_form.agency.choices = agency_choices(survey)
    return render_template(
        "surveys/detail.html",
        survey=survey,
        agencies=scope.agencies(survey),
        spans=scope.spans(survey),
        submitted=surveys.count_submitted(db.session, survey, scope),
        invite_form=invite_form,
        previous_choices=[s for s in period.candidates(db.session, survey) if scope.spans(s)],
        progress=assignments.progress_counts(db.session, survey, scope),
    )
