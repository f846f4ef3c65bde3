"""Language choice and locale-aware formatting (Vietnamese first, English second)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from flask import Flask, current_app, has_app_context, has_request_context, request, session
from flask_babel import (
    force_locale,
    format_date,
    format_datetime,
    format_decimal,
    format_percent,
    get_locale,
    to_user_timezone,
)
from flask_babel.speaklater import LazyString

# Dates people write and read are Vietnam dates (config BABEL_DEFAULT_TIMEZONE too).
LOCAL_TIME = ZoneInfo("Asia/Ho_Chi_Minh")


def select_locale() -> str:
    """``?lang=`` switches, then the remembered choice, then Accept-Language, then vi.

    Outside a request (command line, background jobs) it is English, the language of the
    command line's messages; a job writing for a user renders under ``force_locale``.
    """
    if not has_request_context():
        return "en"
    languages = current_app.config["LANGUAGES"]
    chosen = request.args.get("lang", "")
    if chosen in languages:
        return chosen
    remembered = session.get("lang")
    if remembered in languages:
        return str(remembered)
    return request.accept_languages.best_match(languages) or languages[0]


def current_language() -> str:
    locale = get_locale()
    return locale.language if locale else "vi"


def in_language(text: str | LazyString, lang: str) -> str:
    """A lazy message rendered in ``lang`` (English where no app, so no catalog, is loaded)."""
    if not has_app_context():
        return str(text)
    with force_locale(lang):
        return str(text)


def percent(value: float | None, digits: int = 2) -> str:
    """A proportion as a locale percentage: 0.865 → "86,50 %" in vi, "86.50%" in en."""
    if value is None or value != value:  # None or NaN
        return "–"
    # Vietnamese writes a space before the sign (86,50 %), English does not (86.50%).
    sign = "\u00a0%" if current_language() == "vi" else "%"
    return format_percent(value, format="#,##0." + "0" * digits + sign)


def number(value: float | None, digits: int = 2) -> str:
    if value is None or value != value:
        return "–"
    return format_decimal(value, format="#,##0." + "0" * digits if digits else "#,##0")


# Vietnamese writes 06/10/2026, not Babel's "6 thg 10, 2026"; English spells the month.
DATE_PATTERNS = {"vi": "dd/MM/yyyy", "en": "d MMM yyyy"}


def date_text(value: date | datetime | None, width: str = "") -> str:
    """A date in the page's language: 06/10/2026 (vi), 6 Oct 2026 (en).

    A datetime (naive ones are UTC) is first taken to the app's time zone. ``width`` is
    the Flask-Babel filter's argument, accepted so templates keep working: one pattern
    serves every page.
    """
    if value is None:
        return ""
    return format_date(value, DATE_PATTERNS.get(current_language(), DATE_PATTERNS["vi"]))


def datetime_text(value: datetime | None, width: str = "") -> str:
    """A moment in the app's time zone, the zone shown: 06/10/2026 14:05 (GMT+7)."""
    if value is None:
        return ""
    pattern = DATE_PATTERNS.get(current_language(), DATE_PATTERNS["vi"])
    return f"{format_datetime(value, pattern + ' HH:mm')} ({_zone(value)})"


def time_text(value: datetime | None, width: str = "") -> str:
    """The time of a moment in the app's time zone, the zone shown: 14:05 (GMT+7)."""
    if value is None:
        return ""
    return f"{format_datetime(value, 'HH:mm')} ({_zone(value)})"


def _zone(value: datetime) -> str:
    offset = to_user_timezone(value).utcoffset()
    minutes = int(offset.total_seconds()) // 60 if offset else 0
    hours, rest = divmod(abs(minutes), 60)
    sign = "-" if minutes < 0 else "+"
    return f"GMT{sign}{hours}" + (f":{rest:02d}" if rest else "")


def switch_language(code: str) -> str:
    """This page's query string with ``lang`` set: a switch keeps the filters chosen."""
    query = request.args.to_dict(flat=False)
    query["lang"] = [code]
    return "?" + urlencode(query, doseq=True)


def init_app(app: Flask) -> None:
    @app.before_request
    def _remember_language() -> None:
        chosen = request.args.get("lang")
        if chosen in app.config["LANGUAGES"]:
            session["lang"] = chosen

    @app.context_processor
    def _language() -> dict[str, Any]:
        return {
            "lang": current_language(),
            "languages": app.config["LANGUAGES"],
            "switch_language": switch_language,
        }

    app.jinja_env.filters["percent"] = percent
    app.jinja_env.filters["number"] = number
    # In place of Flask-Babel's own filters, so every template writes dates one way.
    app.jinja_env.filters["dateformat"] = date_text
    app.jinja_env.filters["datetimeformat"] = datetime_text
    app.jinja_env.filters["timeformat"] = time_text
