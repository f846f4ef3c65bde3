"""Submitted SIPAS 2017 responses written straight into the tables, for export tests."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from surveyapp.extensions import db
from surveyapp.models import Agency, Answer, Channel, Response, ResponseStatus, Survey
from surveyapp.surveys.services import agencies

FORMULA = '=HYPERLINK("http://evil.example","x")'
COMMENT_VI = "Cán bộ nhiệt tình, thủ tục nhanh gọn"


def submit(
    survey: Survey,
    code: str,
    answers: dict[str, Any],
    *,
    stratum: str | None = None,
    weight: float = 1.0,
    channel: Channel = Channel.WEB,
) -> Response:
    """A submitted response; a list value is a multi item's ticked codes."""
    agency: Agency = agencies.by_codes(db.session, [code])[0]
    response = Response(
        survey_id=survey.id,
        questionnaire_version_id=survey.version.id,
        agency_id=agency.id,
        status=ResponseStatus.SUBMITTED,
        channel=channel,
        stratum=stratum,
        weight=weight,
        submitted_at=datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC),
    )
    db.session.add(response)
    db.session.flush()
    for item_id, value in answers.items():
        values = value if isinstance(value, list) else [value]
        for position, one in enumerate(values):
            answer = Answer(response_id=response.id, item_id=item_id, position=position)
            if isinstance(one, str):
                answer.value_text = one
            elif isinstance(one, date):
                answer.value_date = one
            else:
                answer.value_num = float(one)
            db.session.add(answer)
    db.session.commit()
    return response


def three_responses(survey: Survey) -> list[Response]:
    """SXD: a formula-like comment, a declared-missing 9, two ticks; STP; SXD's sub-unit."""
    return [
        submit(
            survey,
            "SXD",
            {
                "service": "Cấp giấy phép xây dựng",
                "result_received": 1,
                "trips": 2,
                "acc_seats": 4,
                "acc_equip_enough": 9,  # "Không trả lời / Không áp dụng": declared missing
                "result_timing": 1,  # on time: late_notified is never asked
                "expect_improve": [1, 3],
                "comments": FORMULA,
            },
            stratum="SXD-web",
            weight=2.5,
        ),
        submit(
            survey,
            "STP",
            {"result_received": 1, "acc_seats": 5, "expect_improve": [2], "comments": COMMENT_VI},
            weight=1.0,
            channel=Channel.KIOSK,
        ),
        submit(survey, "SXD_P1", {"result_received": 2, "acc_seats": 2}, weight=1.5),
    ]
