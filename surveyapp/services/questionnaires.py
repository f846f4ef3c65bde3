"""Questionnaires designed outside the app: import a document as a version, export one.

A version that has been fielded is frozen, so a re-import may only replace a draft; the
same document imported twice is a no-op, which makes scripted imports safe to repeat.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from surveyapp.extensions import DbSession
from surveyapp.models import Questionnaire, QuestionnaireVersion
from surveyapp.models.audit import record
from surveyapp.questionnaire import templates, validation
from surveyapp.questionnaire.diff import QuestionnaireDiff, diff
from surveyapp.services import surveys
from surveyapp.services.problems import InputRefused, Problem


def read_file(path: Path, lang: str = "en") -> tuple[dict[str, Any] | None, list[Any]]:
    """The document in a ``.json`` or ``.xlsx`` file and every problem, located in the file.

    The document is None when there is any error; warnings come with a usable document.
    """
    name = str(path)
    if path.suffix.lower() == ".xlsx":
        from surveyapp.questionnaire import xlsform

        return xlsform.read_workbook(path, filename=name, lang=lang)
    if path.suffix.lower() != ".json":
        return None, [validation.Problem(name, "expected a .json or .xlsx file")]
    try:
        doc = json.loads(path.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        return None, [validation.Problem(f"{name}:$", f"not valid JSON ({error})")]
    problems = [
        validation.Problem(f"{name}:{p.path}", p.message, p.severity)
        for p in validation.validate(doc, lang)
    ]
    return (None if _has_errors(problems) else doc), problems


def import_questionnaire(
    session: DbSession, document: dict[str, Any], *, actor_id: int | None = None
) -> QuestionnaireVersion:
    """Store ``document`` as a version of its questionnaire; ``InputRefused`` if it can't be.

    Problems of the document itself carry JSON paths; a clash with a frozen version is
    reported at ``version``.
    """
    errors = [p for p in validation.validate(document, "en") if p.severity == "error"]
    if errors:
        raise InputRefused([Problem(p.path, p.message) for p in errors])
    key, number = str(document["id"]), int(document["version"])
    questionnaire = _stored_questionnaire(session, key)
    if questionnaire is None:
        questionnaire = Questionnaire(key=key)
        session.add(questionnaire)
        session.flush()
        record(session, actor_id, "questionnaire.create", questionnaire, key=key)
    existing = session.scalar(
        select(QuestionnaireVersion).where(
            QuestionnaireVersion.questionnaire_id == questionnaire.id,
            QuestionnaireVersion.version == number,
        )
    )
    if existing is not None and existing.document == document:
        return existing
    if existing is not None and existing.frozen:
        latest = session.scalar(
            select(func.max(QuestionnaireVersion.version)).where(
                QuestionnaireVersion.questionnaire_id == questionnaire.id
            )
        )
        raise InputRefused(
            [
                Problem(
                    "version",
                    f"version {number} of {key} is {existing.status.value} and frozen; "
                    f"give the document version {(latest or number) + 1}",
                )
            ]
        )
    if existing is not None:
        existing.document = document
        action = "questionnaire.replace_draft"
        stored = existing
    else:
        stored = QuestionnaireVersion(
            questionnaire_id=questionnaire.id, version=number, document=document
        )
        session.add(stored)
        action = "questionnaire.import"
    session.flush()
    record(session, actor_id, action, stored, key=key, version=number)
    return stored


def export_document(session: DbSession, key: str, version: int | None = None) -> dict[str, Any]:
    """The stored document, or a built-in template that was never used (nothing is written)."""
    if session.scalar(select(Questionnaire).where(Questionnaire.key == key)) is not None:
        return dict(surveys.questionnaire_version(session, key, version).document)
    try:
        document = templates.load_template(key)
    except KeyError:
        raise InputRefused([Problem("ID", f'unknown questionnaire "{key}"')]) from None
    if version is not None and version != int(document.get("version", 1)):
        raise InputRefused([Problem("--version", f"questionnaire {key} has no version {version}")])
    return document


def diff_versions(
    session: DbSession, key: str, from_version: int, to_version: int
) -> QuestionnaireDiff:
    """What changed from one stored version of a questionnaire to another."""
    documents = []
    for number, flag in ((from_version, "--from"), (to_version, "--to")):
        try:
            documents.append(surveys.questionnaire_version(session, key, number).document)
        except InputRefused as refused:  # say which of the two versions is missing
            raise InputRefused([Problem(flag, p.message) for p in refused.problems]) from None
    return diff(documents[0], documents[1])


def _stored_questionnaire(session: DbSession, key: str) -> Questionnaire | None:
    found = session.scalar(select(Questionnaire).where(Questionnaire.key == key))
    if found is None and key in {t.id for t in templates.list_templates()}:
        # Store the built-in first, so an import under its id is a new version of it
        # (or replaces its draft) exactly as if a survey had already used it.
        surveys.questionnaire_version(session, key)
        found = session.scalar(select(Questionnaire).where(Questionnaire.key == key))
    return found


def _has_errors(problems: list[Any]) -> bool:
    return any(p.severity == "error" for p in problems)
