"""One export, any format: the response table plus, for XLSX, the analysis sheets.

The web (direct downloads and background jobs) and the ``export`` command all call
:func:`write_export`; it only reads, so there is nothing for the caller to commit.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from flask_babel import force_locale, gettext

from surveyapp.exports import csvfile, stats, xlsx
from surveyapp.exports.table import ExportDesign, columns, count_responses, response_rows
from surveyapp.exports.variables import variables
from surveyapp.exports.workbook import Analysis, analysis_sheets
from surveyapp.extensions import DbSession
from surveyapp.models import Agency, Survey
from surveyapp.models._types import utcnow
from surveyapp.questionnaire.document import Questionnaire

FORMATS = ("xlsx", "csv", "sav", "dta")
MIMETYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv",  # Werkzeug adds "; charset=utf-8" to text types
    "sav": "application/x-spss-sav",
    "dta": "application/x-stata-dta",
}


class ExportError(Exception):
    """An export that cannot be written (the message says why, for the user)."""


@dataclass(frozen=True)
class ExportSpec:
    """What to export: the format, codes or labels, the language, the agency scope, and
    whether voided responses come too (then with a ``status`` column)."""

    fmt: str
    labels: bool = False
    lang: str = "vi"
    scope: Agency | None = None
    include_voided: bool = False


def download_name(survey: Survey, spec: ExportSpec) -> str:
    suffix = f"-{spec.scope.code}" if spec.scope is not None else ""
    return f"survey-{survey.id}{suffix}-responses.{spec.fmt}"


def write_export(
    session: DbSession,
    survey: Survey,
    spec: ExportSpec,
    out: str | Path,
    progress: Callable[[int, int], None] | None = None,
    *,
    design: ExportDesign,
    analysis: Callable[[], Analysis],
) -> int:
    """Write the export to the file ``out``; returns the number of responses written.

    The results domain hands in the design columns' values (final weights, the strata's
    population sizes, PSUs) and, for XLSX's analysis sheets, how to compute the figures
    of the export's scope.

    The file appears whole or not at all (written beside it, then renamed).
    ``progress(done, total)`` hears the rows written so far every 2,000 rows.
    """
    target = Path(out)
    partial = target.with_name(target.name + ".part")
    try:
        written = _write(session, survey, spec, partial, progress, design, analysis)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return written


def _write(
    session: DbSession,
    survey: Survey,
    spec: ExportSpec,
    out: Path,
    progress: Callable[[int, int], None] | None,
    design: ExportDesign,
    analysis: Callable[[], Analysis],
) -> int:
    if spec.fmt not in FORMATS:
        raise ExportError(f"unknown format {spec.fmt!r}")
    questionnaire = Questionnaire(survey.version.document)
    cols = columns(
        questionnaire, spec.lang, clustered=design.clustered, include_voided=spec.include_voided
    )
    total = count_responses(session, survey, spec.scope, include_voided=spec.include_voided)
    if spec.fmt == "xlsx" and total >= xlsx.EXCEL_MAX_ROWS:
        with force_locale(spec.lang):
            raise ExportError(
                gettext(
                    "%(n)s responses do not fit in one Excel sheet; download CSV, SPSS or Stata.",
                    n=total,
                )
            )
    step = (lambda done: progress(done, total)) if progress is not None else None
    spread = spec.fmt in ("sav", "dta")
    rows: Any = response_rows(
        session,
        survey,
        labels=spec.labels and not spread,
        lang=spec.lang,
        agency=spec.scope,
        spread_multi=spread,
        design=design,
        include_voided=spec.include_voided,
    )
    if spec.fmt == "csv":
        counter = _Counter(step)
        with open(out, "w", encoding="utf-8", newline="") as handle:
            for chunk in csvfile.stream_responses(cols, counter.count(rows), spec.labels):
                handle.write(chunk)
        return counter.done
    if spread:
        return stats.write(
            out,
            spec.fmt,
            variables(cols, questionnaire, spec.lang),
            rows,
            expected_rows=total,
            file_label=survey.title,
            progress=step,
        )
    extra = analysis_sheets(session, survey, questionnaire, spec, _now(), analysis())
    return xlsx.write_workbook(str(out), cols, rows, extra, step, spec.labels)


class _Counter:
    def __init__(self, step: Callable[[int], None] | None):
        self.step = step
        self.done = 0

    def count(self, rows: Any) -> Any:
        for row in rows:
            yield row
            self.done += 1
            if self.step is not None and self.done % 2000 == 0:
                self.step(self.done)


def _now() -> datetime:
    return utcnow()
