"""Contact details kept no longer than needed: each survey's retention period after its
round closes (``Survey.contact_retention_days``, 90 days unless staff set otherwise).

``surveyapp contacts purge --due`` deletes the contacts of every survey past it; a daily
cron job runs it. The frame's other columns, the sample and the answers stay. The keyed
hashes of respondents' IP addresses (paradata, to spot bursts while the data are
cleaned) go at the same time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from surveyapp.extensions import DbSession
from surveyapp.fieldwork.services.frames import imports as frames
from surveyapp.models import Response, Survey
from surveyapp.surveys.services import rounds


@dataclass(frozen=True)
class Purged:
    survey: Survey
    removed: int
    ip_hashes: int = 0


def purge_due(session: DbSession, now: datetime) -> list[Purged]:
    """Delete the contacts and IP hashes of every survey whose retention period has run out."""
    purged = []
    for survey in session.scalars(select(Survey).where(Survey.closes_at.is_not(None))):
        due = rounds.contacts_due_at(survey, now)
        if due is None or due > now:
            continue
        removed = (
            frames.purge_contacts(session, survey) if frames.contact_count(session, survey) else 0
        )
        hashes = forget_ip_hashes(session, survey)
        if removed or hashes:
            purged.append(Purged(survey, removed, hashes))
    return purged


def forget_ip_hashes(session: DbSession, survey: Survey) -> int:
    """Empty the IP hashes of the survey's responses; how many there were."""
    done = session.execute(
        update(Response)
        .where(Response.survey_id == survey.id, Response.ip_hash.is_not(None))
        .values(ip_hash=None)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(done, "rowcount", 0) or 0)
