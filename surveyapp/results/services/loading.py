"""Load a survey's submitted answers into one 2-D float array, fast.

On PostgreSQL (psycopg 3) both the responses and the answers travel as
``COPY ... TO STDOUT (FORMAT BINARY)`` of fixed-width rows that SQL has already reduced
to numbers (item id → column index, stratum → label index, NULLs dropped); numpy reads
them with a big-endian structured dtype and scatters them with fancy indexing: none of
our Python runs per row. Elsewhere (SQLite) a plain SELECT is fetched in bulk.

The statements run on the session's own connection, inside its transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import chain, islice
from typing import Any

import numpy as np
import numpy.typing as npt
import psycopg
from sqlalchemy import case, func, select

from surveyapp.extensions import DbSession
from surveyapp.models import (
    Answer,
    QuestionnaireVersion,
    Response,
    ResponseStatus,
    Survey,
    counted,
)
from surveyapp.questionnaire.document import Questionnaire
from surveyapp.results.services.arrays import NUMERIC_TYPES, LoadedArrays
from surveyapp.results.services.sample_design import row_fpc, stratum_sizes
from surveyapp.results.services.weighting import final_weights

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

# Rows are parsed in slices of about this many bytes: the raw COPY stream of 1M × 33
# answers is ~0.9 GB, far more than the 264 MB array it fills.
CHUNK_BYTES = 2 << 20

_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
_HEADER = len(_SIGNATURE) + 8  # + int32 flags + int32 header-extension length
_TRAILER = b"\xff\xff"  # int16 field count -1


def _tuple_dtype(**fields: str) -> np.dtype[np.void]:
    """A binary COPY tuple: int16 field count, then per field an int32 length and value."""
    layout = [("nf", ">i2")]
    for name, kind in fields.items():
        layout += [(f"len_{name}", ">i4"), (name, kind)]
    return np.dtype(layout)


_RESPONSE_ROW = _tuple_dtype(id=">i4", agency=">i4", weight=">f8", version=">i4", stratum=">i4")
_ANSWER_ROW = _tuple_dtype(rid=">i4", col=">i2", value=">f8")

_RESPONSES_COPY = """
COPY (
    SELECT id::int4, agency_id::int4, weight::float8, questionnaire_version_id::int4,
           coalesce(array_position(%s::text[], coalesce(stratum, '')), 0)::int4
    FROM responses WHERE survey_id = %s AND status = %s ORDER BY id
) TO STDOUT (FORMAT BINARY)
"""
# The hash join on a tiny unnest() relation is much cheaper than array_position()
# per answer row; ordinality gives the 1-based column index.
_ANSWERS_COPY = """
COPY (
    SELECT a.response_id::int4, c.col::int2, a.value_num::float8
    FROM answers a
    JOIN responses r ON r.id = a.response_id
    JOIN unnest(%s::text[]) WITH ORDINALITY AS c(item_id, col) ON c.item_id = a.item_id
    WHERE r.survey_id = %s AND r.status = %s AND a.position = 0 AND a.value_num IS NOT NULL
) TO STDOUT (FORMAT BINARY)
"""


@dataclass(frozen=True)
class _Version:
    number: int
    questionnaire: Questionnaire
    numeric: frozenset[str]  # items it asks as a number


@dataclass(frozen=True)
class _Rows:
    ids: IntArray
    agency_ids: IntArray
    weights: FloatArray
    strata: npt.NDArray[np.str_]
    version_ids: IntArray


def load_response_arrays(
    session: DbSession, survey: Survey, *, items: Sequence[str] | None = None
) -> LoadedArrays:
    """The survey's submitted responses, one row each in id order; one column per item.

    ``items`` defaults to every likert/single/number item of the survey's version and of
    the versions its responses were given on (in that order). Options marked
    ``"missing": true`` in a response's version become NaN; multi items are never loaded.
    Raises ``ValueError`` for a requested item that no version asks as a number.
    """
    connection = session.connection()  # begins the session's transaction if needed
    raw = connection.connection.driver_connection
    pg = raw if isinstance(raw, psycopg.Connection) else None
    rows = _responses_copy(session, pg, survey) if pg else _responses_select(session, survey)
    present = [int(v) for v in np.unique(rows.version_ids)]
    versions = _versions(session, [survey.questionnaire_version_id, *present])
    columns = _columns(versions, [survey.questionnaire_version_id, *present], items)
    matrix = np.full((len(columns), len(rows.ids)), np.nan)
    if len(rows.ids) and columns:
        scatter = _Scatter(rows.ids, matrix)
        if pg:
            _answers_copy(pg, survey, columns, scatter)
        else:
            _answers_select(session, survey, columns, scatter)
    not_asked = _blank(matrix, columns, rows.version_ids, {v: versions[v] for v in present})
    numbers = np.array([versions[v].number for v in present], dtype=np.int64)
    weights, used = final_weights(
        session, survey, rows.ids, rows.agency_ids, rows.strata, rows.weights
    )
    return LoadedArrays(
        response_ids=rows.ids,
        agency_ids=rows.agency_ids,
        weights=weights,
        weights_used=used,
        base_weights=rows.weights,
        strata=rows.strata,
        fpc=row_fpc(rows.strata, stratum_sizes(session, survey)),
        answers={item: matrix[j] for j, item in enumerate(columns)},  # views, no copies
        versions=numbers[np.searchsorted(present, rows.version_ids)],
        not_asked=not_asked,
        questionnaires={versions[v].number: versions[v].questionnaire for v in present},
    )


def _versions(session: DbSession, ids: Iterable[int]) -> dict[int, _Version]:
    found = session.execute(
        select(
            QuestionnaireVersion.id, QuestionnaireVersion.version, QuestionnaireVersion.document
        ).where(QuestionnaireVersion.id.in_(set(ids)))
    ).all()
    return {vid: _version(number, Questionnaire(doc)) for vid, number, doc in found}


def _version(number: int, questionnaire: Questionnaire) -> _Version:
    numeric = [i["id"] for i in questionnaire.answerable_items if i["type"] in NUMERIC_TYPES]
    return _Version(number, questionnaire, frozenset(numeric))


def _columns(
    versions: dict[int, _Version], order: list[int], items: Sequence[str] | None
) -> list[str]:
    known = {  # in questionnaire order, the survey's own version first
        i["id"]: None
        for vid in order
        for i in versions[vid].questionnaire.answerable_items
        if i["id"] in versions[vid].numeric
    }
    if items is None:
        return list(known)
    unknown = [item for item in items if item not in known]
    if unknown:
        raise ValueError(f"no questionnaire version asks {', '.join(unknown)} as a number")
    return list(dict.fromkeys(items))


def _blank(
    matrix: FloatArray,
    columns: list[str],
    version_ids: IntArray,
    versions: dict[int, _Version],
) -> dict[str, list[int]]:
    """NaN for missing-coded options and for items a row's version does not ask."""
    not_asked: dict[str, list[int]] = {}
    masks: dict[int, Any] = {}
    for vid in versions:  # one version (the usual case): whole columns, no mask
        masks[vid] = slice(None) if len(versions) == 1 else version_ids == vid
    for j, item in enumerate(columns):
        column = matrix[j]
        for vid, version in sorted(versions.items(), key=lambda v: v[1].number):
            if item not in version.numeric:
                column[masks[vid]] = np.nan
                not_asked.setdefault(item, []).append(version.number)
                continue
            codes = list(version.questionnaire.missing_codes(item))
            if codes:
                coded = np.isin(column, codes)
                if not isinstance(masks[vid], slice):
                    coded &= masks[vid]
                column[coded] = np.nan
    return not_asked


class _Scatter:
    """Writes (response id, column, value) triples into the matrix."""

    def __init__(self, ids: IntArray, matrix: FloatArray):
        self.ids = ids
        self.matrix = matrix
        low, high = int(ids[0]), int(ids[-1])
        # Ids of one survey are mostly dense: a lookup table beats a binary search
        # per answer; fall back to searchsorted when they are spread out.
        self.low = low
        self.table: npt.NDArray[np.int32] | None = None
        if high - low < 4 * len(ids) + 4096:
            self.table = np.full(high - low + 1, -1, dtype=np.int32)
            self.table[ids - low] = np.arange(len(ids), dtype=np.int32)

    def __call__(self, rids: Any, cols: Any, values: Any) -> None:
        rids = np.asarray(rids, dtype=np.int64)
        if self.table is not None:
            offset = rids - self.low
            inside = (offset >= 0) & (offset < len(self.table))
            positions = self.table[np.where(inside, offset, 0)]
            ok = inside & (positions >= 0)
        else:
            positions = np.searchsorted(self.ids, rids)
            clipped = np.minimum(positions, len(self.ids) - 1)
            ok = self.ids[clipped] == rids
            positions = clipped
        if not ok.all():
            # Each statement sees its own snapshot: an answer of a response submitted
            # after the responses were read has no row; leave it out.
            positions, cols, values = positions[ok], np.asarray(cols)[ok], np.asarray(values)[ok]
        self.matrix[cols, positions] = values


# --- PostgreSQL: binary COPY -----------------------------------------------------------


def _responses_copy(session: DbSession, raw: psycopg.Connection[Any], survey: Survey) -> _Rows:
    # A tiny first query for the stratum labels lets SQL send each stratum as an int.
    labels = sorted(
        set(
            session.scalars(
                select(func.coalesce(Response.stratum, "")).where(*_submitted(survey)).distinct()
            )
        )
    )
    parts: list[npt.NDArray[np.void]] = []
    params = (labels, survey.id, ResponseStatus.SUBMITTED.value)
    _copy_rows(raw, _RESPONSES_COPY, params, _RESPONSE_ROW, lambda rows: parts.append(rows.copy()))
    rows = np.concatenate(parts) if parts else np.empty(0, dtype=_RESPONSE_ROW)
    codes = rows["stratum"].astype(np.int64)
    names = np.array(["", *labels], dtype=np.str_)
    strata = names[codes]
    late = np.flatnonzero(codes == 0)
    if len(late):  # a stratum first submitted between the two statements
        found = dict(
            session.execute(
                select(Response.id, Response.stratum).where(
                    Response.id.in_(rows["id"][late].tolist())
                )
            ).tuples()
        )
        strata = strata.astype(np.object_)
        strata[late] = [found.get(int(i)) or "" for i in rows["id"][late]]
        strata = strata.astype(np.str_)
    return _Rows(
        ids=rows["id"].astype(np.int64),
        agency_ids=rows["agency"].astype(np.int64),
        weights=rows["weight"].astype(np.float64),
        strata=strata,
        version_ids=rows["version"].astype(np.int64),
    )


def _answers_copy(
    raw: psycopg.Connection[Any], survey: Survey, columns: list[str], scatter: _Scatter
) -> None:
    params = (columns, survey.id, ResponseStatus.SUBMITTED.value)

    def take(rows: npt.NDArray[np.void]) -> None:
        scatter(rows["rid"], rows["col"].astype(np.intp) - 1, rows["value"])

    _copy_rows(raw, _ANSWERS_COPY, params, _ANSWER_ROW, take)


def _copy_rows(
    raw: psycopg.Connection[Any],
    statement: str,
    params: Sequence[Any],
    dtype: np.dtype[np.void],
    consume: Callable[[npt.NDArray[np.void]], None],
) -> None:
    """Stream a binary COPY of fixed-width rows to ``consume``, slice by slice.

    The server sends one message per row: joining ``islice``s of them keeps the per-row
    work in C (psycopg's own reading), and slices keep memory flat.
    ``consume`` must not keep its argument: it is a view of a transient buffer.
    """
    fields = len(dtype.names or ()) // 2
    per_slice = max(1, CHUNK_BYTES // dtype.itemsize)
    pending, start = b"", -1  # start: offset of the first tuple once the header is read
    with raw.cursor() as cursor, cursor.copy(statement, params) as copy:
        messages = iter(copy)
        while block := b"".join(islice(messages, per_slice)):
            data = pending + block if pending else block
            if start < 0:
                if len(data) < _HEADER:
                    pending = data
                    continue
                if not data.startswith(_SIGNATURE):
                    raise ValueError("not a PostgreSQL binary COPY stream")
                start = _HEADER + int.from_bytes(data[_HEADER - 4 : _HEADER], "big")
            if len(data) < start:  # the header extension is not all here yet
                pending = data
                continue
            count = (len(data) - start) // dtype.itemsize
            if count:
                rows = np.frombuffer(data, dtype=dtype, count=count, offset=start)
                if (rows["nf"] != fields).any():
                    raise ValueError("unexpected row layout in binary COPY (a NULL?)")
                consume(rows)
            pending, start = data[start + count * dtype.itemsize :], 0
    if pending != _TRAILER:
        raise ValueError("binary COPY stream did not end where expected")


# --- Any other database: one bulk SELECT -----------------------------------------------


def _submitted(survey: Survey) -> tuple[Any, ...]:
    return (counted(survey.id),)


def _responses_select(session: DbSession, survey: Survey) -> _Rows:
    found = session.execute(
        select(
            Response.id,
            Response.agency_id,
            Response.weight,
            func.coalesce(Response.stratum, ""),
            Response.questionnaire_version_id,
        )
        .where(*_submitted(survey))
        .order_by(Response.id)
    ).all()
    ids, agencies, weights, strata, versions = zip(*found, strict=True) if found else ([],) * 5
    return _Rows(
        ids=np.array(ids, dtype=np.int64),
        agency_ids=np.array(agencies, dtype=np.int64),
        weights=np.array(weights, dtype=np.float64),
        strata=np.array(strata, dtype=np.str_),
        version_ids=np.array(versions, dtype=np.int64),
    )


def _answers_select(
    session: DbSession, survey: Survey, columns: list[str], scatter: _Scatter
) -> None:
    column = case({item: j for j, item in enumerate(columns)}, value=Answer.item_id)
    # Stream the values into numpy: np.array() on Row objects probes each one through
    # SQLAlchemy's slow attribute fallbacks (seconds for a few hundred thousand answers).
    found = session.execute(
        select(Answer.response_id, column, Answer.value_num)
        .join(Response, Response.id == Answer.response_id)
        .where(*_submitted(survey), Answer.position == 0, Answer.value_num.is_not(None))
        .where(Answer.item_id.in_(columns))
    )
    flat = np.fromiter(chain.from_iterable(found), dtype=np.float64)
    table = flat.reshape(-1, 3)
    scatter(table[:, 0], table[:, 1].astype(np.intp), table[:, 2])
