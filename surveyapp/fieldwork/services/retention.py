"""Contact details kept no longer than needed: each survey's retention period after its
round closes (``Survey.contact_retention_days``, 90 days unless staff set otherwise).

``surveyapp contacts purge --due`` deletes the contacts of every survey past it; a daily
cron job runs it. The frame's other columns, the sample and the answers stay.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from surveyapp.extensions import DbSession
from surveyapp.fieldwork.services.frames import imports as frames
from surveyapp.models import Survey
from surveyapp.surveys.services import rounds


@dataclass(frozen=True)
class Purged:
    survey: Survey
    removed: int


def purge_due(session: DbSession, now: datetime) -> list[Purged]:
    """Delete the contacts of every survey whose retention period has run out."""
    purged = []
    for survey in session.scalars(select(Survey).where(Survey.closes_at.is_not(None))):
        due = rounds.contacts_due_at(survey, now)
        if due is not None and due <= now and frames.contact_count(session, survey):
            purged.append(Purged(survey, frames.purge_contacts(session, survey)))
    return purged
