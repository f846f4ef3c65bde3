"""E-mailing a selection of invitations: the one loop the web page and the command share.

The page sends one round per request (a request must stay short; the user sends again to
continue), the command every round; both commit after each round, so an interrupted run
resumes with the invitations not yet marked instead of writing to anyone twice.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from surveyapp.extensions import DbSession
from surveyapp.fieldwork.services import letters, mailer
from surveyapp.fieldwork.services.invitations import Batch, Links
from surveyapp.fieldwork.services.mailer import Delivery, SmtpSettings
from surveyapp.models import Survey
from surveyapp.models._types import utcnow


@dataclass(frozen=True)
class EmailRound:
    delivery: Delivery
    more: bool  # invitations remain further on in the selection


def email_rounds(
    session: DbSession,
    survey: Survey,
    batch: Batch,
    config: Mapping[str, Any],
    *,
    actor_id: int | None,
    most: int = letters.EMAIL_BATCH,
) -> Iterator[EmailRound]:
    """E-mail the batch's invitations through the app's SMTP server, up to ``most`` a round.

    Raises ``mailer.SmtpNotConfigured`` at once, before anything is sent. Each round marks
    the invitations that went out in the session: the caller commits after every round it
    takes, and takes as many as it wants. Rounds end when nothing remains, or when a
    round sends nothing (the server refuses us: more rounds would only fail again).
    """
    settings = mailer.app_settings(config)
    return _rounds(session, survey, batch, settings, config, actor_id, most)


def _rounds(
    session: DbSession,
    survey: Survey,
    batch: Batch,
    settings: SmtpSettings,
    config: Mapping[str, Any],
    actor_id: int | None,
    most: int,
) -> Iterator[EmailRound]:
    while True:
        delivery, more = letters.send_emails(
            session,
            survey,
            batch,
            settings,
            links=Links.of(config),
            now=utcnow(),  # each round's own time: a long run spans minutes
            actor_id=actor_id,
            most=most,
        )
        yield EmailRound(delivery, more)
        if not more or not delivery.sent:
            return
