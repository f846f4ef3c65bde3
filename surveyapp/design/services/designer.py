"""The web designer's questionnaires: which a province sees, their versions, publishing.

Scope: a designer tied to an agency works for its province. Questionnaires with an
``owner_agency_id`` belong to that province and are invisible elsewhere; the built-ins
(no owner) are seen by everyone and changed only by unscoped staff. New questionnaires
are made in ``creation``, a draft's edits in ``draft`` and ``skip_logic``.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select

from surveyapp.design.services.draft import lang, refuse_frozen
from surveyapp.design.services.edits.common import refuse
from surveyapp.extensions import DbSession
from surveyapp.models import Agency, Questionnaire, QuestionnaireVersion, User, VersionStatus
from surveyapp.models.audit import record
from surveyapp.problems import InputRefused, Problem
from surveyapp.questionnaire import templates, validation
from surveyapp.surveys.services import surveys


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
        raise refuse("questionnaire", _("Choose one of the questionnaires listed."))
    published = [v for v in questionnaire.versions if v.frozen]
    if published:
        return published[-1]
    if questionnaire.owner_agency_id is None and key in {t.id for t in templates.list_templates()}:
        return questionnaire.versions[-1]
    raise refuse("questionnaire", _("Publish the questionnaire before fielding it."))


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
        raise refuse(
            "version", _("Version %(n)s is already a draft: edit that one.", n=draft.version)
        )
    if not note.strip():
        raise refuse("note", _("Say in a few words what this version changes."))
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
