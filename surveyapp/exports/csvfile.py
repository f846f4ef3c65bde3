"""CSV downloads: UTF-8 with a BOM so that Excel shows Vietnamese intact."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from datetime import date

from surveyapp.exports.table import Column, needs_neutralising


def stream_responses(cols: list[Column], rows: Iterable[Sequence[object]]) -> Iterator[str]:
    """CSV text chunk by chunk (the first carries the BOM)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([c.name for c in cols])
    yield "\ufeff" + buffer.getvalue()
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([_text(value) for value in row])
        yield buffer.getvalue()


def _text(value: object) -> str:
    if value is None:
        return ""
    if needs_neutralising(value):
        return "'" + str(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
