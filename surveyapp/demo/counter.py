"""A morning at one counter tablet, for the demo's open-link survey: citizens a few
minutes apart, then what the data-quality flags are for: one dossier code rated twice
and a burst of three responses from one tablet within six minutes."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from surveyapp.demo.paradata import paradata
from surveyapp.demo.rows import insert_responses
from surveyapp.demo.synthetic import AgencyProfile, respondent_answers
from surveyapp.extensions import DbSession
from surveyapp.models import Agency, Channel, ResponseStatus, Survey
from surveyapp.questionnaire.document import Questionnaire

# Minutes after the counter opens at which each citizen sends, on its one tablet: the last
# three, within six minutes, are the burst (three within the survey's ten by default).
SENT_AT_MINUTES = [5, 21, 38, 52, 70, 91, 104, 107, 110]
REPEATED = {5: 2}  # the 6th citizen types the dossier code of the 3rd


def morning_at_the_counter(
    session: DbSession, survey: Survey, agency: Agency, profile: AgencyProfile, opens: datetime
) -> int:
    """Insert the kiosk responses of one morning at ``agency``'s counter; how many."""
    rng = np.random.default_rng(876)
    q = Questionnaire(survey.version.document)
    rows: list[dict[str, Any]] = []
    given = []
    tablet = hashlib.sha256(f"demo-counter-{survey.id}-{agency.code}".encode()).hexdigest()
    for k, minutes in enumerate(SENT_AT_MINUTES):
        sent = opens + timedelta(minutes=minutes)
        answers = respondent_answers(q, profile, {}, rng)
        row: dict[str, Any] = {
            "survey_id": survey.id,
            "questionnaire_version_id": survey.questionnaire_version_id,
            "agency_id": agency.id,
            "channel": Channel.KIOSK,
            "status": ResponseStatus.SUBMITTED,
            "weight": 1.0,
            "updated_at": sent,
            "submitted_at": sent,
            "dossier_code": f"000.00.12.H56-{opens:%y%m%d}-{REPEATED.get(k, k) + 1:04d}",
        }
        started = sent - timedelta(seconds=int(rng.integers(150, 420)))
        row.update(paradata(q, answers, Channel.KIOSK, sent, started, rng))
        row["ip_hash"] = tablet  # one tablet, on the counter's network, all morning long
        rows.append(row)
        given.append(answers)
    ids = insert_responses(session, rows, given)
    return len(ids)
