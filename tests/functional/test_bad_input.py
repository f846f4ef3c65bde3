"""Input no page offered (a NUL byte, a URL far too long, a look-alike digit) answers a
clear 4xx or a message beside the field, and saves nothing: never a 500."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from surveyapp.extensions import db
from surveyapp.models import Answer, Response, SurveyMode
from tests import factories
from tests.functional.test_paper import _entry_url, _setup
from tests.respondent import SCREEN, current_page, form_action

NUL_MESSAGE = "This answer contains an invisible control character; please retype it."


def _first_page(client: FlaskClient, url: str) -> Any:
    """From the welcome page to the screening page (one POST), returning the latter."""
    welcome = client.get(url + "?lang=en")
    url = form_action(welcome.text)
    moved = client.post(url, data={**factories.form_fields(welcome.text), "action": "next"})
    assert moved.status_code == 303
    page = client.get(moved.headers["Location"])  # a kiosk's start page hands its visit on
    assert current_page(page.text) == "screen"
    return page


def _saved_answers() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(Answer)) or 0


@pytest.mark.parametrize("mode", ["invitation", "kiosk"])
def test_a_nul_byte_in_free_text_is_a_message_beside_the_field(
    client: FlaskClient, mode: str
) -> None:
    factories.province()
    if mode == "invitation":
        survey = factories.survey()
        (token,) = factories.tokens(survey, "SXD", count=1)
        url = f"/s/{token}"
    else:
        survey = factories.survey(mode=SurveyMode.OPEN)
        url = f"/o/{survey.id}/SXD/kiosk"
    page = _first_page(client, url)
    url = form_action(page.text)
    form = {**factories.form_fields(page.text), **SCREEN, "action": "next"}
    refused = client.post(url, data={**form, "service": "Cấp phép\x00 xây dựng"})
    assert refused.status_code == 200
    assert current_page(refused.text) == "screen"
    assert f'<p class="field-error" id="err-service">{NUL_MESSAGE}</p>' in refused.text
    assert "Cấp phép xây dựng</textarea>" in refused.text  # shown again, without the NUL
    assert _saved_answers() == 0


def test_a_nul_byte_typed_on_paper_is_a_message_beside_the_field(client: FlaskClient) -> None:
    survey = _setup(client)
    url = _entry_url(client, survey)
    page = client.get(url + "?lang=en")
    form = {**factories.form_fields(page.text), **SCREEN, "action": "next"}
    refused = client.post(url, data={**form, "service": "a\x00b"})
    assert refused.status_code == 200
    assert NUL_MESSAGE in refused.text
    assert _saved_answers() == 0
    assert db.session.scalar(select(func.count()).select_from(Response)) == 0


def test_a_nul_byte_in_the_kiosk_dossier_code_is_refused_beside_it(client: FlaskClient) -> None:
    factories.province()
    survey = factories.survey(mode=SurveyMode.OPEN)
    url = f"/o/{survey.id}/SXD/kiosk"
    welcome = client.get(url)
    action = form_action(welcome.text)
    data = {**factories.form_fields(welcome.text), "action": "next", "dossier_code": "AB\x00C"}
    refused = client.post(action, data=data)
    assert refused.status_code == 200
    assert 'id="err-dossier_code"' in refused.text
    assert db.session.scalar(select(func.count()).select_from(Response)) == 0


@pytest.mark.parametrize(
    "path",
    [
        "/o/{huge}/SXD",
        "/o/{huge}/SXD/kiosk",
        "/o/{survey}/{long}",
        "/o/{survey}/{long}/kiosk",
        "/o/{survey}/SX%00D",
        "/o/{survey}/SX%00D/kiosk",
        "/s/abc%00def",
        "/s/{long}",
    ],
)
def test_a_link_no_survey_could_have_is_404(client: FlaskClient, path: str) -> None:
    factories.province()
    survey = factories.survey(mode=SurveyMode.OPEN)
    url = path.format(huge="9" * 40, survey=survey.id, long="X" * 5000)
    assert client.get(url).status_code == 404
    page = client.get(f"/o/{survey.id}/SXD")
    posted = client.post(url, data=factories.form_fields(page.text) | {"action": "next"})
    assert posted.status_code == 404
    assert db.session.scalar(select(func.count()).select_from(Response)) == 0


@pytest.mark.parametrize("agency", ["SX%00D", "X" * 200])
def test_a_paper_entry_link_no_agency_could_have_is_404(client: FlaskClient, agency: str) -> None:
    survey = _setup(client)
    url = _entry_url(client, survey).replace("/SXD/", f"/{agency}/")
    assert client.get(url).status_code == 404
    huge = url.replace(f"/surveys/{survey.id}/", "/surveys/" + "9" * 40 + "/")
    assert client.get(huge).status_code == 404
