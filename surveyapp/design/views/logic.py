"""The designer's rule builder: when an item or a section is shown (here), and the
conditions of an item's answer checks (on the question's page, ``designer_items``).

Routes of the ``designer`` blueprint (``design/views/designer.py``), kept apart to stay readable.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from surveyapp.design.services import designer
from surveyapp.design.services import logic as design_logic
from surveyapp.design.services.edits import NotInDocument
from surveyapp.design.views.designer import (
    bp,
    describe_condition,
    describe_rule,
    errors_by_field,
    load,
    page,
    run,
)
from surveyapp.extensions import db
from surveyapp.models import QuestionnaireVersion
from surveyapp.problems import Problem
from surveyapp.security import requires

# --- skip logic -----------------------------------------------------------------------------

KINDS = {"items": "item", "sections": "section"}


@bp.route(
    "/<key>/<int:number>/<any(items, sections):kind>/<target_id>/logic", methods=["GET", "POST"]
)
@requires("design")
def logic(key: str, number: int, kind: str, target_id: str) -> Any:
    version = load(key, number, edit=request.method == "POST")
    which = KINDS[kind]
    here = url_for(".logic", key=key, number=number, kind=kind, target_id=target_id)
    problems: list[Problem] = []
    if request.method == "POST":
        action = request.form.get("action", "")
        actor = current_user.id
        calls: dict[str, Callable[[], Any]] = {
            "add": lambda: designer.add_condition(
                db.session,
                version,
                actor,
                which,
                target_id,
                item=request.form.get("item", ""),
                op=request.form.get("op", ""),
                values=request.form.getlist("value"),
                combine=request.form.get("combine", "all"),
            ),
            "remove": lambda: designer.remove_condition(
                db.session,
                version,
                actor,
                which,
                target_id,
                to_int(request.form.get("index", "")),
            ),
            "combine": lambda: designer.set_combine(
                db.session, version, actor, which, target_id, request.form.get("combine", "")
            ),
            "clear": lambda: designer.clear_rule(db.session, version, actor, which, target_id),
        }
        if action not in calls:
            abort(400)
        _result, problems = run(calls[action])
        if not problems:
            flash(_("Saved."), "success")
            return redirect(here, 303)
    try:
        owner = design_logic.target(version.document, which, target_id)
        found = builder(version, which, target_id, request.values.get("item", ""))
    except NotInDocument:
        abort(404)
    return page(
        "designer/logic.html",
        version,
        kind=kind,
        which=which,
        target=owner,
        target_id=target_id,
        current=design_logic.read(owner.get("show_when")),
        describe=lambda condition: describe_condition(version, condition),
        rule_text=describe_rule(version, owner.get("show_when")),
        b=found,
        errors=errors_by_field(problems),
        problems=problems,
    )


@dataclass(frozen=True)
class Builder:
    """What the condition builder offers (``_macros.html`` renders it): the items a rule
    may name and, once one is chosen, its operators and answers."""

    sources: list[dict[str, Any]]
    source: dict[str, Any] | None
    operators: list[str]
    operator_names: dict[str, Any]
    source_options: list[dict[str, Any]]


def builder(version: QuestionnaireVersion, kind: str, target_id: str, chosen: str) -> Builder:
    sources = design_logic.earlier_items(version.document, kind, target_id)
    source = next((i for i in sources if i["id"] == chosen), None)
    return Builder(
        sources=sources,
        source=source,
        operators=design_logic.operators_for(source) if source else [],
        operator_names=design_logic.OPERATORS,
        source_options=design_logic.options_of(version.document, source) if source else [],
    )


def to_int(text: str) -> int:
    """A form's index as a number; -1 (never an index) when it is not one."""
    return int(text) if text.strip().lstrip("-").isdigit() else -1
