"""Sampling frames from one-stop records: CSV or XLSX streamed in, every row checked.

One streaming pass: rows are read, checked and written in batches of ``BATCH_ROWS``
(binary COPY on PostgreSQL, multi-row inserts elsewhere) inside a SAVEPOINT of the
caller's transaction. The first bad row stops the writing, the pass goes on to find every
problem, and a refusal rolls the savepoint back: nothing is half-written. Memory is
bounded by a batch, the first ``KEEP_PROBLEMS`` problems and 20 bytes per dossier code
(``frame_store.SeenCodes``); contact details go to their own table, ``frame_contacts``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from itertools import islice
from pathlib import Path
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select

from surveyapp.extensions import DbSession
from surveyapp.fieldwork.services.frames.files import (
    REQUIRED,
    FrameProblem,
    Layout,
    blank,
    cell_text,
    map_columns,
    normalize_phone,
    parse_channel,
    parse_date,
    read_rows,
)
from surveyapp.fieldwork.services.frames.store import Row, SeenCodes, writer_for
from surveyapp.models import Agency, AuditEvent, FrameContact, FrameUnit, Survey
from surveyapp.models.audit import record
from surveyapp.problems import InputRefused

BATCH_ROWS = 5_000
KEEP_PROBLEMS = 1_000  # shown and carried in memory; the full report is streamed again
CONTACT_FIELDS = ("citizen_name", "phone", "email")
TEXT_FIELDS = ("dossier_code", "service_field", "procedure", "district", "stratum", "citizen_name")
DATE_FIELDS = ("received_at", "due_at", "returned_at")
MAX_LENGTH = {
    "dossier_code": 64,
    "service_field": 128,
    "procedure": 255,
    "district": 128,
    "stratum": 128,
    "citizen_name": 255,
    "email": 255,
}
_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)+")
PURGE_ACTION = "frame.contacts_purge"


@dataclass
class FrameImport:
    """What a check or an import found: rows read (blank rows aside), imported, skipped
    (bad rows), duplicates (rows whose dossier code came earlier), every problem counted
    and the first ``KEEP_PROBLEMS`` kept."""

    rows_read: int = 0
    imported: int = 0
    skipped: int = 0
    duplicates: int = 0
    problem_count: int = 0
    problems: list[FrameProblem] = field(default_factory=list)
    contacts_kept: bool = True
    keep: int | None = KEEP_PROBLEMS  # None: keep every problem
    audit_id: int | None = None  # the import's audit event

    @property
    def good(self) -> int:
        return self.rows_read - self.skipped

    @property
    def complete(self) -> bool:
        """Every problem is in ``problems`` (none was left out to bound memory)."""
        return self.problem_count == len(self.problems)

    def _add(self, problems: list[FrameProblem]) -> None:
        self.skipped += 1
        self.problem_count += len(problems)
        self.duplicates += any(p.duplicate for p in problems)
        if self.keep is None:
            self.problems.extend(problems)
        elif len(self.problems) < self.keep:
            self.problems.extend(problems[: self.keep - len(self.problems)])


class FrameRefused(InputRefused):
    """Bad rows and no ``skip_invalid``: nothing was imported; ``summary`` has the counts."""

    def __init__(self, summary: FrameImport):
        super().__init__(list(summary.problems))
        self.summary = summary


def check_frame(
    session: DbSession,
    survey: Survey,
    path: Path,
    *,
    mapping: Mapping[str, str] | None = None,
    guess: bool = True,
    progress: Callable[[int], None] | None = None,
) -> FrameImport:
    """Check every row of ``path`` as ``import_frame`` would, writing nothing;
    ``progress`` hears the rows read after each batch."""
    summary = FrameImport()
    for _ in _scan(session, survey, path, mapping, guess, summary):
        if progress is not None:
            progress(summary.rows_read)
    return summary


def iter_problems(
    session: DbSession,
    survey: Survey,
    path: Path,
    *,
    mapping: Mapping[str, str] | None = None,
    guess: bool = True,
) -> Iterator[FrameProblem]:
    """Every problem of ``path`` in row order, streamed (the full error report)."""
    summary = FrameImport()
    for problems in _scan(session, survey, path, mapping, guess, summary, keep=False):
        yield from problems


def import_frame(
    session: DbSession,
    survey: Survey,
    path: Path,
    *,
    mapping: Mapping[str, str] | None = None,
    guess: bool = True,
    skip_invalid: bool = False,
    actor_id: int | None = None,
    file_name: str | None = None,
    keep_problems: int | None = KEEP_PROBLEMS,
) -> FrameImport:
    """Add the one-stop records in ``path`` to the survey's frame; all or nothing.

    Refused (``FrameRefused``, a ``FrameProblem`` per bad cell, nothing written) when any
    row is bad, unless ``skip_invalid``: then the good rows are imported and the problems
    come back in the summary. Header problems always refuse. ``keep_problems`` bounds the
    problems carried (None: all). After a contacts purge the frame is still imported,
    without contact details.
    """
    purged = contacts_purged_at(session, survey) is not None
    summary = FrameImport(contacts_kept=not purged, keep=keep_problems)
    event = record(session, actor_id, "frame.import", survey, file=file_name or path.name)
    # pysqlite opens a transaction only at a write: without this one, the SAVEPOINT would
    # be the outermost and releasing it would commit on its own.
    session.flush()
    writer = writer_for(session, contacts=summary.contacts_kept)
    with session.begin_nested():
        for rows in _scan(session, survey, path, mapping, guess, summary):
            if skip_invalid or not summary.problem_count:
                summary.imported += writer.write(rows)
        if summary.problem_count and not skip_invalid:
            raise FrameRefused(summary)
    summary.audit_id = event.id
    event.details = {
        "file": file_name or path.name,
        "rows_read": summary.rows_read,
        "imported": summary.imported,
        "skipped": summary.skipped,
        "duplicates": summary.duplicates,
    }
    return summary


def _scan(
    session: DbSession,
    survey: Survey,
    path: Path,
    mapping: Mapping[str, str] | None,
    guess: bool,
    summary: FrameImport,
    *,
    keep: bool = True,
) -> Iterator[Any]:
    """Check the file batch by batch, counting into ``summary``; yields each batch's good
    rows, or (``keep=False``) each batch's problems."""
    stream = read_rows(path)
    first = next(stream, None)
    if first is None:
        raise InputRefused([FrameProblem.at(1, "", "", _l("the file is empty"))])
    layout = map_columns(first[1], mapping, guess=guess)
    checker = _Checker(session, survey, layout)
    seen = SeenCodes()
    existing = select(FrameUnit.dossier_code).where(FrameUnit.survey_id == survey.id)
    for codes in session.scalars(existing.execution_options(yield_per=BATCH_ROWS)).partitions():
        seen.add(list(codes), [0] * len(codes))
    code_at = layout.index["dossier_code"]
    data = ((n, cells) for n, cells in stream if not blank(cells))
    while chunk := list(islice(data, BATCH_ROWS)):
        codes = [cell_text(c[code_at]) if code_at < len(c) else "" for _, c in chunk]
        firsts = seen.add(codes, [n for n, _ in chunk])
        good: list[Row] = []
        bad: list[FrameProblem] = []
        for (number, cells), earlier in zip(chunk, firsts, strict=True):
            row, problems = checker.check(number, cells, earlier)
            if problems:
                if keep:
                    summary._add(problems)
                bad += problems
            else:
                good.append(row)
        summary.rows_read += len(chunk)
        yield good if keep else bad


@lru_cache(maxsize=8192)  # a frame holds a few hundred distinct days
def _date_text(value: str) -> date | None:
    return parse_date(value)


@lru_cache(maxsize=256)
def _channel_text(value: str) -> str | None:
    channel = parse_channel(value)
    return None if channel is None else channel.value


class _Checker:
    """Turns the cells of one row into a ``Row``, or into problems."""

    def __init__(self, session: DbSession, survey: Survey, layout: Layout) -> None:
        self.survey_id = survey.id
        self.layout = layout
        roots = tuple(a.path for a in survey.agencies)
        self.agencies = {
            code: (agency_id, path.startswith(roots))
            for code, agency_id, path in session.execute(
                select(Agency.code, Agency.id, Agency.path)
            )
        }

    def check(
        self, number: int, cells: Sequence[Any], earlier: int | None
    ) -> tuple[Row, list[FrameProblem]]:
        """``earlier``: the row that first had this dossier code (0: the frame), or None."""
        width = len(cells)
        raw = {f: cells[i] if i < width else None for f, i in self.layout.index.items()}
        text = {f: v.strip() if type(v) is str else cell_text(v) for f, v in raw.items()}
        errors: list[tuple[str, Any]] = []  # (field, lazy message): most rows have none
        for name in TEXT_FIELDS:
            if len(text.get(name, "")) > MAX_LENGTH[name]:
                errors.append((name, _l("longer than %(max)s characters", max=MAX_LENGTH[name])))
        errors += [(name, _l("required")) for name in REQUIRED if not text[name]]
        code = text["dossier_code"]
        repeated = None if earlier is None else _duplicate(code, earlier)
        if repeated is not None:
            errors.append(("dossier_code", repeated))
        agency_id = self._agency(text["agency"], errors) if text["agency"] else None
        days: dict[str, date | None] = {}
        for name in DATE_FIELDS:
            value = raw.get(name)
            try:
                days[name] = _date_text(value) if type(value) is str else parse_date(value)
            except ValueError as error:
                days[name] = None
                errors.append((name, error.args[0]))
        received = days["received_at"]
        for name in ("due_at", "returned_at"):
            day = days[name]
            if received and day and day < received:
                errors.append((name, _before_received(name, received)))
        channel = self._parsed(_channel_text, "channel", text.get("channel", ""), errors)
        phone = self._parsed(normalize_phone, "phone", raw.get("phone"), errors)
        email = text.get("email", "")
        if email and (len(email) > MAX_LENGTH["email"] or not _EMAIL.fullmatch(email)):
            errors.append(("email", _l("not an e-mail address")))
        if errors:
            header = self.layout.header
            return (), [
                FrameProblem.at(
                    number, header.get(f, f), raw.get(f), message, duplicate=message is repeated
                )
                for f, message in errors
            ]
        get = text.get
        return (
            self.survey_id, code, agency_id, get("service_field") or None,
            get("procedure") or None, received, days["due_at"], days["returned_at"], channel,
            get("district") or None, get("stratum") or None,
            get("citizen_name") or None, phone, email or None,
        ), []  # fmt: skip

    def _agency(self, code: str, errors: list[tuple[str, Any]]) -> int | None:
        found = self.agencies.get(code)
        if found is None:
            errors.append(("agency", _l('unknown agency code "%(code)s"', code=code)))
            return None
        if not found[1]:
            errors.append(("agency", _l('agency "%(code)s" is not part of this survey', code=code)))
            return None
        return found[0]

    @staticmethod
    def _parsed(parse: Any, name: str, value: Any, errors: list[Any]) -> Any:
        try:
            return parse(value)
        except ValueError as error:
            errors.append((name, error.args[0]))
            return None


def _duplicate(code: str, earlier: int) -> Any:
    if earlier:
        return _l(
            'duplicate dossier code "%(code)s", already in row %(row)s', code=code, row=earlier
        )
    return _l('duplicate dossier code "%(code)s", already in the survey\'s frame', code=code)


def _before_received(name: str, received: date) -> Any:
    day = f"{received:%d/%m/%Y}"
    if name == "due_at":
        return _l("due date is before the received date %(date)s", date=day)
    return _l("return date is before the received date %(date)s", date=day)


# --- contacts purge -----------------------------------------------------------------------


def contacts_purged_at(session: DbSession, survey: Survey) -> datetime | None:
    """When the survey's contact details were last purged (the audit log keeps it)."""
    return session.scalar(
        select(func.max(AuditEvent.at)).where(
            AuditEvent.action == PURGE_ACTION,
            AuditEvent.object_type == Survey.__tablename__,
            AuditEvent.object_id == str(survey.id),
        )
    )


def frame_size(session: DbSession, survey: Survey) -> int:
    query = select(func.count()).select_from(FrameUnit).where(FrameUnit.survey_id == survey.id)
    return session.scalar(query) or 0


def contact_count(session: DbSession, survey: Survey) -> int:
    query = (
        select(func.count())
        .select_from(FrameContact)
        .join(FrameUnit, FrameUnit.id == FrameContact.frame_unit_id)
        .where(FrameUnit.survey_id == survey.id)
    )
    return session.scalar(query) or 0


def purge_contacts(session: DbSession, survey: Survey, *, actor_id: int | None = None) -> int:
    """Delete the survey's contact details (names, phones, e-mails), nothing else; audited.

    Imports after a purge keep no contact details either.
    """
    units = select(FrameUnit.id).where(FrameUnit.survey_id == survey.id)
    result = session.execute(delete(FrameContact).where(FrameContact.frame_unit_id.in_(units)))
    removed = int(getattr(result, "rowcount", 0) or 0)
    record(session, actor_id, PURGE_ACTION, survey, removed=removed)
    session.flush()
    return removed
