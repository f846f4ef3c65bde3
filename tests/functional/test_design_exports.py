"""Every export carries the design (#19): final and base weights, the stratum's
population size N_h (empty without a frame), SPSS/Stata types an analyst can use."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import openpyxl
import pyreadstat
import pytest
from flask import Flask

from surveyapp.extensions import db
from surveyapp.models import Survey, SurveyMode
from tests import factories
from tests.functional.test_cli import run
from tests.functional.test_design_estimates import DRAWN, FRAME, SATISFIED, answer, drawn

__all__ = ["drawn"]  # the fixture, shared with the estimates' tests

DESIGN = ["response_id", "agency", "stratum", "channel", "submitted_at", "weight",
          "base_weight", "fpc"]  # fmt: skip


def export(app: Flask, survey: Survey, fmt: str, tmp_path: Path) -> Path:
    out = tmp_path / f"responses.{fmt}"
    code, _out, err = run(
        app, "export", str(survey.id), "--format", fmt, "--lang", "en", "-o", str(out)
    )
    assert code == 0, err
    return out


@pytest.fixture()
def open_survey(app: Flask) -> Survey:
    factories.province()
    survey = factories.survey(("SXD", "STP"), mode=SurveyMode.OPEN)
    for code, size in DRAWN.items():
        for k in range(size):
            answer(survey, None, code, k < SATISFIED[code])
    db.session.commit()
    return survey


def test_sav_declares_the_design_with_spss_levels_and_formats(
    app: Flask, drawn: Survey, tmp_path: Path
) -> None:
    data, meta = pyreadstat.read_sav(str(export(app, drawn, "sav", tmp_path)))
    assert list(data.columns[: len(DESIGN)]) == DESIGN and "psu" not in data.columns
    assert len(data) == sum(DRAWN.values())
    for code in FRAME:
        rows = data[data["stratum"] == code]
        assert (rows["fpc"] == FRAME[code]).all()
        assert (rows["base_weight"] == FRAME[code] / DRAWN[code]).all()
        assert (rows["weight"] == rows["base_weight"]).all()  # no weighting settings
    measure = meta.variable_measure
    assert measure["response_id"] == "nominal" and measure["stratum"] == "nominal"
    assert measure["weight"] == measure["base_weight"] == measure["fpc"] == "scale"
    assert measure["acc_seats"] == "ordinal"  # a 5-point likert scale
    assert measure["result_received"] == "nominal"  # a yes/no choice
    types = meta.original_variable_types
    assert types["response_id"] == "F10.0" and types["fpc"] == "F10.0"
    assert types["acc_seats"] == "F1.0" and types["weight"] == "F12.6"
    labels = meta.column_names_to_labels
    assert "N_h" in labels["fpc"] and "N_h / n_h" in labels["base_weight"]


def test_dta_carries_the_design_as_whole_numbers_and_weights(
    app: Flask, drawn: Survey, tmp_path: Path
) -> None:
    data, meta = pyreadstat.read_dta(str(export(app, drawn, "dta", tmp_path)))
    assert list(data.columns[: len(DESIGN)]) == DESIGN
    assert sorted(set(data["fpc"])) == sorted(FRAME.values())
    types = meta.original_variable_types
    assert types["response_id"] == "%12.0f" and types["fpc"] == "%12.0f"
    assert types["weight"] == "%12.6f" and types["acc_seats"] == "%2.0f"


def test_csv_and_the_api_leave_fpc_empty_without_a_frame(
    app: Flask, open_survey: Survey, tmp_path: Path
) -> None:
    with export(app, open_survey, "csv", tmp_path).open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0])[: len(DESIGN)] == DESIGN
    assert {r["fpc"] for r in rows} == {""}
    assert {r["base_weight"] for r in rows} == {"2.0"}  # N_h / n_h as the answers carry it
    factories.user()
    token = run(app, "users", "token", "admin@example.org")[1].strip()
    page = app.test_client().get(
        f"/api/v1/surveys/{open_survey.id}/responses",
        headers={"Authorization": f"Bearer {token}"},
    )
    first = json.loads(page.data)["responses"][0]
    assert first["fpc"] is None and first["base_weight"] == 2.0 and "psu" not in first


def test_xlsx_codebook_and_methodology_say_which_design_applies(
    app: Flask, drawn: Survey, open_survey: Survey, tmp_path: Path
) -> None:
    book = openpyxl.load_workbook(export(app, drawn, "xlsx", tmp_path), read_only=True)
    header = next(book["responses"].iter_rows(max_row=1, values_only=True))
    assert list(header[: len(DESIGN)]) == DESIGN
    codebook = [row[0] for row in book["codebook"].iter_rows(min_row=2, values_only=True)]
    assert codebook[: len(DESIGN)] == DESIGN
    notes = " ".join(r[0] for r in book["methodology"].iter_rows(min_row=2, values_only=True))
    assert "finite-population correction 1 − n_h/N_h" in notes
    assert "8 degrees of freedom" in notes  # 10 respondents − 2 strata
    other = tmp_path / "open"
    other.mkdir()
    book = openpyxl.load_workbook(export(app, open_survey, "xlsx", other), read_only=True)
    notes = " ".join(r[0] for r in book["methodology"].iter_rows(min_row=2, values_only=True))
    assert "with replacement" in notes and "no finite-population correction applies" in notes
