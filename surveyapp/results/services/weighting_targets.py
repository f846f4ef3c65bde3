"""Raking targets (known population totals) typed or uploaded as CSV, checked row by row.

A target is ``variable,category,total``: the variable is a single-choice question of
the survey's questionnaire (category = option code or label) or a frame variable
(``agency``, ``district``, ``service_field``, ``channel``). Raking reads each
respondent's category of those variables here too (:func:`respondent_categories`).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from surveyapp.extensions import DbSession
from surveyapp.models import (
    Agency,
    Answer,
    FrameUnit,
    Response,
    SampledUnit,
    Survey,
    counted,
)
from surveyapp.problems import InputRefused, Problem
from surveyapp.questionnaire.document import Questionnaire
from surveyapp.uploads import UploadRefused, csv_records

# Frame variables a respondent carries through its invitation's sampled frame unit.
FRAME_VARIABLES = {
    "district": FrameUnit.district,
    "service_field": FrameUnit.service_field,
    "channel": FrameUnit.channel,
}
TARGET_COLUMNS = ("variable", "category", "total")
# Margins whose totals differ by more than this share cannot all be met.
TOTALS_SLACK = 0.01


@dataclass(frozen=True)
class Target:
    variable: str
    category: str
    total: float


def read_targets_csv(
    session: DbSession, survey: Survey, text: str, *, header_given: bool = True
) -> list[Target]:
    """Targets from CSV text with the columns ``variable,category,total`` (header first).

    ``header_given=False``: the caller put the header line in front of typed rows, so
    row numbers count from the first typed row.
    """
    try:
        lines = csv_records(io.StringIO(text.lstrip("\ufeff")))
        rows = [row for row in lines if any(cell.strip() for cell in row)]
    except UploadRefused as refused:
        where = _("row %(row)s", row=refused.row or 1)
        raise InputRefused([Problem(where, str(refused.message))]) from None
    if not rows:
        raise InputRefused([Problem("", _("The targets are empty."))])
    header = [cell.strip().lower() for cell in rows[0]]
    missing = [c for c in TARGET_COLUMNS if c not in header]
    if missing:
        where = _("row %(row)s", row=1)
        raise InputRefused(
            [Problem(where, _("missing column(s): %(columns)s", columns=", ".join(missing)))]
        )
    at = {c: header.index(c) for c in TARGET_COLUMNS}
    records = [
        {c: (row[at[c]].strip() if at[c] < len(row) else "") for c in TARGET_COLUMNS}
        for row in rows[1:]
    ]
    return check_targets(session, survey, records, first_row=2 if header_given else 1)


def check_targets(
    session: DbSession, survey: Survey, records: Sequence[dict[str, str]], *, first_row: int = 1
) -> list[Target]:
    """Validate typed or uploaded target rows; every problem names its row and column."""
    variables = _variables(session, survey)
    problems: list[Problem] = []
    targets: list[Target] = []
    seen: dict[tuple[str, str], int] = {}
    for number, record in enumerate(records, start=first_row):
        variable = record.get("variable", "").strip()
        category = record.get("category", "").strip()
        total_text = record.get("total", "").strip()
        found = len(problems)
        categories = variables.get(variable)
        if categories is None:
            problems.append(_problem(number, "variable", _unknown_variable(variable, variables)))
        else:
            code = categories(category)
            if code is None:
                message = _(
                    '"%(category)s" is not a category of %(variable)s',
                    category=category,
                    variable=variable,
                )
                problems.append(_problem(number, "category", message))
            else:
                category = code
        total = _number(total_text)
        if total is None or total <= 0:
            message = _('"%(value)s" is not a positive number', value=total_text)
            problems.append(_problem(number, "total", message))
        if len(problems) > found or total is None:
            continue
        if (variable, category) in seen:
            message = _("repeats row %(row)s", row=seen[(variable, category)])
            problems.append(_problem(number, "category", message))
            continue
        seen[(variable, category)] = number
        targets.append(Target(variable, category, total))
    problems += _consistency(targets)
    if problems:
        raise InputRefused(problems)
    return targets


def _problem(row: int, column: str, message: str) -> Problem:
    return Problem(_("row %(row)s, column %(column)s", row=row, column=column), message)


def _unknown_variable(variable: str, variables: dict[str, Any]) -> str:
    return _(
        '"%(variable)s" is not a single-choice question or frame variable (%(known)s)',
        variable=variable,
        known=", ".join(variables),
    )


def _number(text: str) -> float | None:
    try:
        value = float(text.replace(" ", "").replace("\u00a0", ""))
    except ValueError:
        return None
    return value if np.isfinite(value) else None


def _consistency(targets: list[Target]) -> list[Problem]:
    """Every margin describes the same population: their totals must agree."""
    sums: dict[str, float] = {}
    for t in targets:
        sums[t.variable] = sums.get(t.variable, 0.0) + t.total
    if len(sums) < 2:
        return []
    first, reference = next(iter(sums.items()))
    return [
        Problem(
            _("column total"),
            _(
                "the totals of %(variable)s add up to %(total)s, those of %(first)s to "
                "%(reference)s: every variable must add up to the same population",
                variable=variable,
                total=f"{total:g}",
                first=first,
                reference=f"{reference:g}",
            ),
        )
        for variable, total in sums.items()
        if abs(total - reference) > TOTALS_SLACK * reference
    ]


def _variables(session: DbSession, survey: Survey) -> dict[str, Any]:
    """Variable name → a function from typed category to its stored code (None: unknown)."""
    questionnaire = Questionnaire(survey.version.document)
    out: dict[str, Any] = {}
    for item in questionnaire.answerable_items:
        if item["type"] == "single":
            out[item["id"]] = _option_matcher(questionnaire, item["id"])
    codes = {a.code for a in survey.agencies}
    out["agency"] = lambda text: text if text in codes else None
    out["channel"] = lambda text: text if text in ("online", "counter") else None
    out["district"] = out["service_field"] = lambda text: text or None
    return out


def _option_matcher(questionnaire: Questionnaire, item_id: str) -> Any:
    by_text: dict[str, str] = {}
    for option in questionnaire.options(item_id):
        if option.get("missing"):
            continue
        code = category_code(float(option["code"]))
        by_text[code] = code
        for label in (option.get("label") or {}).values():
            by_text[str(label).strip().casefold()] = code
    return lambda text: (
        by_text.get(text) or by_text.get(text.casefold()) or _by_number(text, by_text)
    )


def _by_number(text: str, by_text: dict[str, str]) -> str | None:
    value = _number(text)
    return by_text.get(category_code(value)) if value is not None else None


def category_code(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)


# --- the respondents' categories, for raking ----------------------------------------


def respondent_categories(
    session: DbSession,
    survey: Survey,
    ids: npt.NDArray[np.int64],
    agency_ids: npt.NDArray[np.int64],
    variable: str,
) -> list[str | None]:
    """Each respondent's category of a raking variable (None = none known)."""
    by_id: dict[int, str] = {}
    submitted = (counted(survey.id),)
    if variable == "agency":
        codes = dict(session.execute(select(Agency.id, Agency.code)).all())
        return [codes.get(int(i)) for i in agency_ids]
    if variable in FRAME_VARIABLES:
        column = FRAME_VARIABLES[variable]
        # A respondent's record: its invitation's sampled unit, else the dossier code
        # it gave at the counter.
        sampled = (
            select(Response.id, column)
            .join(SampledUnit, SampledUnit.invitation_id == Response.invitation_id)
            .join(FrameUnit, FrameUnit.id == SampledUnit.frame_unit_id)
            .where(*submitted)
        )
        coded = (
            select(Response.id, column)
            .join(
                FrameUnit,
                (FrameUnit.survey_id == Response.survey_id)
                & (FrameUnit.dossier_code == Response.dossier_code),
            )
            .where(*submitted)
        )
        for query in (coded, sampled):  # the sampled unit wins when both exist
            rows = session.execute(query).all()
            by_id.update({rid: str(getattr(v, "value", v)) for rid, v in rows if v is not None})
    else:
        missing = Questionnaire(survey.version.document).missing_codes(variable)
        answers = session.execute(
            select(Answer.response_id, Answer.value_num)
            .join(Response, Response.id == Answer.response_id)
            .where(*submitted, Answer.item_id == variable, Answer.position == 0)
        ).all()
        by_id = {rid: category_code(v) for rid, v in answers if v is not None and v not in missing}
    return [by_id.get(int(i)) for i in ids]


def coverage_problems(
    margins: dict[str, dict[str, float]], columns: list[list[str | None]]
) -> list[Problem]:
    """What keeps raking from reaching ``margins`` with each variable's ``columns``."""
    problems: list[Problem] = []
    for (variable, totals), column in zip(margins.items(), columns, strict=True):
        where = _l("targets for %(variable)s", variable=variable)
        blank = sum(v is None for v in column)
        if blank:
            message = _l(
                "%(count)s respondents have no value for %(variable)s: raking needs every "
                "respondent in one category",
                count=blank,
                variable=variable,
            )
            problems.append(Problem(where, message))
        present = {v for v in column if v is not None}
        for category in totals:
            if category not in present:
                message = _l(
                    'no respondent is in category "%(category)s": its total cannot be reached',
                    category=category,
                )
                problems.append(Problem(where, message))
        uncovered = sorted(present - set(totals))
        if uncovered:
            message = _l(
                "respondents are in categories without a total: %(categories)s",
                categories=", ".join(uncovered),
            )
            problems.append(Problem(where, message))
    return problems
