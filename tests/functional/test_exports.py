"""Every download format, opened with the reader an analyst would use and read back."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import openpyxl
import pyreadstat
import pytest
from flask import Flask
from flask.testing import FlaskClient

from surveyapp.cli import cli
from tests import factories
from tests.export_data import COMMENT_VI, FORMULA, three_responses


@pytest.fixture()
def survey(app: Flask) -> object:
    agencies = factories.province()
    factories.user()
    factories.user("sxd@example.org", "analyst", agencies["SXD"])
    created = factories.survey()
    three_responses(created)
    return created


def _save(tmp_path: Path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def _download(client: FlaskClient, url: str) -> bytes:
    response = client.get(url, buffered=True)  # a streamed body read inside the request
    assert response.status_code == 200, response.text[:500]
    assert "attachment" in response.headers["Content-Disposition"]
    return response.data


def test_sav_carries_labels_vietnamese_and_declared_missing(
    client: FlaskClient, survey: object, tmp_path: Path
) -> None:
    factories.login(client)
    path = _save(tmp_path, "x.sav", _download(client, f"/results/{survey.id}/export.sav"))
    data, meta = pyreadstat.read_sav(path, user_missing=True)
    assert len(data) == 3
    assert list(data.columns[:6]) == [
        "response_id", "agency", "stratum", "channel", "submitted_at", "weight",
    ]  # fmt: skip
    labels = meta.column_names_to_labels
    assert labels["acc_seats"] == "Nơi chờ có đủ chỗ ngồi"
    assert labels["expect_improve_3"].endswith("Thái độ và năng lực của công chức")
    assert meta.variable_value_labels["acc_seats"][4.0] == "Hài lòng"
    assert meta.missing_ranges["acc_equip_enough"] == [{"lo": 9.0, "hi": 9.0}]
    first = data.iloc[0]
    assert first["agency"] == "SXD" and first["stratum"] == "SXD-web" and first["weight"] == 2.5
    assert first["channel"] == "web" and str(first["submitted_at"]) == "2026-03-04 05:06:07"
    assert first["acc_equip_enough"] == 9  # kept, and declared missing
    assert math.isnan(first["late_notified"])  # not asked: system missing
    assert (first["expect_improve_1"], first["expect_improve_2"]) == (1, 0)
    assert math.isnan(data.iloc[2]["expect_improve_1"])  # multi item not answered
    assert first["comments"] == FORMULA and data.iloc[1]["comments"] == COMMENT_VI
    assert first["service"] == "Cấp giấy phép xây dựng"
    plain, _ = pyreadstat.read_sav(path)
    assert math.isnan(plain.iloc[0]["acc_equip_enough"])  # SPSS treats 9 as missing


def test_dta_is_stata_118_with_extended_missing_and_english_labels(
    client: FlaskClient, survey: object, tmp_path: Path
) -> None:
    factories.login(client)
    raw = _download(client, f"/results/{survey.id}/export.dta?lang=en")
    assert raw.startswith(b"<stata_dta><header><release>118</release>")
    path = _save(tmp_path, "x.dta", raw)
    data, meta = pyreadstat.read_dta(path, user_missing=True)
    labels = meta.column_names_to_labels
    assert labels["acc_seats"] == "Enough seats in the waiting area"
    assert meta.missing_user_values["acc_equip_enough"] == ["a"]
    assert meta.variable_value_labels["acc_equip_enough"]["a"] == "No answer / not applicable (9)"
    assert meta.variable_value_labels["acc_seats"][5] == "Very satisfied"
    assert data.iloc[0]["acc_equip_enough"] == "a" and data.iloc[0]["acc_seats"] == 4
    assert data.iloc[1]["comments"] == COMMENT_VI  # UTF-8 text intact
    assert all(len(name) <= 32 for name in data.columns)


def test_xlsx_workbook_sheets_formats_charts_and_neutralised_text(
    client: FlaskClient, survey: object, tmp_path: Path
) -> None:
    factories.login(client)
    raw = _download(client, f"/results/{survey.id}/export.xlsx?labels=1")
    book = openpyxl.load_workbook(io.BytesIO(raw))
    assert book.sheetnames == [
        "summary", "elements", "criteria", "indicators", "agencies",
        "responses", "quality", "flags", "codebook", "weights", "methodology",
    ]  # fmt: skip
    # The third response is screened out (result not received): acc_equip_enough is shown
    # to two, SXD's answer is 9 (declared missing), STP's blank.
    quality = {r[0]: r for r in book["quality"].iter_rows(min_row=2, values_only=True)}
    assert quality["acc_equip_enough"][2:] == (2, 1, 1, 1.0)
    assert quality["acc_seats"][2:] == (2, 0, 0, 0.0)
    responses = book["responses"]
    header = [c.value for c in responses[1]]
    assert header[:6] == ["response_id", "agency", "stratum", "channel", "submitted_at", "weight"]
    assert responses.freeze_panes == "B2"
    first = {h: c for h, c in zip(header, responses[2], strict=True)}
    assert first["acc_seats"].value == "Hài lòng"
    assert first["comments"].value == FORMULA and first["comments"].quotePrefix
    assert first["expect_improve"].value.startswith("Nơi tiếp nhận")
    elements = book["elements"]
    assert elements.freeze_panes == "A2"
    assert elements["C2"].number_format == "0.00%"
    assert len(elements._charts) == 1 and len(book["agencies"]._charts) == 1
    agencies = [row[0] for row in book["agencies"].iter_rows(min_row=2, values_only=True)]
    assert sorted(agencies) == ["STP", "SXD"]
    codebook = {r[0]: r for r in book["codebook"].iter_rows(min_row=2, values_only=True)}
    assert codebook["acc_equip_enough"][4] == "9"
    assert "4 = Hài lòng" in codebook["acc_seats"][3]
    weights = list(book["weights"].iter_rows(min_row=2, values_only=True))
    assert weights[-1][2] == 3 and weights[-1][3] == pytest.approx(5.0)


def test_xlsx_codes_keep_numbers(client: FlaskClient, survey: object) -> None:
    factories.login(client)
    book = openpyxl.load_workbook(
        io.BytesIO(_download(client, f"/results/{survey.id}/export.xlsx"))
    )
    rows = list(book["responses"].iter_rows(values_only=True))
    header = rows[0]
    assert rows[1][header.index("acc_seats")] == 4
    assert rows[1][header.index("expect_improve")] == "1; 3"


def test_csv_has_bom_and_inert_formula(client: FlaskClient, survey: object) -> None:
    factories.login(client)
    raw = _download(client, f"/results/{survey.id}/export.csv?labels=1")
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    header = rows[0]
    assert rows[1][header.index("comments")] == "'" + FORMULA
    assert rows[2][header.index("comments")] == COMMENT_VI


@pytest.mark.parametrize("fmt", ["xlsx", "csv", "sav", "dta"])
def test_department_analyst_gets_only_own_agency(
    client: FlaskClient, survey: object, tmp_path: Path, fmt: str
) -> None:
    factories.login(client, "sxd@example.org")
    assert client.get(f"/results/{survey.id}/export.{fmt}?agency=STP").status_code == 404
    raw = _download(client, f"/results/{survey.id}/export.{fmt}")
    if fmt in ("sav", "dta"):
        reader = pyreadstat.read_sav if fmt == "sav" else pyreadstat.read_dta
        agencies = list(reader(_save(tmp_path, "x." + fmt, raw))[0]["agency"])
    elif fmt == "csv":
        agencies = [r["agency"] for r in csv.DictReader(io.StringIO(raw.decode("utf-8-sig")))]
    else:
        book = openpyxl.load_workbook(io.BytesIO(raw))
        agencies = [r[1] for r in book["responses"].iter_rows(min_row=2, values_only=True)]
        listed = [r[0] for r in book["agencies"].iter_rows(min_row=2, values_only=True)]
        assert listed == ["SXD"]  # no other agency's figures
    assert agencies == ["SXD", "SXD_P1"]


def test_unknown_format_is_404(client: FlaskClient, survey: object) -> None:
    factories.login(client)
    assert client.get(f"/results/{survey.id}/export.pdf").status_code == 404


@pytest.mark.parametrize("fmt", ["sav", "dta"])
def test_cli_writes_sav_and_dta(app: Flask, survey: object, tmp_path: Path, fmt: str) -> None:
    target = tmp_path / f"out.{fmt}"
    result = app.test_cli_runner().invoke(
        cli, ["export", str(survey.id), "--format", fmt, "--agency", "SXD", "-o", str(target)]
    )
    assert result.exit_code == 0, result.output
    reader = pyreadstat.read_sav if fmt == "sav" else pyreadstat.read_dta
    data, meta = reader(str(target))
    assert list(data["agency"]) == ["SXD", "SXD_P1"]
    assert meta.column_names_to_labels["acc_seats"] == "Nơi chờ có đủ chỗ ngồi"


def test_cli_unknown_agency_writes_nothing(app: Flask, survey: object, tmp_path: Path) -> None:
    target = tmp_path / "out.sav"
    result = app.test_cli_runner().invoke(
        cli, ["export", str(survey.id), "--format", "sav", "--agency", "NOPE", "-o", str(target)]
    )
    assert result.exit_code == 1 and "NOPE" in result.output
    assert not target.exists()
