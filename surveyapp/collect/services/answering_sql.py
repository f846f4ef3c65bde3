"""The writes of the respondent pages (``answering``): statements built once, on the tables.

As its reads (``visit_sql``), each is built at import (or once per set of columns), run
with plain parameters; on PostgreSQL, the writes of one step are one statement.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any

from sqlalchemy import Executable, bindparam, delete, exists, insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite

from surveyapp.collect.services.visit_sql import dialect
from surveyapp.extensions import Base, DbSession
from surveyapp.models import Answer, Disposition, Invitation, Response, ResponseFlag, ResponseStatus

_invitations, _responses, _answers, _flags = (
    Base.metadata.tables[model.__tablename__]
    for model in (Invitation, Response, Answer, ResponseFlag)
)
# Both updates set the parameters given besides those their WHERE names.
_MOVE_INVITATION = update(_invitations).where(
    _invitations.c.id == bindparam("invitation"),
    _invitations.c.disposition.in_(bindparam("before", expanding=True)),
)
_HOLD_RESPONSE = update(_responses).where(
    _responses.c.id == bindparam("response"),
    _responses.c.status == bindparam("in_progress"),
)
# A request of the same respondent may have inserted the response a moment ago: the
# unique resume hash then makes this insert return no row (no savepoint needed).
_CREATE_RESPONSE = (
    sqlite.insert(_responses)
    .on_conflict_do_nothing(index_elements=[_responses.c.resume_hash])
    .returning(_responses.c.id)
)
# A page's answers in one statement of constant text on PostgreSQL (psycopg's executemany
# runs one statement per answer, and a long multi-row VALUES is parsed anew each time).
# SQLite runs in the process: its executemany is cheap.
_ADD_ANSWERS: dict[str, Executable] = {
    "postgresql": text(
        "INSERT INTO answers (response_id, item_id, position, value_num, value_text, value_date)"
        " SELECT :response, * FROM unnest(CAST(:item_id AS varchar[]),"
        " CAST(:position AS smallint[]), CAST(:value_num AS float8[]),"
        " CAST(:value_text AS text[]), CAST(:value_date AS date[]))"
    ),
    "sqlite": insert(_answers),
}
_ANSWER_COLUMNS = ("item_id", "position", "value_num", "value_text", "value_date")
_DROP_ANSWERS = delete(_answers).where(
    _answers.c.response_id == bindparam("response"),
    _answers.c.item_id.in_(bindparam("items", expanding=True)),
)
_KEEP_ONLY_ANSWERS = delete(_answers).where(
    _answers.c.response_id == bindparam("response"),
    _answers.c.item_id.not_in(bindparam("items", expanding=True)),
)


def move_invitation(
    session: DbSession, invitation_id: int, before: Iterable[Disposition], **values: Any
) -> bool:
    """Set ``values`` if the disposition is one of ``before``; whether it was."""
    moved = session.execute(
        _MOVE_INVITATION, {"invitation": invitation_id, "before": list(before), **values}
    )
    return _rowcount(moved) == 1


def hold_response(session: DbSession, response_id: int, **values: Any) -> bool:
    """Set ``values`` if the response is still in progress, locking its row; whether it was."""
    held = session.execute(
        _HOLD_RESPONSE,
        {"response": response_id, "in_progress": ResponseStatus.IN_PROGRESS, **values},
    )
    return _rowcount(held) == 1


def hold_and_replace(
    session: DbSession,
    response_id: int,
    items: list[str],
    answers: Mapping[str, Any],
    **values: Any,
) -> bool:
    """``hold_response``, then the answers to ``items`` replaced by ``answers`` (as
    ``drop_answers`` and ``add_answers``) if it held: one statement on PostgreSQL."""
    if dialect(session) != "postgresql":
        held = hold_response(session, response_id, **values)
        if held:
            drop_answers(session, response_id, items)
            add_answers(session, response_id, answers)
        return held
    params = _write_params(response_id, items, answers, values)
    statement = _write(tuple(sorted(values)), keep=False, claim=False, flag=False)
    return bool(session.execute(statement, params).scalar())


@dataclass(frozen=True)
class Claim:
    """An invitation moved on with ``values`` if its disposition is one of ``before``."""

    invitation_id: int
    before: tuple[Disposition, ...]
    values: Mapping[str, Any]


def send(
    session: DbSession,
    response_id: int,
    keep: list[str],
    answers: Mapping[str, Any],
    flags: Mapping[str, Mapping[str, Any]],
    now: datetime,
    claim: Claim | None,
    **values: Any,
) -> tuple[bool, bool]:
    """A response sent: ``hold_response`` with ``values``, then, if it held, the
    invitation ``claim``ed, the answers to items not in ``keep`` replaced by ``answers``
    and the response's own ``flags`` (kind → detail) stored; one statement on PostgreSQL.

    Whether the response held, and whether the invitation was claimed (True without one).
    """
    if dialect(session) != "postgresql":
        if not hold_response(session, response_id, **values):
            return False, False
        if claim is not None and not move_invitation(
            session, claim.invitation_id, claim.before, **claim.values
        ):
            return True, False
        keep_only_answers(session, response_id, keep)
        add_answers(session, response_id, answers)
        if flags:
            rows = [
                {"response_id": response_id, "kind": kind, "detail": dict(detail), "at": now}
                for kind, detail in flags.items()
            ]
            session.execute(insert(_flags), rows)
        return True, True
    params = _write_params(response_id, keep, answers, values)
    params["flag_kind"] = list(flags)
    params["flag_detail"] = [json.dumps(detail) for detail in flags.values()]
    params["flagged_at"] = now
    if claim is not None:
        params["invitation"] = claim.invitation_id
        params["before"] = [d.value for d in claim.before]
        params.update({f"claim_{name}": value for name, value in claim.values.items()})
    statement = _write(
        tuple(sorted(values)),
        keep=True,
        claim=claim is not None and tuple(sorted(claim.values)),
        flag=True,
    )
    held, claimed = session.execute(statement, params).one()
    return bool(held), bool(held) and (claim is None or bool(claimed))


def _write_params(
    response_id: int, items: list[str], answers: Mapping[str, Any], values: Mapping[str, Any]
) -> dict[str, Any]:
    rows = _rows(response_id, answers)
    return {
        "response": response_id,
        "in_progress": ResponseStatus.IN_PROGRESS,
        "items": items,
        **{column: [row[column] for row in rows] for column in _ANSWER_COLUMNS},
        **values,
    }


@cache
def _write(
    columns: tuple[str, ...], keep: bool, claim: tuple[str, ...] | bool, flag: bool
) -> Executable:
    """The PostgreSQL statement of ``hold_and_replace`` (``keep`` False: ``:items`` are
    the items replaced) and of ``send`` (``keep``: the items kept, the rest replaced;
    ``claim``: the invitation's columns set; ``flag``: flags stored), setting ``columns``
    of the response.

    Every other part waits on ``held`` (it reads it), so the response's row is locked
    first, as everywhere else; the INSERT waits on the DELETE (its WHERE counts the
    deleted rows), so that an answer saved again replaces the one deleted: the
    statements of a WITH run in no given order otherwise.
    """
    sets = ", ".join(f"{column} = :{column}" for column in columns)
    parts = [
        f"held AS (UPDATE responses SET {sets}"
        " WHERE id = :response AND status = :in_progress RETURNING id)",
        "gone AS (DELETE FROM answers WHERE response_id IN (SELECT id FROM held) AND "
        + ("item_id <> ALL" if keep else "item_id = ANY")
        + "(CAST(:items AS varchar[])) RETURNING 1)",
        "added AS (INSERT INTO answers"
        " (response_id, item_id, position, value_num, value_text, value_date)"
        " SELECT held.id, given.* FROM held, unnest(CAST(:item_id AS varchar[]),"
        " CAST(:position AS smallint[]), CAST(:value_num AS float8[]),"
        " CAST(:value_text AS text[]), CAST(:value_date AS date[])) AS given"
        " WHERE (SELECT count(*) FROM gone) >= 0)",
    ]
    binds = [bindparam(column, type_=_responses.c[column].type) for column in columns]
    claimed = "0"
    if claim:
        assert isinstance(claim, tuple)
        claim_sets = ", ".join(f"{column} = :claim_{column}" for column in claim)
        parts.append(
            f"claimed AS (UPDATE invitations SET {claim_sets}"
            " WHERE id = :invitation AND disposition = ANY(CAST(:before AS varchar[]))"
            " AND EXISTS (SELECT 1 FROM held) RETURNING id)"
        )
        binds += [bindparam(f"claim_{c}", type_=_invitations.c[c].type) for c in claim]
        claimed = "(SELECT count(*) FROM claimed)"
    if flag:
        parts.append(
            "flagged AS (INSERT INTO response_flags (response_id, kind, detail, at)"
            " SELECT held.id, given.kind, given.detail, :flagged_at FROM held,"
            " unnest(CAST(:flag_kind AS varchar[]), CAST(:flag_detail AS jsonb[]))"
            " AS given (kind, detail))"
        )
        binds.append(bindparam("flagged_at", type_=_flags.c.at.type))
    return text(
        "WITH " + ", ".join(parts) + f" SELECT (SELECT count(*) FROM held), {claimed}"
    ).bindparams(bindparam("in_progress", type_=_responses.c.status.type), *binds)


def create_response(
    session: DbSession, row: Mapping[str, Any], claim: Claim | None = None
) -> int | None:
    """The new response's id; None if one with its resume hash exists already. The
    invitation ``claim``ed too if it is created: one statement on PostgreSQL."""
    if dialect(session) != "postgresql":
        found = session.execute(_CREATE_RESPONSE, dict(row)).scalar()
        if found is not None and claim is not None:
            move_invitation(session, claim.invitation_id, claim.before, **claim.values)
        return None if found is None else int(found)
    params = {f"new_{column}": value for column, value in row.items()}
    if claim is not None:
        params["invitation"] = claim.invitation_id
        params["before"] = list(claim.before)
        params.update({f"claim_{name}": value for name, value in claim.values.items()})
    statement = _create(tuple(row), claim and tuple(claim.values))
    found = session.execute(statement, params).scalar()
    return None if found is None else int(found)


@cache
def _create(columns: tuple[str, ...], claim: tuple[str, ...] | None) -> Executable:
    """The PostgreSQL statement of ``create_response``, inserting ``columns`` and, with
    ``claim``, setting those columns of the invitation; the invitation waits on the
    insert (its WHERE reads it), which may wait on a concurrent one of the same response:
    the rows are locked in the order of ``submit``."""
    created = (
        postgresql.insert(_responses)
        .values({column: bindparam(f"new_{column}") for column in columns})
        .on_conflict_do_nothing(index_elements=[_responses.c.resume_hash])
        .returning(_responses.c.id)
        .cte("created")
    )
    statement = select(created.c.id)
    if claim:
        claimed = (
            update(_invitations)
            .where(
                _invitations.c.id == bindparam("invitation"),
                _invitations.c.disposition.in_(bindparam("before", expanding=True)),
                exists(created.select()),
            )
            .values({column: bindparam(f"claim_{column}") for column in claim})
            .cte("claimed")
        )
        statement = statement.add_cte(claimed)
    return statement


def drop_answers(session: DbSession, response_id: int, items: list[str]) -> None:
    session.execute(_DROP_ANSWERS, {"response": response_id, "items": items})


def keep_only_answers(session: DbSession, response_id: int, items: list[str]) -> None:
    session.execute(_KEEP_ONLY_ANSWERS, {"response": response_id, "items": items or [""]})


def add_answers(session: DbSession, response_id: int, answers: Mapping[str, Any]) -> None:
    """Store typed answers (None = left blank: nothing stored; a list = one row each)."""
    rows = _rows(response_id, answers)
    if not rows:
        return
    name = dialect(session)
    if name == "postgresql":  # columns as arrays, for unnest
        columns = {column: [row[column] for row in rows] for column in _ANSWER_COLUMNS}
        session.execute(_ADD_ANSWERS[name], {"response": response_id, **columns})
    else:
        session.execute(_ADD_ANSWERS[name], rows)


def _rows(response_id: int, answers: Mapping[str, Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for item_id, value in answers.items():
        if value is None:
            continue
        values = value if isinstance(value, list) else [value]
        for position, single in enumerate(values):
            row = {
                "response_id": response_id,
                "item_id": item_id,
                "position": position,
                "value_num": None,
                "value_text": None,
                "value_date": None,
            }
            if isinstance(single, date):
                row["value_date"] = single
            elif isinstance(single, str):
                row["value_text"] = single
            else:
                row["value_num"] = float(single)
            rows.append(row)
    return rows


def _rowcount(result: Any) -> int:
    return int(result.rowcount)
