"""The agency tree: import from CSV rows, list, look up by code."""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy import select

from surveyapp.extensions import DbSession
from surveyapp.models import Agency, AgencyLevel
from surveyapp.problems import InputRefused, Problem
from surveyapp.uploads import UploadRefused, csv_records

COLUMNS = ("code", "parent", "name_vi", "name_en")
NAME_MAX = 255  # the columns' length


def read_csv(text: str) -> list[dict[str, str]]:
    """Rows of an agencies CSV (``code,parent,name_vi,name_en``), BOM tolerated."""
    records = csv_records(io.StringIO(text.lstrip("\ufeff")))
    try:
        header = next(records, [])
        missing = [c for c in COLUMNS[:3] if c not in header]
        if missing:
            message = _l("missing column(s): %(columns)s", columns=", ".join(missing))
            raise InputRefused([Problem(_l("row %(row)s", row=1), message)])
        return [
            {key: (row[i] if i < len(row) else "").strip() for i, key in enumerate(header) if key}
            for row in records
            if row
        ]
    except UploadRefused as refused:
        where = _l("row %(row)s", row=refused.row or 1)
        raise InputRefused([Problem(where, refused.message)]) from None


def import_agencies(session: DbSession, rows: Iterable[Mapping[str, str]]) -> list[Agency]:
    """Create or update agencies; parents may come later in the file. All or nothing."""
    rows = list(rows)
    existing = {a.code: a for a in session.scalars(select(Agency))}
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(rows, start=2):
        code = row.get("code", "")
        where = _cell(number, "code")
        if not code:
            problems.append(Problem(where, _l("empty code")))
        elif not code.replace("_", "").replace("-", "").isalnum() or len(code) > 32:
            problems.append(Problem(where, _l('invalid code "%(code)s"', code=code)))
        elif code in seen:
            message = _l('"%(code)s" repeats row %(row)s', code=code, row=seen[code])
            problems.append(Problem(where, message))
        else:
            seen[code] = number
        if not row.get("name_vi"):
            problems.append(Problem(_cell(number, "name_vi"), _l("empty name")))
        for column in ("name_vi", "name_en"):
            if len(row.get(column) or "") > NAME_MAX:
                message = _l("at most %(max)s characters", max=NAME_MAX)
                problems.append(Problem(_cell(number, column), message))
    codes = set(seen) | set(existing)
    for number, row in enumerate(rows, start=2):
        parent = row.get("parent", "")
        if parent and parent not in codes:
            message = _l('unknown agency code "%(code)s"', code=parent)
            problems.append(Problem(_cell(number, "parent"), message))
    if problems:
        raise InputRefused(problems)
    by_code = dict(existing)
    pending = {row["code"]: row for row in rows}
    imported: list[Agency] = []
    while pending:  # parents first, whatever the file order
        ready = [r for r in pending.values() if not r.get("parent") or r["parent"] in by_code]
        if not ready:
            cycle = ", ".join(sorted(pending))
            where = _l("column %(column)s", column="parent")
            raise InputRefused(
                [Problem(where, _l("agencies form a cycle: %(codes)s", codes=cycle))]
            )
        for row in ready:
            agency = _upsert(session, by_code, row)
            imported.append(agency)
            del pending[row["code"]]
    session.flush()
    return imported


def _cell(row: int, column: str) -> LazyString:
    return _l("row %(row)s, column %(column)s", row=row, column=column)


def _upsert(session: DbSession, by_code: dict[str, Agency], row: Mapping[str, str]) -> Agency:
    parent = by_code.get(row.get("parent", "")) if row.get("parent") else None
    agency = by_code.get(row["code"]) or Agency(code=row["code"])
    agency.parent = parent
    agency.name_vi = row["name_vi"]
    agency.name_en = row.get("name_en") or row["name_vi"]
    agency.level = _level(row, parent)
    agency.path = (parent.path if parent else "/") + row["code"] + "/"
    session.add(agency)
    by_code[agency.code] = agency
    return agency


def _level(row: Mapping[str, str], parent: Agency | None) -> AgencyLevel:
    if row.get("level"):
        return AgencyLevel(row["level"])
    if parent is None:
        return AgencyLevel.PROVINCE
    if parent.level is AgencyLevel.PROVINCE:
        return AgencyLevel.DEPARTMENT
    return AgencyLevel.UNIT


def by_codes(session: DbSession, codes: Iterable[str]) -> list[Agency]:
    """The agencies with these codes, in the order given; unknown codes are refused."""
    codes = [c.strip() for c in codes if c.strip()]
    found = {a.code: a for a in session.scalars(select(Agency).where(Agency.code.in_(codes)))}
    unknown = [c for c in codes if c not in found]
    if unknown:
        raise InputRefused(
            [Problem("", _l('unknown agency code "%(code)s"', code=c)) for c in unknown]
        )
    return [found[c] for c in codes]


def all_agencies(session: DbSession) -> list[Agency]:
    return list(session.scalars(select(Agency).order_by(Agency.path)))
