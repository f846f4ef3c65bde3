"""The designer's questions, with their answer checks, and the answer scales they share.

Routes of the ``designer`` blueprint (``views.designer``).
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from surveyapp.design.services import draft
from surveyapp.design.services.edits import rules
from surveyapp.design.services.edits.structure import ITEM_TYPES, ItemInput, OptionInput
from surveyapp.design.views.designer import (
    bp,
    builder,
    describe_condition,
    describe_rule,
    editor_url,
    errors_by_field,
    flash_problems,
    load,
    page,
    run,
    section_of,
    to_int,
)
from surveyapp.extensions import db
from surveyapp.models import QuestionnaireVersion
from surveyapp.problems import Problem
from surveyapp.security import requires

BLANK_OPTION_ROWS = 3


# --- questions ------------------------------------------------------------------------------


def item_input(form: Any) -> ItemInput:
    """The item form's fields; option rows come as parallel lists."""
    codes = form.getlist("option_code")
    vi = form.getlist("option_vi")
    en = form.getlist("option_en")
    points = form.getlist("option_points")
    missing = set(form.getlist("option_missing"))
    rows = [
        OptionInput(
            code=codes[i] if i < len(codes) else "",
            label_vi=vi[i] if i < len(vi) else "",
            label_en=en[i] if i < len(en) else "",
            missing=str(i) in missing,
            points=points[i] if i < len(points) else "",
        )
        for i in range(max(len(codes), len(vi), len(en)))
    ]
    return ItemInput(
        id=form.get("id", "").strip(),
        type=form.get("type", ""),
        label_vi=form.get("label_vi", ""),
        label_en=form.get("label_en", ""),
        hint_vi=form.get("hint_vi", ""),
        hint_en=form.get("hint_en", ""),
        required=form.get("required") == "1",
        scale="" if form.get("answers") == "options" else form.get("scale", ""),
        options=rows,
        min=form.get("min", ""),
        max=form.get("max", ""),
    )


def item_values(item: dict[str, Any]) -> ItemInput:
    """A stored item as the form shows it."""

    def text(value: Any) -> str:
        return "" if value is None else str(value)

    return ItemInput(
        id=item["id"],
        type=item["type"],
        label_vi=item.get("label", {}).get("vi", ""),
        label_en=item.get("label", {}).get("en", ""),
        hint_vi=item.get("hint", {}).get("vi", ""),
        hint_en=item.get("hint", {}).get("en", ""),
        required=bool(item.get("required")),
        scale=item.get("scale", ""),
        options=[
            OptionInput(
                str(o["code"]),
                o["label"].get("vi", ""),
                o["label"].get("en", ""),
                bool(o.get("missing")),
                "" if o.get("points") is None else str(o["points"]),
            )
            for o in item.get("options", [])
        ],
        min=text(item.get("min")),
        max=text(item.get("max")),
    )


def _item_page(
    version: QuestionnaireVersion, values: ItemInput, problems: list[Problem], **context: Any
) -> str:
    rows = [*values.options, *[OptionInput("", "") for _ in range(BLANK_OPTION_ROWS)]]
    return page(
        "designer/item.html",
        version,
        values=values,
        option_rows=rows,
        # a points column only where points are used: the rest of the time it is noise
        with_points="points" in version.document.get("framework", {})
        or any(o.points for o in values.options),
        item_types=ITEM_TYPES,
        errors=errors_by_field(problems),
        problems=[p for p in problems if "[" in p.where or p.where == "$"],
        **context,
    )


@bp.route("/<key>/<int:number>/sections/<section_id>/new", methods=["GET", "POST"])
@requires("design")
def new_item(key: str, number: int, section_id: str) -> Any:
    version = load(key, number, edit=True)
    section = section_of(version, section_id)
    problems: list[Problem] = []
    if request.method == "POST":
        values = item_input(request.form)
        item_id, problems = run(
            lambda: draft.add_item(db.session, version, current_user.id, section_id, values)
        )
        if not problems:
            flash(_("Question added."), "success")
            if request.form.get("then") == "another":
                return redirect(
                    url_for(".new_item", key=key, number=number, section_id=section_id), 303
                )
            return redirect(editor_url(version, f"item-{item_id}"), 303)
    else:
        kind = request.args.get("type", "likert")
        scales = list(version.document.get("scales", {}))
        values = ItemInput(
            id="",
            type=kind if kind in ITEM_TYPES else "likert",
            label_vi="",
            scale=scales[0] if scales and kind == "likert" else "",
        )
    return _item_page(version, values, problems, section=section, item=None, checks=None)


@bp.route("/<key>/<int:number>/items/<item_id>", methods=["GET", "POST"])
@requires("design")
def item(key: str, number: int, item_id: str) -> Any:
    version = load(key, number, edit=request.method == "POST")
    current = _item(version, item_id)
    problems: list[Problem] = []
    if request.method == "POST":
        values = item_input(request.form)
        saved_id, problems = run(
            lambda: draft.update_item(db.session, version, current_user.id, item_id, values)
        )
        if not problems:
            flash(_("Saved."), "success")
            return redirect(editor_url(version, f"item-{saved_id}"), 303)
    else:
        values = item_values(current)
    return _item_page(version, values, problems, **_question(version, current))


def _question(
    version: QuestionnaireVersion, item: dict[str, Any], problems: list[Problem] | None = None
) -> dict[str, Any]:
    """The parts of a question's page beside its form: when shown, and its answer checks.

    ``?check=N|new&item=ID`` opens the condition builder of one check on the chosen item.
    """
    context: dict[str, Any] = {
        "item": item,
        "rule_text": describe_rule(version, item.get("show_when")),
        "checks": None,
    }
    if item["type"] == "info":
        return context
    chosen = request.values.get("check", "")
    return {
        **context,
        "checks": [
            {
                "rule": check.get("rule"),
                "logic": rules.read(check.get("rule")),
                "text": describe_rule(version, check.get("rule")),
                "message": check.get("message", {}),
            }
            for check in item.get("checks", [])
        ],
        "chosen_check": chosen,
        "b": builder(
            version, "check", item["id"], request.values.get("item", "") if chosen else ""
        ),
        "describe": lambda condition: describe_condition(version, condition),
        "check_problems": problems or [],
        "check_errors": errors_by_field(problems or []),
        "failed": request.form.get("operation", "") if problems else "",
        "form": request.values,  # what was typed: a refused POST, or the builder's GET
    }


# Form fields each change of the checks takes; "value" (a list), "check" and "index"
# (numbers) are read apart.
CHECK_FIELDS: dict[str, tuple[str, ...]] = {
    "add": ("message_vi", "message_en", "item", "op"),
    "add_condition": ("item", "op", "combine"),
    "remove_condition": (),
    "combine": ("combine",),
    "message": ("message_vi", "message_en"),
    "delete": (),
}


@bp.post("/<key>/<int:number>/items/<item_id>/checks")
@requires("design")
def checks(key: str, number: int, item_id: str) -> Any:
    """One change of the question's answer checks; refused, the page says why in place."""
    version = load(key, number, edit=True)
    current = _item(version, item_id)
    operation = request.form.get("operation", "")
    if operation not in CHECK_FIELDS:
        abort(400)
    fields: dict[str, Any] = {name: request.form.get(name, "") for name in CHECK_FIELDS[operation]}
    if operation in ("add", "add_condition"):
        fields["values"] = request.form.getlist("value")
    if operation != "add":
        fields["check"] = to_int(request.form.get("check", ""))
    if operation == "remove_condition":
        fields["index"] = to_int(request.form.get("index", ""))
    _result, problems = run(
        lambda: draft.edit_checks(
            db.session, version, current_user.id, operation, item_id, **fields
        )
    )
    if not problems:
        flash(_("Saved."), "success")
        return redirect(
            url_for(".item", key=key, number=number, item_id=item_id, _anchor="checks"), 303
        )
    current = _item(version, item_id)  # as stored: the refused change was rolled back
    return _item_page(version, item_values(current), [], **_question(version, current, problems))


def _item(version: QuestionnaireVersion, item_id: str) -> dict[str, Any]:
    for found in version.document.get("sections", []):
        for entry in found.get("items", []):
            if entry["id"] == item_id:
                return dict(entry)
    abort(404)


@bp.post("/<key>/<int:number>/items/<item_id>/move")
@requires("design")
def move_item(key: str, number: int, item_id: str) -> Any:
    version = load(key, number, edit=True)
    direction = request.form.get("direction", "")
    _result, problems = run(
        lambda: draft.move_item(db.session, version, current_user.id, item_id, direction)
    )
    flash_problems(problems)
    return redirect(editor_url(version, f"item-{item_id}"), 303)


@bp.post("/<key>/<int:number>/items/<item_id>/delete")
@requires("design")
def delete_item(key: str, number: int, item_id: str) -> Any:
    version = load(key, number, edit=True)
    _result, problems = run(
        lambda: draft.delete_item(db.session, version, current_user.id, item_id)
    )
    flash_problems(problems)
    if not problems:
        flash(_("Question deleted."), "success")
    return redirect(editor_url(version), 303)


# --- answer scales --------------------------------------------------------------------------


@bp.route("/<key>/<int:number>/scales/", methods=["GET", "POST"], defaults={"scale_id": None})
@bp.route("/<key>/<int:number>/scales/<scale_id>", methods=["GET", "POST"])
@requires("design")
def scale(key: str, number: int, scale_id: str | None) -> Any:
    version = load(key, number, edit=request.method == "POST")
    scales = version.document.get("scales", {})
    if scale_id is not None and scale_id not in scales:
        abort(404)
    problems: list[Problem] = []
    if request.method == "POST":
        if request.form.get("action") == "delete" and scale_id is not None:
            _result, problems = run(
                lambda: draft.delete_scale(db.session, version, current_user.id, scale_id)
            )
            if not problems:
                flash(_("Scale deleted."), "success")
                return redirect(url_for(".scale", key=key, number=number), 303)
        else:
            values = item_input(request.form)
            name_vi, name_en = request.form.get("name_vi", ""), request.form.get("name_en", "")
            saved, problems = run(
                lambda: draft.set_scale(
                    db.session,
                    version,
                    current_user.id,
                    scale_id,
                    name_vi=name_vi,
                    name_en=name_en,
                    options=values.options,
                )
            )
            if not problems:
                flash(_("Saved."), "success")
                return redirect(url_for(".scale", key=key, number=number, scale_id=saved), 303)
        options = item_input(request.form).options
        name = {"vi": request.form.get("name_vi", ""), "en": request.form.get("name_en", "")}
    else:
        current = scales.get(scale_id, {}) if scale_id else {}
        options = item_values({"id": "", "type": "single", **current}).options
        name = dict(current.get("label", {}))
    rows = [
        *options,
        *[OptionInput("", "") for _ in range(BLANK_OPTION_ROWS + (2 if not options else 0))],
    ]
    return page(
        "designer/scales.html",
        version,
        scales=scales,
        scale_id=scale_id,
        name=name,
        option_rows=rows,
        errors=errors_by_field(problems),
        users={
            sid: [
                i["id"]
                for s in version.document["sections"]
                for i in s["items"]
                if i.get("scale") == sid
            ]
            for sid in scales
        },
    )
