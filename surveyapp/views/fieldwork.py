"""Fieldwork: issuing invitation links."""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import Blueprint, Response, current_app, flash, redirect, url_for
from flask_login import current_user

from surveyapp.extensions import db
from surveyapp.forms.staff import InviteForm
from surveyapp.security import requires
from surveyapp.services import agencies, invitations
from surveyapp.services.problems import InputRefused
from surveyapp.views.surveys import agency_choices, visible_survey

bp = Blueprint("fieldwork", __name__, url_prefix="/surveys")


@bp.post("/<int:survey_id>/invitations")
@requires("field")
def invite(survey_id: int) -> Any:
    """Make links and hand them over once, as a CSV: the tokens are not kept."""
    survey = visible_survey(survey_id)
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
            agencies.by_codes(db.session, [form.agency.data or ""])[0],
            form.count.data or 0,
            base_url=current_app.config["BASE_URL"],
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
    name = f"survey-{survey.id}-{form.agency.data}-invitations.csv"
    return Response(
        "\ufeff" + buffer.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
