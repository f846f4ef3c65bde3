"""The API's ``/responses`` query: its page and filters, read from plain strings."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l

from surveyapp.exports.table import RowFilter
from surveyapp.i18n import LOCAL_TIME
from surveyapp.models import Channel
from surveyapp.problems import InputRefused, Problem

LAST = 2**31 - 1  # ids and pages are 32-bit integers in every database
CHANNELS = tuple(c.value for c in Channel)
DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass(frozen=True)
class ResponseQuery:
    page: int
    where: RowFilter


def parse_response_query(args: Mapping[str, str]) -> ResponseQuery:
    """``page``, ``channel``, ``from``, ``to`` (Vietnam dates, both included) and ``since``
    (a response id); every bad value is one ``Problem`` named after its parameter, all
    raised together in ``InputRefused``. ``agency`` is the caller's: it is scope."""
    problems: list[Problem] = []
    page = _whole(args, "page", 1, problems) or 1
    since = _whole(args, "since", 0, problems)
    channel = _channel(args.get("channel"), problems)
    first = _day(args, "from", problems)
    last = _day(args, "to", problems)
    if first is not None and last is not None and first > last:
        before = _l("to %(last)s is before from %(first)s", last=last, first=first)
        problems.append(Problem("to", before))
    if problems:
        raise InputRefused(problems)
    return ResponseQuery(
        page=page,
        where=RowFilter(
            channel=channel,
            submitted_from=_local_midnight(first) if first else None,
            submitted_before=_local_midnight(last + timedelta(days=1)) if last else None,
            after_id=since,
        ),
    )


def _whole(args: Mapping[str, str], name: str, lowest: int, problems: list[Problem]) -> int | None:
    text = args.get(name)
    if text is None:
        return None
    if text.isascii() and text.isdigit() and lowest <= int(text) <= LAST:
        return int(text)
    problems.append(
        Problem(
            name,
            _l(
                "%(name)s must be a whole number from %(lowest)s to %(last)s, not “%(value)s”",
                name=name,
                lowest=lowest,
                last=LAST,
                value=text[:40],
            ),
        )
    )
    return None


def _channel(text: str | None, problems: list[Problem]) -> Channel | None:
    if text is None:
        return None
    if text in CHANNELS:
        return Channel(text)
    problems.append(
        Problem(
            "channel",
            _l(
                "unknown channel “%(value)s”: expected one of %(known)s",
                value=text[:40],
                known=", ".join(CHANNELS),
            ),
        )
    )
    return None


def _day(args: Mapping[str, str], name: str, problems: list[Problem]) -> date | None:
    text = args.get(name)
    if text is None:
        return None
    if DAY.fullmatch(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    problems.append(
        Problem(
            name,
            _l(
                "%(name)s must be a date written YYYY-MM-DD, not “%(value)s”",
                name=name,
                value=text[:40],
            ),
        )
    )
    return None


def _local_midnight(day: date) -> datetime:
    """The UTC instant a Vietnam day starts."""
    return datetime.combine(day, time(), LOCAL_TIME).astimezone(UTC)
