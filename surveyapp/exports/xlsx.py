"""XLSX downloads (openpyxl write-only mode: rows stream to disk, memory stays flat)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from surveyapp.exports.summary import HEADER
from surveyapp.exports.table import Cell, Column, needs_neutralising


def write_responses(
    out: str | IO[bytes],
    cols: list[Column],
    rows: Iterable[list[Cell]],
    indices: list[list[Any]] | None = None,
) -> None:
    """Sheets ``responses`` (one row each), ``variables`` (the codebook), ``indices``."""
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
    if indices is not None:
        _write_indices(workbook.create_sheet("indices"), indices)
    workbook.save(out)


def _write_indices(sheet: WriteOnlyWorksheet, rows: list[list[Any]]) -> None:
    sheet.freeze_panes = "A2"
    sheet.append([WriteOnlyCell(sheet, value=name) for name in HEADER])
    percent_columns = {HEADER.index(name) for name in ("value", "se", "ci_low", "ci_high")}
    for row in rows:
        cells = []
        for position, value in enumerate(row):
            cell = WriteOnlyCell(sheet, value=value)
            if position in percent_columns:
                cell.number_format = "0.00%"
            cells.append(cell)
        sheet.append(cells)


def _cell(sheet: WriteOnlyWorksheet, value: Cell) -> object:
    if needs_neutralising(value):
        cell = WriteOnlyCell(sheet, value=value)
        cell.quotePrefix = True  # shown as typed, never evaluated as a formula
        cell.data_type = "s"
        return cell
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)  # Excel has no time zones: UTC, as the header says
    return value
