"""The designer's questionnaire list, new questionnaires, the editor, details and sections.

Routes of the ``designer`` blueprint (``views.designer``).
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from surveyapp.design.services import creation, designer, draft
from surveyapp.design.views.designer import (
    bp,
    describe_rule,
    editor_url,
    errors_by_field,
    flash_problems,
    load,
    page,
    run,
    scope,
    section_of,
)
from surveyapp.extensions import db
from surveyapp.i18n import current_language
from surveyapp.models._types import utcnow
from surveyapp.problems import Problem
from surveyapp.questionnaire.templates import list_templates
from surveyapp.security import requires

# --- the list, creating and copying ---------------------------------------------------------


BLANK_FIELDS = ("key", "title_vi", "title_en", "languages", "audience")


@bp.get("/")
@requires("design")
def index() -> Any:
    return index_page({"languages": "vi,en", "audience": "citizen"}, [])


def index_page(blank: dict[str, str], problems: list[Problem]) -> str:
    """The list, with the forms to start one; ``blank`` is what the blank form shows."""
    lang = current_language()
    rows = [
        (q, designer.latest(q), designer.owner_name(db.session, q, lang) or _("Shared"))
        for q in designer.list_questionnaires(db.session, scope())
        if q.versions
    ]
    return render_template(
        "designer/index.html",
        rows=rows,
        templates=list_templates(),
        blank=blank,
        errors=errors_by_field(problems),
    )


@bp.post("/blank")
@requires("design")
def create_blank() -> Any:
    values = {f: request.form.get(f, "") for f in BLANK_FIELDS}
    version, problems = run(
        lambda: creation.create_blank(
            db.session, scope(), **values, actor_id=current_user.id, now=utcnow()
        )
    )
    if problems:
        return index_page(values, problems)
    flash(_("Your blank questionnaire is ready: add its first question."), "success")
    return redirect(
        url_for(".new_item", key=version.questionnaire.key, number=1, section_id="s1"), 303
    )


@bp.post("/create")
@requires("design")
def create() -> Any:
    template = request.form.get("template", "")
    version, problems = run(
        lambda: creation.create_from_template(
            db.session, scope(), template, actor_id=current_user.id, now=utcnow()
        )
    )
    if problems:
        flash_problems(problems)
        return redirect(url_for(".index"), 303)
    flash(_("Your copy is ready to edit."), "success")
    return redirect(editor_url(version), 303)


@bp.post("/<key>/<int:number>/copy")
@requires("design")
def copy(key: str, number: int) -> Any:
    source = load(key, number)
    version, _problems = run(
        lambda: creation.copy_questionnaire(
            db.session, scope(), source, actor_id=current_user.id, now=utcnow()
        )
    )
    flash(_("Your copy is ready to edit."), "success")
    return redirect(editor_url(version), 303)


@bp.get("/<key>/")
@requires("design")
def latest(key: str) -> Any:
    return redirect(editor_url(load(key)), 303)


# --- the editor -------------------------------------------------------------------------------


@bp.get("/<key>/<int:number>/")
@requires("design")
def edit(key: str, number: int) -> Any:
    version = load(key, number)
    lang = current_language()
    return page(
        "designer/edit.html",
        version,
        problems=designer.problems(version, lang),
        describe=lambda rule: describe_rule(version, rule),
    )


@bp.route("/<key>/<int:number>/details", methods=["GET", "POST"])
@requires("design")
def metadata(key: str, number: int) -> Any:
    version = load(key, number, edit=request.method == "POST")
    problems: list[Problem] = []
    fields = ("title_vi", "title_en", "description_vi", "description_en", "estimated_minutes")
    if request.method == "POST":
        values = {f: request.form.get(f, "") for f in fields}
        _result, problems = run(
            lambda: draft.set_metadata(db.session, version, current_user.id, **values)
        )
        if not problems:
            flash(_("Saved."), "success")
            return redirect(editor_url(version), 303)
    else:
        doc = version.document
        values = {
            "title_vi": doc.get("title", {}).get("vi", ""),
            "title_en": doc.get("title", {}).get("en", ""),
            "description_vi": doc.get("description", {}).get("vi", ""),
            "description_en": doc.get("description", {}).get("en", ""),
            "estimated_minutes": str(doc.get("estimated_minutes", "")),
        }
    return page("designer/metadata.html", version, values=values, errors=errors_by_field(problems))


# --- sections ---------------------------------------------------------------------------------


@bp.post("/<key>/<int:number>/sections")
@requires("design")
def add_section(key: str, number: int) -> Any:
    version = load(key, number, edit=True)
    section_id, problems = run(
        lambda: draft.add_section(
            db.session,
            version,
            current_user.id,
            title_vi=request.form.get("title_vi", ""),
            title_en=request.form.get("title_en", ""),
        )
    )
    if problems:
        flash_problems(problems)
        return redirect(editor_url(version, "add-section"), 303)
    flash(_("Section added. Now add its first question."), "success")
    return redirect(url_for(".new_item", key=key, number=number, section_id=section_id), 303)


@bp.route("/<key>/<int:number>/sections/<section_id>", methods=["GET", "POST"])
@requires("design")
def section(key: str, number: int, section_id: str) -> Any:
    version = load(key, number, edit=request.method == "POST")
    problems: list[Problem] = []
    if request.method == "POST":
        values = {f: request.form.get(f, "") for f in ("title_vi", "title_en")}
        _result, problems = run(
            lambda: draft.update_section(db.session, version, current_user.id, section_id, **values)
        )
        if not problems:
            flash(_("Saved."), "success")
            return redirect(editor_url(version, f"section-{section_id}"), 303)
    else:
        current = section_of(version, section_id)
        values = {
            "title_vi": current["title"].get("vi", ""),
            "title_en": current["title"].get("en", ""),
        }
    return page(
        "designer/section.html",
        version,
        section=section_of(version, section_id),
        values=values,
        errors=errors_by_field(problems),
    )


@bp.post("/<key>/<int:number>/sections/<section_id>/move")
@requires("design")
def move_section(key: str, number: int, section_id: str) -> Any:
    version = load(key, number, edit=True)
    direction = request.form.get("direction", "")
    _result, problems = run(
        lambda: draft.move_section(db.session, version, current_user.id, section_id, direction)
    )
    flash_problems(problems)
    return redirect(editor_url(version, f"section-{section_id}"), 303)


@bp.post("/<key>/<int:number>/sections/<section_id>/delete")
@requires("design")
def delete_section(key: str, number: int, section_id: str) -> Any:
    version = load(key, number, edit=True)
    _result, problems = run(
        lambda: draft.delete_section(db.session, version, current_user.id, section_id)
    )
    flash_problems(problems)
    if not problems:
        flash(_("Section deleted."), "success")
    return redirect(editor_url(version), 303)
