"""Surveys: a questionnaire version fielded over a period for a set of agencies."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from surveyapp.extensions import DbSession
from surveyapp.models import (
    Agency,
    Questionnaire,
    QuestionnaireVersion,
    Response,
    ResponseStatus,
    Survey,
    SurveyMode,
    SurveyStatus,
    VersionStatus,
    counted,
)
from surveyapp.models.audit import record
from surveyapp.problems import InputRefused, Problem
from surveyapp.questionnaire import templates
from surveyapp.questionnaire.document import Questionnaire as Document
from surveyapp.security import Scope


def questionnaire_version(
    session: DbSession, key: str, version: int | None = None
) -> QuestionnaireVersion:
    """A stored version by questionnaire id; built-in templates are stored on first use."""
    questionnaire = session.scalar(select(Questionnaire).where(Questionnaire.key == key))
    if questionnaire is None:
        questionnaire = _store_template(session, key)
    query = select(QuestionnaireVersion).where(
        QuestionnaireVersion.questionnaire_id == questionnaire.id
    )
    if version is None:
        query = query.order_by(QuestionnaireVersion.version.desc()).limit(1)
    else:
        query = query.where(QuestionnaireVersion.version == version)
    found = session.scalar(query)
    if found is None:
        raise InputRefused(
            [
                Problem(
                    _l("version"),
                    _l("questionnaire %(key)s has no version %(n)s", key=key, n=version),
                )
            ]
        )
    return found


# Fielded versions never change, so each process reads their documents once. The key
# carries created_at because SQLite may give a deleted version's id to a new one.
_fielded: dict[tuple[int, datetime], Document] = {}


def document_of(version: QuestionnaireVersion) -> Document:
    """The questionnaire of a version; query the version with its ``document`` deferred
    to skip reading it when this process has it already."""
    return _document(version.id, version.created_at, version.frozen, lambda: version.document)


def version_document(
    session: DbSession, version_id: int, created_at: datetime, frozen: bool
) -> Document:
    """The same, for a version known only by the columns respondent pages select."""

    def read() -> dict[str, Any]:
        return session.execute(
            select(QuestionnaireVersion.document).where(QuestionnaireVersion.id == version_id)
        ).scalar_one()

    return _document(version_id, created_at, frozen, read)


def _document(
    version_id: int, created_at: datetime, frozen: bool, read: Callable[[], dict[str, Any]]
) -> Document:
    if not frozen:
        return Document(read())
    key = (version_id, created_at)
    found = _fielded.get(key)
    if found is None:
        found = _fielded[key] = Document(read())
    return found


def _store_template(session: DbSession, key: str) -> Questionnaire:
    try:
        document = templates.load_template(key)
    except KeyError:
        known = ", ".join(t.id for t in templates.list_templates())
        raise InputRefused(
            [
                Problem(
                    _l("questionnaire"),
                    _l(
                        'unknown questionnaire "%(key)s" (built in: %(known)s)',
                        key=key,
                        known=known,
                    ),
                )
            ]
        ) from None
    questionnaire = Questionnaire(key=key)
    session.add(questionnaire)
    session.flush()
    session.add(
        QuestionnaireVersion(
            questionnaire_id=questionnaire.id,
            version=int(document.get("version", 1)),
            document=document,
        )
    )
    session.flush()
    return questionnaire


TITLE_MAX = 255  # the column's length


def settings_problems(title: str, agencies: Sequence[Agency]) -> list[Problem]:
    """What is wrong with a survey's title and agencies, on creation as on an edit."""
    problems = []
    if not title.strip():
        problems.append(Problem(_l("title"), _l("a survey needs a title")))
    elif len(title.strip()) > TITLE_MAX:
        problems.append(Problem(_l("title"), _l("at most %(max)s characters", max=TITLE_MAX)))
    if not agencies:
        problems.append(Problem(_l("agencies"), _l("choose at least one agency")))
    return problems


def create_survey(
    session: DbSession,
    *,
    version: QuestionnaireVersion,
    title: str,
    agencies: Sequence[Agency],
    mode: SurveyMode = SurveyMode.INVITED,
    anonymous: bool = False,
    actor_id: int | None = None,
    now: datetime,
    draft: bool = False,
    contact_retention_days: int = 90,
) -> Survey:
    """Create a survey and open it for answers (or keep it a draft, to open later or on a
    date: ``surveys.services.rounds``); its questionnaire version freezes."""
    problems = settings_problems(title, agencies)
    if problems:
        raise InputRefused(problems)
    if version.status is VersionStatus.DRAFT:
        version.status = VersionStatus.OPEN
        version.opened_at = now
    survey = Survey(
        title=title.strip(),
        version=version,
        questionnaire_version_id=version.id,
        mode=mode,
        anonymous=anonymous,
        status=SurveyStatus.DRAFT if draft else SurveyStatus.OPEN,
        opens_at=None if draft else now,
        agencies=list(agencies),
        created_by_id=actor_id,
        contact_retention_days=contact_retention_days,
    )
    session.add(survey)
    session.flush()
    record(session, actor_id, "survey.create", survey, title=survey.title, mode=mode.value)
    return survey


def list_surveys(session: DbSession, scope: Scope) -> list[Survey]:
    """The surveys with at least one agency in scope, newest first."""
    query = select(Survey).order_by(Survey.created_at.desc(), Survey.id)
    return [s for s in session.scalars(query) if scope.sees(s)]


def get_survey(session: DbSession, survey_id: int) -> Survey | None:
    return session.get(Survey, survey_id)


def visible_survey(session: DbSession, scope: Scope, survey_id: int) -> Survey:
    """A survey the scope sees (one of its agencies is in scope); else a 404."""
    return scope.visible(session.get(Survey, survey_id))


def count_submitted(session: DbSession, survey: Survey, scope: Scope) -> int:
    """Submitted responses of the survey's agencies in scope."""
    query = select(func.count()).select_from(Response).where(counted(survey.id))
    agency_ids = scope.agency_ids(survey)
    if agency_ids is not None:
        query = query.where(Response.agency_id.in_(agency_ids))
    return session.scalar(query) or 0


def count_voided(
    session: DbSession, survey: Survey, scope: Scope, under: Agency | None = None
) -> int:
    """Voided responses (set aside when cleaning, counted nowhere) of the survey's agencies
    in scope, or of ``under`` and its units: the pages say how many left the counts."""
    query = (
        select(func.count())
        .select_from(Response)
        .join(Agency, Agency.id == Response.agency_id)
        .where(Response.survey_id == survey.id, Response.status == ResponseStatus.VOIDED)
    )
    agency_ids = scope.agency_ids(survey)
    if agency_ids is not None:
        query = query.where(Response.agency_id.in_(agency_ids))
    if under is not None:
        query = query.where(Agency.path.startswith(under.path, autoescape=True))
    return session.scalar(query) or 0


@dataclass(frozen=True)
class Features:
    """What a survey's pages offer, from its mode and its questionnaire's kind.

    ``kind`` is "par" (officials rate agencies: PAR INDEX cross-evaluation), "dossier"
    (a points scheme scores each dossier, as TT01) or "sipas" (citizens' satisfaction).
    """

    kind: str
    # Citizens answer (web, kiosk, paper): one-stop records, paper entry, weights; else
    # officials signed in rate the agencies assigned to them.
    citizens: bool
    invitations: bool  # a drawn sample: the draw, links, letters, response rates


def features(survey: Survey) -> Features:
    document = survey.version.document
    if document.get("audience") == "official":
        kind = "par"
    elif document.get("framework", {}).get("points"):
        kind = "dossier"
    else:
        kind = "sipas"
    return Features(
        kind=kind,
        citizens=survey.mode is not SurveyMode.OFFICIALS,
        invitations=survey.mode is SurveyMode.INVITED,
    )
