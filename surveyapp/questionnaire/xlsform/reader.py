"""XLSForm workbooks as KoBoToolbox/ODK/SurveyCTO users really write them, to our JSON.

Every problem is located ``FILE:sheet:ROW:COL`` (Excel row, column letter). The sheets
are read by their own modules, in the order each needs the one before:
``settings_sheet`` (languages), ``choices_sheet`` (codes), ``survey_sheet`` (items),
``relevance`` (rules over those items), ``framework_sheet``; then the document is
validated and each problem's JSON path is mapped back to its cell.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask_babel import lazy_gettext as _l
from openpyxl import Workbook, load_workbook

from surveyapp.i18n import in_language
from surveyapp.questionnaire import validation
from surveyapp.questionnaire.validation import Problem
from surveyapp.questionnaire.xlsform.choices_sheet import (
    CHOICES_ALIASES,
    CHOICES_COLUMNS,
    read_choices,
)
from surveyapp.questionnaire.xlsform.framework_sheet import FRAMEWORK_SHEET_COLUMNS, read_framework
from surveyapp.questionnaire.xlsform.reading import Reading
from surveyapp.questionnaire.xlsform.relevance import read_pending
from surveyapp.questionnaire.xlsform.settings_sheet import SETTINGS_COLUMNS, read_settings
from surveyapp.questionnaire.xlsform.survey_sheet import SURVEY_COLUMNS, read_survey
from surveyapp.uploads import UploadRefused, check_workbook


def from_xlsform(
    workbook: Workbook, *, filename: str, lang: str = "en"
) -> tuple[dict[str, Any] | None, list[Problem]]:
    """The document in an XLSForm workbook and every problem, as ``FILE:sheet:ROW:COL: …``.

    Validation runs here too, its JSON paths mapped back to cells. The document is None
    when there is any error; warnings leave a usable document.
    """
    reading = Reading(workbook, filename, lang)
    doc = _read(reading)
    if doc is None:
        return None, reading.problems
    read_errors = {p.path for p in reading.problems if p.severity == "error"}
    for problem in validation.validate(doc, lang):
        place = reading.at(reading.locate(problem.path))
        if place not in read_errors:  # the reading error there says it more plainly
            reading.problems.append(Problem(place, problem.message, problem.severity))
    ok = not any(p.severity == "error" for p in reading.problems)
    return (doc if ok else None), reading.problems


def read_workbook(
    path: Path, *, filename: str, lang: str = "en"
) -> tuple[dict[str, Any] | None, list[Problem]]:
    """``from_xlsform`` on a file; an unreadable file is one problem, not a crash."""
    try:
        check_workbook(path, whole=True)
        workbook = load_workbook(path, data_only=True)
    except UploadRefused as refused:
        place = f"{filename}:survey:{refused.row or 1}:A"
        return None, [Problem(place, in_language(refused.message, lang))]
    except Exception as error:  # openpyxl raises many kinds for a file that isn't xlsx
        message = _l("not a readable .xlsx workbook (%(error)s)", error=str(error))
        return None, [Problem(f"{filename}:survey:1:A", in_language(message, lang))]
    return from_xlsform(workbook, filename=filename, lang=lang)


def _read(reading: Reading) -> dict[str, Any] | None:
    """The document as the sheets say it, before validation; None without a survey sheet."""
    survey = reading.table("survey", SURVEY_COLUMNS)
    if survey is None:
        reading.error(("survey", 1, 0), _l('the workbook has no "survey" sheet'))
        return None
    choices = reading.table("choices", CHOICES_COLUMNS, CHOICES_ALIASES)
    settings = reading.table("settings", SETTINGS_COLUMNS)
    framework = reading.table("framework", FRAMEWORK_SHEET_COLUMNS)
    doc = read_settings(reading, settings, survey, choices)
    reading.languages = doc["languages"]
    default = reading.languages[0]
    reading.scales = doc["scales"] = read_choices(reading, choices, default) if choices else {}
    doc["sections"] = read_survey(reading, survey, doc)
    read_pending(reading)
    if framework is not None:
        doc["framework"] = read_framework(reading, framework, default)
    return doc
