"""A survey round's life: draft, open, closed; opening and closing dates; reopening.

The stored status says what staff decided; the dates say when. A survey takes answers only
while its status is open and ``now`` lies between its dates (``models.survey.taking_answers``,
which every respondent page checks), so a scheduled round opens and closes by itself with
no job to run. Dates are Vietnam local dates: a round opening on 1/3 takes answers from
00:00 that day, one closing on 31/3 until 24:00 that day (Asia/Ho_Chi_Minh).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy import select

from surveyapp.extensions import DbSession
from surveyapp.i18n import LOCAL_TIME
from surveyapp.models import (
    Agency,
    Invitation,
    RaterAssignment,
    Response,
    Survey,
    SurveyMode,
    SurveyStatus,
)
from surveyapp.models.audit import record
from surveyapp.problems import InputRefused, Problem
from surveyapp.surveys.services.surveys import settings_problems


class RoundState(enum.Enum):
    """Where a round stands at a moment: its status read together with its dates."""

    DRAFT = "draft"  # not opened yet, no opening date
    SCHEDULED = "scheduled"  # open from a date still to come
    OPEN = "open"
    CLOSED = "closed"  # closed by staff or past its closing date

    @property
    def status(self) -> str:
        """The three-valued status of the command line and the API: a scheduled round is
        still a draft until its day comes."""
        return "draft" if self is RoundState.SCHEDULED else self.value


def state(survey: Survey, now: datetime) -> RoundState:
    if survey.status is SurveyStatus.DRAFT:
        return RoundState.DRAFT
    if survey.status is SurveyStatus.CLOSED or (survey.closes_at and now >= survey.closes_at):
        return RoundState.CLOSED
    if survey.opens_at and now < survey.opens_at:
        return RoundState.SCHEDULED
    return RoundState.OPEN


@dataclass(frozen=True)
class Round:
    """A round as pages show it: where it stands, its first and last day (local)."""

    state: RoundState
    opens: date | None
    closes: date | None
    contacts_go: date | None  # the day frame contacts are deleted, once the round closed
    retention_days: int


def of(survey: Survey, now: datetime) -> Round:
    due = contacts_due_at(survey, now)
    return Round(
        state(survey, now),
        first_day(survey),
        last_day(survey),
        due.astimezone(LOCAL_TIME).date() if due else None,
        survey.contact_retention_days,
    )


def contacts_due_at(survey: Survey, now: datetime) -> datetime | None:
    """When the round's contact details are to be deleted: its retention period after it
    closed; None while it has not closed."""
    if state(survey, now) is not RoundState.CLOSED or survey.closes_at is None:
        return None
    return survey.closes_at + timedelta(days=survey.contact_retention_days)


def open_now(session: DbSession, survey: Survey, actor_id: int | None, now: datetime) -> None:
    """Open (or reopen) the round at once; a closing date already past is dropped, a later
    one kept."""
    was = state(survey, now)
    if was is RoundState.OPEN:
        raise InputRefused([Problem(_l("status"), _l("the survey is already open"))])
    survey.status = SurveyStatus.OPEN
    if survey.opens_at is None or survey.opens_at > now:
        survey.opens_at = now
    if survey.closes_at is not None and survey.closes_at <= now:
        survey.closes_at = None
    action = "survey.reopen" if was is RoundState.CLOSED else "survey.open"
    record(session, actor_id, action, survey, **_dates(survey))


def unschedule(session: DbSession, survey: Survey, actor_id: int | None, now: datetime) -> None:
    """Call off an opening still to come: the round is a draft again."""
    if state(survey, now) is not RoundState.SCHEDULED:
        raise InputRefused([Problem(_l("status"), _l("the survey has no opening to call off"))])
    survey.status, survey.opens_at = SurveyStatus.DRAFT, None
    record(session, actor_id, "survey.unschedule", survey, **_dates(survey))


def close_now(session: DbSession, survey: Survey, actor_id: int | None, now: datetime) -> None:
    """Close the round at once: no channel takes another answer, a visit in progress
    included. It can be reopened."""
    if state(survey, now) is RoundState.CLOSED:
        raise InputRefused([Problem(_l("status"), _l("the survey is already closed"))])
    survey.status = SurveyStatus.CLOSED
    if survey.closes_at is None or survey.closes_at > now:
        survey.closes_at = now
    record(session, actor_id, "survey.close", survey, **_dates(survey))


def schedule(
    session: DbSession,
    survey: Survey,
    actor_id: int | None,
    now: datetime,
    *,
    opens: date | None,
    closes: date | None,
) -> None:
    """Set the opening and/or closing day (a day left out keeps its current value).

    A round with dates is open between them: a draft given an opening day opens on it, a
    closed round given a closing day still to come reopens until then, and a closing day
    already past closes it.
    """
    if opens is None and closes is None:
        raise InputRefused([Problem(_l("dates"), _l("give an opening or a closing date"))])
    opens_at = start_of(opens) if opens else survey.opens_at
    closes_at = start_of(closes + timedelta(days=1)) if closes else survey.closes_at
    # A closing day already past closes the round, whenever it was recorded as opened.
    closes_now = closes_at is not None and closes_at <= now and opens is None
    if opens_at and closes_at and closes_at <= opens_at and not closes_now:
        raise InputRefused(
            [Problem(_l("closing date"), _l("the closing date comes before the opening date"))]
        )
    survey.opens_at, survey.closes_at = opens_at, closes_at
    if closes_at and closes_at <= now:
        survey.status = SurveyStatus.CLOSED
    elif opens or (closes and survey.status is SurveyStatus.CLOSED):
        survey.status = SurveyStatus.OPEN
    record(session, actor_id, "survey.schedule", survey, **_dates(survey))


def start_of(day: date) -> datetime:
    """00:00 of a Vietnam local day, as the UTC moment the database stores."""
    return datetime.combine(day, time(), LOCAL_TIME).astimezone(UTC)


def last_day(survey: Survey) -> date | None:
    """The closing day staff gave (the round takes answers until the end of it)."""
    if survey.closes_at is None:
        return None
    return (survey.closes_at.astimezone(LOCAL_TIME) - timedelta(microseconds=1)).date()


def first_day(survey: Survey) -> date | None:
    return survey.opens_at.astimezone(LOCAL_TIME).date() if survey.opens_at else None


def _dates(survey: Survey) -> dict[str, str | None]:
    return {
        "status": survey.status.value,
        "opens_at": survey.opens_at.isoformat() if survey.opens_at else None,
        "closes_at": survey.closes_at.isoformat() if survey.closes_at else None,
    }


SETTING_NAMES = {
    "agencies": _l("The agencies"),
    "mode": _l("How people answer"),
    "anonymous": _l("Anonymity"),
}


def edit(
    session: DbSession,
    survey: Survey,
    actor_id: int | None,
    now: datetime,
    *,
    title: str,
    agencies: Sequence[Agency],
    mode: SurveyMode,
    anonymous: bool,
    contact_retention_days: int,
) -> list[str]:
    """Change a survey's settings; returns the names of those changed.

    The title and the contacts' retention may change at any time. Agencies, mode and
    anonymity decide who is asked and
    what a response can be linked to, so they change only while the round has not opened
    and nobody has been invited, assigned or has answered.
    """
    problems = settings_problems(title, agencies)
    title = title.strip()
    changed = [
        name
        for name, now_value, new_value in (
            ("title", survey.title, title),
            ("agencies", {a.id for a in survey.agencies}, {a.id for a in agencies}),
            ("mode", survey.mode, mode),
            ("anonymous", survey.anonymous, anonymous),
            ("contact_retention_days", survey.contact_retention_days, contact_retention_days),
        )
        if now_value != new_value
    ]
    settled = [name for name in changed if name in SETTING_NAMES]
    if settled and not problems:
        reason = _fixed_because(session, survey, now)
        if reason is not None:
            message = _l(
                "%(setting)s can no longer change: %(reason)s. Only the title can.",
                setting=SETTING_NAMES[settled[0]],
                reason=reason,
            )
            problems.append(Problem("", message))
    if problems:
        raise InputRefused(problems)
    survey.title, survey.mode, survey.anonymous = title, mode, anonymous
    survey.contact_retention_days = contact_retention_days
    survey.agencies = list(agencies)
    if changed:
        record(session, actor_id, "survey.edit", survey, changed=changed)
    return changed


def _fixed_because(session: DbSession, survey: Survey, now: datetime) -> LazyString | None:
    """Why the survey's agencies, mode and anonymity can no longer change, if they can't."""
    if state(survey, now) in (RoundState.OPEN, RoundState.CLOSED):
        return _l("the round has opened")
    for model, what in (
        (Response, _l("people have answered")),
        (Invitation, _l("invitations were made")),
        (RaterAssignment, _l("officials were assigned")),
    ):
        found = session.scalar(select(model.id).where(model.survey_id == survey.id).limit(1))
        if found is not None:
            return what
    return None
