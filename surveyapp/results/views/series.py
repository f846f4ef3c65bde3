"""The series across rounds: the trend page and the designer's mapping between rounds
(routes of the ``results`` blueprint)."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from surveyapp import charts
from surveyapp.extensions import db
from surveyapp.i18n import current_language, percent
from surveyapp.models import Agency, Survey
from surveyapp.problems import InputRefused
from surveyapp.results.services.dashboard.cache import round_stamp
from surveyapp.results.services.series import mapping, trend
from surveyapp.results.views.results import bp, requested_scope, result_cache
from surveyapp.security import can, current_scope, requires, scope_root, visible_survey
from surveyapp.surveys.services import surveys

FIELD = "map:"  # the mapping form's fields: map:<figure> = the previous round's figure


@bp.get("/<int:survey_id>/trend")
@requires("analyse")
def trend_page(survey_id: int) -> Any:
    """Every round of the series, oldest first, for the agency asked for or the scope."""
    found = visible_survey(survey_id)
    focus = requested_scope(found, request.args.get("agency"))
    lang = current_language()
    built = trend_for(found, focus, lang)
    return render_template(
        "results/trend.html",
        survey=found,
        scope=focus,
        t=built,
        agency_choices=current_scope().agencies(found),
        chart=_chart(built, lang),
        may_map=can(current_user, "design")
        and current_scope().spans(found)
        and found.previous is not None,
    )


def trend_for(survey: Survey, focus: Agency | None, lang: str) -> trend.Trend:
    """The trend as the current user may see it, from the cache while no round changed."""
    viewer = scope_root(current_user)
    rounds = trend.chain(db.session, survey)
    key = ":".join(
        [
            "trend",
            str(survey.id),
            round_stamp(db.session, rounds),
            str(focus.id if focus else "-"),
            str(viewer.id if viewer else "-"),
            lang,
        ]
    )
    return result_cache().get_or_compute(
        key, lambda: trend.build(db.session, survey, focus=focus, viewer=viewer, lang=lang)
    )


def _chart(built: trend.Trend, lang: str) -> Any:
    bars = [charts.estimate_bar(r.title, r.overall.estimate) for r in built.rounds]
    return charts.bar_chart(
        bars,
        chart_id="chart-trend",
        title=_("Satisfaction index by round"),
        desc=_("Each round's index with its 95%% confidence interval, oldest round first."),
        fmt=percent,
        axis_fmt=lambda value: percent(value, 0),
    )


@bp.get("/<int:survey_id>/series")
@requires("design")
def series_page(survey_id: int) -> Any:
    """The mapping of this survey's figures onto its previous round's, to edit."""
    found = current_scope().whole(surveys.get_survey(db.session, survey_id))
    link = mapping.link(db.session, found, current_language())
    if link is None:
        abort(404)
    return render_template("results/series.html", survey=found, link=link, field=FIELD)


@bp.post("/<int:survey_id>/series")
@requires("design")
def save_series(survey_id: int) -> Any:
    found = current_scope().whole(surveys.get_survey(db.session, survey_id))
    if found.previous is None:
        abort(404)
    try:
        if request.form.get("action") == "reset":
            mapping.reset(db.session, found, actor_id=current_user.id)
        else:
            mapping.save(db.session, found, _chosen(), actor_id=current_user.id)
    except InputRefused as refused:
        db.session.rollback()
        for problem in refused.problems:
            flash(_("Series mapping: %(problem)s", problem=str(problem)), "error")
        return redirect(url_for("results.series_page", survey_id=found.id), 303)
    db.session.commit()
    flash(_("Series mapping saved."), "success")
    return redirect(url_for("results.trend_page", survey_id=found.id), 303)


def _chosen() -> dict[str, str | None]:
    """The form's choices: every map:<figure> field, blank = a break."""
    return {
        key[len(FIELD) :]: value or None
        for key, value in request.form.items()
        if key.startswith(FIELD)
    }
