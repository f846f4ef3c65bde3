"""Writing checked frame rows fast, and remembering dossier codes compactly.

PostgreSQL gets binary ``COPY`` (ids reserved from the table's sequence first, so the
contacts can name their unit); other databases get one multi-row ``INSERT … RETURNING``
per batch. Both write on the session's connection, inside its transaction.
"""

from __future__ import annotations

from hashlib import blake2b
from typing import Any, Protocol, TypeAlias

import numpy as np
import numpy.typing as npt
import psycopg
from sqlalchemy import insert

from surveyapp.extensions import DbSession
from surveyapp.models import FrameContact, FrameUnit

# A checked row: the frame_units columns below (id aside), then name, phone, e-mail.
Row: TypeAlias = tuple[Any, ...]
UNIT_COLUMNS = ("survey_id", "dossier_code", "agency_id", "service_field", "procedure",
                "received_at", "due_at", "returned_at", "channel", "district",
                "stratum")  # fmt: skip
_UNIT_TYPES = ["int4", "int4", "text", "int4", "text", "text", "date", "date", "date", "text",
               "text", "text"]  # fmt: skip
_WIDTH = len(UNIT_COLUMNS)
_UNIT_COPY = f"COPY frame_units (id, {', '.join(UNIT_COLUMNS)}) FROM STDIN (FORMAT BINARY)"
_CONTACT_COPY = "COPY frame_contacts (frame_unit_id, name, phone, email) FROM STDIN (FORMAT BINARY)"


class SeenCodes:
    """Dossier codes met so far and the row that first had each (0: already in the frame).

    Kept as 16-byte BLAKE2b digests in a few sorted numpy runs (20 bytes a code, rows as
    int32) rather than a set of Python strings (~100 bytes a code); a false match needs
    a 128-bit collision.
    """

    def __init__(self) -> None:
        self._runs: list[tuple[npt.NDArray[np.bytes_], npt.NDArray[np.int32]]] = []

    def add(self, codes: list[str], rows: list[int]) -> list[int | None]:
        """For each code the row that had it before (None if new, or empty); adds the new."""
        earlier: list[int | None] = [None] * len(codes)
        first: dict[bytes, int] = {}  # digest → position in this batch
        repeats: list[tuple[int, int]] = []
        for position, code in enumerate(codes):
            if not code:
                continue
            digest = blake2b(code.encode(), digest_size=16).digest()
            if digest in first:
                repeats.append((position, first[digest]))
            else:
                first[digest] = position
        if not first:
            return earlier
        keys = np.array(list(first), dtype="S16")
        found = np.full(len(keys), -1, dtype=np.int64)
        for run_keys, run_rows in self._runs:
            at = np.searchsorted(run_keys, keys).clip(max=len(run_keys) - 1)
            hit = run_keys[at] == keys
            found[hit] = run_rows[at[hit]]
        positions = list(first.values())
        for position, row in zip(positions, found.tolist(), strict=True):
            if row >= 0:
                earlier[position] = row
        for position, of in repeats:
            earlier[position] = earlier[of] if earlier[of] is not None else rows[of]
        new = found < 0
        self._push(keys[new], np.array(rows, dtype=np.int32)[np.array(positions)[new]])
        return earlier

    def _push(self, keys: npt.NDArray[np.bytes_], rows: npt.NDArray[np.int32]) -> None:
        if not len(keys):  # a batch of known codes only: an empty run could not be searched
            return
        order = np.argsort(keys)
        self._runs.append((keys[order], rows[order]))
        # Merge runs of similar size: O(log n) runs to search, each code merged O(log n) times.
        while len(self._runs) > 1 and len(self._runs[-2][0]) <= 2 * len(self._runs[-1][0]):
            (keys_b, rows_b), (keys_a, rows_a) = self._runs.pop(), self._runs.pop()
            at = np.searchsorted(keys_a, keys_b)
            self._runs.append((np.insert(keys_a, at, keys_b), np.insert(rows_a, at, rows_b)))


class RowWriter(Protocol):
    def write(self, rows: list[Row]) -> int: ...


def writer_for(session: DbSession, *, contacts: bool = True) -> RowWriter:
    raw = session.connection().connection.driver_connection
    if isinstance(raw, psycopg.Connection):
        return _CopyWriter(raw, contacts)
    return _InsertWriter(session, contacts)


class _CopyWriter:
    def __init__(self, raw: psycopg.Connection[Any], contacts: bool) -> None:
        self.raw = raw
        self.contacts = contacts

    def write(self, rows: list[Row]) -> int:
        if not rows:
            return 0
        with self.raw.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence('frame_units', 'id'))"
                " FROM generate_series(1, %s)",
                (len(rows),),
            )
            ids = [unit_id for (unit_id,) in cursor.fetchall()]
            with cursor.copy(_UNIT_COPY) as copy:
                copy.set_types(_UNIT_TYPES)
                for unit_id, row in zip(ids, rows, strict=True):
                    copy.write_row((unit_id, *row[:_WIDTH]))
            if self.contacts:
                with cursor.copy(_CONTACT_COPY) as copy:
                    copy.set_types(["int4", "text", "text", "text"])
                    for unit_id, row in zip(ids, rows, strict=True):
                        if row[_WIDTH] or row[_WIDTH + 1] or row[_WIDTH + 2]:
                            copy.write_row((unit_id, *row[_WIDTH:]))
        return len(rows)


class _InsertWriter:
    def __init__(self, session: DbSession, contacts: bool) -> None:
        self.session = session
        self.contacts = contacts
        self.statement = insert(FrameUnit.__table__).returning(  # type: ignore[arg-type]
            FrameUnit.__table__.c.id, sort_by_parameter_order=True
        )

    def write(self, rows: list[Row]) -> int:
        if not rows:
            return 0
        units = [dict(zip(UNIT_COLUMNS, row, strict=False)) for row in rows]
        ids = self.session.execute(self.statement, units).scalars().all()
        contacts = [
            {"frame_unit_id": unit_id, "name": row[_WIDTH], "phone": row[_WIDTH + 1],
             "email": row[_WIDTH + 2]}
            for unit_id, row in zip(ids, rows, strict=True)
            if self.contacts and (row[_WIDTH] or row[_WIDTH + 1] or row[_WIDTH + 2])
        ]  # fmt: skip
        if contacts:
            self.session.execute(insert(FrameContact.__table__), contacts)  # type: ignore[arg-type]
        return len(rows)
