"""The respondent pages' HTTP contract (spec/interfaces.md): one form per page, item ids
as field names, ``action`` buttons, 303 after a valid POST, ``data-state`` markers."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from surveyapp.extensions import db
from surveyapp.fieldwork.services import invitations
from surveyapp.models import Answer, Disposition, Invitation, Response, ResponseStatus
from surveyapp.surveys.services import agencies
from tests import factories
from tests.respondent import SCREEN, answer_everything, is_last, sending, walk_to_last_page


def _page(client: FlaskClient, token: str) -> Any:
    page = client.get(f"/s/{token}")
    assert page.status_code == 200
    return page


def _post(client: FlaskClient, token: str, action: str, **answers: Any) -> Any:
    page = _page(client, token)
    data: dict[str, Any] = {**factories.form_fields(page.text), "action": action, **answers}
    return client.post(f"/s/{token}", data=data)


def _current_page(html: str) -> str:
    match = re.search(r'data-page="([^"]+)"', html)
    assert match
    return match.group(1)


def _answer_everything(client: FlaskClient, token: str, **overrides: Any) -> None:
    """Answer every page, send, and see the thank-you page (shown once), as a browser does."""
    answer_everything(client, f"/s/{token}", **overrides)
    assert 'data-state="submitted"' in client.get(f"/s/{token}").text


def test_welcome_page_is_a_form_with_next_and_csrf(client: FlaskClient) -> None:
    factories.province()
    token = factories.tokens(factories.survey(), "SXD")[0]
    page = _page(client, token)
    assert 'data-page="welcome"' in page.text
    assert 'name="action" value="next"' in page.text
    assert 'name="csrf_token"' in page.text


def test_complete_questionnaire_then_second_visit_is_already_submitted(client: FlaskClient) -> None:
    factories.province()
    survey = factories.survey()
    token = factories.tokens(survey, "SXD")[0]
    _answer_everything(client, token)
    after = client.get(f"/s/{token}")
    assert 'data-state="already-submitted"' in after.text
    assert db.session.scalar(select(func.count()).select_from(Response)) == 1
    response = db.session.scalars(select(Response)).one()
    assert response.status is ResponseStatus.SUBMITTED
    invitation = db.session.scalars(select(Invitation)).one()
    assert invitation.disposition is Disposition.COMPLETE
    stored = {a.item_id: a.value_num for a in db.session.scalars(select(Answer))}
    assert stored["acc_seats"] == 4
    assert stored["trips"] == 1


def test_post_of_completed_invitation_answers_already_submitted(client: FlaskClient) -> None:
    factories.province()
    token = factories.tokens(factories.survey(), "SXD")[0]
    _answer_everything(client, token)
    csrf = factories.csrf_from(client.get("/login").text)
    again = client.post(f"/s/{token}", data={"csrf_token": csrf, "action": "submit"})
    assert again.status_code == 200
    assert 'data-state="already-submitted"' in again.text
    assert db.session.scalar(select(func.count()).select_from(Response)) == 1


def test_invalid_answers_come_back_with_messages_beside_fields(client: FlaskClient) -> None:
    factories.province()
    token = factories.tokens(factories.survey(), "SXD")[0]
    _post(client, token, "next")  # leave the welcome page
    bad = _post(
        client,
        token,
        "next",
        applicant_type=["1", "2"],  # two values for a single choice
        result_received="7",  # unknown code
        trips="many",  # text in a number field
    )
    assert bad.status_code == 200
    assert bad.text.count('class="field-error"') >= 3
    assert 'aria-describedby="err-trips"' in bad.text
    assert 'value="many"' in bad.text  # what was typed is kept
    summary = re.search(r'<div class="error-summary"[^>]*>(.*?)</div>', bad.text, re.S)
    assert summary, "the refused page opens with a summary of its problems"
    for item in ("applicant_type", "result_received", "trips"):
        assert f'href="#q-{item}"' in summary.group(1)


def test_unknown_action_is_refused_on_the_same_page(client: FlaskClient) -> None:
    factories.province()
    token = factories.tokens(factories.survey(), "SXD")[0]
    response = _post(client, token, "jump")
    assert response.status_code == 200
    assert 'data-page="welcome"' in response.text
    assert 'role="alert"' in response.text


def test_missing_csrf_is_400_and_saves_nothing(client: FlaskClient) -> None:
    factories.province()
    token = factories.tokens(factories.survey(), "SXD")[0]
    response = client.post(f"/s/{token}", data={"action": "next"})
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Response)) == 0


def test_body_over_64_kib_is_413(client: FlaskClient) -> None:
    factories.province()
    token = factories.tokens(factories.survey(), "SXD")[0]
    response = client.post(f"/s/{token}", data={"comments": "x" * 70_000})
    assert response.status_code == 413


def test_unknown_token_is_404(client: FlaskClient) -> None:
    factories.province()
    assert client.get("/s/not-a-token").status_code == 404


def test_back_returns_to_previous_page_with_answers_kept(client: FlaskClient) -> None:
    factories.province()
    token = factories.tokens(factories.survey(), "SXD")[0]
    _post(client, token, "next")
    assert _post(client, token, "next", **SCREEN).status_code == 303
    second = _current_page(_page(client, token).text)
    assert second not in ("welcome", "screen")
    assert _post(client, token, "back").status_code == 303
    page = _page(client, token)
    assert _current_page(page.text) != second
    assert re.search(r'name="result_received" value="1"\s+checked', page.text)


def test_screened_out_respondent_is_done_after_the_screening_page(client: FlaskClient) -> None:
    """result_received = 2 ends the interview (the 2017 frame: results received only)."""
    factories.province()
    token = factories.tokens(factories.survey(), "SXD")[0]
    _post(client, token, "next")
    screening = _page(client, token).text
    assert not is_last(screening)  # later pages hang on its answers: "Next", not "Send"
    _post(client, token, "next", **{**SCREEN, "result_received": "2"})
    assert 'data-state="submitted"' in _page(client, token).text


def test_the_last_page_sends_and_says_so(client: FlaskClient) -> None:
    factories.province()
    token = factories.tokens(factories.survey(), "SXD")[0]
    last = walk_to_last_page(client, f"/s/{token}")
    assert _current_page(last.text) == "closing"
    assert 'class="send-note"' in last.text and 'value="next"' not in last.text
    assert client.post(f"/s/{token}", data=sending(last.text)).status_code == 303
    assert 'data-state="submitted"' in _page(client, token).text


def test_resume_after_leaving_returns_to_the_same_page(client: FlaskClient, app: Any) -> None:
    factories.province()
    token = factories.tokens(factories.survey(), "SXD")[0]
    _post(client, token, "next")
    _post(client, token, "next", **SCREEN)
    where = _current_page(_page(client, token).text)
    fresh = app.test_client()  # another browser, same link
    assert _current_page(fresh.get(f"/s/{token}").text) == where


def test_language_switch_and_accept_language(client: FlaskClient) -> None:
    factories.province()
    token = factories.tokens(factories.survey(), "SXD")[0]
    english = client.get(f"/s/{token}", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert '<html lang="en">' in english.text
    vietnamese = client.get(f"/s/{token}?lang=vi")
    assert '<html lang="vi">' in vietnamese.text
    assert '<html lang="vi">' in client.get(f"/s/{token}").text  # the choice sticks


def test_switching_language_keeps_what_was_ticked_on_the_page(client: FlaskClient) -> None:
    """The switch is a button of the page's form: it saves the page as it is, unchecked,
    and shows it again in the other language (no script needed)."""
    factories.province()
    token = factories.tokens(factories.survey(), "SXD")[0]
    _post(client, token, "next")
    page = _page(client, token)
    assert re.search(r'<button type="submit" form="answers" name="lang" value="en"', page.text)
    # Enter presses the form's first button: a hidden copy of "Next", before the switch.
    first = re.search(r'<button type="submit" form="answers" name="(\w+)" value="(\w+)"', page.text)
    assert first and first.groups() == ("action", "next")
    ticked = {"applicant_type": "2", "trips": "abc"}  # one answer, one not yet valid
    form = {**factories.form_fields(page.text), "lang": "en", **ticked}
    switched = client.post(f"/s/{token}", data=form)
    assert switched.status_code == 303
    assert switched.headers["Location"].endswith(f"/s/{token}?lang=en")
    english = client.get(switched.headers["Location"])
    assert '<html lang="en">' in english.text
    assert _current_page(english.text) == "screen"
    assert re.search(r'name="applicant_type" value="2"\s+checked', english.text)
    assert "field-error" not in english.text  # a draft: nothing is refused
    back = client.post(
        f"/s/{token}", data={**factories.form_fields(english.text), "lang": "vi", **ticked}
    )
    assert '<html lang="vi">' in client.get(back.headers["Location"]).text
    (response,) = db.session.scalars(select(Response)).all()
    assert response.status is ResponseStatus.IN_PROGRESS


def test_a_letter_token_typed_in_capitals_leads_to_the_same_link(
    app: Flask, client: FlaskClient
) -> None:
    factories.province()
    survey = factories.survey()
    sxd = agencies.by_codes(db.session, ["SXD"])[0]
    (link,) = invitations.create_invitations(
        db.session, survey, sxd, 1, links=invitations.Links.of(app.config)
    )
    db.session.commit()
    token = link.token
    assert len(token) == 16 and token == token.lower()
    typed = client.get(f"/s/{token.upper()}")
    assert typed.status_code == 308
    assert typed.headers["Location"].endswith(f"/s/{token}")
    assert 'data-page="welcome"' in client.get(typed.headers["Location"]).text
