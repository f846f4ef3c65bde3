"""The web designer's use cases: questionnaires of a province, their drafts and versions.

Every change goes through ``_edit``: copy the draft's document, apply one edit from
``design_edits`` / ``design_logic`` / ``design_framework``, validate, save and audit-log.
An edit that would add a new error (a rule naming a later item, a criterion on a deleted
question…) is refused with that error; gaps a designer fills next (a section without
questions yet) are allowed and wait in the validation panel, which publishing must clear.

Scope: a designer tied to an agency works for its province. Questionnaires with an
``owner_agency_id`` belong to that province and are invisible elsewhere; the built-ins
(no owner) are seen by everyone and changed only by unscoped staff.
"""

from __future__ import annotations

import copy
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import func, select

from surveyapp.extensions import DbSession
from surveyapp.models import Agency, Questionnaire, QuestionnaireVersion, User, VersionStatus
from surveyapp.models.audit import record
from surveyapp.questionnaire import templates, validation
from surveyapp.services import design_edits as edits
from surveyapp.services import design_framework as framework
from surveyapp.services import design_logic as logic
from surveyapp.services import questionnaires, surveys
from surveyapp.services.problems import InputRefused, Problem


@dataclass(frozen=True)
class Scope:
    """Whose questionnaires a user works on: a province's, or (``province_id`` None) all."""

    province_id: int | None

    def sees(self, questionnaire: Questionnaire) -> bool:
        owner = questionnaire.owner_agency_id
        return self.province_id is None or owner is None or owner == self.province_id

    def edits(self, questionnaire: Questionnaire) -> bool:
        return self.province_id is None or questionnaire.owner_agency_id == self.province_id


def scope_for(session: DbSession, user: User) -> Scope:
    """A user's province: the top of the agency tree above their agency."""
    if user.agency is None:
        return Scope(None)
    top_code = user.agency.path.strip("/").split("/")[0]
    province = session.scalar(select(Agency).where(Agency.code == top_code))
    return Scope(province.id if province else user.agency.id)


# --- reading -----------------------------------------------------------------------------


def list_questionnaires(session: DbSession, scope: Scope) -> list[Questionnaire]:
    """Stored questionnaires the scope sees, built-ins first, then by key."""
    query = select(Questionnaire).order_by(
        Questionnaire.owner_agency_id.is_not(None), Questionnaire.key
    )
    if scope.province_id is not None:
        query = query.where(
            (Questionnaire.owner_agency_id.is_(None))
            | (Questionnaire.owner_agency_id == scope.province_id)
        )
    return list(session.scalars(query))


def get_questionnaire(session: DbSession, scope: Scope, key: str) -> Questionnaire | None:
    """A questionnaire the scope sees (built-ins are stored on first look), else None."""
    found = session.scalar(select(Questionnaire).where(Questionnaire.key == key))
    if found is None and key in {t.id for t in templates.list_templates()}:
        surveys.questionnaire_version(session, key)
        found = session.scalar(select(Questionnaire).where(Questionnaire.key == key))
    return found if found is not None and scope.sees(found) else None


def owner_name(session: DbSession, questionnaire: Questionnaire, lang: str) -> str | None:
    """The owning province's name; None for shared (built-in or national) questionnaires."""
    if questionnaire.owner_agency_id is None:
        return None
    owner = session.get(Agency, questionnaire.owner_agency_id)
    return owner.name(lang) if owner else None


def get_version(questionnaire: Questionnaire, number: int) -> QuestionnaireVersion | None:
    return next((v for v in questionnaire.versions if v.version == number), None)


def latest(questionnaire: Questionnaire) -> QuestionnaireVersion:
    return questionnaire.versions[-1]


def problems(version: QuestionnaireVersion, lang: str) -> list[validation.Problem]:
    """What the validation panel lists: every error and warning, with its JSON path."""
    return validation.validate(version.document, lang)


def fieldable(session: DbSession, scope: Scope) -> list[Questionnaire]:
    """Designed questionnaires (not the built-ins) the scope may field: one version published."""
    builtin = {t.id for t in templates.list_templates()}
    return [
        q
        for q in list_questionnaires(session, scope)
        if q.key not in builtin and any(v.frozen for v in q.versions)
    ]


def version_for_survey(session: DbSession, scope: Scope, key: str) -> QuestionnaireVersion:
    """What a new survey fields: the latest published version; a built-in never fielded
    is opened as it stands (as ``surveys.questionnaire_version`` always did)."""
    questionnaire = session.scalar(select(Questionnaire).where(Questionnaire.key == key))
    if questionnaire is None or not questionnaire.versions:
        return surveys.questionnaire_version(session, key)
    if not scope.sees(questionnaire):
        raise edits.refuse("questionnaire", _("Choose one of the questionnaires listed."))
    published = [v for v in questionnaire.versions if v.frozen]
    if published:
        return published[-1]
    if questionnaire.owner_agency_id is None and key in {t.id for t in templates.list_templates()}:
        return questionnaire.versions[-1]
    raise edits.refuse("questionnaire", _("Publish the questionnaire before fielding it."))


# --- creating ----------------------------------------------------------------------------


def create_from_template(
    session: DbSession, scope: Scope, template_id: str, *, actor_id: int | None, now: datetime
) -> QuestionnaireVersion:
    """A province's own draft, version 1, copied from a built-in questionnaire."""
    try:
        document = templates.load_template(template_id)
    except KeyError:
        raise edits.refuse("template", _("Choose one of the built-in questionnaires.")) from None
    return _store_copy(session, scope, document, source=template_id, actor_id=actor_id, now=now)


def copy_questionnaire(
    session: DbSession,
    scope: Scope,
    source: QuestionnaireVersion,
    *,
    actor_id: int | None,
    now: datetime,
) -> QuestionnaireVersion:
    """A new questionnaire of the scope's province whose first draft is ``source``'s document."""
    document = copy.deepcopy(source.document)
    label = f"{source.questionnaire.key} v{source.version}"
    return _store_copy(session, scope, document, source=label, actor_id=actor_id, now=now)


def import_file(
    session: DbSession,
    scope: Scope,
    path: Path,
    filename: str,
    *,
    lang: str,
    actor_id: int | None,
    now: datetime,
) -> tuple[QuestionnaireVersion | None, list[Any]]:
    """A questionnaire of the province from a ``.json`` or XLSForm ``.xlsx`` file.

    Returns the new draft (None when the file has errors) and every problem found,
    each located in the file (sheet, row and column, or JSON path).
    """
    document, found = questionnaires.read_file(path, lang)
    located = [_in_file(p, str(path), filename) for p in found]
    if document is None:
        return None, located
    version = _store_copy(session, scope, document, source=filename, actor_id=actor_id, now=now)
    return version, located


def _in_file(problem: Any, path: str, filename: str) -> Any:
    # read_file names the file by its path; the designer knows it by the uploaded name
    return type(problem)(
        str(problem.path).replace(path, filename), problem.message, problem.severity
    )


def _store_copy(
    session: DbSession,
    scope: Scope,
    document: dict[str, Any],
    *,
    source: str,
    actor_id: int | None,
    now: datetime,
) -> QuestionnaireVersion:
    key = _free_key(session, _key_base(session, scope, str(document["id"])))
    document["id"], document["version"] = key, 1
    questionnaire = Questionnaire(key=key, owner_agency_id=scope.province_id, created_at=now)
    session.add(questionnaire)
    session.flush()
    version = QuestionnaireVersion(
        questionnaire_id=questionnaire.id,
        version=1,
        document=document,
        created_at=now,
        created_by_id=actor_id,
        note=_("Copied from %(source)s", source=source),
    )
    session.add(version)
    session.flush()
    record(session, actor_id, "questionnaire.create", questionnaire, key=key, source=source)
    return version


def _key_base(session: DbSession, scope: Scope, source_key: str) -> str:
    """``sipas-2023`` → ``sipas-2023-hn`` for province HN; a copy of a copy keeps that base."""
    if scope.province_id is None:
        return source_key[:56]
    province = session.get(Agency, scope.province_id)
    code = re.sub(r"[^a-z0-9]+", "-", province.code.lower()).strip("-") if province else ""
    mine = re.match(rf"^(.*-{re.escape(code)})(-\d+)?$", source_key) if code else None
    if mine:
        return mine.group(1)[:56]
    return f"{source_key[: 55 - len(code)]}-{code}" if code else source_key[:56]


def _free_key(session: DbSession, base: str) -> str:
    taken = set(
        session.scalars(select(Questionnaire.key).where(Questionnaire.key.startswith(base)))
    ) | {t.id for t in templates.list_templates()}
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


# --- versions ----------------------------------------------------------------------------


def new_version(
    session: DbSession,
    source: QuestionnaireVersion,
    *,
    note: str,
    actor_id: int | None,
    now: datetime,
) -> QuestionnaireVersion:
    """A draft copying a frozen version; one draft at a time, so edits don't fork."""
    questionnaire = source.questionnaire
    draft = next((v for v in questionnaire.versions if not v.frozen), None)
    if draft is not None:
        raise edits.refuse(
            "version", _("Version %(n)s is already a draft: edit that one.", n=draft.version)
        )
    if not note.strip():
        raise edits.refuse("note", _("Say in a few words what this version changes."))
    number = (
        session.scalar(
            select(func.max(QuestionnaireVersion.version)).where(
                QuestionnaireVersion.questionnaire_id == questionnaire.id
            )
        )
        or 0
    ) + 1
    document = copy.deepcopy(source.document)
    document["version"] = number
    version = QuestionnaireVersion(
        questionnaire_id=questionnaire.id,
        version=number,
        document=document,
        created_at=now,
        created_by_id=actor_id,
        note=note.strip()[:255],
    )
    session.add(version)
    session.flush()
    session.refresh(questionnaire)
    record(
        session,
        actor_id,
        "questionnaire.new_version",
        version,
        key=questionnaire.key,
        version=number,
        source=source.version,
        note=version.note,
    )
    return version


def publish(
    session: DbSession, version: QuestionnaireVersion, *, actor_id: int | None, now: datetime
) -> None:
    """Draft → open: the document is frozen from now on; refused while any error remains."""
    _refuse_frozen(version)
    errors = [p for p in problems(version, _lang()) if p.severity == "error"]
    if errors:
        raise InputRefused([Problem(p.path, p.message) for p in errors])
    version.status = VersionStatus.OPEN
    version.opened_at = now
    session.flush()
    record(
        session,
        actor_id,
        "questionnaire.publish",
        version,
        key=version.questionnaire.key,
        version=version.version,
    )


def history(
    session: DbSession, questionnaire: Questionnaire
) -> list[tuple[QuestionnaireVersion, User | None]]:
    """Every version, newest first, with the account that made it."""
    rows = []
    for version in reversed(questionnaire.versions):
        author = session.get(User, version.created_by_id) if version.created_by_id else None
        rows.append((version, author))
    return rows


# --- edits of a draft --------------------------------------------------------------------


def _lang() -> str:
    locale = get_locale()
    return locale.language if locale else "vi"


def _refuse_frozen(version: QuestionnaireVersion) -> None:
    if version.frozen:
        raise edits.refuse(
            "version",
            _(
                "Version %(n)s is published and can no longer change. "
                "Make a new version to edit it.",
                n=version.version,
            ),
        )


_PATH = re.compile(r"\b(sections|scales|framework)(\[\d+\]|\.[A-Za-z_]\w*)*")


def _errors(document: dict[str, Any]) -> list[validation.Problem]:
    return [p for p in validation.validate(document, _lang()) if p.severity == "error"]


def _introduced(before: dict[str, Any], after: dict[str, Any]) -> list[Problem]:
    """Errors of ``after`` that ``before`` did not have (compared without positions)."""
    unfinished = {
        validation.message("min_items", _lang(), n=1),
        validation.message("required", _lang()),
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


def _edit(
    session: DbSession,
    version: QuestionnaireVersion,
    actor_id: int | None,
    action: str,
    change: Callable[[dict[str, Any]], Any],
    **details: Any,
) -> Any:
    """Apply ``change`` to a copy of the draft, validate, save, log; returns what it returns."""
    _refuse_frozen(version)
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
    _edit(session, version, actor_id, "metadata", lambda d: edits.set_metadata(d, **fields))


def add_section(
    session: DbSession,
    version: QuestionnaireVersion,
    actor_id: int | None,
    *,
    title_vi: str,
    title_en: str,
) -> str:
    return str(
        _edit(
            session,
            version,
            actor_id,
            "section.add",
            lambda d: edits.add_section(d, title_vi=title_vi, title_en=title_en),
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
    _edit(
        session,
        version,
        actor_id,
        "section.update",
        lambda d: edits.update_section(d, section_id, title_vi=title_vi, title_en=title_en),
        section=section_id,
    )


def move_section(
    session: DbSession,
    version: QuestionnaireVersion,
    actor_id: int | None,
    section_id: str,
    direction: str,
) -> None:
    _edit(
        session,
        version,
        actor_id,
        "section.move",
        lambda d: edits.move_section(d, section_id, direction),
        section=section_id,
        direction=direction,
    )


def delete_section(
    session: DbSession, version: QuestionnaireVersion, actor_id: int | None, section_id: str
) -> None:
    _edit(
        session,
        version,
        actor_id,
        "section.delete",
        lambda d: edits.delete_section(d, section_id),
        section=section_id,
    )


def add_item(
    session: DbSession,
    version: QuestionnaireVersion,
    actor_id: int | None,
    section_id: str,
    data: edits.ItemInput,
) -> str:
    return str(
        _edit(
            session,
            version,
            actor_id,
            "item.add",
            lambda d: edits.add_item(d, section_id, data),
            section=section_id,
            type=data.type,
        )
    )


def update_item(
    session: DbSession,
    version: QuestionnaireVersion,
    actor_id: int | None,
    item_id: str,
    data: edits.ItemInput,
) -> str:
    return str(
        _edit(
            session,
            version,
            actor_id,
            "item.update",
            lambda d: edits.update_item(d, item_id, data),
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
    _edit(
        session,
        version,
        actor_id,
        "item.move",
        lambda d: edits.move_item(d, item_id, direction),
        item=item_id,
        direction=direction,
    )


def delete_item(
    session: DbSession, version: QuestionnaireVersion, actor_id: int | None, item_id: str
) -> None:
    _edit(
        session,
        version,
        actor_id,
        "item.delete",
        lambda d: edits.delete_item(d, item_id),
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
        _edit(
            session,
            version,
            actor_id,
            "scale.set",
            lambda d: edits.set_scale(d, scale_id, **fields),
            scale=scale_id,
        )
    )


def delete_scale(
    session: DbSession, version: QuestionnaireVersion, actor_id: int | None, scale_id: str
) -> None:
    _edit(
        session,
        version,
        actor_id,
        "scale.delete",
        lambda d: edits.delete_scale(d, scale_id),
        scale=scale_id,
    )


# --- skip logic --------------------------------------------------------------------------


def add_condition(
    session: DbSession,
    version: QuestionnaireVersion,
    actor_id: int | None,
    kind: str,
    target_id: str,
    *,
    item: str,
    op: str,
    values: list[str],
    combine: str = "all",
) -> None:
    """Add "show when <item> <op> <value>" to an item's or section's rule."""

    def change(doc: dict[str, Any]) -> None:
        condition = logic.parse_condition(doc, kind, target_id, item, op, values)
        owner = logic.target(doc, kind, target_id)
        current = logic.read(owner.get("show_when"))
        if not current.editable:
            raise edits.refuse("rule", _("Clear the present rule before adding conditions."))
        joined = current.combine if len(current.conditions) > 1 else combine
        _store_rule(owner, logic.Logic([*current.conditions, condition], joined))

    _edit(
        session,
        version,
        actor_id,
        "logic.add",
        change,
        target=f"{kind}:{target_id}",
        item=item,
        op=op,
    )


def remove_condition(
    session: DbSession,
    version: QuestionnaireVersion,
    actor_id: int | None,
    kind: str,
    target_id: str,
    index: int,
) -> None:
    def change(doc: dict[str, Any]) -> None:
        owner = logic.target(doc, kind, target_id)
        current = logic.read(owner.get("show_when"))
        if not 0 <= index < len(current.conditions):
            raise edits.refuse("condition", _("That condition no longer exists."))
        kept = [c for i, c in enumerate(current.conditions) if i != index]
        _store_rule(owner, logic.Logic(kept, current.combine))

    _edit(
        session,
        version,
        actor_id,
        "logic.remove",
        change,
        target=f"{kind}:{target_id}",
        index=index,
    )


def set_combine(
    session: DbSession,
    version: QuestionnaireVersion,
    actor_id: int | None,
    kind: str,
    target_id: str,
    combine: str,
) -> None:
    if combine not in logic.COMBINE:
        raise edits.refuse("combine", _("Choose all or any."))

    def change(doc: dict[str, Any]) -> None:
        owner = logic.target(doc, kind, target_id)
        current = logic.read(owner.get("show_when"))
        if current.editable:
            _store_rule(owner, logic.Logic(current.conditions, combine))

    _edit(
        session,
        version,
        actor_id,
        "logic.combine",
        change,
        target=f"{kind}:{target_id}",
        combine=combine,
    )


def clear_rule(
    session: DbSession,
    version: QuestionnaireVersion,
    actor_id: int | None,
    kind: str,
    target_id: str,
) -> None:
    _edit(
        session,
        version,
        actor_id,
        "logic.clear",
        lambda d: logic.target(d, kind, target_id).pop("show_when", None),
        target=f"{kind}:{target_id}",
    )


def _store_rule(owner: dict[str, Any], built: logic.Logic) -> None:
    rule = logic.write(built)
    if rule is None:
        owner.pop("show_when", None)
    else:
        owner["show_when"] = rule


# --- framework ---------------------------------------------------------------------------


def edit_framework(
    session: DbSession,
    version: QuestionnaireVersion,
    actor_id: int | None,
    operation: str,
    **fields: Any,
) -> Any:
    """One framework edit by name (``design_framework.OPERATIONS``), e.g. ``add_element``."""
    change = framework.OPERATIONS.get(operation)
    if change is None:
        raise edits.refuse("operation", _("Unknown change."))
    return _edit(
        session,
        version,
        actor_id,
        f"framework.{operation}",
        lambda d: change(d, **fields),
        **{k: v for k, v in fields.items() if isinstance(v, str | int | float)},
    )
