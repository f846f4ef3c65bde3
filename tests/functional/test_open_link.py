"""Open links ``/o/<survey>/<agency>`` and the counter-tablet (kiosk) mode: the same pages
as an invitation, the response found again through a signed cookie, exactly once per
browser, and a tablet that resets for the next citizen."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import func, select

from surveyapp.extensions import db
from surveyapp.models import (
    Answer,
    Channel,
    Response,
    ResponseStatus,
    Survey,
    SurveyMode,
    SurveyStatus,
)
from tests import factories
from tests.respondent import SCREEN, answer_everything, current_page, sending, walk_to_last_page


def _open_survey(**kwargs: Any) -> Survey:
    factories.province()
    return factories.survey(mode=SurveyMode.OPEN, **kwargs)


def _post(client: FlaskClient, url: str, action: str, **answers: Any) -> Any:
    page = client.get(url)
    assert page.status_code == 200
    data: dict[str, Any] = {**factories.form_fields(page.text), "action": action, **answers}
    return client.post(url, data=data)


def _submitted() -> list[Response]:
    return list(
        db.session.scalars(select(Response).where(Response.status == ResponseStatus.SUBMITTED))
    )


def _resume_cookie(response: Any) -> str:
    cookies = [c for c in response.headers.getlist("Set-Cookie") if "surveyapp_open_" in c]
    assert len(cookies) == 1, response.headers
    return cookies[0]


def test_open_link_welcome_sets_a_signed_httponly_lax_cookie(client: FlaskClient) -> None:
    survey = _open_survey()
    page = client.get(f"/o/{survey.id}/SXD")
    assert page.status_code == 200
    assert current_page(page.text) == "welcome"
    assert f'action="/o/{survey.id}/SXD"' in page.text
    cookie = _resume_cookie(page)
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert f"Path=/o/{survey.id}/SXD" in cookie
    assert page.headers["Cache-Control"] == "no-store"


def test_open_link_completes_once_and_next_visit_starts_fresh(client: FlaskClient) -> None:
    survey = _open_survey()
    url = f"/o/{survey.id}/SXD"
    sent = answer_everything(client, url)
    cleared = _resume_cookie(sent)
    assert "Expires=Thu, 01 Jan 1970" in cleared or "Max-Age=0" in cleared

    thanks = client.get(url)
    assert 'data-state="submitted"' in thanks.text
    (response,) = _submitted()
    assert response.invitation_id is None
    assert response.channel is Channel.WEB
    assert response.agency.code == "SXD"
    assert response.survey_id == survey.id

    fresh = client.get(url)  # the next visit from this browser is a new respondent
    assert current_page(fresh.text) == "welcome"
    answer_everything(client, url)
    assert len(_submitted()) == 2
    assert db.session.scalar(select(func.count()).select_from(Response)) == 2


def test_open_link_resumes_from_the_cookie_and_only_there(client: FlaskClient, app: Any) -> None:
    survey = _open_survey()
    url = f"/o/{survey.id}/SXD"
    _post(client, url, "next")
    assert _post(client, url, "next", **SCREEN).status_code == 303
    where = current_page(client.get(url).text)
    assert where not in ("welcome", "screen")
    other_browser = app.test_client()
    assert current_page(other_browser.get(url).text) == "welcome"
    assert current_page(client.get(url).text) == where


def test_a_forged_or_copied_cookie_starts_fresh(client: FlaskClient, app: Any) -> None:
    survey = _open_survey()
    url = f"/o/{survey.id}/SXD"
    _post(client, url, "next")
    assert current_page(client.get(url).text) != "welcome"
    value = client.get_cookie(f"surveyapp_open_{survey.id}_SXD", path=url)
    assert value is not None
    # The same value under the other agency's cookie is refused (signed per link).
    stranger = app.test_client()
    stranger.set_cookie(f"surveyapp_open_{survey.id}_STP", value.value, path=f"/o/{survey.id}/STP")
    assert current_page(stranger.get(f"/o/{survey.id}/STP").text) == "welcome"
    forged = app.test_client()
    forged.set_cookie(f"surveyapp_open_{survey.id}_SXD", value.value + "x", path=url)
    assert current_page(forged.get(url).text) == "welcome"


def test_unknown_survey_agency_or_non_open_mode_is_404(client: FlaskClient) -> None:
    survey = _open_survey()
    invited = factories.survey(mode=SurveyMode.INVITED)
    assert client.get(f"/o/{survey.id}/NOPE").status_code == 404
    assert client.get(f"/o/{survey.id}/SXD_P1").status_code == 404  # not in the survey
    assert client.get(f"/o/{survey.id + 999}/SXD").status_code == 404
    assert client.get(f"/o/{invited.id}/SXD").status_code == 404


def test_closed_open_link_shows_the_closed_page(client: FlaskClient) -> None:
    survey = _open_survey()
    survey.status = SurveyStatus.CLOSED
    db.session.commit()
    page = client.get(f"/o/{survey.id}/SXD")
    assert page.status_code == 200
    assert 'data-state="closed"' in page.text


def test_anonymous_open_survey_keeps_no_link_to_anyone(client: FlaskClient) -> None:
    survey = _open_survey(anonymous=True)
    answer_everything(client, f"/o/{survey.id}/STP")
    (response,) = _submitted()
    assert response.invitation_id is None
    assert response.agency.code == "STP"


# --- the counter tablet ---------------------------------------------------------------


def test_kiosk_pages_carry_the_kiosk_class_and_post_back_to_the_kiosk(app: Any) -> None:
    survey = _open_survey()
    for url in (f"/o/{survey.id}/SXD/kiosk", f"/o/{survey.id}/SXD?kiosk=1"):
        client = app.test_client()  # one tablet each
        page = client.get(url)
        assert page.status_code == 200
        assert re.search(r'<body class="[^"]*\bkiosk\b', page.text)
        assert f'action="{url}"' in page.text
        assert "come back later with the same link" not in page.text
        moved = _post(client, url, "next")
        assert moved.status_code == 303
        assert moved.headers["Location"].endswith(url)


def test_kiosk_thank_you_returns_to_a_fresh_welcome_and_never_to_old_answers(
    client: FlaskClient,
) -> None:
    survey = _open_survey()
    url = f"/o/{survey.id}/SXD/kiosk"
    answer_everything(client, url, applicant_type="2")
    thanks = client.get(url)
    assert 'data-state="submitted"' in thanks.text
    assert re.search(
        rf'<meta http-equiv="refresh" content="\d+;url={re.escape(url)}">', thanks.text
    )
    assert thanks.headers["Cache-Control"] == "no-store"
    # The back button, a reload, or the refresh: the next person's welcome, nothing older.
    for _ in range(2):
        again = client.get(url)
        assert current_page(again.text) == "welcome"
        assert 'data-state="answering"' in again.text
    next_person = _post(client, url, "next")
    assert next_person.status_code == 303
    screen = client.get(url)
    assert current_page(screen.text) == "screen"
    assert "checked" not in screen.text  # the previous person's answers are not shown
    (first,) = _submitted()
    assert first.channel is Channel.KIOSK
    assert db.session.scalar(select(func.count()).select_from(Response)) == 2


def test_kiosk_resubmit_of_the_previous_person_is_already_submitted(
    client: FlaskClient,
) -> None:
    """A stale last page sent again (a double tap) never makes a second response."""
    survey = _open_survey()
    url = f"/o/{survey.id}/SXD/kiosk"
    form = sending(walk_to_last_page(client, url).text)
    cookie = client.get_cookie(f"surveyapp_open_{survey.id}_SXD", path=f"/o/{survey.id}/SXD")
    assert cookie is not None
    assert client.post(url, data=form).status_code == 303
    client.set_cookie(cookie.key, cookie.value, path=cookie.path)  # as a second tab would
    again = client.post(url, data=form)
    assert again.status_code == 200
    assert 'data-state="already-submitted"' in again.text
    assert re.search(r'http-equiv="refresh"', again.text)
    assert len(_submitted()) == 1
    assert db.session.scalar(select(func.count()).select_from(Answer)) > 0


def test_kiosk_dossier_code_is_optional_checked_and_stored(app: Any) -> None:
    survey = _open_survey()
    url = f"/o/{survey.id}/SXD/kiosk"
    tablet = app.test_client()
    welcome = tablet.get(url + "?lang=en")
    assert re.search(r'<label for="dossier_code">Dossier code \(optional\)</label>', welcome.text)
    refused = _post(tablet, url, "next", dossier_code="<script>")
    assert refused.status_code == 200
    assert current_page(refused.text) == "welcome"
    assert 'id="err-dossier_code"' in refused.text
    assert 'value="&lt;script&gt;"' in refused.text  # what was typed, shown back escaped
    assert db.session.scalar(select(func.count()).select_from(Response)) == 0
    moved = _post(tablet, url, "next", dossier_code=" 000.00.12.h56-240115-0001 ")
    assert moved.status_code == 303
    answer_everything(tablet, url)
    (first,) = _submitted()
    assert first.dossier_code == "000.00.12.H56-240115-0001"
    assert first.channel is Channel.KIOSK

    # The next citizen leaves it empty: nothing is carried over from the previous one.
    assert 'data-state="submitted"' in tablet.get(url).text
    fresh = tablet.get(url)
    assert 'name="dossier_code"' in fresh.text and 'value=""' in fresh.text
    answer_everything(tablet, url)
    second = [r for r in _submitted() if r.id != first.id]
    assert len(second) == 1 and second[0].dossier_code is None


def test_dossier_code_is_only_asked_on_the_kiosk(client: FlaskClient) -> None:
    survey = _open_survey()
    page = client.get(f"/o/{survey.id}/SXD")
    assert 'name="dossier_code"' not in page.text
    _post(client, f"/o/{survey.id}/SXD", "next", dossier_code="ABC-1")
    (response,) = db.session.scalars(select(Response)).all()
    assert response.dossier_code is None  # a web respondent can't set it by posting it
