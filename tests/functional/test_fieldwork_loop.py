"""The fieldwork loop as a new user walks it (issue #15): a frame imported on the web, the
sample drawn on the web, then printed letters, an SMS file from the command line and
from the page, and a link from that file that opens the questionnaire."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from surveyapp.models import Survey
from tests import factories
from tests.functional.test_cli import run
from tests.functional.test_fieldwork_pages import upload
from tests.functional.test_outreach import frame_file


@pytest.fixture()
def survey(app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Survey:
    monkeypatch.setitem(app.config, "FRAME_UPLOAD_DIR", str(tmp_path / "uploads"))
    factories.province()
    factories.user("field@example.org", "fieldwork")
    return factories.survey(("SXD", "STP"))


def import_frame_on_the_web(client: FlaskClient, survey: Survey, path: Path) -> None:
    """Upload, keep the columns the mapping page guessed, check, import."""
    token = upload(client, survey, path.read_bytes(), "frame.csv")
    page = client.get(f"/surveys/{survey.id}/frame/{token}/mapping").text
    mapping = {
        name: chosen.group(1)
        for name, options in re.findall(r'<select id="(f_\w+)"[^>]*>(.*?)</select>', page, re.S)
        if (chosen := re.search(r'<option value="([^"]*)" selected', options))
    }
    assert {"f_dossier_code", "f_agency", "f_phone"} <= set(mapping)
    report = client.get(f"/surveys/{survey.id}/frame/{token}/report", query_string=mapping)
    form = {"csrf_token": factories.csrf_from(report.text), **mapping}
    done = client.post(f"/surveys/{survey.id}/frame/{token}/import", data=form)
    assert done.status_code == 303, done.text


def draw_on_the_web(client: FlaskClient, survey: Survey, seed: str) -> None:
    page = client.get(f"/surveys/{survey.id}/draw")
    form = {"csrf_token": factories.csrf_from(page.text), "strata": ["agency"],
            "allocation": "proportional", "size": "10", "minimum": "0", "reserve": "0",
            "seed": seed}  # fmt: skip
    response = client.post(f"/surveys/{survey.id}/draw", data=form)
    assert response.status_code == 303, response.text


def test_a_sample_drawn_on_the_web_is_printed_and_texted_and_its_links_open(
    app: Flask, client: FlaskClient, survey: Survey, tmp_path: Path
) -> None:
    factories.login(client, "field@example.org")
    import_frame_on_the_web(client, survey, frame_file(tmp_path / "frame.csv"))
    draw_on_the_web(client, survey, "20261006")

    letters = client.get(f"/surveys/{survey.id}/letters?lang=vi").text
    assert "Không thể in" not in letters
    assert letters.count('<article class="letter"') == 10
    assert letters.count('class="qr"') == 10

    # From a plain shell: everyone drawn with a phone or an e-mail (HS0009 has neither).
    out = tmp_path / "sms.csv"
    code, _, err = run(
        app, "invitations", "export", str(survey.id), "--format", "sms-csv", "-o", str(out)
    )
    assert code == 0, err
    rows = list(csv.DictReader(out.open(encoding="utf-8-sig")))
    assert len(rows) == 9 and "0912000001" in {r["phone"] for r in rows}
    assert all(r["link"] in r["message"] for r in rows)

    page = client.get(f"/surveys/{survey.id}/outreach/messages.csv")
    assert (page.status_code, page.headers["Content-Type"]) == (200, "text/csv; charset=utf-8")
    from_page = list(csv.DictReader(io.StringIO(page.data.decode("utf-8-sig"))))
    assert {r["link"] for r in from_page} == {r["link"] for r in rows}

    link = urlsplit(rows[0]["link"])
    assert link.path.startswith("/s/")
    opened = app.test_client().get(link.path)
    assert opened.status_code == 200 and 'name="csrf_token"' in opened.text
