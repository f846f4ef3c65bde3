"""Reaching the sample: letters, gateway CSVs, e-mail, reminders, dispositions, monitoring."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from surveyapp import charts
from surveyapp.extensions import db
from surveyapp.fieldwork.services import invitations, letters, mailer, monitoring, outreach
from surveyapp.fieldwork.services.invitations import Batch
from surveyapp.i18n import current_language, percent
from surveyapp.models import Agency, Disposition, Survey
from surveyapp.models._types import utcnow
from surveyapp.problems import InputRefused
from surveyapp.qr import qr_svg
from surveyapp.security import current_scope, requires, visible_survey
from surveyapp.surveys.services import surveys

bp = Blueprint("outreach", __name__, url_prefix="/surveys")
MAX_REMINDER = 20
REFRESH_SECONDS = 60


def _invited_survey(survey_id: int) -> Survey:
    """A survey that invites a drawn sample, seen by the user; else 404."""
    survey = visible_survey(survey_id)
    if not surveys.features(survey).invitations:
        abort(404)
    return survey


def _batch(survey: Survey, values: Any) -> tuple[Batch, Agency | None]:
    """The batch a request asks for (``agency``, ``reminder``, ``all``, ``upto``).

    An agency outside the survey or the user's scope is a 404, as for unknown ones.
    """
    scope = current_scope()
    code = (values.get("agency") or "").strip()
    agency = scope.survey_agency(survey, code) if code else None
    agency_ids = [agency.id] if agency is not None else scope.agency_ids(survey)
    reminder = _int(values.get("reminder"), 0, MAX_REMINDER)
    upto = _int(values.get("upto"), 1, 2**62) if values.get("upto") else None
    batch = Batch(survey.id, agency_ids, reminder, values.get("all") == "1", upto)
    return batch, agency


def _int(text: str | None, low: int, high: int) -> int:
    try:
        value = int(text or low)
    except ValueError:
        abort(400)
    if not low <= value <= high:
        abort(400)
    return value


def _minutes(survey: Survey) -> int:
    return int(survey.version.document.get("estimated_minutes", 10))


def _query(batch: Batch, agency: Agency | None, **extra: Any) -> dict[str, Any]:
    """The URL arguments that ask for ``batch`` again."""
    args: dict[str, Any] = {"reminder": batch.reminder} if batch.reminder else {}
    if agency is not None:
        args["agency"] = agency.code
    if batch.include_sent:
        args["all"] = "1"
    return {**args, **extra}


@bp.get("/<int:survey_id>/outreach")
@requires("field")
def index(survey_id: int) -> Any:
    survey = _invited_survey(survey_id)
    batch, agency = _batch(survey, request.args)
    rates = monitoring.fieldwork_rates(db.session, survey.id, batch.agency_ids)
    return render_template(
        "outreach/index.html",
        survey=survey,
        agencies=current_scope().agencies(survey),
        agency=agency,
        batch=batch,
        rates=rates.overall,
        order=monitoring.DISPOSITION_ORDER,
        reach=letters.reach(db.session, batch),
        upto=invitations.batch_last(db.session, batch),
        next_reminder=invitations.next_reminder(db.session, survey.id),
        smtp=bool(current_app.config.get("SMTP_URL")),
        query=_query(batch, agency),
        staff_dispositions=invitations.STAFF_DISPOSITIONS,
        label=disposition_label,
    )


@bp.get("/<int:survey_id>/letters")
@requires("field")
def letters_page(survey_id: int) -> Any:
    """Printable letters, one per page; marking them sent is a separate, confirmed step."""
    survey = _invited_survey(survey_id)
    batch, agency = _batch(survey, request.args)
    after = _int(request.args.get("after"), 0, 2**62)
    run = letters.letter_run(
        db.session,
        survey,
        batch,
        links=invitations.Links.of(current_app.config),
        after=after,
    )
    paper = request.args.get("paper", "a5")
    if paper not in ("a5", "a4"):
        abort(400)
    return render_template(
        "outreach/letters.html",
        survey=survey,
        paper=paper,
        qr=qr_svg,
        agency=agency,
        agencies=current_scope().agencies(survey),
        spans=current_scope().spans(survey),
        run=run,
        minutes=_minutes(survey),
        short_base=_short_base(current_app.config["BASE_URL"]),
        query=_query(batch, agency),
    )


def _short_base(base_url: str) -> str:
    """The link as people type it: no scheme (``khaosat.example.gov.vn/s/``)."""
    parts = urlsplit(base_url)
    return f"{parts.netloc}{parts.path.rstrip('/')}/s/"


@bp.post("/<int:survey_id>/letters/done")
@requires("field")
def mark_done(survey_id: int) -> Any:
    """Confirmed by the user: the batch's letters or messages went out."""
    survey = _invited_survey(survey_id)
    batch, agency = _batch(survey, request.form)
    back = url_for(".index", survey_id=survey.id, **_query(batch, agency))
    if batch.upto is None:
        abort(400)
    if request.form.get("confirm") != "yes":
        flash(_("Tick the box to confirm that these letters or messages went out."), "error")
        return redirect(back, 303)
    after = _int(request.form.get("after"), 0, 2**62)
    moved = invitations.mark_done(
        db.session, survey, batch, after=after, now=utcnow(), actor_id=current_user.id
    )
    db.session.commit()
    if batch.reminder:
        message = ngettext(
            "%(num)s invitation marked as reminded.",
            "%(num)s invitations marked as reminded.",
            moved,
        )
    else:
        message = ngettext(
            "%(num)s invitation marked as sent.", "%(num)s invitations marked as sent.", moved
        )
    flash(message, "success")
    return redirect(back, 303)


@bp.get("/<int:survey_id>/outreach/messages.csv")
@requires("field")
def messages_csv(survey_id: int) -> Any:
    """Phone, e-mail, name, link and message text for an SMS or e-mail gateway."""
    survey = _invited_survey(survey_id)
    batch, agency = _batch(survey, request.args)
    run = letters.letter_run(
        db.session,
        survey,
        batch,
        links=invitations.Links.of(current_app.config),
        limit=invitations.MAX_BATCH,
    )
    if not run.letters or run.without_contact == len(run.letters):
        if run.letters:
            flash(
                _(
                    "None of these %(num)s invitations has a phone number or e-mail address: "
                    "the contact details were purged after fieldwork, or the frame had none. "
                    "Print letters instead.",
                    num=len(run.letters),
                ),
                "error",
            )
        else:
            flash(_("There is nothing to send in this selection."), "error")
        return redirect(url_for(".index", survey_id=survey.id, **_query(batch, agency)), 303)
    kind = f"reminder-{batch.reminder}" if batch.reminder else "invitations"
    name = f"survey-{survey.id}-{agency.code if agency else 'all'}-{kind}-messages.csv"
    return Response(
        letters.gateway_csv(run.letters, _minutes(survey)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.post("/<int:survey_id>/outreach/email")
@requires("field")
def email(survey_id: int) -> Any:
    survey = _invited_survey(survey_id)
    batch, agency = _batch(survey, request.form)
    back = url_for(".index", survey_id=survey.id, **_query(batch, agency))
    try:
        rounds = outreach.email_rounds(
            db.session, survey, batch, current_app.config, actor_id=current_user.id
        )
    except mailer.SmtpNotConfigured as error:
        return render_template(
            "outreach/no_smtp.html", survey=survey, reason=str(error), back=back
        ), 200
    if request.form.get("confirm") != "yes":
        flash(_("Tick the box to confirm sending the e-mails."), "error")
        return redirect(back, 303)
    done = next(rounds)  # one round a request; sending again continues
    db.session.commit()
    flash(_("E-mails sent: %(num)s.", num=len(done.delivery.sent)), "success")
    for number, reason in done.delivery.failed[:10]:
        flash(
            _("Invitation #%(number)s not sent: %(reason)s", number=number, reason=reason), "error"
        )
    if done.more:
        flash(_("More invitations remain in this selection: send again to continue."), "success")
    return redirect(back, 303)


@bp.post("/<int:survey_id>/dispositions")
@requires("field")
def disposition(survey_id: int) -> Any:
    """Record refused, ineligible or unreachable, found by dossier code or number."""
    survey = _invited_survey(survey_id)
    back = url_for(".index", survey_id=survey.id)
    reference = request.form.get("reference", "")
    try:
        chosen = Disposition(request.form.get("disposition", ""))
    except ValueError:
        flash(_("Choose what happened: refused, ineligible or unreachable."), "error")
        return redirect(back, 303)
    try:
        invitation = invitations.find_invitation(db.session, survey, reference)
        if not current_scope().covers(invitation.agency):
            raise InputRefused([])  # another agency's invitation looks like none
        invitations.record_disposition(
            db.session,
            invitation,
            chosen,
            actor_id=current_user.id,
            note=request.form.get("note", ""),
        )
    except invitations.AlreadyComplete:
        db.session.rollback()
        flash(_("This invitation is already complete: its answer stays counted."), "error")
        return redirect(back, 303)
    except invitations.AmbiguousReference:
        flash(
            _(
                '"%(ref)s" is both a dossier code and an invitation number: '
                "write the invitation number as #%(ref)s.",
                ref=reference.strip(),
            ),
            "error",
        )
        return redirect(back, 303)
    except InputRefused:
        db.session.rollback()
        flash(_('No invitation of this survey matches "%(ref)s".', ref=reference.strip()), "error")
        return redirect(back, 303)
    db.session.commit()
    flash(
        _(
            "Invitation #%(number)s recorded as %(disposition)s.",
            number=invitation.id,
            disposition=disposition_label(chosen),
        ),
        "success",
    )
    return redirect(back, 303)


def disposition_label(disposition: Disposition) -> str:
    labels = {
        Disposition.NOT_SENT: _("Not sent"),
        Disposition.SENT: _("Sent"),
        Disposition.OPENED: _("Opened"),
        Disposition.PARTIAL: _("Partly answered"),
        Disposition.COMPLETE: _("Complete"),
        Disposition.REFUSED: _("Refused"),
        Disposition.INELIGIBLE: _("Ineligible"),
        Disposition.UNREACHABLE: _("Unreachable"),
    }
    return labels[disposition]


@bp.get("/<int:survey_id>/monitoring")
@requires("analyse")
def monitoring_page(survey_id: int) -> Any:
    """Live fieldwork: counts by disposition and RR1/RR2; the page reloads itself."""
    scope = current_scope()
    survey = _invited_survey(survey_id)
    visible = scope.agencies(survey)
    rates = monitoring.fieldwork_rates(db.session, survey.id, scope.agency_ids(survey))
    lang = current_language()
    names = {a.code: a.name(lang) for a in visible}
    bars = [charts.Bar(names.get(code, code), r.rr2) for code, r in rates.agencies.items()]
    chart = charts.bar_chart(
        bars,
        chart_id="rr-agencies",
        title=_("Response rate (RR2) by agency"),
        desc=_("Horizontal bars, one per agency; the figures are in the table below."),
        fmt=percent,
        axis_fmt=lambda v: percent(v, 0),
        suppressed_note=_("no invitations"),
    )
    return render_template(
        "outreach/monitoring.html",
        survey=survey,
        rates=rates,
        voided=surveys.count_voided(db.session, survey, scope),
        names=names,
        spans=scope.spans(survey),
        chart=chart,
        order=monitoring.DISPOSITION_ORDER,
        label=disposition_label,
        categories=monitoring.AAPOR_CATEGORY,
        C=monitoring.AaporCategory,
        D=Disposition,
        refresh=REFRESH_SECONDS,
        updated=utcnow(),
    )
