"""The reads of the respondent pages (``visits``, ``answering``): a visit, its saved answers.

For these small queries SQLAlchemy spends longer building a statement, and going through
the ORM, than PostgreSQL takes to run it; so each is built at import, run with plain
parameters, and returns rows, never ORM objects. Their writes are ``answering_sql``'s.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any, TypeAlias

from sqlalchemy import Row, and_, bindparam, select, true
from sqlalchemy.dialects.postgresql import aggregate_order_by, array_agg

from surveyapp.extensions import Base, DbSession
from surveyapp.models import (
    Agency,
    Answer,
    Invitation,
    QuestionnaireVersion,
    Response,
    ResponseStatus,
    Survey,
    survey_agencies,
)

AnyRow: TypeAlias = Row[*tuple[Any, ...]]

_surveys, _agencies, _versions, _invitations, _responses, _answers = (
    Base.metadata.tables[model.__tablename__]
    for model in (Survey, Agency, QuestionnaireVersion, Invitation, Response, Answer)
)
_ANSWER_VALUES = tuple(
    _answers.c[name] for name in ("item_id", "value_num", "value_text", "value_date")
)
# A response as the pages see it (``visits.Progress``).
PROGRESS = tuple(
    _responses.c[name]
    for name in (
        "id",
        "survey_id",
        "agency_id",
        "channel",
        "status",
        "current_page",
        "dossier_code",
        # paradata, carried on from page to page (``paradata``)
        "updated_at",
        "page_seconds",
        "back_navigations",
        "ip_hash",
        "device",
    )
)

# The survey's data-quality settings (``visits.SurveyFacts``).
_QUALITY = tuple(
    _surveys.c[name]
    for name in (
        "speeding_seconds",
        "nonresponse_share",
        "burst_minutes",
        "burst_count",
        "refuse_repeat_dossier",
    )
)


# The saved answers of the response a visit selects, as arrays in one row (PostgreSQL): the
# visit and its answers in one query. ``answer_rows`` reads them on SQLite, in the process.
_SAVED = (
    select(
        *(
            array_agg(aggregate_order_by(column, _answers.c.item_id, _answers.c.position)).label(
                f"saved_{column.name}"
            )
            for column in _ANSWER_VALUES
        )
    )
    .where(_answers.c.response_id == _responses.c.id)
    .lateral("saved")
)


def _visit_select(joined: Any, where: Any, *extra: Any) -> dict[str, Any]:
    """A survey, its version and agency (``joined`` holds surveys and agencies), and the
    response whose resume hash is the ``key`` parameter, if any; by dialect, with that
    response's saved answers on PostgreSQL."""
    visit = (
        select(
            _surveys.c.id.label("survey_id"),
            _surveys.c.questionnaire_version_id,
            _surveys.c.anonymous,
            _surveys.c.mode,
            _surveys.c.status.label("survey_status"),
            _surveys.c.opens_at,
            _surveys.c.closes_at,
            *_QUALITY,
            _versions.c.created_at.label("version_created_at"),
            _versions.c.status.label("version_status"),
            _agencies.c.id.label("agency_id"),
            _agencies.c.code,
            _agencies.c.name_vi,
            _agencies.c.name_en,
            _responses.c.id.label("response_id"),
            *PROGRESS[1:],
            *extra,
        )
        .select_from(joined)
        .join(_versions, _versions.c.id == _surveys.c.questionnaire_version_id)
        .outerjoin(_responses, _responses.c.resume_hash == bindparam("key"))
        .where(where)
    )
    with_saved = visit.add_columns(*_SAVED.c).outerjoin(_SAVED, true())
    return {"postgresql": with_saved, "sqlite": visit}


_BY_TOKEN = _visit_select(
    _invitations.join(_surveys, _surveys.c.id == _invitations.c.survey_id).join(
        _agencies, _agencies.c.id == _invitations.c.agency_id
    ),
    _invitations.c.token_hash == bindparam("token_hash"),
    _invitations.c.id.label("invitation_id"),
    _invitations.c.disposition,
    _invitations.c.stratum.label("invitation_stratum"),
    _invitations.c.base_weight,
)
_BY_LINK = _visit_select(
    survey_agencies.join(_surveys, _surveys.c.id == survey_agencies.c.survey_id).join(
        _agencies,
        and_(
            _agencies.c.id == survey_agencies.c.agency_id,
            _agencies.c.code == bindparam("agency_code"),
        ),
    ),
    _surveys.c.id == bindparam("survey_id"),
    _responses.c.updated_at.label("response_updated_at"),  # a kiosk visit's idle time
)
_DOSSIER_ANSWERED = (
    select(_responses.c.id)
    .where(
        _responses.c.survey_id == bindparam("survey"),
        _responses.c.dossier_code == bindparam("code"),
        _responses.c.status == bindparam("submitted"),
    )
    .limit(1)
)
_FIND_PROGRESS = select(*PROGRESS).where(_responses.c.resume_hash == bindparam("key"))
_SAVED_ANSWERS = (
    select(_answers.c.item_id, _answers.c.value_num, _answers.c.value_text, _answers.c.value_date)
    .where(_answers.c.response_id == bindparam("response"))
    .order_by(_answers.c.item_id, _answers.c.position)
)


def visit_by_token(session: DbSession, token_hash: str, key: str) -> AnyRow | None:
    """The invitation's survey, version, agency and response (``key``'s), in one query;
    on PostgreSQL with the response's answers (``saved_rows``)."""
    statement = _BY_TOKEN[dialect(session)]
    return session.execute(statement, {"token_hash": token_hash, "key": key}).first()


def visit_by_link(session: DbSession, survey_id: int, agency_code: str, key: str) -> AnyRow | None:
    """The same for an open link: the survey with this agency among its agencies."""
    params = {"survey_id": survey_id, "agency_code": agency_code, "key": key}
    return session.execute(_BY_LINK[dialect(session)], params).first()


def saved_rows(row: AnyRow) -> list[tuple[Any, ...]] | None:
    """The answers a ``visit_by_*`` row holds, as ``answer_rows`` gives them; None if it
    holds none (SQLite: read them with ``answer_rows``)."""
    if "saved_item_id" not in row._fields:
        return None
    if row.saved_item_id is None:  # no response yet, or nothing saved
        return []
    return list(
        zip(
            row.saved_item_id,
            row.saved_value_num,
            row.saved_value_text,
            row.saved_value_date,
            strict=True,
        )
    )


def find_progress(session: DbSession, key: str) -> AnyRow | None:
    return session.execute(_FIND_PROGRESS, {"key": key}).first()


def dossier_answered(session: DbSession, survey_id: int, code: str) -> bool:
    """Whether a sent response of the survey carries this dossier code."""
    params = {"survey": survey_id, "code": code, "submitted": ResponseStatus.SUBMITTED}
    return session.execute(_DOSSIER_ANSWERED, params).first() is not None


def answer_rows(session: DbSession, response_id: int) -> Iterable[AnyRow]:
    """(item_id, value_num, value_text, value_date), by item and position."""
    return session.execute(_SAVED_ANSWERS, {"response": response_id})


def typed(item: dict[str, Any], number: float | None, written: str | None, day: date | None) -> Any:
    """A stored answer as the item's type has it (choice codes and whole numbers as int)."""
    if day is not None:
        return day
    if written is not None:
        return written
    if number is not None and item["type"] in ("likert", "single", "multi"):
        return int(number)
    if number is not None and float(number).is_integer():
        return int(number)
    return number


def dialect(session: DbSession) -> str:
    return session.get_bind().dialect.name
