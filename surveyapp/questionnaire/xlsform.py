"""XLSForm workbooks: our JSON document to and from the survey/choices/settings layout."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import Workbook

from surveyapp.questionnaire.validation import Problem


def to_xlsform(doc: dict[str, Any]) -> Workbook:
    raise NotImplementedError


def read_workbook(
    path: Path, *, filename: str, lang: str = "en"
) -> tuple[dict[str, Any] | None, list[Problem]]:
    return None, [Problem(filename, "XLSForm import is not available yet")]
