"""CSV downloads name their type and character set once (issue #15)."""

from __future__ import annotations

from flask.testing import FlaskClient

from surveyapp.models import Survey
from tests import factories
from tests.functional.test_fieldwork_pages import survey as survey

CSV = "text/csv; charset=utf-8"


def test_csv_downloads_say_utf_8_once(client: FlaskClient, survey: Survey) -> None:
    factories.user()
    factories.login(client)
    for url in (f"/results/{survey.id}/export.csv", f"/surveys/{survey.id}/frame/example.csv"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Content-Type"] == CSV, url
