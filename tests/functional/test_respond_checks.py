"""A questionnaire's ``checks`` (cross-item validation) on the respondent pages.

The variant of SIPAS 2017 used here adds two checks: on ``trips`` (same page as the
channel it reads) and on ``late_reschedules`` (reads ``trips`` from an earlier page and is
itself shown only when the result came late).
"""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select

from surveyapp.design.services import questionnaires
from surveyapp.extensions import db
from surveyapp.models import Answer, SurveyMode
from surveyapp.models._types import utcnow
from surveyapp.questionnaire.templates import load_template
from surveyapp.surveys.services import agencies, surveys
from tests import factories
from tests.respondent import SCREEN

ONLINE_TRIPS = {
    "vi": "Hồ sơ nộp trực tuyến không cần đến cơ quan quá 3 lần.",
    "en": "An online submission needs at most 3 visits.",
}
RESCHEDULES = {
    "vi": "Số lần hẹn lại không thể nhiều hơn số lần đến cơ quan.",
    "en": "There cannot be more new appointments than visits.",
}


def _item(doc: dict[str, Any], item_id: str) -> dict[str, Any]:
    return next(i for s in doc["sections"] for i in s["items"] if i["id"] == item_id)


def _checked_survey() -> str:
    """An open survey on the variant, and one invitation token to it."""
    doc = load_template("sipas-2017")
    doc["id"] = "sipas-2017-checked"
    _item(doc, "trips")["checks"] = [
        {
            "rule": {"or": [{"ne": ["submit_channel", 2]}, {"le": ["trips", 3]}]},
            "message": ONLINE_TRIPS,
        }
    ]
    # a rule can't compare two items, so "no more than the visits" is spelled per case
    _item(doc, "late_reschedules")["checks"] = [
        {
            "rule": {"or": [{"ge": ["trips", 5]}, {"lt": ["late_reschedules", 5]}]},
            "message": RESCHEDULES,
        }
    ]
    factories.province()
    version = questionnaires.import_questionnaire(db.session, doc)
    survey = surveys.create_survey(
        db.session,
        version=version,
        title="Kiểm tra chéo",
        agencies=agencies.by_codes(db.session, ["SXD"]),
        mode=SurveyMode.INVITED,
        now=utcnow(),
    )
    db.session.commit()
    return factories.tokens(survey, "SXD")[0]


def _post(client: FlaskClient, token: str, action: str = "next", **answers: Any) -> Any:
    page = client.get(f"/s/{token}")
    data = {**factories.form_fields(page.text), "action": action, **answers}
    return client.post(f"/s/{token}", data=data)


def _page_name(client: FlaskClient, token: str) -> str:
    match = re.search(r'data-page="([^"]+)"', client.get(f"/s/{token}").text)
    assert match
    return match.group(1)


def _stored(item_id: str) -> list[Any]:
    return list(db.session.scalars(select(Answer).where(Answer.item_id == item_id)))


def _walk_to(client: FlaskClient, token: str, page: str) -> None:
    """Answer pages with every first option until ``page`` is the current one."""
    for _ in range(15):
        if _page_name(client, token) == page:
            return
        html = client.get(f"/s/{token}").text
        answers: dict[str, Any] = {}
        for name, code in re.findall(r'name="([a-z][a-z0-9_]*)" value="(\d+)"', html):
            answers.setdefault(name, code)
        answers.update({k: v for k, v in SCREEN.items() if f'name="{k}"' in html})
        assert _post(client, token, **answers).status_code == 303
    raise AssertionError(f"never reached {page}")


def test_failed_check_keeps_the_page_with_its_message_beside_the_field(
    client: FlaskClient,
) -> None:
    token = _checked_survey()
    _post(client, token)  # welcome

    refused = _post(client, token, **{**SCREEN, "submit_channel": "2", "trips": "6"})

    assert refused.status_code == 200
    error = re.search(r'<p class="field-error" id="err-trips">([^<]*)</p>', refused.text)
    assert error and error.group(1) == ONLINE_TRIPS["vi"]
    assert 'name="trips" type="text" inputmode' in refused.text
    assert re.search(r'id="trips"[^>]*aria-describedby="err-trips"', refused.text)
    assert 'value="6"' in refused.text  # what was typed stays
    assert _page_name(client, token) == "screen"
    assert _stored("trips") == []


def test_check_message_is_in_the_respondents_language(client: FlaskClient) -> None:
    token = _checked_survey()
    client.get(f"/s/{token}?lang=en")
    _post(client, token)

    refused = _post(client, token, **{**SCREEN, "submit_channel": "2", "trips": "6"})

    assert ONLINE_TRIPS["en"] in refused.text
    assert ONLINE_TRIPS["vi"] not in refused.text


def test_answers_that_satisfy_the_check_move_on_and_are_stored(client: FlaskClient) -> None:
    token = _checked_survey()
    _post(client, token)

    in_person = _post(client, token, **{**SCREEN, "submit_channel": "1", "trips": "6"})

    assert in_person.status_code == 303
    assert _page_name(client, token) != "screen"
    assert [a.value_num for a in _stored("trips")] == [6]


def test_a_blank_optional_item_is_not_judged_by_its_check(client: FlaskClient) -> None:
    token = _checked_survey()
    _walk_to(client, token, "negative")
    answers = {"harassed": "2", "asked_extra_pay": "2", "result_timing": "3"}

    moved = _post(client, token, **answers)  # late_reschedules left blank

    assert moved.status_code == 303


def test_check_reads_an_answer_from_an_earlier_page(client: FlaskClient) -> None:
    token = _checked_survey()
    _post(client, token)
    assert _post(client, token, **{**SCREEN, "trips": "2"}).status_code == 303
    _walk_to(client, token, "negative")
    answers = {"harassed": "2", "asked_extra_pay": "2", "result_timing": "3"}

    refused = _post(client, token, **answers, late_reschedules="7")
    accepted = _post(client, token, **answers, late_reschedules="1")

    assert refused.status_code == 200
    assert RESCHEDULES["vi"] in refused.text
    assert 'id="err-late_reschedules"' in refused.text
    assert accepted.status_code == 303
    assert [a.value_num for a in _stored("late_reschedules")] == [1]


def test_check_of_an_item_off_the_path_is_not_enforced(client: FlaskClient) -> None:
    """late_reschedules is hidden unless the result came late: what a tampered or stale
    form sends for it is neither checked nor stored."""
    token = _checked_survey()
    _post(client, token)
    assert _post(client, token, **{**SCREEN, "trips": "2"}).status_code == 303
    _walk_to(client, token, "negative")
    on_time = {"harassed": "2", "asked_extra_pay": "2", "result_timing": "1"}

    moved = _post(client, token, **on_time, late_reschedules="7")

    assert moved.status_code == 303
    assert _stored("late_reschedules") == []
