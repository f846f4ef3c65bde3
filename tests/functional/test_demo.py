"""The demo's open-link survey: the README's `/o/…` and kiosk links answer."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from surveyapp.demo import seed as demo
from surveyapp.extensions import db
from surveyapp.models import Agency, SurveyMode
from surveyapp.surveys.services import agencies


def _seed_agencies() -> None:
    rows = [demo.PROVINCE, *demo.AGENCIES]
    keys = ("code", "parent", "name_vi", "name_en")
    agencies.import_agencies(db.session, [dict(zip(keys, row, strict=True)) for row in rows])
    db.session.commit()


def test_demo_seeds_an_open_survey_whose_printed_links_answer(
    client: FlaskClient, capsys: pytest.CaptureFixture[str]
) -> None:
    _seed_agencies()
    survey = demo.seed_open()
    assert survey.mode is SurveyMode.OPEN
    assert {a.code for a in survey.agencies} == {code for code, *_ in demo.AGENCIES}
    assert db.session.scalar(select(Agency).where(Agency.code == "SXD")) in survey.agencies

    demo._print_welcome(5000, 1, [], survey.id)
    printed = capsys.readouterr().out
    for path in (f"/o/{survey.id}/SXD", f"/o/{survey.id}/SXD/kiosk"):
        assert f"http://127.0.0.1:5000{path}\n" in printed
        assert client.get(path).status_code == 200
    assert "Ctrl-C" in printed
