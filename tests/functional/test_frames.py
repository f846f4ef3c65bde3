"""Frame import: every row checked first, problems located exactly, nothing half-saved."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest
from flask import Flask
from openpyxl import Workbook
from sqlalchemy import func, select

from surveyapp.extensions import db
from surveyapp.fieldwork.services.frames import imports as frames
from surveyapp.models import AuditEvent, FrameChannel, FrameContact, FrameUnit, Survey
from surveyapp.problems import InputRefused
from tests import factories
from tests.functional.test_cli import run

HEADER = [
    "dossier_code",
    "agency",
    "service_field",
    "procedure",
    "received_at",
    "due_at",
    "returned_at",
    "channel",
    "citizen_name",
    "phone",
    "email",
    "district",
]
GOOD = [
    ["HS-001", "SXD", "Xây dựng", "Cấp phép", "05/03/2024", "15/03/2024", "14/03/2024",
     "online", "Nguyễn Văn A", "0912 345 678", "a@example.vn", "Ba Đình"],
    ["HS-002", "STP", "Hộ tịch", "Khai sinh", "2024-03-06", "2024-03-08", "",
     "trực tiếp", "Trần Thị B", "+84 987654321", "", "Đống Đa"],
    ["HS-003", "SXD_P1", "Xây dựng", "Cấp phép", "07/03/2024 08:30", "", "",
     "", "", "", "", ""],
]  # fmt: skip


def write_csv(
    path: Path, rows: list[list[str]], header: list[str] = HEADER, bom: bool = False
) -> Path:
    with path.open("w", newline="", encoding="utf-8-sig" if bom else "utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture()
def survey(app: Flask) -> Survey:
    factories.province()
    return factories.survey(("SXD", "STP"))


def frame_count(survey: Survey) -> int:
    return db.session.scalar(
        select(func.count()).select_from(FrameUnit).where(FrameUnit.survey_id == survey.id)
    )


def refused(survey: Survey, path: Path) -> list[tuple[int, str, str, str]]:
    with pytest.raises(InputRefused) as caught:
        frames.import_frame(db.session, survey, path)
    db.session.rollback()
    return [(p.row, p.column, p.value, p.message) for p in caught.value.problems]  # type: ignore[attr-defined]


def test_good_csv_imports_every_row_with_contacts_apart(survey: Survey, tmp_path: Path) -> None:
    summary = frames.import_frame(db.session, survey, write_csv(tmp_path / "f.csv", GOOD))
    db.session.commit()
    assert (summary.rows_read, summary.imported, summary.skipped, summary.duplicates) == (
        3,
        3,
        0,
        0,
    )
    units = {u.dossier_code: u for u in db.session.scalars(select(FrameUnit))}
    first = units["HS-001"]
    assert (first.agency.code, first.received_at, first.due_at, first.returned_at) == (
        "SXD", date(2024, 3, 5), date(2024, 3, 15), date(2024, 3, 14),
    )  # fmt: skip
    assert first.channel is FrameChannel.ONLINE
    assert units["HS-002"].channel is FrameChannel.COUNTER
    assert units["HS-003"].received_at == date(2024, 3, 7)
    assert units["HS-003"].channel is None
    contacts = {c.frame_unit_id: c for c in db.session.scalars(select(FrameContact))}
    assert set(contacts) == {first.id, units["HS-002"].id}  # no empty contact rows
    assert contacts[first.id].phone == "0912345678"
    assert contacts[units["HS-002"].id].phone == "0987654321"
    assert not hasattr(FrameUnit, "phone") and not hasattr(FrameUnit, "citizen_name")


def test_vietnamese_headers_and_bom_are_understood(survey: Survey, tmp_path: Path) -> None:
    header = ["Mã hồ sơ", "Cơ quan", "Lĩnh vực", "Thủ tục", "Ngày tiếp nhận", "Ngày hẹn trả",
              "Ngày trả kết quả", "Hình thức", "Họ tên", "Số điện thoại", "Email",
              "Quận/Huyện"]  # fmt: skip
    path = write_csv(tmp_path / "vi.csv", GOOD, header=header, bom=True)
    assert frames.import_frame(db.session, survey, path).imported == 3
    unit = db.session.scalar(select(FrameUnit).where(FrameUnit.dossier_code == "HS-001"))
    assert unit is not None and unit.district == "Ba Đình" and unit.service_field == "Xây dựng"


def test_explicit_mapping_names_the_columns(survey: Survey, tmp_path: Path) -> None:
    header = ["Số HS", "Đơn vị xử lý", "Ngày nộp"]
    path = write_csv(tmp_path / "m.csv", [["X1", "STP", "01/02/2024"]], header=header)
    mapping = {"dossier_code": "Số HS", "agency": "Đơn vị xử lý", "received_at": "Ngày nộp"}
    assert frames.import_frame(db.session, survey, path, mapping=mapping).imported == 1


def test_xlsx_frame_imports_with_spreadsheet_dates(survey: Survey, tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["Mã hồ sơ", "Cơ quan", "Ngày tiếp nhận", "Ngày hẹn trả", "Số điện thoại"])
    sheet.append([1001, "SXD", date(2024, 5, 2), "10/05/2024", 912345678])
    sheet.append([None, None, None, None, None])  # blank rows are not rows
    path = tmp_path / "f.xlsx"
    book.save(path)
    summary = frames.import_frame(db.session, survey, path)
    assert (summary.rows_read, summary.imported) == (1, 1)
    unit = db.session.scalars(select(FrameUnit)).one()
    assert (unit.dossier_code, unit.received_at, unit.due_at) == (
        "1001", date(2024, 5, 2), date(2024, 5, 10),
    )  # fmt: skip
    assert db.session.scalars(select(FrameContact.phone)).one() == "0912345678"


def test_every_problem_kind_is_located_and_nothing_is_written(
    survey: Survey, tmp_path: Path
) -> None:
    frames.import_frame(db.session, survey, write_csv(tmp_path / "old.csv", GOOD[:1]))
    db.session.commit()
    bad = [
        ["HS-010", "SXD2", "", "", "01/03/2024", "", "", "", "", "", "", ""],  # row 2
        ["HS-011", "SXD", "", "", "31/02/2024", "", "", "", "", "", "", ""],  # row 3
        ["HS-012", "SXD", "", "", "March 3", "", "", "", "", "", "", ""],  # row 4
        ["HS-013", "SXD", "", "", "10/03/2024", "09/03/2024", "", "", "", "", "", ""],  # row 5
        ["HS-014", "SXD", "", "", "10/03/2024", "", "", "bưu điện", "", "", "", ""],  # row 6
        ["HS-015", "SXD", "", "", "10/03/2024", "", "", "", "", "12345", "", ""],  # row 7
        ["HS-016", "SXD", "", "", "10/03/2024", "", "", "", "", "", "a@b", ""],  # row 8
        ["HS-017", "SXD", "", "", "10/03/2024", "", "", "", "", "", "", ""],  # row 9
        ["HS-017", "STP", "", "", "10/03/2024", "", "", "", "", "", "", ""],  # row 10
        ["HS-001", "STP", "", "", "10/03/2024", "", "", "", "", "", "", ""],  # row 11
        ["", "", "", "", "", "", "", "", "", "", "", ""],  # row 12: blank, ignored
        ["", "HN", "", "", "", "", "", "", "", "", "", ""],  # row 13
        ["HS-018", "SXD", "", "", "10/03/2024", "", "08/03/2024", "", "", "", "", ""],  # row 14
    ]
    problems = refused(survey, write_csv(tmp_path / "bad.csv", bad))
    where = [(row, column) for row, column, _, _ in problems]
    assert where == [
        (2, "agency"),
        (3, "received_at"),
        (4, "received_at"),
        (5, "due_at"),
        (6, "channel"),
        (7, "phone"),
        (8, "email"),
        (10, "dossier_code"),
        (11, "dossier_code"),
        (13, "dossier_code"),
        (13, "received_at"),
        (13, "agency"),
        (14, "returned_at"),
    ]
    messages = {(row, column): (value, message) for row, column, value, message in problems}
    assert messages[2, "agency"] == ("SXD2", 'unknown agency code "SXD2"')
    assert messages[3, "received_at"] == ("31/02/2024", "not a real date")
    assert messages[5, "due_at"] == (
        "09/03/2024",
        "due date is before the received date 10/03/2024",
    )
    assert messages[10, "dossier_code"][1] == 'duplicate dossier code "HS-017", already in row 9'
    assert "already in the survey's frame" in messages[11, "dossier_code"][1]
    assert messages[13, "agency"] == ("HN", 'agency "HN" is not part of this survey')
    assert frame_count(survey) == 1


def test_missing_required_columns_refuse_the_file(survey: Survey, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "h.csv", [["x", "y"]], header=["Mã hồ sơ", "ghi chú"])
    problems = refused(survey, path)
    assert [(row, column) for row, column, _, _ in problems] == [(1, "agency"), (1, "received_at")]


def test_skip_invalid_imports_the_good_rows_and_reports_the_rest(
    survey: Survey, tmp_path: Path
) -> None:
    rows = [*GOOD, ["HS-001", "SXD", "", "", "01/03/2024", "", "", "", "", "", "", ""]]
    rows.append(["HS-009", "XX", "", "", "01/03/2024", "", "", "", "", "", "", ""])
    path = write_csv(tmp_path / "mixed.csv", rows)
    summary = frames.import_frame(db.session, survey, path, skip_invalid=True)
    db.session.commit()
    assert (summary.rows_read, summary.imported, summary.skipped, summary.duplicates) == (
        5,
        3,
        2,
        1,
    )
    assert [(p.row, p.column) for p in summary.problems] == [(5, "dossier_code"), (6, "agency")]
    assert frame_count(survey) == 3


def test_cli_refusal_prints_one_csv_line_per_problem(
    app: Flask, survey: Survey, tmp_path: Path
) -> None:
    rows = [["HS-1", "SXD", "", "", "1/1/2024", "", "", "", "", "0912", "", ""],
            ["HS-2", "ZZ", "", "", "1/1/2024", "", "", "", "", "", "", ""]]  # fmt: skip
    path = write_csv(tmp_path / "bad.csv", rows)
    code, out, err = run(app, "frame", "import", str(survey.id), str(path))
    assert code == 1
    lines = list(csv.reader(out.splitlines()))
    assert [line[:3] for line in lines] == [["2", "phone", "0912"], ["3", "agency", "ZZ"]]
    assert "nothing imported" in err
    assert frame_count(survey) == 0
    code, out, err = run(app, "frame", "import", str(survey.id), str(path), "--skip-invalid")
    assert code == 0
    assert len(out.splitlines()) == 2
    assert "2 rows read, 0 imported, 2 skipped" in err
    code, out, err = run(app, "frame", "import", str(survey.id), str(write_csv(path, GOOD)))
    assert (code, out) == (0, "")
    assert frame_count(survey) == 3


def test_duplicates_are_found_across_batches_and_against_the_frame(
    survey: Survey, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    frames.import_frame(db.session, survey, write_csv(tmp_path / "old.csv", GOOD[:1]))
    db.session.commit()
    monkeypatch.setattr(frames, "BATCH_ROWS", 2)  # rows 2-3, 4-5, 6-7 are three batches
    codes = ["A1", "A2", "A3", "A1", "HS-001", "A3"]
    rows = [[c, "SXD", "", "", "01/03/2024", "", "", "", "", "", "", ""] for c in codes]
    summary = frames.check_frame(db.session, survey, write_csv(tmp_path / "d.csv", rows))
    assert [(p.row, p.message) for p in summary.problems] == [
        (5, 'duplicate dossier code "A1", already in row 2'),
        (6, 'duplicate dossier code "HS-001", already in the survey\'s frame'),
        (7, 'duplicate dossier code "A3", already in row 4'),
    ]
    assert (summary.rows_read, summary.skipped, summary.duplicates, summary.good) == (6, 3, 3, 3)
    assert frame_count(survey) == 1  # a check writes nothing


def test_a_repeat_inside_one_batch_of_a_code_already_in_the_frame_names_the_frame() -> None:
    seen = frames.SeenCodes()
    assert seen.add(["X", "Y"], [0, 0]) == [None, None]
    assert seen.add(["Z", "X", "", "X", "Z", "W"], [2, 3, 4, 5, 6, 7]) == [
        None, 0, None, 0, 2, None,
    ]  # fmt: skip
    assert seen.add(["W", "Q"], [8, 9]) == [7, None]


def test_a_batch_of_only_known_codes_leaves_the_next_batch_checkable() -> None:
    seen = frames.SeenCodes()
    seen.add(["X", "Y"], [0, 0])
    assert seen.add(["X", "Y"], [2, 3]) == [0, 0]
    assert seen.add(["Y", "Z"], [4, 5]) == [0, None]


def test_reuploading_an_imported_frame_reports_every_row_as_a_duplicate(
    survey: Survey, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(frames, "BATCH_ROWS", 2)  # as a frame of over 5,000 rows does
    rows = [[f"R{i}", "SXD", "", "", "01/03/2024", "", "", "", "", "", "", ""] for i in range(5)]
    path = write_csv(tmp_path / "frame.csv", rows)
    frames.import_frame(db.session, survey, path)
    db.session.commit()
    problems = refused(survey, path)
    assert [(row, message) for row, _, _, message in problems] == [
        (n, f'duplicate dossier code "R{n - 2}", already in the survey\'s frame')
        for n in range(2, 7)
    ]
    assert frame_count(survey) == 5


def test_refusal_keeps_the_first_problems_and_counts_them_all(
    survey: Survey, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(frames, "BATCH_ROWS", 3)
    rows = [[f"B{i}", "ZZ", "", "", "01/03/2024", "", "", "", "", "", "", ""] for i in range(7)]
    rows.append(["B9", "SXD", "", "", "01/03/2024", "", "", "", "", "", "", ""])
    path = write_csv(tmp_path / "many.csv", rows)
    with pytest.raises(frames.FrameRefused) as caught:
        frames.import_frame(db.session, survey, path, keep_problems=4)
    db.session.rollback()
    summary = caught.value.summary
    assert (summary.problem_count, len(summary.problems), summary.complete) == (7, 4, False)
    assert [p.row for p in frames.iter_problems(db.session, survey, path)] == list(range(2, 9))
    assert frame_count(survey) == 0


def test_a_refused_import_leaves_earlier_work_of_the_transaction_alone(
    survey: Survey, tmp_path: Path
) -> None:
    frames.import_frame(db.session, survey, write_csv(tmp_path / "a.csv", GOOD[:1]))
    bad = [["HS-050", "ZZ", "", "", "01/03/2024", "", "", "", "", "", "", ""]]
    with pytest.raises(InputRefused):
        frames.import_frame(db.session, survey, write_csv(tmp_path / "b.csv", [*GOOD[1:], *bad]))
    db.session.commit()  # the savepoint took back the refused rows only
    assert frame_count(survey) == 1


def test_purge_removes_contacts_only_and_later_imports_keep_none(
    app: Flask, survey: Survey, tmp_path: Path
) -> None:
    frames.import_frame(db.session, survey, write_csv(tmp_path / "f.csv", GOOD[:2]))
    db.session.commit()
    assert frames.contact_count(db.session, survey) == 2
    assert frames.contacts_purged_at(db.session, survey) is None
    code, _, err = run(app, "contacts", "purge", str(survey.id))
    assert code == 0 and "2 contact rows removed" in err
    assert db.session.scalar(select(func.count()).select_from(FrameContact)) == 0
    assert frame_count(survey) == 2
    assert frames.contacts_purged_at(db.session, survey) is not None
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "frame.contacts_purge")
    ).one()
    assert (event.object_id, event.details) == (str(survey.id), {"removed": 2})
    summary = frames.import_frame(db.session, survey, write_csv(tmp_path / "g.csv", GOOD[2:]))
    db.session.commit()
    assert (summary.imported, summary.contacts_kept) == (1, False)
    assert db.session.scalar(select(func.count()).select_from(FrameContact)) == 0


def test_contacts_purge_of_an_unknown_survey_is_refused(app: Flask) -> None:
    code, _, err = run(app, "contacts", "purge", "999")
    assert code == 1 and "no survey 999" in err
