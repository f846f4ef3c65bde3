"""Results for analysts: the dashboard, one agency's view, its printable report."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from surveyapp import charts
from surveyapp import pdf as pdf_files
from surveyapp.extensions import db
from surveyapp.fieldwork.services.monitoring import AaporCategory
from surveyapp.i18n import current_language, date_text, percent
from surveyapp.models import Agency, Survey
from surveyapp.problems import InputRefused
from surveyapp.results.services import agency_report, dashboard, dossiers, results
from surveyapp.results.services.dashboard import filters as dashboard_filters
from surveyapp.results.services.dashboard import period, presenter
from surveyapp.results.services.dashboard.cache import ResultCache
from surveyapp.results.services.dashboard.filters import DashboardRequest, Filters
from surveyapp.security import current_scope, require_agency, requires, scope_root, visible_survey
from surveyapp.surveys.services import surveys

bp = Blueprint("results", __name__, url_prefix="/results")
DOSSIERS_SHOWN = 200  # on the page; the CSV has them all


def requested_scope(survey: Survey, code: str | None) -> Agency | None:
    """The agency whose figures are asked for: ``?agency=`` or the user's own scope."""
    if code:
        return require_agency(db.session, current_user, code)
    return scope_root(current_user)


@bp.get("/<int:survey_id>")
@requires("analyse")
def survey(survey_id: int) -> Any:
    found = visible_survey(survey_id)
    return _render(found, requested_scope(found, request.args.get("agency")))


@bp.get("/<int:survey_id>/agencies/<code>")
@requires("analyse")
def agency(survey_id: int, code: str) -> Any:
    found = visible_survey(survey_id)
    return _render(found, require_agency(db.session, current_user, code))


@bp.get("/<int:survey_id>/agencies/<code>/report")
@requires("analyse")
def report(survey_id: int, code: str) -> Any:
    """One agency's printable report (A4; the browser's print gives the PDF)."""
    return _report_page(visible_survey(survey_id), code)


@bp.get("/<int:survey_id>/agencies/<code>/report.pdf")
@requires("analyse")
def report_pdf(survey_id: int, code: str) -> Any:
    """The same report as a PDF file, when WeasyPrint is installed (else 404)."""
    found = visible_survey(survey_id)
    html = _report_page(found, code, pdf=True)
    if not pdf_files.available():
        abort(404)
    return pdf_files.download(html, f"report-{found.id}-{code}.pdf")


def requested_register(survey: Survey) -> tuple[dossiers.Register, Agency | None]:
    """The dossier points of the user's scope, listing ``?agency=`` or the whole scope; a
    404 when the questionnaire scores no points."""
    code = request.args.get("agency")
    listed = require_agency(db.session, current_user, code) if code else None
    register = dossiers.register(
        db.session, survey, scope_root(current_user), current_language(), listed=listed
    )
    if register is None:
        abort(404)
    return register, listed


@bp.get("/<int:survey_id>/dossiers")
@requires("analyse")
def dossiers_page(survey_id: int) -> Any:
    """Per-dossier points: each agency's mean total and bands, and the dossiers listed."""
    found = visible_survey(survey_id)
    register, listed = requested_register(found)
    return render_template(
        "results/dossiers.html",
        survey=found,
        reg=register,
        listed=listed,
        shown=register.dossiers[:DOSSIERS_SHOWN],
        shown_max=DOSSIERS_SHOWN,
    )


def _report_page(found: Survey, code: str, *, pdf: bool = False) -> str:
    target = require_agency(db.session, current_user, code)
    lang = current_language()
    model = dashboard_for(found, target, Filters(), lang)
    return render_template(
        "results/report.html",
        survey=found,
        agency=target,
        r=agency_report.build(db.session, found, target, model, lang),
        d=model,
        rate=dashboard.response_rate(db.session, found, [target]),
        aapor=AaporCategory,
        rate_points_max=agency_report.RATE_POINTS,
        format_date=date_text,
        pdf=pdf,
        pdf_available=pdf_files.available(),
        weights_url=_weights_url(found),
    )


def _weights_url(survey: Survey) -> str | None:
    """The Weights page, for the users who may open it (their scope spans the survey)."""
    if not current_scope().spans(survey) or not surveys.features(survey).citizens:
        return None
    return url_for("weights.page", survey_id=survey.id)


@bp.post("/<int:survey_id>/previous")
@requires("design")
def set_previous(survey_id: int) -> Any:
    """Link the survey to its previous round (the survey page's form)."""
    scope = current_scope()
    found = scope.whole(surveys.get_survey(db.session, survey_id))  # the province's figures
    raw = request.form.get("previous", "")
    chosen = None
    if raw:
        chosen = surveys.get_survey(db.session, int(raw)) if raw.isdigit() else None
        if chosen is None or not scope.spans(chosen):
            flash(_("Previous period: choose one of the surveys listed."), "error")
            return redirect(url_for("surveys.detail", survey_id=found.id), 303)
    try:
        period.set_previous(db.session, found, chosen, actor_id=current_user.id)
    except InputRefused:
        db.session.rollback()
        flash(
            _(
                "Previous period: it must measure the same kind of index "
                "and must not follow this survey."
            ),
            "error",
        )
    else:
        db.session.commit()
        flash(_("Previous period saved.") if chosen else _("Previous period removed."), "success")
    return redirect(url_for("surveys.detail", survey_id=found.id), 303)


@bp.post("/<int:survey_id>/par-points")
@requires("design")
def set_par_points(survey_id: int) -> Any:
    """The PAR INDEX points of the survey (the survey page's form); blank removes them."""
    found = current_scope().whole(surveys.get_survey(db.session, survey_id))
    raw = request.form.get("par_points", "").strip().replace(",", ".")
    try:
        points = float(raw) if raw else None
        results.set_par_points(db.session, found, points, actor_id=current_user.id)
    except ValueError:
        db.session.rollback()
        flash(
            _(
                "PAR INDEX points: “%(text)s” is not a number above 0 and at most %(max)s.",
                text=raw,
                max=results.PAR_POINTS_MAX,
            ),
            "error",
        )
    else:
        db.session.commit()
        flash(_("PAR INDEX points saved.") if points else _("PAR INDEX points removed."), "success")
    return redirect(url_for("surveys.detail", survey_id=found.id), 303)


def result_cache() -> ResultCache:
    """The app's cache of built dashboards (Redis when ``SURVEYAPP_REDIS_URL`` is set)."""
    cache = current_app.extensions.get("surveyapp.result_cache")
    if cache is None:
        cache = ResultCache(current_app.config.get("REDIS_URL"))
        current_app.extensions["surveyapp.result_cache"] = cache
    return cache


def dashboard_for(
    survey: Survey, focus: Agency | None, filters: Filters, lang: str
) -> dashboard.Dashboard:
    """The dashboard of ``focus`` as the current user may see it (:func:`dashboard.page`)."""
    asked = DashboardRequest(
        focus=focus,
        viewer=scope_root(current_user),
        filters=filters,
        lang=lang,
        timezone=current_app.config["BABEL_DEFAULT_TIMEZONE"],
    )
    return dashboard.page(db.session, survey, asked, result_cache())


def _refusal(refused: dashboard_filters.Refused) -> str:
    what = {
        "channel": _("Channel"),
        "field": _("Service field"),
        "from": _("Submitted from"),
        "to": _("Submitted to"),
    }.get(refused.parameter, _("Respondent characteristic"))
    if refused.reason == "order":
        return _("%(filter)s: the end date is before the start date; it was ignored.", filter=what)
    if refused.reason == "date":
        return _(
            "%(filter)s: “%(value)s” is not a date (write YYYY-MM-DD); it was ignored.",
            filter=what,
            value=refused.value,
        )
    return _(
        "%(filter)s: “%(value)s” is not one of the choices; it was ignored.",
        filter=what,
        value=refused.value,
    )


def filter_summary(
    filters: Filters, known: dashboard_filters.FilterChoices
) -> list[tuple[str, str]]:
    """What is filtered, as (filter, value) pairs in the page's language."""
    out = []
    if filters.channel:
        names = {"web": _("Web"), "kiosk": _("Kiosk"), "paper": _("Paper")}
        out.append((_("Channel"), names[filters.channel]))
    if filters.service_field:
        out.append((_("Service field"), filters.service_field))
    if filters.date_from or filters.date_to:
        start = date_text(filters.date_from) if filters.date_from else "…"
        end = date_text(filters.date_to) if filters.date_to else "…"
        out.append((_("Submitted"), f"{start} – {end}"))
    for item, code in filters.traits:
        found = known.characteristic(item)
        if found is not None:
            out.append((found.label, dict(found.options)[code]))
    return out


def _clear_url() -> str:
    """This page with only its agency kept: every other filter off."""
    args: dict[str, Any] = dict(request.view_args or {})
    if request.args.get("agency"):
        args["agency"] = request.args["agency"]
    return url_for(request.endpoint or "results.survey", **args)


def _render(survey: Survey, focus: Agency | None) -> Any:
    lang = current_language()
    known = dashboard_filters.choices(db.session, survey, lang)
    filters, refused = dashboard_filters.parse(request.args, known)
    problems = [_refusal(r) for r in refused]
    model = dashboard_for(survey, focus, filters, lang)
    scope = current_scope()
    choices = scope.agencies(survey)
    rate_agencies = [focus] if focus else choices
    return render_template(
        "results/survey.html",
        survey=survey,
        scope=focus,
        d=model,
        rate=dashboard.response_rate(db.session, survey, rate_agencies),
        voided=surveys.count_voided(db.session, survey, scope, focus),
        aapor=AaporCategory,
        known=known,
        problems=problems,
        summary=filter_summary(filters, known),
        clear_url=_clear_url(),
        agency_choices=choices,
        bar_chart=charts.bar_chart,
        nice_max=charts.nice_max,
        bars=presenter,
        percent_fmt=percent,
        axis_fmt=lambda value: percent(value, 0),
        weights_url=_weights_url(survey),
    ), (400 if problems else 200)
