"""CSV downloads: UTF-8 with a BOM so that Excel shows Vietnamese intact."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from typing import Any

from surveyapp.exports.table import INERT_PREFIXES, Column, loose_positions

INERT = frozenset(p[0] for p in INERT_PREFIXES)


def stream_responses(
    cols: list[Column], rows: Iterable[Sequence[object]], labels: bool = True, batch: int = 500
) -> Iterator[str]:
    """CSV text in chunks of ``batch`` rows (the first chunk carries the BOM).

    ``labels=False`` promises that choice columns hold codes (numbers), which then
    skip the text checks.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([c.name for c in cols])
    yield "\ufeff" + buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    loose = loose_positions(cols, labels)
    pending = 0
    for row in rows:
        cells: list[Any] = list(row)
        for position in loose:
            value = cells[position]
            kind = value.__class__
            if kind is str:
                if value and value[0] in INERT:
                    cells[position] = "'" + value
            elif kind is datetime or kind is date:
                cells[position] = value.isoformat()
        writer.writerow(cells)
        pending += 1
        if pending == batch:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    if pending:
        yield buffer.getvalue()
