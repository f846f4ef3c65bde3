"""Open links ``/o/<survey>/<agency>`` and the counter-tablet (kiosk) mode: the same pages
as an invitation, the response found again through a signed cookie, exactly once per
browser, and a tablet that resets for the next citizen."""

from __future__ import annotations

import re
from datetime import timedelta
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
from tests.respondent import (
    SCREEN,
    answer_everything,
    answers_for,
    current_page,
    form_action,
    sending,
    walk_to_last_page,
)


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


def _kiosk(survey: Survey) -> tuple[str, str]:
    """The tablet's start page and the URL its visit then goes on at."""
    return f"/o/{survey.id}/SXD/kiosk", f"/o/{survey.id}/SXD/kiosk/visit"


def _begin(client: FlaskClient, start: str, **answers: Any) -> Any:
    """The start page's "Start" button, with ``answers`` (a dossier code)."""
    welcome = client.get(start)
    assert welcome.status_code == 200
    data = {**factories.form_fields(welcome.text), "action": "next", **answers}
    return client.post(form_action(welcome.text), data=data)


def _in_progress() -> list[Response]:
    db.session.rollback()
    return list(
        db.session.scalars(select(Response).where(Response.status == ResponseStatus.IN_PROGRESS))
    )


def test_kiosk_pages_carry_the_kiosk_class_and_hand_the_visit_on(client: FlaskClient) -> None:
    survey = _open_survey()
    start, visit = _kiosk(survey)
    page = client.get(start)
    assert page.status_code == 200
    assert re.search(r'<body class="[^"]*\bkiosk\b', page.text)
    assert form_action(page.text) == start  # every page posts back to its own URL
    assert "come back later with the same link" not in page.text
    moved = _begin(client, start)
    assert moved.status_code == 303
    assert moved.headers["Location"].endswith(visit)
    assert current_page(client.get(visit).text) == "screen"


def test_opening_the_kiosk_never_resumes_the_previous_persons_visit(client: FlaskClient) -> None:
    """Citizen 1 answers a page and walks away; whoever opens the kiosk next starts anew."""
    survey = _open_survey()
    start, visit = _kiosk(survey)
    _begin(client, start, dossier_code="HS-1")
    assert client.post(visit, data=answers_for(client.get(visit).text) | {"action": "next"})
    assert current_page(client.get(visit).text) not in ("welcome", "screen")

    fresh = client.get(start)  # the next person, on the same tablet
    assert current_page(fresh.text) == "welcome"
    assert 'value="HS-1"' not in fresh.text
    # The previous visit is gone from this tablet: its pages lead back to the start.
    assert client.get(visit).headers["Location"].endswith(start)
    _begin(client, start)
    screen = client.get(visit)
    assert current_page(screen.text) == "screen" and "checked" not in screen.text
    first, second = sorted(_in_progress(), key=lambda r: r.id)
    assert first.dossier_code == "HS-1" and second.dossier_code is None


def test_start_over_leaves_the_visit_unsent_for_the_next_person(client: FlaskClient) -> None:
    survey = _open_survey()
    start, visit = _kiosk(survey)
    _begin(client, start)
    page = client.get(visit)
    restart = re.search(
        rf'<form method="post" action="{start}\?restart=1" class="kiosk-restart">', page.text
    )
    assert restart, "every kiosk page has a start-over button"
    assert client.post(start + "?restart=1", data={}).status_code == 400  # CSRF only
    left = client.post(start + "?restart=1", data=factories.form_fields(page.text))
    assert left.status_code == 303 and left.headers["Location"].endswith(start)
    assert current_page(client.get(start).text) == "welcome"
    assert client.get(visit).status_code == 303  # nothing to resume
    (unsent,) = _in_progress()
    assert unsent.current_page == "screen"
    assert _submitted() == []


def test_an_idle_kiosk_visit_expires_on_the_server(client: FlaskClient, app: Any) -> None:
    survey = _open_survey()
    start, visit = _kiosk(survey)
    _begin(client, start)
    page = client.get(visit)
    assert current_page(page.text) == "screen"
    (idle,) = _in_progress()
    idle.updated_at = idle.updated_at - timedelta(seconds=app.config["KIOSK_IDLE_SECONDS"] + 1)
    db.session.commit()

    # The next person answers the page on the screen: nothing is saved, back to the start.
    refused = client.post(visit, data=answers_for(page.text) | {"action": "next"})
    assert refused.status_code == 303
    assert refused.headers["Location"].endswith(start + "?timed_out=1")
    note = client.get(refused.headers["Location"] + "&lang=en")
    assert current_page(note.text) == "welcome"
    assert "left idle" in note.text
    assert client.get(visit).headers["Location"].endswith(start)
    (kept,) = _in_progress()
    assert kept.current_page == "screen"  # the abandoned answers stay, unsent
    assert db.session.scalar(select(func.count()).select_from(Answer)) == 0


def test_a_kiosk_visit_within_the_idle_time_goes_on(client: FlaskClient, app: Any) -> None:
    survey = _open_survey()
    start, visit = _kiosk(survey)
    _begin(client, start)
    (response,) = _in_progress()
    response.updated_at = response.updated_at - timedelta(
        seconds=app.config["KIOSK_IDLE_SECONDS"] - 30
    )
    db.session.commit()
    assert current_page(client.get(visit).text) == "screen"


def test_kiosk_thank_you_returns_to_a_fresh_welcome_and_never_to_old_answers(
    client: FlaskClient,
) -> None:
    survey = _open_survey()
    start, visit = _kiosk(survey)
    _begin(client, start)
    answer_everything(client, visit, applicant_type="2")
    thanks = client.get(visit)
    assert 'data-state="submitted"' in thanks.text
    assert re.search(
        rf'<meta http-equiv="refresh" content="\d+;url={re.escape(start)}">', thanks.text
    )
    assert thanks.headers["Cache-Control"] == "no-store"
    # The back button, a reload, or the refresh: the next person's welcome, nothing older.
    assert client.get(visit).headers["Location"].endswith(start)
    again = client.get(start)
    assert current_page(again.text) == "welcome"
    assert 'data-state="answering"' in again.text
    assert _begin(client, start).status_code == 303
    screen = client.get(visit)
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
    start, visit = _kiosk(survey)
    _begin(client, start)
    form = sending(walk_to_last_page(client, visit).text)
    cookie = client.get_cookie(f"surveyapp_kiosk_{survey.id}_SXD", path=start)
    assert cookie is not None
    assert client.post(visit, data=form).status_code == 303
    client.set_cookie(cookie.key, cookie.value, path=cookie.path)  # as a second tab would
    again = client.post(visit, data=form)
    assert again.status_code == 200
    assert 'data-state="already-submitted"' in again.text
    assert re.search(r'http-equiv="refresh"', again.text)
    assert len(_submitted()) == 1
    assert db.session.scalar(select(func.count()).select_from(Answer)) > 0


def test_kiosk_dossier_code_is_optional_checked_and_stored(app: Any) -> None:
    survey = _open_survey()
    start, visit = _kiosk(survey)
    tablet = app.test_client()
    welcome = tablet.get(start + "?lang=en")
    assert re.search(r'<label for="dossier_code">Dossier code \(optional\)</label>', welcome.text)
    refused = _begin(tablet, start, dossier_code="<script>")
    assert refused.status_code == 200
    assert current_page(refused.text) == "welcome"
    assert 'id="err-dossier_code"' in refused.text
    assert 'value="&lt;script&gt;"' in refused.text  # what was typed, shown back escaped
    assert db.session.scalar(select(func.count()).select_from(Response)) == 0
    moved = _begin(tablet, start, dossier_code=" 000.00.12.h56-240115-0001 ")
    assert moved.status_code == 303
    answer_everything(tablet, visit)
    (first,) = _submitted()
    assert first.dossier_code == "000.00.12.H56-240115-0001"
    assert first.channel is Channel.KIOSK

    # The next citizen leaves it empty: nothing is carried over from the previous one.
    assert 'data-state="submitted"' in tablet.get(visit).text
    fresh = tablet.get(start)
    assert 'name="dossier_code"' in fresh.text and 'value=""' in fresh.text
    _begin(tablet, start)
    answer_everything(tablet, visit)
    second = [r for r in _submitted() if r.id != first.id]
    assert len(second) == 1 and second[0].dossier_code is None


def test_dossier_code_is_only_asked_on_the_kiosk(client: FlaskClient) -> None:
    survey = _open_survey()
    page = client.get(f"/o/{survey.id}/SXD")
    assert 'name="dossier_code"' not in page.text
    _post(client, f"/o/{survey.id}/SXD", "next", dossier_code="ABC-1")
    (response,) = db.session.scalars(select(Response)).all()
    assert response.dossier_code is None  # a web respondent can't set it by posting it


def test_an_anonymous_kiosk_neither_asks_for_nor_keeps_a_dossier_code(app: Any) -> None:
    survey = _open_survey(anonymous=True)
    start, visit = _kiosk(survey)
    tablet = app.test_client()
    assert 'name="dossier_code"' not in tablet.get(start).text
    assert _begin(tablet, start, dossier_code="000.00.12.H56-240115-0001").status_code == 303
    answer_everything(tablet, visit)
    (response,) = _submitted()
    assert response.dossier_code is None  # it would lead to the frame row and its contacts
