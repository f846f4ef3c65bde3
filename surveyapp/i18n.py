"""Language choice and locale-aware formatting (Vietnamese first, English second)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Flask, current_app, has_app_context, has_request_context, request, session
from flask_babel import force_locale, format_decimal, format_percent, get_locale
from flask_babel.speaklater import LazyString


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
