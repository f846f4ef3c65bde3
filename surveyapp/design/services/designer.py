"""The web designer's use cases: questionnaires of a province, their drafts and versions.

Here: finding, creating, copying, importing, versioning and publishing questionnaires.
Edits of a draft live in ``design_draft`` (one audited, validated edit mechanism) and are
offered from here too, so the views call one service module.

Scope: a designer tied to an agency works for its province. Questionnaires with an
``owner_agency_id`` belong to that province and are invisible elsewhere; the built-ins
(no owner) are seen by everyone and changed only by unscoped staff.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from surveyapp.design.services import edits, questionnaires
from surveyapp.design.services.draft import (
    add_condition,
    add_item,
    add_section,
    clear_rule,
    delete_item,
    delete_scale,
    delete_section,
    edit_checks,
    edit_framework,
    lang,
    move_item,
    move_section,
    refuse_frozen,
    remove_condition,
    set_combine,
    set_metadata,
    set_scale,
    update_item,
    update_section,
)
from surveyapp.extensions import DbSession
from surveyapp.models import Agency, Questionnaire, QuestionnaireVersion, User, VersionStatus
from surveyapp.models.audit import record
from surveyapp.problems import InputRefused, Problem
from surveyapp.questionnaire import templates, validation
from surveyapp.surveys.services import surveys

# Re-exported: the views reach every use case of the designer through this one module.
__all__ = [
    "add_condition",
    "add_item",
    "add_section",
    "clear_rule",
    "delete_item",
    "delete_scale",
    "delete_section",
    "edit_checks",
    "edit_framework",
    "move_item",
    "move_section",
    "remove_condition",
    "set_combine",
    "set_metadata",
    "set_scale",
    "update_item",
    "update_section",
]


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


LANGUAGE_CHOICES = {"vi,en": ["vi", "en"], "vi": ["vi"]}
AUDIENCES = ("citizen", "official")
KEY = re.compile(r"[a-z0-9][a-z0-9_.-]{0,55}")


def create_blank(
    session: DbSession,
    scope: Scope,
    *,
    key: str,
    title_vi: str,
    title_en: str,
    languages: str,
    audience: str,
    actor_id: int | None,
    now: datetime,
) -> QuestionnaireVersion:
    """A province's empty draft, version 1: one section without questions yet.

    It may be saved and edited as it is; publishing waits until every section has items.
    """
    key = key.strip().lower()
    problems: list[Problem] = []
    if not KEY.fullmatch(key):
        message = _(
            "Use 1 to 56 lower-case letters, digits, '-', '_' or '.', "
            "starting with a letter or a digit."
        )
        problems.append(Problem("key", message))
    elif key in {t.id for t in templates.list_templates()} or session.scalar(
        select(Questionnaire.id).where(Questionnaire.key == key)
    ):
        problems.append(Problem("key", _('"%(key)s" is already used: choose another id.', key=key)))
    if not title_vi.strip():
        problems.append(Problem("title_vi", _("The Vietnamese title is required.")))
    if languages not in LANGUAGE_CHOICES:
        problems.append(Problem("languages", _("Choose the questionnaire's languages.")))
    if audience not in AUDIENCES:
        problems.append(Problem("audience", _("Choose who answers the questionnaire.")))
    langs = LANGUAGE_CHOICES.get(languages, ["vi"])
    title = edits.label(
        title_vi, title_en if "en" in langs else "", "title", problems, limit=edits.TITLE_MAX
    )
    if problems:
        raise InputRefused(problems)
    part = {"vi": "Phần 1", "en": "Part 1"}
    document = {
        "id": key,
        "version": 1,
        "title": title,
        "languages": langs,
        "audience": audience,
        "sections": [{"id": "s1", "title": {k: part[k] for k in langs}, "items": []}],
    }
    return _create(session, scope, document, _("Started blank"), "blank", actor_id, now)


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
    note = _("Copied from %(source)s", source=source)
    return _create(session, scope, document, note, source, actor_id, now)


def _create(
    session: DbSession,
    scope: Scope,
    document: dict[str, Any],
    note: str,
    source: str,
    actor_id: int | None,
    now: datetime,
) -> QuestionnaireVersion:
    """A new questionnaire of the scope's province, ``document`` its first draft."""
    key = str(document["id"])
    questionnaire = Questionnaire(key=key, owner_agency_id=scope.province_id, created_at=now)
    session.add(questionnaire)
    session.flush()
    version = QuestionnaireVersion(
        questionnaire_id=questionnaire.id,
        version=1,
        document=document,
        created_at=now,
        created_by_id=actor_id,
        note=note,
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
    refuse_frozen(version)
    errors = [p for p in problems(version, lang()) if p.severity == "error"]
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
