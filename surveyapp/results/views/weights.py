"""A survey's Weights page (final weights settings and summary) and its records check."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from surveyapp import charts
from surveyapp.extensions import db
from surveyapp.i18n import LOCAL_TIME, current_language, percent
from surveyapp.models import Survey
from surveyapp.problems import InputRefused, Problem
from surveyapp.results.forms import LateThresholdForm, WeightsForm
from surveyapp.results.services import triangulation, weighting, weighting_targets
from surveyapp.results.services.dashboard.presenter import weighting_note
from surveyapp.security import Scope, current_scope, require_agency, requires, visible_survey
from surveyapp.surveys.services import surveys

bp = Blueprint("weights", __name__)


def _province_survey(survey_id: int) -> Survey:
    """Weights span every stratum (agency): only users whose scope spans the survey see
    them, and only where citizens answer."""
    survey = current_scope().whole(surveys.get_survey(db.session, survey_id))
    if not surveys.features(survey).citizens:
        abort(404)
    return survey


@bp.route("/surveys/<int:survey_id>/weights", methods=["GET", "POST"])
@requires("analyse")
def page(survey_id: int) -> Any:
    survey = _province_survey(survey_id)
    saved = weighting.Settings.from_json(survey.weighting)
    form = WeightsForm()
    if request.method == "GET":
        form.nonresponse.data = saved.nonresponse
        form.classes.data = saved.classes
        form.targets.data = _targets_text(saved.targets)
    problems: list[Problem] = []
    outcome: weighting.Outcome | None = None
    preview = False
    if form.validate_on_submit():
        try:
            settings = _settings(form, survey)
            if request.form.get("action") == "save":
                weighting.save_settings(db.session, survey, settings, actor_id=current_user.id)
                db.session.commit()
                flash(_("Weighting settings saved: scores now use these weights."), "success")
                return redirect(url_for(".page", survey_id=survey.id), 303)
            outcome, preview = weighting.compute(db.session, survey, settings), True
        except InputRefused as refused:
            db.session.rollback()
            problems = refused.problems
    stale: list[Problem] = []
    if outcome is None:
        try:
            outcome = weighting.compute(db.session, survey, saved)
        except InputRefused as refused:  # data changed since the settings were saved
            stale = refused.problems
            outcome = weighting.compute(db.session, survey, weighting.Settings())
    return render_template(
        "weights/page.html",
        survey=survey,
        form=form,
        outcome=outcome,
        preview=preview,
        problems=problems,
        stale=stale,
        saved=saved,
    )


def _settings(form: WeightsForm, survey: Survey) -> weighting.Settings:
    upload = form.targets_file.data
    if upload and upload.filename:
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InputRefused(
                [Problem(upload.filename, _("The file is not UTF-8 text (save it as CSV UTF-8)."))]
            ) from None
    else:
        text = form.targets.data or ""
    first = text.strip().split(",", 1)[0].strip().lower()
    header_given = first == "variable"  # typed rows may leave out the header
    if not header_given:
        text = ",".join(weighting_targets.TARGET_COLUMNS) + "\n" + text
    targets = (
        weighting_targets.read_targets_csv(db.session, survey, text, header_given=header_given)
        if text.strip().count("\n")
        else []
    )
    return weighting.Settings(
        nonresponse=bool(form.nonresponse.data),
        classes=form.classes.data if form.classes.data in weighting.CLASSES else "stratum",
        targets=tuple(targets),
    )


def _targets_text(targets: tuple[weighting_targets.Target, ...]) -> str:
    if not targets:
        return ""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(weighting_targets.TARGET_COLUMNS)
    writer.writerows([t.variable, t.category, f"{t.total:g}"] for t in targets)
    return out.getvalue()


@bp.route("/results/<int:survey_id>/records", methods=["GET", "POST"])
@requires("analyse")
def records(survey_id: int) -> Any:
    scope = current_scope()
    survey = visible_survey(survey_id)
    if not surveys.features(survey).citizens:
        abort(404)
    province = scope.spans(survey)
    # Rule R6's threshold is the province's: set here by its users, read by everyone.
    threshold_form = LateThresholdForm() if province else None
    if request.method == "POST":
        if threshold_form is None:
            abort(404)
        if threshold_form.validate_on_submit():
            share = float(threshold_form.percent.data) / 100
            triangulation.set_threshold(db.session, survey, share, actor_id=current_user.id)
            db.session.commit()
            flash(_("Threshold of rule R6 saved: %(share)s.", share=percent(share, 1)), "success")
            return redirect(request.full_path.rstrip("?"), 303)
    elif threshold_form is not None:
        threshold_form.percent.data = Decimal(str(round(survey.late_threshold * 100, 1)))
    code = request.args.get("agency")
    focus = require_agency(db.session, current_user, code) if code else scope.root
    agencies = [a for a in scope.agencies(survey) if Scope(focus).covers(a)]
    table = triangulation.compare(db.session, survey, agencies, as_of=_as_of())
    lang = current_language()
    return render_template(
        "weights/records.html",
        threshold_form=threshold_form,
        survey=survey,
        focus=focus,
        table=table,
        weighting_note=weighting_note(table.weights_used, lang, with_reasons=province),
        weights_url=url_for(".page", survey_id=survey.id) if province else None,
        charts=_records_charts(table, lang),
        flagged_names="; ".join(r.agency.name(lang) for r in table.flagged),
        percent_fmt=percent,
    )


def _as_of() -> date:
    """``?as_of=YYYY-MM-DD`` (e.g. the end of the survey period), else today in Vietnam."""
    try:
        return date.fromisoformat(request.args.get("as_of", ""))
    except ValueError:
        return datetime.now(LOCAL_TIME).date()


def _records_charts(table: triangulation.Comparison, lang: str) -> list[Any]:
    rows = table.rows
    reported = [r.reported_late for r in rows if r.reported_late is not None]
    values = [r.late_rate for r in rows] + [e.ci_high for e in reported if not e.suppressed]
    scale = charts.nice_max([*values, table.threshold * 1.5])
    records_bars = [charts.Bar(r.agency.name(lang), r.late_rate) for r in rows]
    reported_bars = [
        charts.estimate_bar(r.agency.name(lang), r.reported_late)
        if r.reported_late is not None
        else charts.Bar(r.agency.name(lang), None)
        for r in rows
    ]

    def fmt(value: float) -> str:
        return percent(value, 1)

    return [
        charts.bar_chart(
            records_bars,
            chart_id="late-records",
            title=_("Late dossiers in the one-stop records"),
            desc=_(
                "Share of dossiers due that were returned late, by agency; "
                "the line is the threshold."
            ),
            targets=[table.threshold],
            scale_max=scale,
            fmt=fmt,
            axis_fmt=lambda value: percent(value, 0),
            suppressed_note=_("no dossiers due"),
        ),
        charts.bar_chart(
            reported_bars,
            chart_id="late-reported",
            title=_("Late results as citizens report them"),
            desc=_(
                "Weighted share of respondents who say their result came late, "
                "with confidence intervals (95%)."
            ),
            targets=[table.threshold],
            scale_max=scale,
            fmt=fmt,
            axis_fmt=lambda value: percent(value, 0),
            suppressed_note=_("too few answers"),
            small_note=_("fewer than 30 answers"),
        ),
    ]
