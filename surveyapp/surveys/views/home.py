"""The staff home page: surveys and where they stand."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, login_required

from surveyapp.extensions import db
from surveyapp.models import Role
from surveyapp.models._types import utcnow
from surveyapp.security import can, current_scope
from surveyapp.surveys.services import rounds, surveys

bp = Blueprint("home", __name__)


@bp.app_context_processor
def _permissions() -> dict[str, Any]:
    return {
        "can": can,
        "features": surveys.features,
        "round_of": lambda survey: rounds.of(survey, utcnow()),
    }


@bp.get("/")
@login_required
def index() -> Any:
    if current_user.role is Role.OFFICIAL:  # officials only rate agencies: their list is home
        return redirect(url_for("officials.assigned"), 303)
    scope = current_scope()
    rows = [
        (s, surveys.count_submitted(db.session, s, scope))
        for s in surveys.list_surveys(db.session, scope)
    ]
    return render_template("home/index.html", rows=rows)
