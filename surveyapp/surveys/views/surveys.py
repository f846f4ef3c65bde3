"""Creating surveys from questionnaires and looking at one."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from surveyapp.design.services import designer
from surveyapp.extensions import db
from surveyapp.fieldwork.services import assignments
from surveyapp.forms.staff import InviteForm, NewSurveyForm, SurveySettingsForm, agency_choices
from surveyapp.i18n import current_language
from surveyapp.models import Survey, SurveyMode, SurveyStatus
from surveyapp.models._types import utcnow
from surveyapp.problems import InputRefused
from surveyapp.questionnaire.templates import list_templates
from surveyapp.results.services.dashboard import period
from surveyapp.review.services import reading
from surveyapp.review.services import settings as quality_settings
from surveyapp.security import current_scope, requires, visible_survey
from surveyapp.surveys.forms import QualitySettingsForm, RoundDatesForm
from surveyapp.surveys.services import agencies, rounds, surveys

bp = Blueprint("surveys", __name__, url_prefix="/surveys")
# What the survey page says after a change of the round, by where the round now stands.
ROUND_MESSAGES = {
    rounds.RoundState.DRAFT: _l("Saved. The survey is a draft: it takes no answers yet."),
    rounds.RoundState.SCHEDULED: _l("Saved. The survey opens by itself on its opening date."),
    rounds.RoundState.OPEN: _l("The survey is open for answers."),
    rounds.RoundState.CLOSED: _l("The survey is closed: it takes no more answers."),
}


@bp.route("/new", methods=["GET", "POST"])
@requires("design")
def new() -> Any:
    form = NewSurveyForm()
    lang = current_language()
    scope = designer.scope_for(db.session, current_user)
    form.questionnaire.choices = questionnaire_choices(scope, lang)
    _offer_agencies(form)
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
                draft="draft" in request.form,
                contact_retention_days=_or(form.contact_retention_days.data, 90),
            )
        except InputRefused as refused:
            db.session.rollback()
            for problem in refused.problems:
                flash(str(problem), "error")
        else:
            db.session.commit()
            if survey.status is SurveyStatus.DRAFT:
                flash(_("Survey saved as a draft: open it, or give it its dates."), "success")
            else:
                flash(_("Survey created and open for answers."), "success")
            return redirect(url_for(".detail", survey_id=survey.id), 303)
    return render_template("surveys/new.html", form=form)


def _or(value: int | None, otherwise: int) -> int:
    return otherwise if value is None else value


def _offer_agencies(form: SurveySettingsForm) -> None:
    """The agencies in the user's scope as the form's choices; one posted from outside it
    is a 404, as an unknown one would be."""
    lang = current_language()
    offered = list(db.session.scalars(current_scope().agency_query()))
    form.agencies.choices = [SelectChoice(a.code, f"{a.code} — {a.name(lang)}") for a in offered]
    if form.is_submitted() and set(form.agencies.data or []) - {a.code for a in offered}:
        abort(404)


@bp.route("/<int:survey_id>/edit", methods=["GET", "POST"])
@requires("design")
def edit(survey_id: int) -> Any:
    survey = current_scope().whole(surveys.get_survey(db.session, survey_id))
    form = SurveySettingsForm(
        data=None
        if request.method == "POST"
        else {
            "title": survey.title,
            "agencies": [a.code for a in survey.agencies],
            "mode": survey.mode.value,
            "anonymous": survey.anonymous,
            "contact_retention_days": survey.contact_retention_days,
        }
    )
    _offer_agencies(form)
    if form.validate_on_submit():
        try:
            changed = rounds.edit(
                db.session,
                survey,
                current_user.id,
                utcnow(),
                title=form.title.data or "",
                agencies=agencies.by_codes(db.session, form.agencies.data or []),
                mode=SurveyMode(form.mode.data),
                anonymous=form.anonymous.data,
                contact_retention_days=_or(
                    form.contact_retention_days.data, survey.contact_retention_days
                ),
            )
        except InputRefused as refused:
            db.session.rollback()
            for problem in refused.problems:
                flash(str(problem), "error")
        else:
            db.session.commit()
            flash(_("Settings saved.") if changed else _("Nothing was changed."), "success")
            return redirect(url_for(".detail", survey_id=survey.id), 303)
    return render_template(
        "surveys/edit.html", form=form, survey=survey, quality_form=_quality_form(survey)
    ), (422 if form.is_submitted() else 200)


def _quality_form(survey: Survey) -> QualitySettingsForm:
    """The data-quality settings as they stand (percent for the nonresponse share)."""
    form = QualitySettingsForm(formdata=None)
    form.speeding_seconds.data = Decimal(str(round(survey.speeding_seconds, 1)))
    form.nonresponse_percent.data = round(survey.nonresponse_share * 100)
    form.burst_count.data = survey.burst_count
    form.burst_minutes.data = survey.burst_minutes
    form.repeat_dossier.data = "refuse" if survey.refuse_repeat_dossier else "flag"
    return form


@bp.post("/<int:survey_id>/quality-settings")
@requires("design")
def quality_settings_page(survey_id: int) -> Any:
    """The data-quality thresholds (a panel of the settings page); flags recomputed."""
    survey = current_scope().whole(surveys.get_survey(db.session, survey_id))
    form = QualitySettingsForm()
    if not form.validate():
        settings = SurveySettingsForm(formdata=None, data={"title": survey.title})
        _offer_agencies(settings)
        page = render_template("surveys/edit.html", form=settings, survey=survey, quality_form=form)
        return page, 422
    try:
        changed = quality_settings.set_quality_settings(
            db.session,
            survey,
            current_user.id,
            speeding_seconds=float(form.speeding_seconds.data or 0),
            nonresponse_share=(form.nonresponse_percent.data or 0) / 100,
            burst_count=form.burst_count.data or 0,
            burst_minutes=form.burst_minutes.data or 0,
            refuse_repeat_dossier=form.repeat_dossier.data == "refuse",
        )
    except InputRefused as refused:
        db.session.rollback()
        for problem in refused.problems:
            flash(str(problem), "error")
        return redirect(url_for(".edit", survey_id=survey.id, _anchor="quality"), 303)
    db.session.commit()
    if set(changed) & set(quality_settings.THRESHOLDS):
        flash(_("Data-quality settings saved; the flags were computed again."), "success")
    else:
        flash(_("Settings saved.") if changed else _("Nothing was changed."), "success")
    return redirect(url_for(".edit", survey_id=survey.id, _anchor="quality"), 303)


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
    return _detail(visible_survey(survey_id))


def _detail(survey: Survey, dates_form: RoundDatesForm | None = None) -> str:
    scope = current_scope()
    invite_form = InviteForm()
    invite_form.agency.choices = agency_choices(survey)
    return render_template(
        "surveys/detail.html",
        survey=survey,
        agencies=scope.agencies(survey),
        spans=scope.spans(survey),
        submitted=surveys.count_submitted(db.session, survey, scope),
        voided=surveys.count_voided(db.session, survey, scope),
        invite_form=invite_form,
        dates_form=dates_form or _dates_form(survey),
        previous_choices=[s for s in period.candidates(db.session, survey) if scope.spans(s)],
        progress=assignments.progress_counts(db.session, survey, scope),
        may_clean=reading.may_clean(current_user, survey),
    )


def sentence(text: object) -> str:
    """A service's message (lower case, for "where: what") as a sentence of its own."""
    words = str(text)
    return f"{words[:1].upper()}{words[1:]}."


def _dates_form(survey: Survey) -> RoundDatesForm:
    """The round's dates as the form shows them: Vietnam local days."""
    form = RoundDatesForm(formdata=None)
    first, last = rounds.first_day(survey), rounds.last_day(survey)
    form.opens.data = first.isoformat() if first else ""
    form.closes.data = last.isoformat() if last else ""
    return form


@bp.post("/<int:survey_id>/round")
@requires("field")
def change_round(survey_id: int) -> Any:
    """Open, close or reopen the round now, or set its dates (the survey page's buttons)."""
    survey = current_scope().whole(surveys.get_survey(db.session, survey_id))
    action = request.form.get("action", "")
    form = RoundDatesForm()
    if action == "schedule" and not form.validate():
        flash(_("The dates were not saved: see the messages beside them."), "error")
        return _detail(survey, dates_form=form), 422
    now = utcnow()
    try:
        if action == "open":
            rounds.open_now(db.session, survey, current_user.id, now)
        elif action == "close":
            rounds.close_now(db.session, survey, current_user.id, now)
        elif action == "unschedule":
            rounds.unschedule(db.session, survey, current_user.id, now)
        elif action == "schedule":
            rounds.schedule(
                db.session,
                survey,
                current_user.id,
                now,
                opens=form.opens.day,
                closes=form.closes.day,
            )
        else:
            abort(400)
    except InputRefused as refused:
        db.session.rollback()
        if action == "schedule":  # beside the dates, as typed
            form.closes.errors = [sentence(p.message) for p in refused.problems]
            return _detail(survey, dates_form=form), 422
        for problem in refused.problems:
            flash(str(problem), "error")
        return redirect(url_for(".detail", survey_id=survey.id, _anchor="round"), 303)
    db.session.commit()
    flash(ROUND_MESSAGES[rounds.state(survey, now)], "success")
    return redirect(url_for(".detail", survey_id=survey.id), 303)
