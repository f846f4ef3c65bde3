"""Saved weighting settings that stop fitting new responses: every reader of weighted
results is told that the base weights were used, which setting failed and why."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook

from surveyapp.extensions import db
from surveyapp.models import Survey
from surveyapp.results.services import results, weighting, weighting_targets
from surveyapp.results.services.dashboard import period
from surveyapp.results.services.weighting import WeightingStatus
from surveyapp.surveys.services import agencies
from tests import factories
from tests.functional.test_api import _bearer
from tests.functional.test_cli import run
from tests.functional.test_weights import respond, sample  # noqa: F401 (fixture)

HEADLINE_VI = "Các số liệu này đang dùng trọng số cơ sở khi chọn mẫu."
RAKING_VI = "không thể áp dụng “Hiệu chỉnh lặp theo tổng thể đã biết”"


def _rake_on_gender(survey: Survey) -> None:
    """Gender 1: 100, 2: 300 fits the sample's three respondents (each has a gender)."""
    rows = [
        {"variable": "gender", "category": "1", "total": "100"},
        {"variable": "gender", "category": "2", "total": "300"},
    ]
    targets = weighting_targets.check_targets(db.session, survey, rows)
    settings = weighting.Settings(targets=tuple(targets))
    weighting.save_settings(db.session, survey, settings, actor_id=None)
    db.session.commit()


@pytest.fixture()
def stale(sample: Survey) -> Survey:  # noqa: F811
    """Raking saved while it fitted; then a respondent came in without a gender."""
    _rake_on_gender(sample)
    respond(sample, "STP", 5, satisfied=True)
    db.session.commit()
    return sample


def test_loaded_arrays_say_the_settings_were_left_out_and_why(stale: Survey) -> None:
    arrays = results.load_arrays(db.session, stale)
    used = arrays.weights_used
    assert used.status is WeightingStatus.NOT_APPLIED and used.setting == "raking"
    assert arrays.weights.tolist() == [10.0, 10.0, 5.0, 5.0]  # the base weights
    assert [str(p) for p in used.problems] == [
        "targets for gender: 1 respondents have no value for gender: raking needs every "
        "respondent in one category"
    ]


def test_weights_that_fit_are_reported_as_applied(sample: Survey) -> None:  # noqa: F811
    assert results.load_arrays(db.session, sample).weights_used.status is WeightingStatus.NONE
    _rake_on_gender(sample)
    assert results.load_arrays(db.session, sample).weights_used.status is WeightingStatus.APPLIED


def test_dashboard_says_why_in_vietnamese_and_links_to_the_weights_page(
    client: FlaskClient, stale: Survey
) -> None:
    factories.user()
    factories.login(client)
    page = client.get(f"/results/{stale.id}?lang=vi").text
    assert HEADLINE_VI in page and RAKING_VI in page
    assert "1 người trả lời không có giá trị cho gender" in page  # the reason, translated
    assert f'href="/surveys/{stale.id}/weights"' in page
    english = client.get(f"/results/{stale.id}?lang=en").text
    assert "These figures use the base weights of the sample draw." in english
    assert "“Raking to known totals” cannot be applied" in english


def test_a_scoped_user_is_told_which_setting_failed_but_not_the_details(
    client: FlaskClient, stale: Survey
) -> None:
    sxd = agencies.by_codes(db.session, ["SXD"])[0]
    factories.user("sxd@example.org", "analyst", sxd)
    factories.login(client, "sxd@example.org")
    page = client.get(f"/results/{stale.id}?lang=vi").text
    assert HEADLINE_VI in page and RAKING_VI in page
    assert "gender" not in page.split('id="weighting-note"')[1].split("</div>")[0]
    assert "/weights" not in page  # the Weights page is the province's
    assert "Cán bộ phân tích cấp tỉnh có thể sửa" in page


def test_the_agency_report_carries_the_note(client: FlaskClient, stale: Survey) -> None:
    factories.user()
    factories.login(client)
    page = client.get(f"/results/{stale.id}/agencies/SXD/report?lang=vi").text
    assert HEADLINE_VI in page and f'href="/surveys/{stale.id}/weights"' in page


def test_this_round_says_when_last_rounds_weights_were_left_out(
    client: FlaskClient, stale: Survey
) -> None:
    """The changes compare with last round as it is scored: with its base weights when
    its own settings no longer fit, which this round's page must say."""
    this_round = factories.survey()
    respond(this_round, "SXD", 10, satisfied=True)
    respond(this_round, "STP", 5, satisfied=False)
    period.set_previous(db.session, this_round, stale, actor_id=None)
    db.session.commit()
    factories.user()
    factories.login(client)
    page = client.get(f"/results/{this_round.id}?lang=en").text
    assert 'id="weighting-note"' not in page  # this round has no settings: nothing left out
    note = page.split('id="previous-weighting-note"')[1].split("</div>")[0]
    assert "Last period's figures, which the changes compare with, use the base weights" in note
    assert "“Raking to known totals” cannot be applied" in note and "gender" in note
    assert f'href="/surveys/{stale.id}/weights"' in note
    report = client.get(f"/results/{this_round.id}/agencies/SXD/report?lang=en").text
    assert 'id="previous-weighting-note"' in report


def test_no_note_while_the_settings_fit(client: FlaskClient, sample: Survey) -> None:  # noqa: F811
    _rake_on_gender(sample)
    factories.user()
    factories.login(client)
    assert 'id="weighting-note"' not in client.get(f"/results/{sample.id}").text


def test_api_indices_carry_the_weighting_status(client: FlaskClient, stale: Survey) -> None:
    factories.user("analyst@example.org", "analyst")
    sxd = agencies.by_codes(db.session, ["SXD"])[0]
    factories.user("sxd@example.org", "analyst", sxd)
    url = f"/api/v1/surveys/{stale.id}/indices?lang=en"
    body = client.get(url, headers=_bearer("analyst@example.org")).json
    assert body["weighting"] == {
        "status": "not_applied",
        "setting": "raking",
        "problems": [
            "targets for gender: 1 respondents have no value for gender: raking needs "
            "every respondent in one category"
        ],
    }
    scoped = client.get(url, headers=_bearer("sxd@example.org")).json
    assert scoped["weighting"] == {"status": "not_applied", "setting": "raking", "problems": []}


def test_xlsx_summary_and_methodology_say_base_weights_were_used(
    app: Flask, stale: Survey, tmp_path: Path
) -> None:
    out = tmp_path / "out.xlsx"
    code, _, err = run(app, "export", str(stale.id), "--format", "xlsx", "-o", str(out))
    assert code == 0, err
    book = load_workbook(out, read_only=True)
    summary = {row[0]: row[1] for row in book["summary"].iter_rows(values_only=True)}
    assert summary["Trọng số"].startswith("trọng số cơ sở: thiết lập trọng số đã lưu")
    notes = [row[0] for row in book["methodology"].iter_rows(min_row=2, values_only=True)]
    assert any(RAKING_VI in n for n in notes)
    assert any("gender" in n for n in notes)  # the reason, for the whole survey's file


def test_an_agency_export_leaves_the_reasons_out(app: Flask, stale: Survey, tmp_path: Path) -> None:
    out = tmp_path / "sxd.xlsx"
    args = ["--format", "xlsx", "--agency", "SXD", "--lang", "en", "-o", str(out)]
    code, _, err = run(app, "export", str(stale.id), *args)
    assert code == 0, err
    notes = [row[0] for row in load_workbook(out)["methodology"].iter_rows(values_only=True)]
    assert any("“Raking to known totals” cannot be applied" in str(n) for n in notes)
    assert not any("gender" in str(n) for n in notes)


def test_the_weights_command_exits_1_with_the_reason(app: Flask, stale: Survey) -> None:
    code, out, err = run(app, "weights", str(stale.id))
    assert code == 1 and out == ""
    lines = err.splitlines()
    assert lines[0].startswith("error: the saved weighting settings no longer fit")
    assert "Raking to known totals" in lines[0]
    assert lines[1] == (
        "error: targets for gender: 1 respondents have no value for gender: raking needs "
        "every respondent in one category"
    )


def test_the_score_command_warns_and_still_scores(app: Flask, stale: Survey) -> None:
    code, out, err = run(app, "score", str(stale.id), "--format", "json")
    assert code == 0 and json.loads(out)["weighting"]["status"] == "not_applied"
    assert err.startswith("warning: the saved weighting settings no longer fit")


def test_the_records_check_carries_the_note_for_its_reported_shares(
    client: FlaskClient, stale: Survey
) -> None:
    factories.user()
    factories.login(client)
    page = client.get(f"/results/{stale.id}/records?lang=vi").text
    assert HEADLINE_VI in page and f'href="/surveys/{stale.id}/weights"' in page
    assert "gender" in page.split('id="weighting-note"')[1].split("</div>")[0]
