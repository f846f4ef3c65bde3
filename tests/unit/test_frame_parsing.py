"""Cell parsers of the frame import: dates, phones, channels, header names."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from surveyapp.fieldwork.services.frames.files import (
    map_columns,
    normalize_header,
    normalize_phone,
    parse_channel,
    parse_date,
)
from surveyapp.models import FrameChannel
from surveyapp.problems import InputRefused


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("05/03/2024", date(2024, 3, 5)),
        ("5/3/2024", date(2024, 3, 5)),
        ("05/03/2024 14:20", date(2024, 3, 5)),
        ("2024-03-05", date(2024, 3, 5)),
        ("2024-03-05T14:20:00", date(2024, 3, 5)),
        (datetime(2024, 3, 5, 9, 0), date(2024, 3, 5)),
        (date(2024, 3, 5), date(2024, 3, 5)),
        ("", None),
        (None, None),
    ],
)
def test_dates_are_day_first_or_iso(value: object, expected: date | None) -> None:
    assert parse_date(value) == expected


@pytest.mark.parametrize("value", ["03-05-2024", "2024/03/05", "31/02/2024", "5 March", "45000"])
def test_other_date_spellings_are_refused(value: str) -> None:
    with pytest.raises(ValueError):
        parse_date(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0912 345 678", "0912345678"),
        ("+84 912.345.678", "0912345678"),
        ("84912345678", "0912345678"),
        ("(024) 3825-1234", "02438251234"),
        (912345678, "0912345678"),  # Excel dropped the leading zero
        ("", None),
    ],
)
def test_phones_are_normalised(value: object, expected: str | None) -> None:
    assert normalize_phone(value) == expected


@pytest.mark.parametrize("value", ["12345", "0912-345-67x", "1912345678", "091234567890"])
def test_bad_phones_are_refused(value: str) -> None:
    with pytest.raises(ValueError):
        normalize_phone(value)


def test_channels_accept_english_and_vietnamese() -> None:
    assert parse_channel("Trực tuyến") is FrameChannel.ONLINE
    assert parse_channel(" COUNTER ") is FrameChannel.COUNTER
    assert parse_channel("trực tiếp") is FrameChannel.COUNTER
    assert parse_channel("") is None
    with pytest.raises(ValueError):
        parse_channel("bưu chính")


def test_headers_match_case_and_spacing_insensitively() -> None:
    assert normalize_header("  Quận / Huyện ") == "quận/huyện"
    layout = map_columns(["MÃ HỒ SƠ", "Agency", "Received At", "ghi chú"])
    assert layout.index == {"dossier_code": 0, "agency": 1, "received_at": 2}
    assert layout.header["dossier_code"] == "MÃ HỒ SƠ"


def test_two_columns_for_one_field_are_refused() -> None:
    with pytest.raises(InputRefused) as caught:
        map_columns(["Mã hồ sơ", "Số hồ sơ", "Cơ quan", "Ngày tiếp nhận"])
    assert [str(p) for p in caught.value.problems] == [
        'row 1, column Số hồ sơ: "Mã hồ sơ" already gives dossier_code'
    ]


def test_mapping_wins_over_the_header_names() -> None:
    layout = map_columns(
        ["Mã hồ sơ", "Mã HS mới", "Cơ quan", "Ngày tiếp nhận"], {"dossier_code": "Mã HS mới"}
    )
    assert layout.index["dossier_code"] == 1
