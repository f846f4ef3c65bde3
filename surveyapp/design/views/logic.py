"""The designer's skip logic: when an item or a section is shown.

Routes of the ``designer`` blueprint (``views.designer``, which also holds the condition
builder this page shares with the answer checks of ``items``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from surveyapp.design.services import skip_logic
from surveyapp.design.services.edits import rules
from surveyapp.design.services.edits.common import NotInDocument
from surveyapp.design.views.designer import (
    bp,
    builder,
    describe_condition,
    describe_rule,
    errors_by_field,
    load,
    page,
    run,
    to_int,
)
from surveyapp.extensions import db
from surveyapp.problems import Problem
from surveyapp.security import requires

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
            "add": lambda: skip_logic.add_condition(
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
            "remove": lambda: skip_logic.remove_condition(
                db.session,
                version,
                actor,
                which,
                target_id,
                to_int(request.form.get("index", "")),
            ),
            "combine": lambda: skip_logic.set_combine(
                db.session, version, actor, which, target_id, request.form.get("combine", "")
            ),
            "clear": lambda: skip_logic.clear_rule(db.session, version, actor, which, target_id),
        }
        if action not in calls:
            abort(400)
        _result, problems = run(calls[action])
        if not problems:
            flash(_("Saved."), "success")
            return redirect(here, 303)
    try:
        owner = rules.target(version.document, which, target_id)
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
        current=rules.read(owner.get("show_when")),
        describe=lambda condition: describe_condition(version, condition),
        rule_text=describe_rule(version, owner.get("show_when")),
        b=found,
        errors=errors_by_field(problems),
        problems=problems,
    )
