"""Paper entry: staff key in paper questionnaires through the respondent forms."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import func, select

from surveyapp.accounts.services import users
from surveyapp.extensions import db
from surveyapp.models import Answer, AuditEvent, Channel, Response, ResponseStatus, Survey
from tests import factories
from tests.respondent import current_page, sending, walk_to_last_page


def _setup(client: FlaskClient, scope: str | None = None) -> Survey:
    province = factories.province()
    survey = factories.survey(("SXD", "STP"))
    factories.user("field@example.org", "fieldwork", province[scope] if scope else None)
    factories.login(client, "field@example.org")
    return survey


def _entry_url(client: FlaskClient, survey: Survey, agency: str = "SXD") -> str:
    start = client.get(f"/surveys/{survey.id}/paper")
    assert start.status_code == 200
    match = re.search(
        rf'href="(/surveys/{survey.id}/paper/{agency}/[A-Za-z0-9_-]{{22}})"', start.text
    )
    assert match, start.text
    return match.group(1)


def test_first_page_is_the_first_section_keyboard_ready(client: FlaskClient) -> None:
    survey = _setup(client)
    url = _entry_url(client, survey)
    page = client.get(url)
    assert current_page(page.text) == "screen"  # no welcome page for a clerk
    # Choices are code fields, the codes printed beside them; the first one has the focus.
    fields = re.findall(r"<(?:input|textarea) id=\"(\w+)\"[^>]*>", page.text)
    assert fields[0] == "service"  # the section's first question, a text one
    assert re.search(r'<textarea id="service"[^>]*autofocus', page.text)
    assert page.text.count("autofocus") == 1
    code_field = re.search(r'<input id="applicant_type"[^>]*>', page.text)
    assert code_field and 'type="text" inputmode="numeric"' in code_field.group(0)
    assert re.search(r'<span class="code-option"><b>1</b> ', page.text)
    # Enter submits the first button of the form: it must be "next".
    buttons = re.findall(r'<button type="submit" name="action" value="(\w+)"', page.text)
    assert buttons[0] == "next"
    assert db.session.scalar(select(func.count()).select_from(Response)) == 0  # GET writes nothing


def test_typed_codes_are_saved_as_a_paper_response_then_a_blank_one_opens(
    client: FlaskClient,
) -> None:
    survey = _setup(client)
    url = _entry_url(client, survey)
    last = walk_to_last_page(client, url)
    assert "Save and enter the next questionnaire" in client.get(url + "?lang=en").text
    sent = client.post(url, data=sending(last.text))
    assert sent.status_code == 303
    next_url = sent.headers["Location"]
    assert next_url != url and next_url.startswith(f"/surveys/{survey.id}/paper/SXD/")
    blank = client.get(next_url)
    assert current_page(blank.text) == "screen"
    assert 'value=""' in blank.text and "flash-success" in blank.text

    (response,) = db.session.scalars(select(Response)).all()
    assert response.channel is Channel.PAPER
    assert response.status is ResponseStatus.SUBMITTED
    clerk = users.find_user(db.session, "field@example.org")
    assert clerk is not None and response.entered_by_id == clerk.id
    assert response.agency.code == "SXD"
    stored = dict(
        db.session.execute(
            select(Answer.item_id, Answer.value_num).where(Answer.response_id == response.id)
        ).all()
    )
    assert stored["applicant_type"] == 1 and stored["trips"] == 1
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "response.paper_entry"))
    assert event is not None and event.object_id == str(response.id)
    # The saved questionnaire is not reopened: the back button lands on a blank one.
    again = client.get(url)
    assert again.status_code == 303
    assert again.headers["Location"] != url


def test_a_wrong_code_comes_back_beside_the_field_with_what_was_typed(
    client: FlaskClient,
) -> None:
    survey = _setup(client)
    url = _entry_url(client, survey)
    page = client.get(url + "?lang=en")
    data: dict[str, Any] = {**factories.form_fields(page.text), "action": "next"}
    refused = client.post(url, data={**data, "applicant_type": "7"})
    assert refused.status_code == 200
    assert "This is not one of the options." in refused.text
    assert re.search(r'name="applicant_type"[^>]*value="7"', refused.text)
    assert 'aria-invalid="true"' in refused.text


def test_out_of_scope_agency_and_officials_surveys_are_404(client: FlaskClient) -> None:
    survey = _setup(client, scope="STP")
    start = client.get(f"/surveys/{survey.id}/paper")
    assert "/paper/STP/" in start.text and "/paper/SXD/" not in start.text
    key = "A" * 22
    assert client.get(f"/surveys/{survey.id}/paper/SXD/{key}").status_code == 404
    assert client.get(f"/surveys/{survey.id}/paper/STP/{key}").status_code == 200
    assert client.get(f"/surveys/{survey.id}/paper/STP/short").status_code == 404


def test_respondents_and_analysts_cannot_key_in(client: FlaskClient) -> None:
    factories.province()
    survey = factories.survey(("SXD",))
    factories.user("analyst@example.org", "analyst", None)
    factories.login(client, "analyst@example.org")
    assert client.get(f"/surveys/{survey.id}/paper").status_code == 403
