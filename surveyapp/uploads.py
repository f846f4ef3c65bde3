"""Uploaded CSV files and workbooks bounded before they are parsed.

A file of records has tens of columns, and a questionnaire a few thousand cells; a hostile
file is refused before it can cost memory. A workbook is a zip: its members are judged by
their declared sizes, which zipfile never inflates past, and its sheets' cells are counted
in bounded chunks, before openpyxl reads a row. A CSV record is read a bounded line at a
time, and only then split.
"""

from __future__ import annotations

import csv
import re
import struct
import zipfile
import zlib
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, TextIO

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

MAX_COLUMNS = 200
MAX_RECORD_CHARS = 128 * 1024  # csv's own field_size_limit
MAX_MEMBERS = 10_000
MAX_INFLATED = 1 << 30  # a million-row frame's sheet is about half of it
MAX_SHARED_STRINGS = 128 << 20  # openpyxl holds every shared string in memory
MAX_RATIO = 100  # sheets deflate 5-20 times; a zip bomb about 1,000 times
RATIO_FROM = 1 << 20  # small members may deflate far; they cost nothing
# A workbook read whole (openpyxl's normal mode) makes a cell of every position up to
# its last row and column.
MAX_LOADED_CELLS = 200_000
MAX_LOADED_SHEETS = 32 << 20
_CHUNK = 1 << 16
_TAG = 64  # longest "<prefix:name" a chunk may cut in two
_EOCD = b"PK\x05\x06"


class UploadRefused(ValueError):
    """A file refused before it was parsed; ``row`` is the Excel/CSV row, when known."""

    def __init__(self, message: str | LazyString, row: int | None = None):
        super().__init__(message)
        self.message, self.row = message, row


def too_many_columns(row: int) -> LazyString:
    return _l(
        "row %(row)s has more than %(max)s columns; a file of records has tens of columns",
        row=row,
        max=MAX_COLUMNS,
    )


def csv_records(handle: TextIO, delimiter: str = ",") -> Iterator[list[str]]:
    """The records of a CSV file, each refused before it is split when longer than
    ``MAX_RECORD_CHARS``, and when it has more than ``MAX_COLUMNS`` fields."""
    lines = _BoundedLines(handle, delimiter)
    for record in csv.reader(lines, delimiter=delimiter):
        lines.records += 1
        lines.taken = 0
        if len(record) > MAX_COLUMNS:
            raise UploadRefused(too_many_columns(lines.records), lines.records)
        yield record


class _BoundedLines:
    """Lines for csv.reader, at most ``MAX_RECORD_CHARS`` for one record."""

    def __init__(self, handle: TextIO, delimiter: str) -> None:
        self.handle, self.delimiter = handle, delimiter
        self.records = self.taken = 0

    def __iter__(self) -> _BoundedLines:
        return self

    def __next__(self) -> str:
        line = self.handle.readline(MAX_RECORD_CHARS + 1 - self.taken)
        if not line:
            raise StopIteration
        self.taken += len(line)
        if self.taken > MAX_RECORD_CHARS:
            row = self.records + 1
            if line.count(self.delimiter) >= MAX_COLUMNS:
                raise UploadRefused(too_many_columns(row), row)
            message = _l(
                "row %(row)s is longer than %(max)s characters", row=row, max=MAX_RECORD_CHARS
            )
            raise UploadRefused(message, row)
        return line


def check_workbook(path: Path, *, whole: bool = False) -> int:
    """Refuse a workbook that would inflate or spread past the limits; its rows, counted.

    ``whole``: the reader loads it whole, so its sheets are also held to
    ``MAX_LOADED_CELLS`` positions. A file that is no workbook is left to the reader.
    """
    try:
        with path.open("rb") as handle:
            if _member_count(handle) > MAX_MEMBERS:
                raise UploadRefused(_l("the workbook holds too many parts to be a spreadsheet"))
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            _check_sizes(members)
            strings, sheets = _parts(archive)
            sizes = {m.filename: m.file_size for m in members}
            if sizes.get(strings or "", 0) > MAX_SHARED_STRINGS:
                message = _l(
                    "the workbook's text would take more than %(size)s MB once opened; split "
                    "it into smaller files",
                    size=MAX_SHARED_STRINGS >> 20,
                )
                raise UploadRefused(message)
            if whole and sum(sizes.get(s, 0) for s in sheets) > MAX_LOADED_SHEETS:
                raise UploadRefused(_too_many_cells())
            return sum(_scan_sheet(archive, sheet, whole) for sheet in sheets if sheet in sizes)
    except (zipfile.BadZipFile, EOFError, KeyError, ValueError, struct.error, zlib.error) as error:
        if isinstance(error, UploadRefused):
            raise
        return 0  # not a workbook: the reader says so in its own words


def _member_count(handle: BinaryIO) -> int:
    """Entries the zip's central directory declares, read before zipfile loads them all."""
    size = handle.seek(0, 2)
    handle.seek(max(0, size - (1 << 16) - 22))
    tail = handle.read()
    at = tail.rfind(_EOCD)
    if at < 0 or len(tail) < at + 22:
        return 0
    entries: int = struct.unpack("<H", tail[at + 10 : at + 12])[0]
    return MAX_MEMBERS + 1 if entries == 0xFFFF else entries  # zip64: no workbook needs it


def _parts(archive: zipfile.ZipFile) -> tuple[str | None, list[str]]:
    """The shared strings and the worksheets openpyxl will read, found as it finds them."""
    from openpyxl.packaging.manifest import Manifest
    from openpyxl.reader.excel import _find_workbook_part
    from openpyxl.reader.workbook import WorkbookParser
    from openpyxl.xml.constants import ARC_CONTENT_TYPES, SHARED_STRINGS
    from openpyxl.xml.functions import fromstring

    package = Manifest.from_tree(fromstring(archive.read(ARC_CONTENT_TYPES)))
    strings = package.find(SHARED_STRINGS)
    parser = WorkbookParser(archive, _find_workbook_part(package).PartName[1:])
    parser.parse()
    sheets = [rel.target for _, rel in parser.find_sheets()]
    return (strings.PartName[1:] if strings is not None else None), sheets


def _check_sizes(members: list[zipfile.ZipInfo]) -> None:
    if sum(m.file_size for m in members) > MAX_INFLATED:
        message = _l(
            "the workbook would take more than %(size)s MB once opened; split it into smaller "
            "files",
            size=MAX_INFLATED >> 20,
        )
        raise UploadRefused(message)
    for member in members:
        ratio = member.file_size // max(member.compress_size, 1)
        if member.file_size > RATIO_FROM and ratio > MAX_RATIO:
            message = _l(
                "the workbook's part %(name)s would expand %(ratio)s times, far more than a "
                "spreadsheet does; it looks like a zip bomb and was not opened",
                name=member.filename,
                ratio=ratio,
            )
            raise UploadRefused(message)


def _too_many_cells() -> LazyString:
    return _l("the workbook has more than %(max)s cells", max=f"{MAX_LOADED_CELLS:,}")


_ROW = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s/>]")
_CELL = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c[\s/>]")
_REF = re.compile(rb'\br="([A-Z]{1,3})([0-9]{1,7})"')


def _scan_sheet(archive: zipfile.ZipFile, name: str, whole: bool) -> int:
    """Count the rows and cells of one sheet in bounded chunks; refuse a row wider than
    ``MAX_COLUMNS`` (a wider row the chunk check lets by still fits in two chunks)."""
    count = _SheetCount(whole)
    carry = b""
    with archive.open(name) as stream:
        while block := stream.read(_CHUNK):
            buffer = carry + block
            cut = buffer.rfind(b"<", max(0, len(buffer) - _TAG))
            chunk, carry = (buffer[:cut], buffer[cut:]) if cut >= 0 else (buffer, b"")
            count.feed(chunk)
    count.feed(carry)
    if whole and count.positions() > MAX_LOADED_CELLS:
        raise UploadRefused(_too_many_cells())
    return count.rows


class _SheetCount:
    def __init__(self, whole: bool) -> None:
        self.whole = whole
        self.rows = self.open_cells = self.cells = self.last_row = self.last_column = 0

    def feed(self, chunk: bytes) -> None:
        self.rows, self.open_cells = _count_rows(chunk, self.rows, self.open_cells)
        if self.whole:
            self.cells += len(_CELL.findall(chunk))
            for letters, number in _REF.findall(chunk):
                self.last_row = max(self.last_row, int(number))
                self.last_column = max(self.last_column, _column_number(letters))

    def positions(self) -> int:
        """Cells openpyxl makes loading the sheet whole: its rectangle, or more."""
        return max(self.cells, max(self.last_row, self.rows) * max(self.last_column, 1))


def _count_rows(chunk: bytes, rows: int, open_cells: int) -> tuple[int, int]:
    """Rows started so far and the cells of the row still open after ``chunk``.

    Each row of at most ``MAX_COLUMNS`` cells would keep the chunk's cells under
    ``MAX_COLUMNS`` for each row it touches; more is a wide row, then found exactly.
    """
    starts = len(_ROW.findall(chunk))
    cells = len(_CELL.findall(chunk))
    if open_cells + cells > MAX_COLUMNS * (starts + 1):
        parts = _ROW.split(chunk)
        widths = [open_cells + len(_CELL.findall(parts[0]))]
        widths += [len(_CELL.findall(part)) for part in parts[1:]]
        wide = next(i for i, width in enumerate(widths) if width > MAX_COLUMNS)
        row = max(rows + wide, 1)
        raise UploadRefused(too_many_columns(row), row)
    if starts:
        last = deque(_ROW.finditer(chunk), maxlen=1)[0]
        return rows + starts, len(_CELL.findall(chunk, last.start()))
    return rows, open_cells + cells


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number
