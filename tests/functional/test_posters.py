"""Links and counter posters of an open survey: every agency in scope, a QR code that
carries the link, posters in Vietnamese for citizens."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from surveyapp.models import SurveyMode
from tests import factories


def _staff(client: FlaskClient, scope: str | None = None, role: str = "fieldwork") -> None:
    province = factories.province()
    factories.user("field@example.org", role, province[scope] if scope else None)
    factories.login(client, "field@example.org")


def test_every_agency_has_its_open_and_kiosk_link_with_a_qr_code(client: FlaskClient) -> None:
    _staff(client)
    survey = factories.survey(("SXD", "STP"), mode=SurveyMode.OPEN)
    page = client.get(f"/surveys/{survey.id}/posters")
    assert page.status_code == 200
    for code in ("SXD", "STP"):
        assert f'href="http://localhost/o/{survey.id}/{code}"' in page.text
        assert f'href="http://localhost/o/{survey.id}/{code}/kiosk"' in page.text
        assert f"/posters/print?agency={code}" in page.text
    assert page.text.count('<svg xmlns="http://www.w3.org/2000/svg" class="qr"') == 2
    assert f"/surveys/{survey.id}/posters" in client.get(f"/surveys/{survey.id}").text


def test_the_poster_is_in_vietnamese_whatever_the_staff_reads(client: FlaskClient) -> None:
    _staff(client)
    survey = factories.survey(("SXD", "STP"), mode=SurveyMode.OPEN, anonymous=True)
    client.get("/?lang=en")
    poster = client.get(f"/surveys/{survey.id}/posters/print?agency=SXD")
    assert poster.status_code == 200
    assert poster.text.count('<article class="letter poster"') == 1
    assert "Sở Xây dựng" in poster.text and "Sở Tư pháp" not in poster.text
    assert "Ông/Bà có hài lòng với sự phục vụ của chúng tôi?" in poster.text
    assert "Khảo sát ẩn danh" in poster.text
    assert f"localhost/o/{survey.id}/SXD</p>" in poster.text  # the link as people type it
    every = client.get(f"/surveys/{survey.id}/posters/print")
    assert every.text.count('<article class="letter poster"') == 2


def test_a_department_prints_its_own_poster_only(client: FlaskClient) -> None:
    _staff(client, scope="SXD")
    survey = factories.survey(("SXD", "STP"), mode=SurveyMode.OPEN)
    page = client.get(f"/surveys/{survey.id}/posters")
    assert re.findall(r"/posters/print\?agency=(\w+)", page.text) == ["SXD"]
    assert client.get(f"/surveys/{survey.id}/posters/print?agency=STP").status_code == 404
    every = client.get(f"/surveys/{survey.id}/posters/print")
    assert "Sở Tư pháp" not in every.text


def test_invitation_and_officials_surveys_have_no_posters(client: FlaskClient) -> None:
    _staff(client)
    invited = factories.survey(mode=SurveyMode.INVITED)
    officials = factories.survey(template="par-officials", mode=SurveyMode.OFFICIALS)
    for survey in (invited, officials):
        assert client.get(f"/surveys/{survey.id}/posters").status_code == 404


def test_analysts_do_not_print_posters(client: FlaskClient) -> None:
    _staff(client, role="analyst")
    survey = factories.survey(mode=SurveyMode.OPEN)
    assert client.get(f"/surveys/{survey.id}/posters").status_code == 403
