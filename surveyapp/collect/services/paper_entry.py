"""Paper questionnaires keyed in by staff: each entry is a response on the channel ``paper``."""

from __future__ import annotations

import re

from sqlalchemy import case, func, select

from surveyapp.extensions import DbSession
from surveyapp.models import Channel, Response, ResponseStatus, Survey

# An entry's key is made by ``visits.new_resume_key`` (16 random bytes, URL-safe).
KEY = re.compile(r"[A-Za-z0-9_-]{22}")


def valid_key(key: str) -> bool:
    return KEY.fullmatch(key) is not None


def counts(session: DbSession, survey: Survey, entered_by_id: int) -> dict[int, tuple[int, int]]:
    """Saved paper questionnaires of a survey by agency id: (this user's, everyone's)."""
    mine = func.sum(case((Response.entered_by_id == entered_by_id, 1), else_=0))
    rows = session.execute(
        select(Response.agency_id, mine, func.count())
        .where(
            Response.survey_id == survey.id,
            Response.channel == Channel.PAPER,
            Response.status == ResponseStatus.SUBMITTED,
        )
        .group_by(Response.agency_id)
    )
    return {agency_id: (int(own or 0), int(total)) for agency_id, own, total in rows}
