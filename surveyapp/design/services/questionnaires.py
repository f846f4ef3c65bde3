"""Questionnaires designed outside the app: import a document as a version, export one.

A version that has been fielded is frozen, so a re-import may only replace a draft; the
same document imported twice is a no-op, which makes scripted imports safe to repeat.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from surveyapp.extensions import DbSession
from surveyapp.i18n import in_language
from surveyapp.models import Questionnaire, QuestionnaireVersion, VersionStatus
from surveyapp.models.audit import record
from surveyapp.problems import InputRefused, Problem
from surveyapp.questionnaire import templates, validation
from surveyapp.questionnaire.diff import QuestionnaireDiff, diff
from surveyapp.surveys.services import surveys

FROZEN_STATUS = {VersionStatus.OPEN: _l("open"), VersionStatus.CLOSED: _l("closed")}


def read_file(path: Path, lang: str = "en") -> tuple[dict[str, Any] | None, list[Any]]:
    """The document in a ``.json`` or ``.xlsx`` file and every problem, located in the file.

    The document is None when there is any error; warnings come with a usable document.
    """
    name = str(path)
    if path.suffix.lower() == ".xlsx":
        from surveyapp.questionnaire import xlsform

        return xlsform.read_workbook(path, filename=name, lang=lang)
    if path.suffix.lower() != ".json":
        message = in_language(_l("expected a .json or .xlsx file"), lang)
        return None, [validation.Problem(name, message)]
    try:
        doc = json.loads(path.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        message = in_language(_l("not valid JSON (%(error)s)", error=str(error)), lang)
        return None, [validation.Problem(f"{name}:$", message)]
    except RecursionError:  # deeper than the JSON decoder goes
        doc = TOO_DEEP
    if doc is TOO_DEEP or _depth(doc) > MAX_DEPTH:
        message = _l("nested more than %(n)s levels deep: not a questionnaire", n=MAX_DEPTH)
        return None, [validation.Problem(f"{name}:$", in_language(message, lang))]
    problems = [
        validation.Problem(f"{name}:{p.path}", p.message, p.severity)
        for p in validation.validate(doc, lang)
    ]
    return (None if _has_errors(problems) else doc), problems


# A questionnaire nests about a dozen levels (rules add a few); validation recurses.
MAX_DEPTH = 64
TOO_DEEP = object()


def _depth(value: Any) -> int:
    """How deeply lists and objects nest in ``value``, counted without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict | list):
            deepest = max(deepest, level)
            if deepest > MAX_DEPTH:
                break
            stack.extend(
                (child, level + 1) for child in (node.values() if isinstance(node, dict) else node)
            )
    return deepest


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
                    _l(
                        "version %(n)s of %(key)s is %(status)s and frozen; "
                        "give the document version %(next)s",
                        n=number,
                        key=key,
                        status=FROZEN_STATUS[existing.status],
                        next=(latest or number) + 1,
                    ),
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
        message = _l('unknown questionnaire "%(key)s"', key=key)
        raise InputRefused([Problem(_l("questionnaire"), message)]) from None
    if version is not None and version != int(document.get("version", 1)):
        message = _l("questionnaire %(key)s has no version %(n)s", key=key, n=version)
        raise InputRefused([Problem(_l("version"), message)])
    return document


def diff_versions(
    session: DbSession, key: str, from_version: int, to_version: int
) -> QuestionnaireDiff:
    """What changed from one stored version of a questionnaire to another."""
    before = surveys.questionnaire_version(session, key, from_version).document
    after = surveys.questionnaire_version(session, key, to_version).document
    return diff(before, after)


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
