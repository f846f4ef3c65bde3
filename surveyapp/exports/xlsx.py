"""XLSX downloads (openpyxl write-only mode: rows stream to disk, memory stays flat)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import IO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from surveyapp.exports.table import Cell, Column, needs_neutralising


def write_responses(out: str | IO[bytes], cols: list[Column], rows: Iterable[list[Cell]]) -> None:
    workbook = Workbook(write_only=True)
    sheet: WriteOnlyWorksheet = workbook.create_sheet("responses")
    sheet.freeze_panes = "B2"
    bold = Font(bold=True)
    header = []
    for column in cols:
        cell = WriteOnlyCell(sheet, value=column.name)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in rows:
        sheet.append([_cell(sheet, value) for value in row])
    codebook = workbook.create_sheet("variables")
    codebook.append([WriteOnlyCell(codebook, value=v) for v in ("variable", "label")])
    for column in cols:
        codebook.append([column.name, _cell(codebook, column.label)])
    workbook.save(out)


def _cell(sheet: WriteOnlyWorksheet, value: Cell) -> object:
    if needs_neutralising(value):
        cell = WriteOnlyCell(sheet, value=value)
        cell.quotePrefix = True  # shown as typed, never evaluated as a formula
        cell.data_type = "s"
        return cell
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)  # Excel has no time zones: UTC, as the header says
    return value
