"""Hostile uploads are refused before they are parsed, with a message and flat memory.

Each file is built here: CSV headers of 100k and 600k columns, workbooks whose sheet XML
(written with zipfile) holds 2M cells or spans 2M positions, a shared-strings bomb.
Memory is Python's own peak (tracemalloc) while the file is refused.
"""

from __future__ import annotations

import io
import tracemalloc
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from openpyxl import Workbook

from surveyapp.extensions import db
from surveyapp.fieldwork.services.frames import files as frame_files
from surveyapp.problems import InputRefused
from surveyapp.questionnaire import xlsform
from surveyapp.results.services import weighting_targets
from surveyapp.surveys.services import agencies
from tests import factories

DEFLATED = zipfile.ZIP_DEFLATED
PEAK_BYTES = 4 << 20  # a few chunks and a row of 200 cells, whatever the file holds


def refused_within_memory(read: Callable[[], Any]) -> str:
    """The refusal's text; fails if ``read`` accepted the file or its peak passed the bound."""
    tracemalloc.start()
    try:
        with pytest.raises(InputRefused) as caught:
            read()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < PEAK_BYTES, f"peak {peak:,} bytes"
    return str(caught.value)


def wide_csv(path: Path, columns: int) -> Path:
    with path.open("w", encoding="utf-8") as handle:
        handle.write(",".join(f"c{i}" for i in range(columns)) + "\n")
        handle.write("HS-1,SXD,01/03/2024\n")
    return path


STRINGS_TYPE = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"


def workbook_with_sheet(path: Path, sheet_xml: Iterator[bytes], strings: bytes = b"") -> Path:
    """An openpyxl workbook whose first sheet is ours, with ``strings`` repeated to 200 MB
    as its shared strings when given."""
    buffer = io.BytesIO()
    Workbook().save(buffer)
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(path, "w", DEFLATED) as target:
        for member in source.infolist():
            data = source.read(member)
            if member.filename == "xl/worksheets/sheet1.xml":
                with target.open(member.filename, "w") as out:
                    for block in sheet_xml:
                        out.write(block)
                continue
            if member.filename == "[Content_Types].xml" and strings:
                part = b'<Override PartName="/xl/sharedStrings.xml" ContentType="%s"/>'
                data = data.replace(b"</Types>", part % STRINGS_TYPE + b"</Types>")
            target.writestr(member, data, DEFLATED)
        if strings:
            info = zipfile.ZipInfo("xl/sharedStrings.xml")
            info.compress_type = DEFLATED
            with target.open(info, "w", force_zip64=True) as out:
                for _ in range((200 << 20) // len(strings)):
                    out.write(strings)
    return path


HEAD = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
TAIL = b"</sheetData></worksheet>"


def one_row_of(cells: int) -> Iterator[bytes]:
    yield HEAD + b'<row r="1">'
    for start in range(0, cells, 10_000):
        yield b"".join(
            b"<c><v>%d</v></c>" % (n * 7919 % 10007) for n in range(start, start + 10_000)
        )
    yield b"</row>" + TAIL


@pytest.mark.parametrize("columns", [100_000, 600_000])
def test_a_frame_csv_with_a_huge_header_is_refused_before_it_is_split(
    app: Flask, tmp_path: Path, columns: int
) -> None:
    path = wide_csv(tmp_path / "wide.csv", columns)
    message = refused_within_memory(lambda: frame_files.preview(path))
    assert (
        message == "row 1: row 1 has more than 200 columns; a file of records has tens of columns"
    )


def test_a_csv_record_longer_than_the_limit_is_refused_at_its_row(
    app: Flask, tmp_path: Path
) -> None:
    path = tmp_path / "long.csv"
    path.write_text("dossier_code,agency,received_at\nHS-1,SXD," + "x" * 300_000 + "\n")
    message = refused_within_memory(lambda: list(frame_files.read_rows(path)))
    assert message == "row 2: row 2 is longer than 131072 characters"


def test_a_frame_workbook_with_two_million_cells_in_a_row_is_refused(
    app: Flask, tmp_path: Path
) -> None:
    path = workbook_with_sheet(tmp_path / "cells.xlsx", one_row_of(2_000_000))
    assert path.stat().st_size < 8 << 20
    message = refused_within_memory(lambda: frame_files.preview(path))
    assert "row 1 has more than 200 columns" in message


def test_a_shared_strings_bomb_is_refused_before_openpyxl_reads_it(
    app: Flask, tmp_path: Path
) -> None:
    sheet = iter([HEAD + b'<row r="1"><c t="s"><v>0</v></c></row>' + TAIL])
    path = workbook_with_sheet(tmp_path / "bomb.xlsx", sheet, b"<si><t>aaaa</t></si>" * 50_000)
    assert path.stat().st_size < 2 << 20  # 200 MB of text once inflated
    message = refused_within_memory(lambda: frame_files.preview(path))
    assert "looks like a zip bomb and was not opened" in message


def test_a_frame_workbook_whose_row_reaches_far_right_is_refused(
    app: Flask, tmp_path: Path
) -> None:
    sheet = iter([HEAD + b'<row r="1"><c r="A1"><v>1</v></c><c r="XFD1"><v>2</v></c></row>' + TAIL])
    path = workbook_with_sheet(tmp_path / "far.xlsx", sheet)
    message = refused_within_memory(lambda: frame_files.preview(path))
    assert "row 1 has more than 200 columns" in message


def test_an_xlsform_spanning_two_million_positions_is_refused(tmp_path: Path) -> None:
    """Two cells, A1 and GR10000: openpyxl would make every cell between them."""
    sheet = iter([HEAD + b'<row r="1"><c r="A1"><v>1</v></c></row>'
                  b'<row r="10000"><c r="GR10000"><v>2</v></c></row>' + TAIL])  # fmt: skip
    path = workbook_with_sheet(tmp_path / "form.xlsx", sheet)
    tracemalloc.start()
    doc, problems = xlsform.read_workbook(path, filename="form.xlsx")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert doc is None
    assert [(p.path, p.message) for p in problems] == [
        ("form.xlsx:survey:1:A", "the workbook has more than 200,000 cells")
    ]
    assert peak < PEAK_BYTES


def test_weighting_targets_and_agencies_refuse_a_too_wide_csv(app: Flask) -> None:
    factories.province()
    survey = factories.survey(("SXD",))
    text = ",".join(["variable", "category", "total", *(f"x{i}" for i in range(300))]) + "\n"
    with pytest.raises(InputRefused) as caught:
        weighting_targets.read_targets_csv(db.session, survey, text)
    assert str(caught.value) == (
        "row 1: row 1 has more than 200 columns; a file of records has tens of columns"
    )
    text = "code,parent,name_vi,name_en\n" + "A," * 400 + "\n"
    with pytest.raises(InputRefused) as caught:
        agencies.read_csv(text)
    assert str(caught.value) == (
        "row 2: row 2 has more than 200 columns; a file of records has tens of columns"
    )
