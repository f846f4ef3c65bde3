"""The survey's fieldwork page, the contacts purge, invitation links (fieldwork blueprint)."""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import (
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
from flask_login import current_user

from surveyapp.extensions import db
from surveyapp.fieldwork.forms import PurgeContactsForm
from surveyapp.fieldwork.services import invitations, sampling
from surveyapp.fieldwork.services.frames import imports as frames
from surveyapp.fieldwork.views.fieldwork import bp, managed_survey
from surveyapp.forms.staff import InviteForm, agency_choices
from surveyapp.problems import InputRefused
from surveyapp.security import current_scope, requires, visible_survey
from surveyapp.surveys.services import surveys


@bp.get("/<int:survey_id>/fieldwork")
@requires("field")
def overview(survey_id: int) -> Any:
    survey = managed_survey(survey_id)
    return render_template(
        "fieldwork/overview.html",
        survey=survey,
        frame_size=frames.frame_size(db.session, survey),
        contacts=frames.contact_count(db.session, survey),
        purged_at=frames.contacts_purged_at(db.session, survey),
        sample=sampling.current_sample(db.session, survey),
        purge_form=PurgeContactsForm(),
    )


@bp.post("/<int:survey_id>/fieldwork/contacts/purge")
@requires("field")
def purge_contacts(survey_id: int) -> Any:
    survey = managed_survey(survey_id)
    form = PurgeContactsForm()
    if not form.validate_on_submit():
        flash(_("Tick the box to confirm that the contact details may be deleted."), "error")
        return redirect(url_for(".overview", survey_id=survey.id), 303)
    removed = frames.purge_contacts(db.session, survey, actor_id=current_user.id)
    db.session.commit()
    flash(_("Contact details deleted: %(count)s rows.", count=removed), "success")
    return redirect(url_for(".overview", survey_id=survey.id), 303)


@bp.post("/<int:survey_id>/invitations")
@requires("field")
def invite(survey_id: int) -> Any:
    """Make links and hand them over once, as a CSV: the tokens are not kept."""
    survey = visible_survey(survey_id)
    if not surveys.features(survey).invitations:
        abort(404)
    agency = current_scope().survey_agency(survey, request.form.get("agency", ""))
    form = InviteForm()
    form.agency.choices = agency_choices(survey)
    if not form.validate_on_submit():
        for field_errors in form.errors.values():
            for message in field_errors:
                flash(str(message), "error")
        return redirect(url_for("surveys.detail", survey_id=survey.id), 303)
    try:
        links = invitations.create_invitations(
            db.session,
            survey,
            agency,
            form.count.data or 0,
            links=invitations.Links.of(current_app.config),
            actor_id=current_user.id,
        )
    except InputRefused as refused:
        db.session.rollback()
        for problem in refused.problems:
            flash(str(problem), "error")
        return redirect(url_for("surveys.detail", survey_id=survey.id), 303)
    db.session.commit()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["token", "url", "agency"])
    writer.writerows([link.token, link.url, link.agency_code] for link in links)
    name = f"survey-{survey.id}-{agency.code}-invitations.csv"
    return Response(
        "\ufeff" + buffer.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
