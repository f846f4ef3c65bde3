"""The staff home page: surveys and where they stand."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template
from flask_login import login_required

from surveyapp.extensions import db
from surveyapp.security import can
from surveyapp.services import surveys

bp = Blueprint("home", __name__)


@bp.app_context_processor
def _permissions() -> dict[str, Any]:
    return {"can": can}


@bp.get("/")
@login_required
def index() -> Any:
    rows = [(s, surveys.count_submitted(db.session, s)) for s in surveys.list_surveys(db.session)]
    return render_template("home/index.html", rows=rows)
