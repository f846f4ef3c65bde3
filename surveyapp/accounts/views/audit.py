"""The audit log page and its CSV: admins read everything, province analysts the trail of
their surveys."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from surveyapp.accounts.services import admin, audit
from surveyapp.extensions import db
from surveyapp.i18n import datetime_text
from surveyapp.security import current_scope
from surveyapp.surveys.forms import parse_day
from surveyapp.surveys.services import surveys

bp = Blueprint("audit", __name__)


@bp.app_context_processor
def _menu() -> dict[str, Any]:
    return {"reads_audit": audit.reads_audit}


@bp.get("/audit")
@login_required
def index() -> Any:
    _may_read()
    filters, problems = _filters()
    before = request.args.get("before", "")
    rows, older = audit.events(
        db.session, current_user, filters, before_id=int(before) if before.isdigit() else None
    )
    return render_template(
        "audit/index.html",
        rows=rows,
        older=older,
        filters=filters,
        problems=problems,
        kinds=audit.KINDS,
        kind_of=audit.kind_of,
        detail_text=detail_text,
        survey_choices=surveys.list_surveys(db.session, current_scope()),
        people=admin.list_users(db.session) if current_user.role.value == "admin" else [],
        query={k: v for k, v in request.args.items() if k != "before" and v},
    )


@bp.get("/audit.csv")
@login_required
def download() -> Any:
    _may_read()
    filters, _problems = _filters()

    def lines() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=audit.COLUMNS)
        writer.writeheader()
        for number, row in enumerate(audit.all_rows(db.session, current_user, filters)):
            writer.writerow(row)
            if number % 500 == 0:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    return Response(
        ["\ufeff", *lines()],  # a BOM, so that Excel reads the UTF-8
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="audit.csv"'},
    )


def _may_read() -> None:
    if not audit.reads_audit(current_user):
        abort(403)


def _filters() -> tuple[audit.Filters, list[str]]:
    """The page's filters from its query string; a wrong one is named and left out."""
    args, problems = request.args, []

    def not_a_choice(label: str, value: str) -> None:
        problems.append(
            _(
                "%(filter)s: “%(value)s” is not one of the choices; it was ignored.",
                filter=label,
                value=value,
            )
        )

    def number(name: str, label: str) -> int | None:
        raw = args.get(name, "")
        if raw and not (raw.isdigit() and len(raw) < 10):
            not_a_choice(label, raw)
            return None
        return int(raw) if raw else None

    def day(name: str, label: str) -> Any:
        try:
            return parse_day(args.get(name, ""))
        except ValueError:
            problems.append(
                _(
                    "%(filter)s: “%(value)s” is not a date (write YYYY-MM-DD); it was ignored.",
                    filter=label,
                    value=args.get(name),
                )
            )
            return None

    kind = args.get("kind") or None
    if kind is not None and kind not in audit.KINDS:
        not_a_choice(_("Kind"), kind)
        kind = None
    since, until = day("since", _("From")), day("until", _("To"))
    if since and until and until < since:
        problems.append(
            _("%(filter)s: the end date is before the start date; it was ignored.", filter=_("To"))
        )
        until = None
    filters = audit.Filters(
        survey_id=number("survey", _("Survey")),
        actor_id=number("actor", _("Person")),
        kind=kind,
        since=since,
        until=until,
    )
    return filters, problems


def detail_text(value: Any) -> str:
    """An event's detail as a person reads it: a stored moment (ISO, UTC) in Vietnam time."""
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and "T" in value:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        if moment.tzinfo is not None:
            return datetime_text(moment)
    return str(value)
