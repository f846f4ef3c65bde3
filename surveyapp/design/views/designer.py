"""The questionnaire designer: list, create, and edit a draft's details and sections.

Every change is one POST handled by one function of ``services.designer``; a refused change
shows its problems beside the form and keeps what was typed. This module holds the
blueprint and what every designer page shares; questions, their checks and the answer
scales are in ``designer_items``, skip logic in ``designer_logic`` (same blueprint);
versions, preview, framework and publishing in ``designer_versions``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from surveyapp.design.services import designer
from surveyapp.design.services import logic as design_logic
from surveyapp.design.services.edits import NotInDocument
from surveyapp.extensions import db
from surveyapp.i18n import current_language
from surveyapp.models import QuestionnaireVersion
from surveyapp.models._types import utcnow
from surveyapp.problems import InputRefused, Problem
from surveyapp.questionnaire.document import Questionnaire as Document
from surveyapp.questionnaire.templates import list_templates
from surveyapp.security import requires

bp = Blueprint("designer", __name__, url_prefix="/designer")

TYPE_NAMES = {
    "likert": _l("Rating on a scale"),
    "single": _l("One choice"),
    "multi": _l("Several choices"),
    "text": _l("Text"),
    "number": _l("Number"),
    "date": _l("Date"),
    "info": _l("Information text (no answer)"),
}


# --- shared by the designer's views ---------------------------------------------------------


def scope() -> designer.Scope:
    return designer.scope_for(db.session, current_user)


def load(key: str, number: int | None = None, *, edit: bool = False) -> QuestionnaireVersion:
    """The version the address names, if the user's province sees it (else 404).

    ``edit``: the user must also own it (a province can't change the built-ins: 403).
    """
    questionnaire = designer.get_questionnaire(db.session, scope(), key)
    if questionnaire is None:
        abort(404)
    version = (
        designer.latest(questionnaire)
        if number is None
        else designer.get_version(questionnaire, number)
    )
    if version is None:
        abort(404)
    if edit and not scope().edits(questionnaire):
        abort(403)
    return version


def run(change: Callable[[], Any]) -> tuple[Any, list[Problem]]:
    """Run one service call and commit; on refusal roll back and return the problems."""
    try:
        result = change()
    except InputRefused as refused:
        db.session.rollback()
        return None, refused.problems
    except NotInDocument:
        db.session.rollback()
        abort(404)
    db.session.commit()
    return result, []


def flash_problems(problems: list[Problem]) -> None:
    for problem in problems:
        flash(problem.message, "error")


def editor_url(version: QuestionnaireVersion, anchor: str | None = None) -> str:
    return url_for(
        "designer.edit",
        key=version.questionnaire.key,
        number=version.version,
        _anchor=anchor,
    )


def page(template: str, version: QuestionnaireVersion, **context: Any) -> str:
    """A designer page with what every one of them shows about the version."""
    return render_template(
        template,
        version=version,
        key=version.questionnaire.key,
        q=Document(version.document),
        editable=not version.frozen and scope().edits(version.questionnaire),
        can_edit=scope().edits(version.questionnaire),
        type_names=TYPE_NAMES,
        where=lambda path: problem_url(version, path),
        **context,
    )


_INDEX = re.compile(r"^sections\[(\d+)\](?:\.items\[(\d+)\])?")


def problem_url(version: QuestionnaireVersion, path: str) -> str:
    """The designer page where the problem at a JSON path is fixed."""
    key, number = version.questionnaire.key, version.version
    sections = version.document.get("sections", [])
    found = _INDEX.match(path)
    if found:
        s_index, i_index = int(found.group(1)), found.group(2)
        if s_index < len(sections):
            section = sections[s_index]
            items = section.get("items", [])
            if i_index is not None and int(i_index) < len(items):
                item_id = items[int(i_index)].get("id", "")
                if ".show_when" in path:
                    return url_for(
                        "designer.logic", key=key, number=number, kind="items", target_id=item_id
                    )
                anchor = "checks" if ".checks[" in path else None
                return url_for(
                    "designer.item", key=key, number=number, item_id=item_id, _anchor=anchor
                )
            return url_for(
                "designer.section", key=key, number=number, section_id=section.get("id", "")
            )
    if path.startswith("scales."):
        scale_id = path.split(".")[1].split("[")[0]
        return url_for("designer.scale", key=key, number=number, scale_id=scale_id)
    if path.startswith("framework"):
        anchor = "fw-points" if path.startswith("framework.points") else None
        return url_for("designer_versions.framework", key=key, number=number, _anchor=anchor)
    if path.split(".")[0].split("[")[0] in ("title", "description", "estimated_minutes"):
        return url_for("designer.metadata", key=key, number=number)
    return editor_url(version)


def errors_by_field(problems: list[Problem]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for problem in problems:
        found.setdefault(problem.where.split(".")[0], []).append(problem.message)
    return found


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
        lambda: designer.create_blank(
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
        lambda: designer.create_from_template(
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
        lambda: designer.copy_questionnaire(
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


def describe_rule(version: QuestionnaireVersion, rule: dict[str, Any] | None) -> str:
    """A rule as a sentence ("q1 is Yes and q2 is at least 3")."""
    if not rule:
        return ""
    read = design_logic.read(rule)
    if not read.editable:
        return _("a combined rule")
    parts = [describe_condition(version, c) for c in read.conditions]
    joiner = _("and") if read.combine == "all" else _("or")
    return f" {joiner} ".join(parts)


def describe_condition(version: QuestionnaireVersion, condition: design_logic.Condition) -> str:
    """One condition in words, option codes shown as their labels."""
    q = Document(version.document)
    lang = current_language()
    value = condition.value
    if condition.item in {i["id"] for i in q.items} and q.options(condition.item):
        codes = value if isinstance(value, list) else [value]
        value = ", ".join(q.option_label(condition.item, c, lang) for c in codes)
    elif isinstance(value, list):
        value = ", ".join(map(str, value))
    text = f"{condition.item} {design_logic.OPERATORS[condition.op]}"
    return text if value is None else f"{text} {value}"


@bp.route("/<key>/<int:number>/details", methods=["GET", "POST"])
@requires("design")
def metadata(key: str, number: int) -> Any:
    version = load(key, number, edit=request.method == "POST")
    problems: list[Problem] = []
    fields = ("title_vi", "title_en", "description_vi", "description_en", "estimated_minutes")
    if request.method == "POST":
        values = {f: request.form.get(f, "") for f in fields}
        _result, problems = run(
            lambda: designer.set_metadata(db.session, version, current_user.id, **values)
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
        lambda: designer.add_section(
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
            lambda: designer.update_section(
                db.session, version, current_user.id, section_id, **values
            )
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


def section_of(version: QuestionnaireVersion, section_id: str) -> dict[str, Any]:
    for found in version.document.get("sections", []):
        if found["id"] == section_id:
            return dict(found)
    abort(404)


@bp.post("/<key>/<int:number>/sections/<section_id>/move")
@requires("design")
def move_section(key: str, number: int, section_id: str) -> Any:
    version = load(key, number, edit=True)
    direction = request.form.get("direction", "")
    _result, problems = run(
        lambda: designer.move_section(db.session, version, current_user.id, section_id, direction)
    )
    flash_problems(problems)
    return redirect(editor_url(version, f"section-{section_id}"), 303)


@bp.post("/<key>/<int:number>/sections/<section_id>/delete")
@requires("design")
def delete_section(key: str, number: int, section_id: str) -> Any:
    version = load(key, number, edit=True)
    _result, problems = run(
        lambda: designer.delete_section(db.session, version, current_user.id, section_id)
    )
    flash_problems(problems)
    if not problems:
        flash(_("Section deleted."), "success")
    return redirect(editor_url(version), 303)


# The other pages register their routes on ``bp`` when imported: questions and scales in
# ``designer_items``, skip logic in ``designer_logic``.
from surveyapp.design.views import items, logic  # noqa: E402, F401
