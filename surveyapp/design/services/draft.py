"""Edits of a draft questionnaire: the designer's one way of changing a document.

Every change goes through ``edit``: copy the draft's document, apply one plain edit
(``services.edits``), validate, save and audit-log. An edit that would add a new error
(a rule naming a later item, a criterion on a deleted question…) is refused with that
error; gaps a designer fills next (a section without questions yet) are allowed and wait
in the validation panel, which publishing must clear. Here: the details, sections,
questions, scales, answer checks and framework; skip logic is in ``skip_logic``.
"""

from __future__ import annotations

import copy
import re
from collections import Counter
from collections.abc import Callable
from typing import Any

from flask_babel import get_locale
from flask_babel import gettext as _

from surveyapp.design.services.edits import checks, framework, structure
from surveyapp.design.services.edits.common import refuse
from surveyapp.extensions import DbSession
from surveyapp.models import QuestionnaireVersion
from surveyapp.models.audit import record
from surveyapp.problems import InputRefused, Problem
from surveyapp.questionnaire import validation


def lang() -> str:
    """The user's language, for validation messages."""
    locale = get_locale()
    return locale.language if locale else "vi"


def refuse_frozen(version: QuestionnaireVersion) -> None:
    if version.frozen:
        raise refuse(
            "version",
            _(
                "Version %(n)s is published and can no longer change. "
                "Make a new version to edit it.",
                n=version.version,
            ),
        )


_PATH = re.compile(r"\b(sections|scales|framework)(\[\d+\]|\.[A-Za-z_]\w*)*")


def _errors(document: dict[str, Any]) -> list[validation.Problem]:
    return [p for p in validation.validate(document, lang()) if p.severity == "error"]


def _introduced(before: dict[str, Any], after: dict[str, Any]) -> list[Problem]:
    """Errors of ``after`` that ``before`` did not have (compared without positions)."""
    unfinished = {
        validation.message("min_items", lang(), n=1),
        validation.message("required", lang()),
    }
    seen = Counter(_PATH.sub("", p.message) for p in _errors(before))
    new = []
    for problem in _errors(after):
        text = _PATH.sub("", problem.message)
        if seen[text]:
            seen[text] -= 1
        elif problem.message not in unfinished:
            new.append(Problem(problem.path, problem.message))
    return new


def edit(
    session: DbSession,
    version: QuestionnaireVersion,
    actor_id: int | None,
    action: str,
    change: Callable[[dict[str, Any]], Any],
    **details: Any,
) -> Any:
    """Apply ``change`` to a copy of the draft, validate, save, log; returns what it returns."""
    refuse_frozen(version)
    document = copy.deepcopy(version.document)
    result = change(document)
    introduced = _introduced(version.document, document)
    if introduced:
        raise InputRefused(introduced)
    version.document = document
    session.flush()
    record(
        session,
        actor_id,
        f"questionnaire.{action}",
        version,
        key=version.questionnaire.key,
        version=version.version,
        **details,
    )
    return result


def set_metadata(
    session: DbSession, version: QuestionnaireVersion, actor_id: int | None, **fields: str
) -> None:
    edit(session, version, actor_id, "metadata", lambda d: structure.set_metadata(d, **fields))


def add_section(
    session: DbSession,
    version: QuestionnaireVersion,
    actor_id: int | None,
    *,
    title_vi: str,
    title_en: str,
) -> str:
    return str(
        edit(
            session,
            version,
            actor_id,
            "section.add",
            lambda d: structure.add_section(d, title_vi=title_vi, title_en=title_en),
        )
    )


def update_section(
    session: DbSession,
    version: QuestionnaireVersion,
    actor_id: int | None,
    section_id: str,
    *,
    title_vi: str,
    title_en: str,
) -> None:
    edit(
        session,
        version,
        actor_id,
        "section.update",
        lambda d: structure.update_section(d, section_id, title_vi=title_vi, title_en=title_en),
        section=section_id,
    )


def move_section(
    session: DbSession,
    version: QuestionnaireVersion,
    actor_id: int | None,
    section_id: str,
    direction: str,
) -> None:
    edit(
        session,
        version,
        actor_id,
        "section.move",
        lambda d: structure.move_section(d, section_id, direction),
        section=section_id,
        direction=direction,
    )


def delete_section(
    session: DbSession, version: QuestionnaireVersion, actor_id: int | None, section_id: str
) -> None:
    edit(
        session,
        version,
        actor_id,
        "section.delete",
        lambda d: structure.delete_section(d, section_id),
        section=section_id,
    )


def add_item(
    session: DbSession,
    version: QuestionnaireVersion,
    actor_id: int | None,
    section_id: str,
    data: structure.ItemInput,
) -> str:
    return str(
        edit(
            session,
            version,
            actor_id,
            "item.add",
            lambda d: structure.add_item(d, section_id, data),
            section=section_id,
            type=data.type,
        )
    )


def update_item(
    session: DbSession,
    version: QuestionnaireVersion,
    actor_id: int | None,
    item_id: str,
    data: structure.ItemInput,
) -> str:
    return str(
        edit(
            session,
            version,
            actor_id,
            "item.update",
            lambda d: structure.update_item(d, item_id, data),
            item=item_id,
        )
    )


def move_item(
    session: DbSession,
    version: QuestionnaireVersion,
    actor_id: int | None,
    item_id: str,
    direction: str,
) -> None:
    edit(
        session,
        version,
        actor_id,
        "item.move",
        lambda d: structure.move_item(d, item_id, direction),
        item=item_id,
        direction=direction,
    )


def delete_item(
    session: DbSession, version: QuestionnaireVersion, actor_id: int | None, item_id: str
) -> None:
    edit(
        session,
        version,
        actor_id,
        "item.delete",
        lambda d: structure.delete_item(d, item_id),
        item=item_id,
    )


def set_scale(
    session: DbSession,
    version: QuestionnaireVersion,
    actor_id: int | None,
    scale_id: str | None,
    **fields: Any,
) -> str:
    return str(
        edit(
            session,
            version,
            actor_id,
            "scale.set",
            lambda d: structure.set_scale(d, scale_id, **fields),
            scale=scale_id,
        )
    )


def delete_scale(
    session: DbSession, version: QuestionnaireVersion, actor_id: int | None, scale_id: str
) -> None:
    edit(
        session,
        version,
        actor_id,
        "scale.delete",
        lambda d: structure.delete_scale(d, scale_id),
        scale=scale_id,
    )


# --- answer checks and the framework: edits called by name ------------------------------


def edit_checks(
    session: DbSession,
    version: QuestionnaireVersion,
    actor_id: int | None,
    operation: str,
    item_id: str,
    **fields: Any,
) -> Any:
    """One edit of an item's answer checks by name (``edits.checks.OPERATIONS``)."""
    return _named(
        session, version, actor_id, "checks", checks.OPERATIONS, operation, item_id, **fields
    )


def edit_framework(
    session: DbSession,
    version: QuestionnaireVersion,
    actor_id: int | None,
    operation: str,
    **fields: Any,
) -> Any:
    """One framework edit by name (``edits.framework.OPERATIONS``), e.g. ``add_element``."""
    operations = framework.OPERATIONS
    return _named(session, version, actor_id, "framework", operations, operation, **fields)


def _named(
    session: DbSession,
    version: QuestionnaireVersion,
    actor_id: int | None,
    family: str,
    operations: dict[str, Callable[..., Any]],
    operation: str,
    *args: Any,
    **fields: Any,
) -> Any:
    change = operations.get(operation)
    if change is None:
        raise refuse("operation", _("Unknown change."))
    logged = {k: v for k, v in fields.items() if isinstance(v, str | int | float)}
    if args:
        logged["item"] = args[0]
    return edit(
        session,
        version,
        actor_id,
        f"{family}.{operation}",
        lambda d: change(d, *args, **fields),
        **logged,
    )
