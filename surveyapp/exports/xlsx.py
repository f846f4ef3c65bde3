"""The analysts' XLSX workbook (XlsxWriter in constant-memory mode: rows stream to disk).

XlsxWriter writes the big ``responses`` sheet about twice as fast as openpyxl's
write-only mode (bench/export.py) and draws native charts; openpyxl stays for reading.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import IO, Any

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from surveyapp.exports.table import INERT_PREFIXES, Column, loose_positions

EXCEL_MAX_ROWS = 1_048_576
INERT = frozenset(p[0] for p in INERT_PREFIXES)
OPTIONS = {
    "constant_memory": True,
    "remove_timezone": True,  # stored UTC, as the column label says
    "strings_to_formulas": False,  # text is text, never a formula
    "strings_to_numbers": False,
    "strings_to_urls": False,
    "default_date_format": "yyyy-mm-dd hh:mm:ss",
}


@dataclass(frozen=True)
class Styled:
    """A cell with its own number format ("percent", "decimal", "integer", "datetime")."""

    value: Any
    style: str


@dataclass
class Table:
    """One analysis sheet: headings, rows, and the number format of each column."""

    name: str
    headings: list[str]
    rows: list[list[Any]]
    formats: dict[int, str] = field(default_factory=dict)  # column → "percent", "decimal", …
    chart: tuple[str, int, int] | None = None  # (title, category column, value column)


@dataclass
class Workbook:
    """Everything beside the responses: sheets written before and after them."""

    before: list[Table]
    after: list[Table]


def write_workbook(
    out: str | IO[bytes],
    cols: list[Column],
    rows: Iterable[Sequence[Any]],
    extra: Workbook | None = None,
    progress: Callable[[int], None] | None = None,
    labels: bool = True,
) -> int:
    """Write the workbook; returns the number of response rows written."""
    book = xlsxwriter.Workbook(out, OPTIONS)
    styles = _styles(book)
    for table in extra.before if extra else []:
        _write_table(book, table, styles)
    sheet = book.add_worksheet("responses")
    count = _write_responses(sheet, cols, rows, labels, styles, progress)
    for table in extra.after if extra else []:
        _write_table(book, table, styles)
    book.close()
    return count


def _styles(book: xlsxwriter.Workbook) -> dict[str, Format]:
    return {
        "header": book.add_format({"bold": True, "bottom": 1, "text_wrap": True}),
        "quote": book.add_format({"quote_prefix": True}),
        "date": book.add_format({"num_format": "yyyy-mm-dd"}),
        "percent": book.add_format({"num_format": "0.00%"}),
        "decimal": book.add_format({"num_format": "0.000"}),
        "integer": book.add_format({"num_format": "#,##0"}),
        "text": book.add_format({"text_wrap": True, "valign": "top"}),
    }


def _write_responses(
    sheet: Worksheet,
    cols: list[Column],
    rows: Iterable[Sequence[Any]],
    labels: bool,
    styles: dict[str, Format],
    progress: Callable[[int], None] | None,
) -> int:
    """The bare ``write_row`` per row, then fix-ups only where text or dates can be."""
    sheet.freeze_panes(1, 1)
    sheet.write_row(0, 0, [c.name for c in cols], styles["header"])
    loose = loose_positions(cols, labels)
    quote, day = styles["quote"], styles["date"]
    write_row, write_string = sheet.write_row, sheet.write_string
    r = 0
    for r, row in enumerate(rows, 1):  # r is the count afterwards
        if r == EXCEL_MAX_ROWS:
            raise OverflowError(f"more than {EXCEL_MAX_ROWS - 1} responses do not fit a sheet")
        write_row(r, 0, row)  # datetimes take the workbook's default date format
        for c in loose:
            value = row[c]
            kind = value.__class__
            if kind is str:
                if value and value[0] in INERT:
                    write_string(r, c, value, quote)  # shown as typed, never a formula
            elif kind is date:
                sheet.write_datetime(r, c, value, day)
        if progress is not None and r % 2000 == 0:
            progress(r)
    return r


def _write_table(book: xlsxwriter.Workbook, table: Table, styles: dict[str, Format]) -> None:
    sheet = book.add_worksheet(table.name)
    sheet.freeze_panes(1, 0)
    sheet.write_row(0, 0, table.headings, styles["header"])
    widths = [min(max(len(h), 8), 40) for h in table.headings]
    for r, row in enumerate(table.rows, 1):
        for c, value in enumerate(row):
            style = styles.get(table.formats.get(c, ""))
            if isinstance(value, Styled):
                value, style = value.value, styles[value.style]
            if value is None:
                if style is not None:
                    sheet.write_blank(r, c, None, style)  # suppressed: empty, still formatted
                continue
            if isinstance(value, str):
                if value[:1] in INERT:
                    style = styles["quote"]
                sheet.write_string(r, c, value, style)
                widths[c] = min(max(widths[c], len(value) + 2), 60)
            elif isinstance(value, int | float):
                sheet.write_number(r, c, value, style)
            else:
                sheet.write(r, c, value, style)
    for c, width in enumerate(widths):
        sheet.set_column(c, c, width, styles["text"] if width >= 60 else None)
    if table.chart is not None and table.rows:
        _chart(book, sheet, table, len(widths))


def _chart(book: xlsxwriter.Workbook, sheet: Worksheet, table: Table, width: int) -> None:
    """A native bar chart of one column against the labels, placed beside the table."""
    assert table.chart is not None
    title, category, value = table.chart
    last = len(table.rows)
    chart = book.add_chart({"type": "bar"})
    chart.add_series(
        {
            "name": title,
            "categories": [table.name, 1, category, last, category],
            "values": [table.name, 1, value, last, value],
            "data_labels": {"value": True, "num_format": "0.0%"},
        }
    )
    chart.set_title({"name": title})
    chart.set_legend({"none": True})
    chart.set_x_axis({"num_format": "0%", "min": 0, "max": 1})
    chart.set_y_axis({"reverse": True})  # first row at the top, as in the table
    chart.set_size({"width": 640, "height": max(240, 22 * last + 80)})
    sheet.insert_chart(1, width + 1, chart)
