"""Fieldwork pages: frame upload → mapping → report → import, sample size, draw, purge."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from surveyapp.extensions import db
from surveyapp.fieldwork.services.frames import example as frame_example
from surveyapp.fieldwork.services.frames import imports as frames
from surveyapp.models import AuditEvent, Disposition, FrameContact, FrameUnit, Invitation, Survey
from surveyapp.surveys.services import agencies
from tests import factories

HEADER = ["Mã hồ sơ", "Cơ quan", "Lĩnh vực", "Ngày tiếp nhận", "Ngày hẹn trả", "Số điện thoại",
          "Ghi chú"]  # fmt: skip
ROWS = [
    ["HS-1", "SXD", "Xây dựng", "05/03/2026", "15/03/2026", "0912345678", ""],
    ["HS-2", "STP", "Hộ tịch", "06/03/2026", "08/03/2026", "", ""],
    ["HS-3", "SXD", "Xây dựng", "31/02/2026", "", "", ""],  # row 4: no such day
    ["HS-1", "STP", "Hộ tịch", "07/03/2026", "", "", ""],  # row 5: repeated code
    ["HS-5", "ZZ", "Hộ tịch", "07/03/2026", "", "=1+1", ""],  # row 6: agency, phone
]


@pytest.fixture()
def survey(app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Survey:
    monkeypatch.setitem(app.config, "FRAME_UPLOAD_DIR", str(tmp_path / "uploads"))
    factories.province()
    factories.user("field@example.org", "fieldwork")
    return factories.survey(("SXD", "STP"))


def csv_bytes(rows: list[list[str]], header: list[str] = HEADER) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([header, *rows])
    return buffer.getvalue().encode()


def upload(client: FlaskClient, survey: Survey, data: bytes, name: str = "hs.csv") -> str:
    """Upload a file as the fieldwork user; the token of the mapping step."""
    page = client.get(f"/surveys/{survey.id}/frame/upload")
    response = client.post(
        f"/surveys/{survey.id}/frame/upload",
        data={"csrf_token": factories.csrf_from(page.text), "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303, response.text
    match = re.search(r"/frame/([^/]+)/mapping$", response.headers["Location"])
    assert match
    return match.group(1)


GUESSED = {"f_dossier_code": "Mã hồ sơ", "f_agency": "Cơ quan", "f_service_field": "Lĩnh vực",
           "f_received_at": "Ngày tiếp nhận", "f_due_at": "Ngày hẹn trả",
           "f_phone": "Số điện thoại"}  # fmt: skip


def frame_count(survey: Survey) -> int:
    return frames.frame_size(db.session, survey)


def test_mapping_preselects_guessed_columns_and_previews_the_rows(
    client: FlaskClient, survey: Survey
) -> None:
    factories.login(client, "field@example.org")
    token = upload(client, survey, csv_bytes(ROWS))
    page = client.get(f"/surveys/{survey.id}/frame/{token}/mapping")
    assert page.status_code == 200
    selects = re.findall(r'<select id="(f_\w+)"[^>]*>(.*?)</select>', page.text, re.S)
    selected = {
        name: chosen.group(1)
        for name, options in selects
        if (chosen := re.search(r'<option value="([^"]*)" selected', options))
    }
    assert (
        len(selects) == 13 and selected == GUESSED
    )  # "Ghi chú" maps to nothing; the rest not in the file
    preview = re.findall(r'<th scope="row" class="num">(\d+)</th>', page.text)
    assert preview == ["2", "3", "4", "5", "6"]
    assert "<td>31/02/2026</td>" in page.text


def test_report_counts_bad_rows_and_the_csv_report_is_in_the_users_language(
    client: FlaskClient, survey: Survey
) -> None:
    factories.login(client, "field@example.org")
    token = upload(client, survey, csv_bytes(ROWS))
    report = client.get(f"/surveys/{survey.id}/frame/{token}/report", query_string=GUESSED)
    counts = dict(re.findall(r'data-count="(\w+)">([\d.,]+)<', report.text))
    assert counts == {"rows": "5", "good": "2", "bad": "3", "duplicates": "1"}
    assert "mã hồ sơ &#34;HS-1&#34; bị trùng, đã có ở dòng 2" in report.text
    vi = client.get(
        f"/surveys/{survey.id}/frame/{token}/report.csv", query_string=GUESSED, buffered=True
    )
    lines = list(csv.reader(io.StringIO(vi.data.decode("utf-8-sig"))))
    assert lines[0] == ["dòng", "cột", "giá trị", "vấn đề"]
    assert lines[1] == ["4", "Ngày tiếp nhận", "31/02/2026", "ngày tháng không tồn tại"]
    assert [line[:2] for line in lines[2:]] == [
        ["5", "Mã hồ sơ"], ["6", "Cơ quan"], ["6", "Số điện thoại"],
    ]  # fmt: skip
    assert lines[4][2] == "'=1+1"  # a formula from the file stays inert in Excel
    en = client.get(
        f"/surveys/{survey.id}/frame/{token}/report.csv",
        query_string={**GUESSED, "lang": "en"},
        buffered=True,
    )
    lines = list(csv.reader(io.StringIO(en.data.decode("utf-8-sig"))))
    assert lines[0] == ["row", "column", "value", "message"]
    assert lines[3][3] == 'unknown agency code "ZZ"'
    assert frame_count(survey) == 0


def test_import_with_bad_rows_needs_the_tick_then_imports_the_good_rows_only(
    client: FlaskClient, survey: Survey, tmp_path: Path
) -> None:
    factories.login(client, "field@example.org")
    token = upload(client, survey, csv_bytes(ROWS))
    page = client.get(f"/surveys/{survey.id}/frame/{token}/report", query_string=GUESSED)
    form = {"csrf_token": factories.csrf_from(page.text), **GUESSED}
    refused = client.post(f"/surveys/{survey.id}/frame/{token}/import", data=form)
    assert refused.status_code == 200
    assert "Không có hồ sơ nào được nhập" in refused.text
    assert frame_count(survey) == 0
    done = client.post(
        f"/surveys/{survey.id}/frame/{token}/import", data={**form, "skip_invalid": "1"}
    )
    assert done.status_code == 303
    summary = client.get(done.headers["Location"])
    counts = dict(re.findall(r'data-count="(\w+)">([\d.,]+)<', summary.text))
    assert counts == {"rows": "5", "imported": "2", "skipped": "3", "duplicates": "1"}
    codes = set(db.session.scalars(select(FrameUnit.dossier_code)))
    assert codes == {"HS-1", "HS-2"}
    assert db.session.scalar(select(func.count()).select_from(FrameContact)) == 1
    assert list((tmp_path / "uploads").iterdir()) == []  # the upload is gone
    again = client.get(f"/surveys/{survey.id}/frame/{token}/mapping")
    assert again.status_code == 404


def test_a_missing_required_column_sends_back_to_the_mapping(
    client: FlaskClient, survey: Survey
) -> None:
    factories.login(client, "field@example.org")
    token = upload(client, survey, csv_bytes(ROWS))
    mapping = {**GUESSED, "f_received_at": ""}
    page = client.get(f"/surveys/{survey.id}/frame/{token}/report", query_string=mapping)
    assert page.status_code == 200
    assert 'role="alert"' in page.text and "thiếu cột received_at" in page.text
    assert '<select id="f_received_at"' in page.text  # the mapping step again


def test_an_upload_that_is_not_csv_or_xlsx_is_refused_and_not_kept(
    client: FlaskClient, survey: Survey, tmp_path: Path
) -> None:
    factories.login(client, "field@example.org")
    page = client.get(f"/surveys/{survey.id}/frame/upload")
    response = client.post(
        f"/surveys/{survey.id}/frame/upload",
        data={"csrf_token": factories.csrf_from(page.text), "file": (io.BytesIO(b"x"), "a.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200 and 'role="alert"' in response.text
    assert not (tmp_path / "uploads").exists() or not list((tmp_path / "uploads").iterdir())


def test_a_large_upload_passes_the_respondent_pages_size_limit_but_needs_its_csrf_token(
    client: FlaskClient, survey: Survey
) -> None:
    factories.login(client, "field@example.org")
    rows = [[f"L{i:05d}", "SXD", "Xây dựng", "05/03/2026", "", "", "x" * 40] for i in range(3000)]
    data = csv_bytes(rows)
    assert len(data) > 3 * 64 * 1024
    token = upload(client, survey, data)
    page = client.get(f"/surveys/{survey.id}/frame/{token}/report", query_string=GUESSED)
    assert re.search(r'data-count="good">3.000<', page.text)
    forged = client.post(
        f"/surveys/{survey.id}/frame/upload",
        data={"csrf_token": "forged", "file": (io.BytesIO(data), "hs.csv")},
        content_type="multipart/form-data",
    )
    assert forged.status_code == 400


def test_a_damaged_workbook_is_reported_and_deleted(
    client: FlaskClient, survey: Survey, tmp_path: Path
) -> None:
    factories.login(client, "field@example.org")
    token = upload(client, survey, b"not a zip at all", name="hs.xlsx")
    page = client.get(f"/surveys/{survey.id}/frame/{token}/mapping")
    assert page.status_code == 200
    assert "tệp không phải bảng tính Excel (.xlsx) mở được" in page.text
    assert list((tmp_path / "uploads").iterdir()) == []


def test_an_upload_belongs_to_its_user_and_survey(
    client: FlaskClient, survey: Survey, app: Flask
) -> None:
    factories.user("other@example.org", "fieldwork")
    other_survey = factories.survey(("SXD",))
    factories.login(client, "field@example.org")
    token = upload(client, survey, csv_bytes(ROWS))
    assert client.get(f"/surveys/{other_survey.id}/frame/{token}/mapping").status_code == 404
    other = app.test_client()
    factories.login(other, "other@example.org")
    assert other.get(f"/surveys/{survey.id}/frame/{token}/mapping").status_code == 404
    assert other.get(f"/surveys/{survey.id}/frame/../mapping").status_code == 404


def test_fieldwork_pages_check_sign_in_permission_and_scope(
    client: FlaskClient, survey: Survey
) -> None:
    pages = ["fieldwork", "frame/upload", "frame/example.csv", "sample-size", "draw"]
    for page in pages:
        response = client.get(f"/surveys/{survey.id}/{page}")
        assert response.status_code == 303 and "/login" in response.headers["Location"]
    factories.user("analyst@example.org", "analyst")
    factories.login(client, "analyst@example.org")
    assert {client.get(f"/surveys/{survey.id}/{p}").status_code for p in pages} == {403}
    sxd = agencies.by_codes(db.session, ["SXD"])[0]
    factories.user("sxd@example.org", "fieldwork", sxd)
    factories.login(client, "sxd@example.org")  # sees SXD, but the survey spans STP too
    assert {client.get(f"/surveys/{survey.id}/{p}").status_code for p in pages} == {404}
    assert client.get("/surveys/9999/fieldwork").status_code == 404


def test_example_file_names_the_surveys_agencies_and_has_five_broken_rows(
    client: FlaskClient, survey: Survey, tmp_path: Path
) -> None:
    factories.login(client, "field@example.org")
    response = client.get(f"/surveys/{survey.id}/frame/example.csv")
    assert response.headers["Content-Disposition"].startswith("attachment")
    path = tmp_path / "example.csv"
    path.write_bytes(response.data)
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0] == frame_example.HEADER and len(rows) == frame_example.ROWS + 1
    typo = survey.agencies[0].code + "2"  # the one mistyped agency code
    assert {r[1] for r in rows[1:]} == {"SXD", "STP", typo}
    summary = frames.check_frame(db.session, survey, path)
    assert [(p.row, p.column) for p in summary.problems] == [
        (11, "Cơ quan"), (26, "Ngày tiếp nhận"), (41, "Ngày hẹn trả"), (56, "Mã hồ sơ"),
        (71, "Số điện thoại"),
    ]  # fmt: skip
    assert (summary.rows_read, summary.skipped, summary.duplicates) == (120, 5, 1)


def test_sample_size_page_gives_slovin_and_cochran_per_stratum_and_in_total(
    client: FlaskClient, survey: Survey
) -> None:
    factories.login(client, "field@example.org")
    first = client.get(f"/surveys/{survey.id}/sample-size")
    assert first.status_code == 200 and 'name="population"' in first.text  # no frame yet
    # N = 2400, e = 0.05: Slovin 2400 / (1 + 2400 · 0.0025) = 342.86 → 343 (SIPAS.md §3.1);
    # to invite at 70 %: 343 / 0.7 = 490. Cochran: n0 = 1.959964² · 0.25 / 0.0025 = 384.15,
    # n = 384.15 / (1 + 383.15 / 2400) = 331.27 → 332; to invite 331.27 / 0.7 = 473.2 → 474.
    page = client.get(
        f"/surveys/{survey.id}/sample-size",
        query_string={
            "population": 2400,
            "margin": "0.05",
            "level": "0.95",
            "p": "0.5",
            "deff": "1",
            "response_rate": "0.7",
        },
    )
    total = re.search(r"<tr class=\"total\" data-total>(.*?)</tr>", page.text, re.S)
    assert total
    cells = re.findall(r'<td class="num">([\d.,]+)', total.group(1))
    assert cells == ["2.400", "343", "490", "332", "474"]
    assert "n = N / (1 + N·e²)" in page.text


def test_sample_size_per_stratum_comes_from_the_frame(
    client: FlaskClient, survey: Survey, tmp_path: Path
) -> None:
    rows = [[f"X{i}", "SXD" if i < 300 else "STP", "", "01/03/2026", "", "", ""]
            for i in range(400)]  # fmt: skip
    path = tmp_path / "f.csv"
    path.write_bytes(csv_bytes(rows))
    frames.import_frame(db.session, survey, path)
    db.session.commit()
    factories.login(client, "field@example.org")
    page = client.get(
        f"/surveys/{survey.id}/sample-size",
        query_string={
            "strata": "agency",
            "margin": "0.1",
            "level": "0.95",
            "p": "0.5",
            "deff": "1.5",
            "response_rate": "1",
        },
    )
    body = re.findall(r'<th scope="row">(\w+)</th><td class="num">(\d+)</td>\s*'
                      r'<td class="num">(\d+)</td>', page.text)  # fmt: skip
    # Slovin at e = 0.1: 100 / (1 + 1) = 50 for STP, 300 / 4 = 75 for SXD.
    assert body == [("STP", "100", "50"), ("SXD", "300", "75")]


def test_sample_size_refuses_a_margin_out_of_range_with_a_message(
    client: FlaskClient, survey: Survey
) -> None:
    factories.login(client, "field@example.org")
    page = client.get(
        f"/surveys/{survey.id}/sample-size",
        query_string={
            "population": 100,
            "margin": "5",
            "level": "0.95",
            "p": "0.5",
            "deff": "1",
            "response_rate": "0.7",
        },
    )
    assert page.status_code == 200
    assert 'id="err-margin"' in page.text and "data-total" not in page.text


def frame_for_draw(survey: Survey, tmp_path: Path) -> None:
    fields = ["Hộ tịch", "Xây dựng", "Quy hoạch"]  # STP: i % 3 == 0
    rows = [[f"D{i:03d}", "SXD" if i % 3 else "STP", fields[i % 3], "01/03/2026", "", "", ""]
            for i in range(90)]  # fmt: skip
    path = tmp_path / "frame.csv"
    path.write_bytes(csv_bytes(rows))
    frames.import_frame(db.session, survey, path)
    db.session.commit()


def draw(client: FlaskClient, survey: Survey, seed: str, **extra: str) -> tuple[int, str]:
    page = client.get(f"/surveys/{survey.id}/draw")
    form = {"csrf_token": factories.csrf_from(page.text), "strata": ["agency", "service_field"],
            "allocation": "proportional", "size": "30", "minimum": "2", "reserve": "0.2",
            "seed": seed, **extra}  # fmt: skip
    response = client.post(f"/surveys/{survey.id}/draw", data=form)
    return response.status_code, response.text


def test_the_same_seed_draws_the_same_units_through_the_web(
    client: FlaskClient, survey: Survey, tmp_path: Path
) -> None:
    frame_for_draw(survey, tmp_path)
    factories.login(client, "field@example.org")
    page = client.get(f"/surveys/{survey.id}/draw")
    shown = re.search(r'name="seed"[^>]*value="(\d+)"', page.text)
    assert shown and int(shown.group(1)) >= 100_000_000  # a random default, to write down
    assert draw(client, survey, "20260301")[0] == 303
    first = client.get(f"/surveys/{survey.id}/draw/sample.csv").data
    summary = client.get(f"/surveys/{survey.id}/draw")
    assert "<dd data-seed>20260301</dd>" in summary.text
    assert re.search(r"data-size>30<", summary.text)
    cells = r'<td class="num">(\d+)</td>' * 3
    strata = re.findall(r'<tr><th scope="row">([^<]+)</th>' + cells, summary.text)
    assert strata == [("STP | Hộ tịch", "30", "10", "2"), ("SXD | Quy hoạch", "30", "10", "2"),
                      ("SXD | Xây dựng", "30", "10", "2")]  # fmt: skip
    form = client.get(f"/surveys/{survey.id}/draw").text  # starts from the last settings
    assert re.search(r'name="size"[^>]*value="30"', form)
    assert re.search(r'name="minimum"[^>]*value="2"', form)
    assert draw(client, survey, "20260302")[0] == 303
    assert client.get(f"/surveys/{survey.id}/draw/sample.csv").data != first
    assert draw(client, survey, "20260301")[0] == 303
    again = client.get(f"/surveys/{survey.id}/draw/sample.csv").data
    assert again == first
    rows = list(csv.reader(io.StringIO(again.decode("utf-8-sig"))))
    assert len(rows) == 1 + 30 + 6 and rows[0][0] == "dossier_code"


def test_a_redraw_is_refused_once_invitations_are_in_use(
    client: FlaskClient, survey: Survey, tmp_path: Path
) -> None:
    frame_for_draw(survey, tmp_path)
    factories.login(client, "field@example.org")
    assert draw(client, survey, "7")[0] == 303
    invitation = db.session.scalars(select(Invitation)).first()
    assert invitation is not None
    invitation.disposition = Disposition.SENT
    db.session.commit()
    status, text = draw(client, survey, "8")
    assert status == 200
    assert "mẫu của cuộc khảo sát đã được triển khai thực địa" in text
    assert "<dd data-seed>7</dd>" in text


def test_draw_form_errors_are_shown_beside_the_fields(
    client: FlaskClient, survey: Survey, tmp_path: Path
) -> None:
    frame_for_draw(survey, tmp_path)
    factories.login(client, "field@example.org")
    status, text = draw(client, survey, "x", size="")
    assert status == 200
    assert 'id="err-seed"' in text and 'id="err-size"' in text
    status, text = draw(client, survey, "5", size="500")
    assert status == 200 and "lớn hơn danh sách hồ sơ (90" in text
    assert db.session.scalar(select(func.count()).select_from(Invitation)) == 0


def test_draw_without_a_frame_says_to_import_one(client: FlaskClient, survey: Survey) -> None:
    factories.login(client, "field@example.org")
    status, text = draw(client, survey, "5")
    assert status == 200 and "hãy nhập khung mẫu trước" in text


def test_purge_needs_confirmation_then_deletes_contacts_and_shows_when(
    client: FlaskClient, survey: Survey, tmp_path: Path
) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(csv_bytes(ROWS[:2]))
    frames.import_frame(db.session, survey, path)
    db.session.commit()
    factories.login(client, "field@example.org")
    page = client.get(f"/surveys/{survey.id}/fieldwork")
    assert "data-purged" not in page.text
    token = factories.csrf_from(page.text)
    refused = client.post(f"/surveys/{survey.id}/fieldwork/contacts/purge",
                          data={"csrf_token": token})  # fmt: skip
    assert refused.status_code == 303
    assert db.session.scalar(select(func.count()).select_from(FrameContact)) == 1
    done = client.post(f"/surveys/{survey.id}/fieldwork/contacts/purge",
                       data={"csrf_token": token, "confirm": "y"})  # fmt: skip
    assert done.status_code == 303
    assert db.session.scalar(select(func.count()).select_from(FrameContact)) == 0
    assert frame_count(survey) == 2
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "frame.contacts_purge")
    ).one()
    assert event.actor_id is not None
    page = client.get(f"/surveys/{survey.id}/fieldwork")
    assert "data-purged" in page.text


def test_survey_page_links_the_fieldwork_pages(client: FlaskClient, survey: Survey) -> None:
    factories.login(client, "field@example.org")
    page = client.get(f"/surveys/{survey.id}")
    for target in ("fieldwork", "frame/upload", "sample-size", "draw"):
        assert f'href="/surveys/{survey.id}/{target}"' in page.text
