"""Reading frame files: CSV/XLSX rows streamed, header names matched, cells parsed.

Problem messages are lazy strings, as everywhere (problems.py): English on the
command line, the user's language on the web and in the downloadable report.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from itertools import islice
from pathlib import Path
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from surveyapp.models import FrameChannel
from surveyapp.problems import InputRefused, Problem
from surveyapp.uploads import (
    MAX_COLUMNS,
    MAX_RECORD_CHARS,
    UploadRefused,
    check_workbook,
    csv_records,
    too_many_columns,
)

FIELDS = ("dossier_code", "agency", "service_field", "procedure", "received_at", "due_at",
          "returned_at", "channel", "citizen_name", "phone", "email", "district",
          "stratum")  # fmt: skip
REQUIRED = ("dossier_code", "agency", "received_at")
SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm")
# Header names as one-stop systems and Excel templates write them (compared case-folded).
_ALIASES = {
    "dossier_code": ("mã hồ sơ", "số hồ sơ", "dossier code", "dossier number"),
    "agency": ("cơ quan", "mã cơ quan", "đơn vị", "agency code"),
    "service_field": ("lĩnh vực", "service field"),
    "procedure": ("thủ tục", "thủ tục hành chính", "tên thủ tục", "procedure name"),
    "received_at": ("ngày tiếp nhận", "ngày nhận", "received date", "date received"),
    "due_at": ("ngày hẹn trả", "ngày hẹn trả kết quả", "due date", "appointment date"),
    "returned_at": ("ngày trả kết quả", "ngày trả", "returned date", "return date"),
    "channel": ("hình thức", "hình thức nộp", "kênh", "submission channel"),
    "citizen_name": ("họ tên", "họ và tên", "tên người nộp", "full name", "citizen name"),
    "phone": ("số điện thoại", "điện thoại", "sđt", "phone number"),
    "email": ("thư điện tử", "e-mail"),
    "district": ("quận/huyện", "quận huyện", "huyện"),
    "stratum": ("tầng",),
}
ALIASES = {alias: name for name, aliases in _ALIASES.items() for alias in aliases}
_CHANNELS = {
    FrameChannel.ONLINE: ("online", "trực tuyến", "truc tuyen", "dịch vụ công trực tuyến"),
    FrameChannel.COUNTER: ("counter", "trực tiếp", "truc tiep", "tại quầy", "một cửa"),
}
CHANNELS = {alias: channel for channel, aliases in _CHANNELS.items() for alias in aliases}
_DMY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?")
_PHONE_PUNCTUATION = str.maketrans("", "", " .-()")
NOT_A_DATE = _l("not a date: write dd/mm/yyyy or yyyy-mm-dd")
NOT_A_REAL_DATE = _l("not a real date")
NOT_A_PHONE = _l("not a phone number: 10 or 11 digits starting with 0 (or +84)")
UNKNOWN_CHANNEL = _l('unknown channel: "online" (trực tuyến) or "counter" (trực tiếp)')


@dataclass(frozen=True)
class FrameProblem(Problem):
    """A problem in one cell: ``row`` as in the spreadsheet (header = 1), ``column`` its header."""

    row: int = 0
    column: str = ""
    value: str = ""
    duplicate: bool = False  # the dossier code came earlier (counted apart)

    @classmethod
    def at(
        cls,
        row: int,
        column: str,
        value: Any,
        message: str | LazyString,
        *,
        duplicate: bool = False,
    ) -> FrameProblem:
        where = f"row {row}, column {column}" if column else f"row {row}"
        text = "" if value is None else str(value)
        return cls(where, message, row, column, text, duplicate)


@dataclass(frozen=True)
class Layout:
    """Which file column holds each field, and the header text it had."""

    index: dict[str, int]
    header: dict[str, str]


def normalize_header(text: Any) -> str:
    """Case-folded NFC text with single spaces and none around '/'."""
    folded = unicodedata.normalize("NFC", str(text or "")).casefold()
    return " ".join(folded.split()).replace(" /", "/").replace("/ ", "/")


def guess_field(header_text: Any) -> str | None:
    """The field a header names (English field name or a Vietnamese/English alias)."""
    name = normalize_header(header_text)
    snake = name.replace(" ", "_")
    return snake if snake in FIELDS else ALIASES.get(name)


def guess_mapping(header: Sequence[Any]) -> dict[str, str]:
    """Field → header text for every field a header names; the first column wins."""
    found: dict[str, str] = {}
    for text in header:
        name = guess_field(text)
        if name is not None and name not in found:
            found[name] = str(text)
    return found


def map_columns(
    header: Sequence[Any], mapping: Mapping[str, str] | None = None, *, guess: bool = True
) -> Layout:
    """Field → column index from the header row; ``mapping`` (field → header) wins.

    With ``guess=False`` only ``mapping`` counts (the web form names every field).
    """
    names = [normalize_header(h) for h in header]
    index: dict[str, int] = {}
    problems: list[FrameProblem] = []
    for field_name, wanted in (mapping or {}).items():
        if field_name not in FIELDS:
            message = _l('unknown field "%(field)s"', field=field_name)
            problems.append(FrameProblem.at(1, wanted, wanted, message))
        elif normalize_header(wanted) not in names:
            problems.append(FrameProblem.at(1, wanted, wanted, _l("no such column in the file")))
        else:
            index[field_name] = names.index(normalize_header(wanted))
    explicit = dict(index)
    for position, text in enumerate(header if guess else ()):
        found = guess_field(text)
        if found is None or found in explicit or position in explicit.values():
            continue
        if found in index:
            message = _l(
                '"%(header)s" already gives %(field)s',
                header=str(header[index[found]]),
                field=found,
            )
            problems.append(FrameProblem.at(1, str(text), text, message))
        else:
            index[found] = position
    for missing in (f for f in REQUIRED if f not in index):
        problems.append(
            FrameProblem.at(1, missing, "", _l("missing column %(field)s", field=missing))
        )
    if problems:
        raise InputRefused(list(problems))
    return Layout(index, {f: str(header[i]) for f, i in index.items()})


def read_rows(path: Path) -> Iterator[tuple[int, Sequence[Any]]]:
    """(row number, cells) of the first sheet or the CSV, header included, streamed.

    A file past the upload limits (surveyapp/uploads.py) is refused before it is parsed.
    """
    spreadsheet = path.suffix.lower() in SPREADSHEET_SUFFIXES
    try:
        for number, cells in _xlsx_rows(path) if spreadsheet else _csv_rows(path):
            if len(cells) > MAX_COLUMNS:  # a workbook's row reaching far to the right
                raise UploadRefused(too_many_columns(number), number)
            yield number, cells
    except UploadRefused as refused:
        raise InputRefused([FrameProblem.at(refused.row or 1, "", "", refused.message)]) from None


def estimated_rows(path: Path) -> int:
    """About how many rows the file holds (its lines, or its sheets' rows), read quickly."""
    if path.suffix.lower() in SPREADSHEET_SUFFIXES:
        try:
            return check_workbook(path)
        except UploadRefused:
            return 0  # reading it says why
    lines = 0
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            lines += block.count(b"\n")
    return lines


def preview(path: Path, rows: int = 5) -> tuple[list[str], list[tuple[int, list[Any]]]]:
    """The header and the first ``rows`` non-blank data rows, as the import reads them."""
    stream = read_rows(path)
    header = next(stream, None)
    if header is None:
        raise InputRefused([FrameProblem.at(1, "", "", _l("the file is empty"))])
    data = ((n, list(cells)) for n, cells in stream if not blank(cells))
    return [cell_text(h) for h in header[1]], list(islice(data, rows))


def _xlsx_rows(path: Path) -> Iterator[tuple[int, Sequence[Any]]]:
    from openpyxl import load_workbook

    check_workbook(path)
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception:  # openpyxl raises zipfile, KeyError, ValueError… for a damaged file
        message = _l("the file is not an Excel workbook (.xlsx) that can be opened")
        raise InputRefused([FrameProblem.at(1, "", "", message)]) from None
    try:
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # its stated size may lie: rows are padded to it
        yield from enumerate(sheet.iter_rows(values_only=True), start=1)
    finally:
        workbook.close()


def _csv_rows(path: Path) -> Iterator[tuple[int, Sequence[Any]]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        try:
            first = handle.readline(MAX_RECORD_CHARS)
            delimiter = ";" if first.count(";") > first.count(",") else ","
            handle.seek(0)  # the utf-8-sig decoder drops the BOM again
            yield from enumerate(csv_records(handle, delimiter), start=1)
        except UnicodeDecodeError as error:
            message = _l(
                "the file is not UTF-8 text (byte %(byte)s); save it as CSV UTF-8", byte=error.start
            )
            raise InputRefused([FrameProblem.at(1, "", "", message)]) from None
        except csv.Error as error:
            message = _l("the file is not readable CSV: %(error)s", error=str(error))
            raise InputRefused([FrameProblem.at(1, "", "", message)]) from None


def blank(cells: Sequence[Any]) -> bool:
    return all(cell is None or cell_text(cell) == "" for cell in cells)


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def parse_date(value: Any) -> date | None:
    """dd/mm/yyyy (time ignored), ISO 8601, or a spreadsheet date; None when empty.

    ``ValueError`` carries ``NOT_A_DATE`` or ``NOT_A_REAL_DATE`` (31/02/2024).
    """
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = cell_text(value)
    if not text:
        return None
    match = _DMY.fullmatch(text)
    try:
        if match:
            day, month, year = map(int, match.groups())
            return date(year, month, day)
        if re.match(r"\d{4}-\d{2}-\d{2}", text):
            return datetime.fromisoformat(text).date()
    except ValueError:
        raise ValueError(NOT_A_REAL_DATE) from None
    raise ValueError(NOT_A_DATE)


def normalize_phone(value: Any) -> str | None:
    """A Vietnamese number as 0 + 9 or 10 digits (+84 and lost leading zeros restored)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        digits = cell_text(value)
        if len(digits) in (9, 10) and not digits.startswith("0"):
            digits = "0" + digits
    else:
        digits = cell_text(value).translate(_PHONE_PUNCTUATION)
        if digits.startswith("+84"):
            digits = "0" + digits[3:]
        elif digits.startswith("84") and len(digits) in (11, 12):
            digits = "0" + digits[2:]
    if not digits:
        return None
    if not (digits.isdigit() and digits.startswith("0") and len(digits) in (10, 11)):
        raise ValueError(NOT_A_PHONE)
    return digits


def parse_channel(value: Any) -> FrameChannel | None:
    text = normalize_header(cell_text(value))
    if not text:
        return None
    if text not in CHANNELS:
        raise ValueError(UNKNOWN_CHANNEL)
    return CHANNELS[text]
