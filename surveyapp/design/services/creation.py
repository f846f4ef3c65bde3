"""New questionnaires of a province: blank, from a built-in, a copy, or an uploaded file.

Each is a questionnaire owned by the designer's province (see ``designer.Scope``) whose
first draft is the new document; a copied one gets a key of its own (``sipas-2023-hn``).
"""

from __future__ import annotations

import copy
import re
from datetime import datetime
from pathlib import Path
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from surveyapp.design.services import questionnaires
from surveyapp.design.services.designer import Scope
from surveyapp.design.services.edits.common import TITLE_MAX, label, refuse
from surveyapp.extensions import DbSession
from surveyapp.models import Agency, Questionnaire, QuestionnaireVersion
from surveyapp.models.audit import record
from surveyapp.problems import InputRefused, Problem
from surveyapp.questionnaire import templates


def create_from_template(
    session: DbSession, scope: Scope, template_id: str, *, actor_id: int | None, now: datetime
) -> QuestionnaireVersion:
    """A province's own draft, version 1, copied from a built-in questionnaire."""
    try:
        document = templates.load_template(template_id)
    except KeyError:
        raise refuse("template", _("Choose one of the built-in questionnaires.")) from None
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
    title = label(title_vi, title_en if "en" in langs else "", "title", problems, limit=TITLE_MAX)
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
