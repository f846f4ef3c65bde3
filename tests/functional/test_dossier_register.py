"""The dossier register: each dossier's TT01 total and band listed and downloaded, each
agency's mean total and band shares, within the user's agencies only."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from flask import Flask
from flask.testing import FlaskClient

from surveyapp.extensions import db
from surveyapp.models import Answer, Response, ResponseStatus, Survey
from surveyapp.models._types import utcnow
from surveyapp.surveys.services import agencies, surveys
from tests import factories

NA = 9  # "not applicable" on the indices 8 and 9


@pytest.fixture()
def survey(app: Flask) -> Survey:
    """SXD: 6 dossiers of all 2s (18, excellent) and 6 with 1 on i1–i7 and i8–i9 N/A
    (7 of 14 → 9 of 18 → fair); STP: 10 of all 0s (0, weak)."""
    found = factories.province()
    factories.user()
    factories.user("stp@example.org", "analyst", found["STP"])
    created = surveys.create_survey(
        db.session,
        version=surveys.questionnaire_version(db.session, "tt01-dossier"),
        title="Đánh giá hồ sơ",
        agencies=agencies.by_codes(db.session, ["SXD", "STP"]),
        now=utcnow(),
    )
    items = created.version.document["framework"]["points"]["items"]
    plan = [("SXD", [2] * 9)] * 6 + [("SXD", [1] * 7 + [NA, NA])] * 6 + [("STP", [0] * 9)] * 10
    for n, (code, codes) in enumerate(plan):
        response = Response(
            survey_id=created.id,
            questionnaire_version_id=created.version.id,
            agency_id=found[code].id,
            status=ResponseStatus.SUBMITTED,
            submitted_at=utcnow(),
        )
        db.session.add(response)
        db.session.flush()
        db.session.add(
            Answer(response_id=response.id, item_id="dossier_code", value_text=f"=HS-{n:03}")
        )
        for item, value in zip(items, codes, strict=True):
            db.session.add(Answer(response_id=response.id, item_id=item, value_num=value))
    db.session.commit()
    return created


def _csv(client: FlaskClient, url: str) -> list[dict[str, str]]:
    answer = client.get(url)
    assert answer.status_code == 200, answer.text
    assert answer.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(answer.get_data(as_text=True).lstrip("\ufeff"))))


def test_every_dossier_is_listed_with_its_total_and_band(
    client: FlaskClient, survey: Survey
) -> None:
    factories.login(client)
    rows = _csv(client, f"/results/{survey.id}/dossiers.csv?lang=en")
    assert list(rows[0]) == [
        "response_id", "agency", "dossier_code", "submitted_at", "answered", "points_total",
        "band",
    ]  # fmt: skip
    counts: dict[tuple[str, str, str, str], int] = {}
    for r in rows:
        key = (r["agency"], r["answered"], r["points_total"], r["band"])
        counts[key] = counts.get(key, 0) + 1
    assert counts == {
        ("SXD", "9", "18", "Excellent"): 6,
        ("SXD", "7", "9", "Fair"): 6,
        ("STP", "9", "0", "Weak"): 10,
    }
    assert all(r["dossier_code"].startswith("'=HS-") for r in rows)  # typed text stays inert


def test_the_page_gives_each_agencys_mean_and_bands(client: FlaskClient, survey: Survey) -> None:
    factories.login(client)
    page = client.get(f"/results/{survey.id}/dossiers?lang=en")
    assert page.status_code == 200
    sxd = page.text[page.text.index('data-agency="SXD"') :].split("</tr>")[0]
    assert ">13.5<" in sxd  # (6 × 18 + 6 × 9) / 12
    assert "50.0%" in sxd  # excellent and fair, half each
    assert page.text.count("data-response=") == 22
    one = client.get(f"/results/{survey.id}/dossiers?agency=STP&lang=en")
    assert one.text.count("data-response=") == 10


def test_a_department_sees_only_its_own_dossiers(client: FlaskClient, survey: Survey) -> None:
    factories.login(client, "stp@example.org")
    page = client.get(f"/results/{survey.id}/dossiers?lang=en")
    assert 'data-agency="SXD"' not in page.text and page.text.count("data-response=") == 10
    assert {r["agency"] for r in _csv(client, f"/results/{survey.id}/dossiers.csv")} == {"STP"}
    assert client.get(f"/results/{survey.id}/dossiers.csv?agency=SXD").status_code == 404


def test_a_questionnaire_without_points_has_no_register(client: FlaskClient, app: Flask) -> None:
    factories.province()
    factories.user()
    sipas = factories.survey()
    factories.login(client)
    assert client.get(f"/results/{sipas.id}/dossiers").status_code == 404


def test_the_workbook_carries_the_register_as_its_dossiers_sheet(
    client: FlaskClient, survey: Survey
) -> None:
    factories.login(client)
    answer = client.get(f"/results/{survey.id}/export.xlsx?lang=en", buffered=True)
    assert answer.status_code == 200, answer.text[:300]
    book = openpyxl.load_workbook(io.BytesIO(answer.data))
    assert "dossiers" in book.sheetnames
    rows = list(book["dossiers"].iter_rows(min_row=2, values_only=True))
    assert len(rows) == 22
    assert sorted({(r[1], r[5], r[6]) for r in rows}) == [
        ("STP", 0, "Weak"), ("SXD", 9, "Fair"), ("SXD", 18, "Excellent"),
    ]  # fmt: skip
