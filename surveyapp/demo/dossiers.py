"""The demo's TT01 dossier evaluation: each agency's applicants score their dossier on the
nine indices of Circular 01/2018/TT-VPCP at the counter, so the dossier-points pages
(each dossier's total out of 18 and its band) have something to show."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import numpy as np

from surveyapp.demo.rows import insert_responses
from surveyapp.extensions import DbSession
from surveyapp.models import Agency, Channel, ResponseStatus, Survey, SurveyMode
from surveyapp.surveys.services import surveys

DOSSIER_TITLE = "Đánh giá giải quyết hồ sơ TTHC 2026 theo Thông tư 01 (dữ liệu mẫu)"
PER_AGENCY = 60
NOT_APPLICABLE = 9  # indices 8 (feedback) and 9 (online): no complaint made, not online
MAY_NOT_APPLY = ("tt01_i8_feedback", "tt01_i9_online")


def seed_dossiers(
    session: DbSession, surveyed: list[Agency], good: dict[str, float], now: datetime
) -> Survey:
    """``PER_AGENCY`` evaluations of each agency over the last 30 days; ``good`` is the
    chance that an agency's dossier scores full points on an index."""
    survey = surveys.create_survey(
        session,
        version=surveys.questionnaire_version(session, "tt01-dossier"),
        title=DOSSIER_TITLE,
        agencies=surveyed,
        mode=SurveyMode.OPEN,
        now=now - timedelta(days=30),
    )
    session.flush()
    items = survey.version.document["framework"]["points"]["items"]
    rng = np.random.default_rng(1018)
    rows: list[dict[str, Any]] = []
    answers: list[dict[str, Any]] = []
    for agency in surveyed:
        p = good[agency.code]
        for k in range(PER_AGENCY):
            sent = now - timedelta(minutes=int(rng.integers(60, 30 * 24 * 60)))
            code = f"000.00.{surveyed.index(agency) + 10}.H56-{sent:%y%m%d}-{k + 1:04d}"
            rows.append(
                {
                    "survey_id": survey.id,
                    "questionnaire_version_id": survey.questionnaire_version_id,
                    "agency_id": agency.id,
                    "channel": Channel.KIOSK,
                    "status": ResponseStatus.SUBMITTED,
                    "weight": 1.0,
                    "started_at": sent - timedelta(minutes=2),
                    "updated_at": sent,
                    "submitted_at": sent,
                    "dossier_code": code,
                }
            )
            given: dict[str, Any] = {"dossier_code": code, "evaluator": 1}
            for item in items:
                if item in MAY_NOT_APPLY and rng.random() < 0.3:
                    given[item] = NOT_APPLICABLE
                else:
                    given[item] = int(rng.choice([2, 1, 0], p=[p, (1 - p) * 0.75, (1 - p) * 0.25]))
            answers.append(given)
    insert_responses(session, rows, answers)
    return survey
