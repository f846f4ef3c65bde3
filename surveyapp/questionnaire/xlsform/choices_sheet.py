"""The ``choices`` sheet: one scale per list, choice names turned into integer codes."""

from __future__ import annotations

import re
from typing import Any

from flask_babel import lazy_gettext as _l

from surveyapp.questionnaire.xlsform.reading import Reading
from surveyapp.questionnaire.xlsform.sheets import Table

CHOICES_COLUMNS = {"list_name", "name", "label", "missing", "points"}
CHOICES_ALIASES = {"value": "name"}  # SurveyCTO
OPTION_PLACES = {"code": "name", "label": "label", "missing": "missing", "points": "points"}


def read_choices(reading: Reading, table: Table, default: str) -> dict[str, Any]:
    """Scales by list name; numeric choice names keep their number, others are numbered 1…n."""
    rows: dict[str, list[tuple[int, str, dict[str, Any]]]] = {}
    for row, values in table.rows:
        list_name, name = table.get(values, "list_name"), table.get(values, "name")
        if not list_name or not name:
            missing = "list_name" if not list_name else "name"
            reading.error(table.where(row, missing), _l("%(column)s is missing", column=missing))
            continue
        option: dict[str, Any] = {"code": 0, "label": table.labels(values, "label", default)}
        if table.get(values, "missing").lower() in ("yes", "true", "1"):
            option["missing"] = True
        if table.get(values, "points"):
            option["points"] = reading.number(table, row, values, "points")
        entries = rows.setdefault(list_name, [])
        if any(name == seen for _, seen, _ in entries):
            reading.error(
                table.where(row, "name"),
                _l('choice "%(name)s" appears twice in list "%(list)s"', name=name, list=list_name),
            )
        entries.append((row, name, option))
    scales: dict[str, Any] = {}
    for list_name, entries in rows.items():
        numeric = all(re.fullmatch(r"-?\d+", name) for _, name, _ in entries)
        codes = {name: int(name) if numeric else n for n, (_, name, _) in enumerate(entries, 1)}
        if not numeric:
            listed = ", ".join(f"{name}={code}" for name, code in codes.items())
            reading.warn(
                table.where(entries[0][0], "name"),
                _l(
                    'choice names in list "%(list)s" are not numbers; coded %(codes)s',
                    list=list_name,
                    codes=listed,
                ),
            )
        for index, (row, name, option) in enumerate(entries):
            option["code"] = codes[name]
            reading.place(f"scales.{list_name}.options[{index}]", table, row, OPTION_PLACES)
        reading.places[f"scales.{list_name}"] = table.where(entries[0][0], "list_name")
        reading.lists[list_name] = codes
        scales[list_name] = {"options": [option for _, _, option in entries]}
    return scales
