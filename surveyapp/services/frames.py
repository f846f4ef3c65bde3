"""Sampling frames from one-stop records: CSV or XLSX streamed in, every row checked.

The file is read twice, row by row: a first pass validates every row and collects every
problem (row, column, value, message); only then does a second pass write, in batches of
``BATCH_ROWS`` inside the caller's transaction, so memory stays bounded by a batch plus
one short string per dossier code (duplicates have to be found across the whole file).
Contact details go to their own table, ``frame_contacts``.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from surveyapp.extensions import DbSession
from surveyapp.models import Agency, FrameChannel, FrameContact, FrameUnit, Survey
from surveyapp.models.audit import record
from surveyapp.services.problems import InputRefused, Problem

BATCH_ROWS = 5_000
FIELDS = ("dossier_code", "agency", "service_field", "procedure", "received_at", "due_at",
          "returned_at", "channel", "citizen_name", "phone", "email", "district",
          "stratum")  # fmt: skip
REQUIRED = ("dossier_code", "agency", "received_at")
CONTACT_FIELDS = ("citizen_name", "phone", "email")
TEXT_FIELDS = ("dossier_code", "service_field", "procedure", "district", "stratum", "citizen_name")
DATE_FIELDS = ("received_at", "due_at", "returned_at")
# Header names as one-stop systems and Excel templates write them (compared case-folded).
_ALIASES = {
    "dossier_code": ("mã hồ sơ", "số hồ sơ"),
    "agency": ("cơ quan", "mã cơ quan", "đơn vị"),
    "service_field": ("lĩnh vực",),
    "procedure": ("thủ tục", "thủ tục hành chính", "tên thủ tục"),
    "received_at": ("ngày tiếp nhận", "ngày nhận"),
    "due_at": ("ngày hẹn trả", "ngày hẹn trả kết quả"),
    "returned_at": ("ngày trả kết quả", "ngày trả"),
    "channel": ("hình thức", "hình thức nộp", "kênh"),
    "citizen_name": ("họ tên", "họ và tên", "tên người nộp"),
    "phone": ("số điện thoại", "điện thoại", "sđt"),
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
MAX_LENGTH = {
    "dossier_code": 64,
    "service_field": 128,
    "procedure": 255,
    "district": 128,
    "stratum": 128,
    "citizen_name": 255,
    "email": 255,
}
_DMY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?")
_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)+")
_PHONE_PUNCTUATION = str.maketrans("", "", " .-()")


@dataclass(frozen=True)
class FrameProblem(Problem):
    """A problem in one cell: ``row`` as in the spreadsheet (header = 1), ``column`` its header."""

    row: int = 0
    column: str = ""
    value: str = ""

    @classmethod
    def at(cls, row: int, column: str, value: Any, message: str) -> FrameProblem:
        where = f"row {row}, column {column}" if column else f"row {row}"
        return cls(where, message, row, column, "" if value is None else str(value))


@dataclass
class FrameImport:
    """What an import did: rows read (blank rows aside), imported, skipped, duplicates."""

    rows_read: int = 0
    imported: int = 0
    skipped: int = 0
    duplicates: int = 0
    problems: list[FrameProblem] = field(default_factory=list)


@dataclass(frozen=True)
class _Layout:
    """Which file column holds each field, and the header text it had."""

    index: dict[str, int]
    header: dict[str, str]


def normalize_header(text: Any) -> str:
    """Case-folded NFC text with single spaces and none around '/'."""
    folded = unicodedata.normalize("NFC", str(text or "")).casefold()
    return " ".join(folded.split()).replace(" /", "/").replace("/ ", "/")


def map_columns(header: Sequence[Any], mapping: Mapping[str, str] | None = None) -> _Layout:
    """Field → column index from the header row; ``mapping`` (field → header) wins."""
    names = [normalize_header(h) for h in header]
    index: dict[str, int] = {}
    problems: list[FrameProblem] = []
    for field_name, wanted in (mapping or {}).items():
        if field_name not in FIELDS:
            problems.append(FrameProblem.at(1, wanted, wanted, f'unknown field "{field_name}"'))
        elif normalize_header(wanted) not in names:
            problems.append(FrameProblem.at(1, wanted, wanted, "no such column in the file"))
        else:
            index[field_name] = names.index(normalize_header(wanted))
    explicit = dict(index)
    for position, name in enumerate(names):
        found = name.replace(" ", "_") if name.replace(" ", "_") in FIELDS else ALIASES.get(name)
        if found is None or found in explicit or position in explicit.values():
            continue
        if found in index:
            message = f'"{header[index[found]]}" already gives {found}'
            problems.append(FrameProblem.at(1, str(header[position]), header[position], message))
        else:
            index[found] = position
    for missing in (f for f in REQUIRED if f not in index):
        problems.append(FrameProblem.at(1, missing, "", f"missing column {missing}"))
    if problems:
        raise InputRefused(list(problems))
    return _Layout(index, {f: str(header[i]) for f, i in index.items()})


def read_rows(path: Path) -> Iterator[tuple[int, Sequence[Any]]]:
    """(row number, cells) of the first sheet or the CSV, header included, streamed."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        yield from _xlsx_rows(path)
    else:
        yield from _csv_rows(path)


def _xlsx_rows(path: Path) -> Iterator[tuple[int, Sequence[Any]]]:
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        yield from enumerate(workbook.worksheets[0].iter_rows(values_only=True), start=1)
    finally:
        workbook.close()


def _csv_rows(path: Path) -> Iterator[tuple[int, Sequence[Any]]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        try:
            first = handle.readline()
            delimiter = ";" if first.count(";") > first.count(",") else ","
            handle.seek(0)  # the utf-8-sig decoder drops the BOM again
            yield from enumerate(csv.reader(handle, delimiter=delimiter), start=1)
        except UnicodeDecodeError as error:
            message = f"the file is not UTF-8 text (byte {error.start}); save it as CSV UTF-8"
            raise InputRefused([FrameProblem.at(1, "", "", message)]) from None


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def parse_date(value: Any) -> date | None:
    """dd/mm/yyyy (time ignored), ISO 8601, or a spreadsheet date; None when empty."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = cell_text(value)
    if not text:
        return None
    match = _DMY.fullmatch(text)
    if match:
        day, month, year = map(int, match.groups())
        return date(year, month, day)
    if not re.match(r"\d{4}-\d{2}-\d{2}", text):
        raise ValueError("not a date: write dd/mm/yyyy or yyyy-mm-dd")
    return datetime.fromisoformat(text).date()


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
        raise ValueError("not a phone number: 10 or 11 digits starting with 0 (or +84)")
    return digits


def _date(value: Any) -> date | None:
    return _date_text(value) if type(value) is str else parse_date(value)


@lru_cache(maxsize=8192)  # a frame holds a few hundred distinct days
def _date_text(value: str) -> date | None:
    return parse_date(value)


@lru_cache(maxsize=256)
def _channel_text(value: str) -> FrameChannel | None:
    return parse_channel(value)


def parse_channel(value: Any) -> FrameChannel | None:
    text = normalize_header(cell_text(value))
    if not text:
        return None
    if text not in CHANNELS:
        raise ValueError('unknown channel: "online" (trực tuyến) or "counter" (trực tiếp)')
    return CHANNELS[text]


class _Checker:
    """Turns the cells of one row into column values, or into problems."""

    def __init__(self, session: DbSession, survey: Survey, layout: _Layout) -> None:
        self.survey_id = survey.id
        self.layout = layout
        roots = tuple(a.path for a in survey.agencies)
        self.agencies = {
            code: (agency_id, path.startswith(roots))
            for code, agency_id, path in session.execute(
                select(Agency.code, Agency.id, Agency.path)
            )
        }
        existing = select(FrameUnit.dossier_code).where(FrameUnit.survey_id == survey.id)
        self.seen: dict[str, int] = dict.fromkeys(session.scalars(existing), 0)

    def check(self, number: int, cells: Sequence[Any]) -> tuple[dict[str, Any], list[FrameProblem]]:
        width = len(cells)
        raw = {f: cells[i] if i < width else None for f, i in self.layout.index.items()}
        text = {f: v.strip() if type(v) is str else cell_text(v) for f, v in raw.items()}
        errors: list[tuple[str, str]] = []  # (field, message): most rows have none
        values: dict[str, Any] = {"survey_id": self.survey_id}
        for name in TEXT_FIELDS:
            value = text.get(name, "")
            if len(value) > MAX_LENGTH[name]:
                errors.append((name, f"longer than {MAX_LENGTH[name]} characters"))
            values[name] = value or None
        errors += [(name, "required") for name in REQUIRED if not text[name]]
        code = values["dossier_code"]
        if code is not None:
            first = self.seen.setdefault(code, number)
            if first != number:
                where = f"row {first}" if first else "the survey's frame"
                errors.append(
                    ("dossier_code", f'duplicate dossier code "{code}", already in {where}')
                )
        if text["agency"]:
            errors += self._agency(text["agency"], values)
        for name in DATE_FIELDS:
            try:
                values[name] = _date(raw[name]) if name in raw else None
            except ValueError as error:
                values[name] = None
                errors.append(
                    (name, str(error) if "not a date" in str(error) else "not a real date")
                )
        received = values["received_at"]
        for name, label in (("due_at", "due date"), ("returned_at", "return date")):
            if received and values[name] and values[name] < received:
                errors.append((name, f"{label} is before the received date {received:%d/%m/%Y}"))
        try:
            values["channel"] = _channel_text(text.get("channel", ""))
        except ValueError as error:
            errors.append(("channel", str(error)))
        try:
            values["phone"] = normalize_phone(raw.get("phone"))
        except ValueError as error:
            errors.append(("phone", str(error)))
        email = text.get("email", "")
        if email and (len(email) > MAX_LENGTH["email"] or not _EMAIL.fullmatch(email)):
            errors.append(("email", "not an e-mail address"))
        values["email"] = email or None
        if not errors:
            return values, []
        header = self.layout.header
        return values, [FrameProblem.at(number, header.get(f, f), raw.get(f), m) for f, m in errors]

    def _agency(self, code: str, values: dict[str, Any]) -> list[tuple[str, str]]:
        found = self.agencies.get(code)
        if found is None:
            return [("agency", f'unknown agency code "{code}"')]
        if not found[1]:
            return [("agency", f'agency "{code}" is not part of this survey')]
        values["agency_id"] = found[0]
        return []


def import_frame(
    session: DbSession,
    survey: Survey,
    path: Path,
    *,
    mapping: Mapping[str, str] | None = None,
    skip_invalid: bool = False,
    actor_id: int | None = None,
) -> FrameImport:
    """Add the one-stop records in ``path`` to the survey's frame; all or nothing.

    Refused (``InputRefused`` with a ``FrameProblem`` per bad cell, nothing written) when
    any row is bad, unless ``skip_invalid``: then the good rows are imported and the
    problems come back in the summary. Header problems always refuse.
    """
    summary, bad_rows, checker = _validate(session, survey, path, mapping)
    if summary.problems and not skip_invalid:
        raise InputRefused(list(summary.problems))
    checker.seen = {}  # the first pass found the duplicates; the rows are already marked
    batch: list[dict[str, Any]] = []
    for number, cells in _data_rows(path):
        if number in bad_rows:
            continue
        values, _ = checker.check(number, cells)
        batch.append(values)
        if len(batch) >= BATCH_ROWS:
            summary.imported += _write(session, batch)
            batch = []
    summary.imported += _write(session, batch)
    record(
        session,
        actor_id,
        "frame.import",
        survey,
        file=path.name,
        imported=summary.imported,
        skipped=summary.skipped,
        duplicates=summary.duplicates,
    )
    return summary


def _validate(
    session: DbSession, survey: Survey, path: Path, mapping: Mapping[str, str] | None
) -> tuple[FrameImport, set[int], _Checker]:
    rows = read_rows(path)
    header = next((cells for _, cells in rows), None)
    if header is None:
        raise InputRefused([FrameProblem.at(1, "", "", "the file is empty")])
    layout = map_columns(header, mapping)
    checker = _Checker(session, survey, layout)
    summary = FrameImport()
    bad_rows: set[int] = set()
    for number, cells in rows:
        if _blank(cells):
            continue
        summary.rows_read += 1
        _, problems = checker.check(number, cells)
        if problems:
            bad_rows.add(number)
            summary.problems.extend(problems)
            summary.duplicates += any(p.message.startswith("duplicate") for p in problems)
    summary.skipped = len(bad_rows)
    return summary, bad_rows, checker


def _data_rows(path: Path) -> Iterator[tuple[int, Sequence[Any]]]:
    rows = read_rows(path)
    next(rows)
    return ((n, cells) for n, cells in rows if not _blank(cells))


def _blank(cells: Sequence[Any]) -> bool:
    return all(cell is None or cell_text(cell) == "" for cell in cells)


def _write(session: DbSession, batch: list[dict[str, Any]]) -> int:
    """Insert a batch of frame units (one executemany), then their contacts."""
    if not batch:
        return 0
    units = [{k: v for k, v in row.items() if k not in CONTACT_FIELDS} for row in batch]
    statement = insert(FrameUnit.__table__).returning(  # type: ignore[arg-type]
        FrameUnit.__table__.c.id, sort_by_parameter_order=True
    )
    ids = session.execute(statement, units).scalars().all()
    contacts = [
        {
            "frame_unit_id": unit_id,
            "name": row["citizen_name"],
            "phone": row["phone"],
            "email": row["email"],
        }
        for unit_id, row in zip(ids, batch, strict=True)
        if row["citizen_name"] or row["phone"] or row["email"]
    ]
    if contacts:
        session.execute(insert(FrameContact.__table__), contacts)  # type: ignore[arg-type]
    return len(batch)
