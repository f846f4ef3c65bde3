"""The ``designer`` blueprint and what every designer page shares.

Every change is one POST handled by one service call (``services.draft`` and its
neighbours); a refused change shows its problems beside the form and keeps what was typed.
The blueprint's routes are in ``questionnaires`` (the list, the editor, details and
sections), ``items`` (questions, their checks, answer scales) and ``logic`` (skip logic),
registered when the ``views`` package imports them; versions, preview, framework and
publishing are the ``designer_versions`` blueprint (``versions``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, flash, render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from surveyapp.design.services import designer
from surveyapp.design.services.edits import rules
from surveyapp.design.services.edits.common import NotInDocument
from surveyapp.extensions import db
from surveyapp.i18n import current_language
from surveyapp.models import QuestionnaireVersion
from surveyapp.problems import InputRefused, Problem
from surveyapp.questionnaire import wording
from surveyapp.questionnaire.document import Questionnaire as Document

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


def describe_rule(version: QuestionnaireVersion, rule: dict[str, Any] | None) -> str:
    """A rule as a sentence, items called by their ids ("q1 is 1 “Yes” and q2 is at least 3")."""
    return wording.describe(Document(version.document), rule, current_language(), name=str)


def describe_condition(version: QuestionnaireVersion, condition: rules.Condition) -> str:
    """One condition of the builder in words."""
    return describe_rule(version, condition.rule())


def section_of(version: QuestionnaireVersion, section_id: str) -> dict[str, Any]:
    for found in version.document.get("sections", []):
        if found["id"] == section_id:
            return dict(found)
    abort(404)


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
    sources = rules.earlier_items(version.document, kind, target_id)
    source = next((i for i in sources if i["id"] == chosen), None)
    return Builder(
        sources=sources,
        source=source,
        operators=rules.operators_for(source) if source else [],
        operator_names=wording.OPERATORS,
        source_options=rules.options_of(version.document, source) if source else [],
    )


def to_int(text: str) -> int:
    """A form's index as a number; -1 (never an index) when it is not one."""
    return int(text) if text.strip().lstrip("-").isdigit() else -1
