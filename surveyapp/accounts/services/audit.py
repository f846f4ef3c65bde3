"""Reading the audit log: who did what, when, filtered by survey, person, kind and days.

Admins read every event. A province-wide analyst reads the events of surveys (the
fieldwork and results trail), not sign-ins or account changes. Days are Vietnam local
days, as everywhere staff type dates.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, or_, select

from surveyapp.extensions import DbSession
from surveyapp.i18n import LOCAL_TIME
from surveyapp.models import AuditEvent, Role, User

PAGE_SIZE = 100
# Kinds of event as staff think of them, by the start of their action names.
KINDS: dict[str, tuple[Any, tuple[str, ...]]] = {
    "survey": (_l("Surveys and rounds"), ("survey.",)),
    "questionnaire": (_l("Questionnaires"), ("questionnaire.", "designer.")),
    "fieldwork": (_l("Fieldwork"), ("frame.", "sample.", "invitation", "officials.")),
    "answers": (_l("Answers"), ("response.",)),
    "results": (_l("Downloads"), ("export.",)),
    "accounts": (_l("Sign-ins and accounts"), ("auth.", "user.", "token.")),
}
COLUMNS = ("at", "actor", "action", "object_type", "object_id", "survey_id", "details")


@dataclass(frozen=True)
class Filters:
    survey_id: int | None = None
    actor_id: int | None = None
    kind: str | None = None
    since: date | None = None  # from 00:00 of this local day
    until: date | None = None  # to 24:00 of this local day


def reads_audit(user: User) -> bool:
    return user.role is Role.ADMIN or _province_analyst(user)


def events(
    session: DbSession, reader: User, filters: Filters, *, before_id: int | None = None
) -> tuple[list[tuple[AuditEvent, str]], int | None]:
    """One page of events, newest first, each with its actor's e-mail; and the id to ask
    for the next (older) page, or None at the end."""
    query = _query(reader, filters)
    if before_id is not None:
        query = query.where(AuditEvent.id < before_id)
    rows = [(event, email) for event, email in session.execute(query.limit(PAGE_SIZE + 1))]
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return rows, rows[-1][0].id if more else None


def all_rows(session: DbSession, reader: User | None, filters: Filters) -> Iterator[dict[str, Any]]:
    """Every event the filters keep, newest first, as flat rows for CSV and JSON;
    ``reader`` None: the command line, which reads everything."""
    for event, email in session.execute(_query(reader, filters).execution_options(yield_per=1000)):
        yield {
            "at": event.at.astimezone(LOCAL_TIME).isoformat(timespec="seconds"),
            "actor": email or "",
            "action": event.action,
            "object_type": event.object_type,
            "object_id": event.object_id,
            "survey_id": event.survey_id if event.survey_id is not None else "",
            "details": json.dumps(event.details, ensure_ascii=False, sort_keys=True),
        }


def kind_of(action: str) -> str | None:
    for kind, (_label, prefixes) in KINDS.items():
        if action.startswith(prefixes):
            return kind
    return None


def start_of(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=LOCAL_TIME)


def _query(reader: User | None, filters: Filters) -> Select[AuditEvent, str]:
    query = (
        select(AuditEvent, User.email)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .order_by(AuditEvent.id.desc())
    )
    if reader is not None and reader.role is not Role.ADMIN:
        query = query.where(AuditEvent.survey_id.is_not(None))
    if filters.survey_id is not None:
        query = query.where(AuditEvent.survey_id == filters.survey_id)
    if filters.actor_id is not None:
        query = query.where(AuditEvent.actor_id == filters.actor_id)
    if filters.kind in KINDS:
        prefixes = KINDS[filters.kind][1]
        query = query.where(or_(*(AuditEvent.action.startswith(p) for p in prefixes)))
    if filters.since is not None:
        query = query.where(AuditEvent.at >= start_of(filters.since))
    if filters.until is not None:
        query = query.where(AuditEvent.at < start_of(filters.until + timedelta(days=1)))
    return query


def _province_analyst(user: User) -> bool:
    return user.role is Role.ANALYST and (user.agency is None or user.agency.parent_id is None)
