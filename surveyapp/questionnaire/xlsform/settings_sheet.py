"""The ``settings`` sheet: form id, version, title, languages, audience."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from flask_babel import lazy_gettext as _l

from surveyapp.questionnaire.xlsform.reading import Reading
from surveyapp.questionnaire.xlsform.sheets import Table, Where, cell_text, lang_code

SETTINGS_COLUMNS = {"form_id", "version", "form_title", "default_language", "audience"}
SETTINGS_COLUMNS |= {"estimated_minutes"}
# our document key → settings column, to place validation problems
PLACES = {
    "id": "form_id",
    "version": "version",
    "form_version": "version",
    "title": "form_title",
    "audience": "audience",
    "estimated_minutes": "estimated_minutes",
    "languages": "default_language",
}


def read_settings(
    reading: Reading, settings: Table | None, survey: Table, choices: Table | None
) -> dict[str, Any]:
    """The document's top-level keys; the languages also come from every label column."""
    row, values = settings.rows[0] if settings and settings.rows else (2, ())
    table = settings or survey
    header = (table.name, 1, 0)
    reading.places["$"] = header
    get = settings.get if settings else (lambda _v, _b: "")
    default = lang_code(get(values, "default_language")) if settings else None
    found = [*survey.langs("label"), *survey.langs("hint")]
    found += [*(choices.langs("label") if choices else []), *table.langs("form_title")]
    named = [code for code in found if code]
    if default is None and not named:
        reading.warn(
            survey.where(1, "label"), _l("no language given; texts taken as Vietnamese (vi)")
        )
    default = default or (named[0] if named else "vi")
    doc: dict[str, Any] = {"languages": list(dict.fromkeys([default, *named]))}
    form_id = get(values, "form_id")
    if not form_id:
        form_id = re.sub(r"[^a-z0-9_.-]+", "-", Path(reading.filename).stem.lower()).strip("-")
        reading.warn(header, _l('no form_id in settings; using "%(id)s"', id=form_id))
    doc["id"] = form_id
    doc["version"], label = _version(
        reading,
        settings.raw(values, "version") if settings else None,
        table.where(row, "version") if settings else header,
    )
    if label:
        doc["form_version"] = label
    title = table.labels(values, "form_title", default) if settings else {}
    if not title:
        title = {default: form_id}
        reading.warn(header, _l("no form_title in settings; using the form id"))
    doc["title"] = title
    if get(values, "audience"):
        doc["audience"] = get(values, "audience")
    if settings and settings.raw(values, "estimated_minutes") is not None:
        doc["estimated_minutes"] = reading.number(settings, row, values, "estimated_minutes")
    if settings:
        for key, base in PLACES.items():
            reading.places[key] = settings.where(row, base)
    return doc


# Versions we number: 1, 2, 3… A larger number (ODK's yyyymmddrr: 202412041) or any
# other text (2025.1) is the form author's own label.
MAX_OUR_VERSION = 9999


def _version(reading: Reading, raw: Any, where: Where) -> tuple[int, str | None]:
    """Our version number and the author's label (None when the cell is one of ours)."""
    text = cell_text(raw)
    if not text:
        reading.warn(where, _l("no version in settings; using 1"))
        return 1, None
    if re.fullmatch(r"\d+", text) and 1 <= int(text) <= MAX_OUR_VERSION:
        return int(text), None
    return 1, text
