"""A survey's final weights: settings, raking targets, and applying them when scoring.

``Survey.weighting`` holds the settings as JSON (None = base weights as drawn)::

    {"nonresponse": true, "classes": "stratum",
     "targets": [{"variable": "gender", "category": "1", "total": 52000}, ...]}

Final weight = base weight (``Response.weight``, N_h/n_h copied from the invitation),
times the nonresponse factor of its adjustment class (stratum or agency), then raked
to the targets. The statistics are in ``surveyapp.scoring.weighting``; this module
gathers their inputs from the database and turns every refusal into a message that
says what and where.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy import func, select

from surveyapp.extensions import DbSession
from surveyapp.models import (
    Agency,
    Disposition,
    Invitation,
    Response,
    Survey,
    audit,
    counted,
)
from surveyapp.problems import InputRefused, Problem
from surveyapp.results.services.weighting_targets import (
    Target,
    coverage_problems,
    respondent_categories,
)
from surveyapp.scoring.weighting import (
    WeightSummary,
    nonresponse_adjustment,
    rake,
    summarize,
    summarize_by,
)

log = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]
CLASSES = ("stratum", "agency")


class SettingsRefused(InputRefused):
    """Settings that cannot be applied to today's responses; ``setting`` is the step
    that failed: ``"nonresponse"`` or ``"raking"``."""

    def __init__(self, setting: str, problems: list[Problem]):
        super().__init__(problems)
        self.setting = setting


# The steps' names as the Weights page titles them.
SETTING_NAMES = {
    "nonresponse": _l("Nonresponse adjustment"),
    "raking": _l("Raking to known totals"),
}


class WeightingStatus(StrEnum):
    NONE = "none"  # no settings saved: the base weights of the draw
    APPLIED = "applied"  # the saved settings made the final weights
    NOT_APPLIED = "not_applied"  # saved settings no longer fit: the base weights were used


@dataclass(frozen=True)
class WeightsUsed:
    """Which weights a computation used and, when saved settings were left out, why."""

    status: WeightingStatus = WeightingStatus.NONE
    setting: str | None = None  # NOT_APPLIED: the step that failed (a SETTING_NAMES key)
    problems: tuple[Problem, ...] = ()  # lazy: they read in the language current when shown

    @property
    def setting_name(self) -> str | LazyString:
        return SETTING_NAMES.get(self.setting or "", self.setting or "")

    def as_dict(self, *, with_problems: bool = True) -> dict[str, Any]:
        """The API's ``weighting`` field; problems may name agencies, so scoped callers
        leave them out."""
        return {
            "status": self.status.value,
            "setting": self.setting,
            "problems": [str(p) for p in self.problems] if with_problems else [],
        }


@dataclass(frozen=True)
class Settings:
    nonresponse: bool = False
    classes: str = "stratum"
    targets: tuple[Target, ...] = ()

    @classmethod
    def from_json(cls, doc: dict[str, Any] | None) -> Settings:
        if not doc:
            return cls()
        return cls(
            nonresponse=bool(doc.get("nonresponse")),
            classes=str(doc.get("classes")) if doc.get("classes") in CLASSES else "stratum",
            targets=tuple(
                Target(str(t["variable"]), str(t["category"]), float(t["total"]))
                for t in doc.get("targets", [])
            ),
        )

    def to_json(self) -> dict[str, Any] | None:
        if not self.nonresponse and not self.targets:
            return None
        return {
            "nonresponse": self.nonresponse,
            "classes": self.classes,
            "targets": [
                {"variable": t.variable, "category": t.category, "total": t.total}
                for t in self.targets
            ],
        }

    def margins(self) -> dict[str, dict[str, float]]:
        """Variable → category → total, in the order the targets were given."""
        out: dict[str, dict[str, float]] = {}
        for t in self.targets:
            out.setdefault(t.variable, {})[t.category] = t.total
        return out


@dataclass(frozen=True)
class Respondents:
    """Submitted responses in id order, with what weighting needs of each."""

    ids: npt.NDArray[np.int64]
    agency_ids: npt.NDArray[np.int64]
    strata: npt.NDArray[np.str_]
    base: FloatArray


@dataclass(frozen=True)
class SummaryRow:
    stratum: str | None  # None = overall
    before: WeightSummary
    after: WeightSummary


@dataclass(frozen=True)
class Outcome:
    respondents: Respondents
    final: FloatArray
    factors: dict[str, float] = field(default_factory=dict)  # nonresponse class → factor
    rake_iterations: int | None = None

    def summary(self) -> list[SummaryRow]:
        """Per stratum, then overall: base weights (before) beside final weights (after)."""
        strata = self.respondents.strata
        before = summarize_by(self.respondents.base, strata)
        after = summarize_by(self.final, strata)
        rows = [SummaryRow(label, before[label], after[label]) for label in before]
        rows.append(SummaryRow(None, summarize(self.respondents.base), summarize(self.final)))
        return rows


# --- computing -------------------------------------------------------------------------


def respondents(session: DbSession, survey: Survey) -> Respondents:
    found = session.execute(
        select(
            Response.id, Response.agency_id, func.coalesce(Response.stratum, ""), Response.weight
        )
        .where(counted(survey.id))
        .order_by(Response.id)
    ).all()
    ids, agencies, strata, weights = zip(*found, strict=True) if found else ([],) * 4
    return Respondents(
        ids=np.array(ids, dtype=np.int64),
        agency_ids=np.array(agencies, dtype=np.int64),
        strata=np.array(strata, dtype=np.str_),
        base=np.array(weights, dtype=np.float64),
    )


def compute(
    session: DbSession, survey: Survey, settings: Settings, found: Respondents | None = None
) -> Outcome:
    """Final weights under ``settings``; ``SettingsRefused`` says which step cannot be
    applied, and why."""
    people = found if found is not None else respondents(session, survey)
    weights = people.base.copy()
    factors: dict[str, float] = {}
    if settings.nonresponse and len(weights):
        classes = _classes(session, survey, people, settings.classes)
        eligible = _eligible_totals(session, survey, settings.classes)
        try:
            adjusted = nonresponse_adjustment(weights, classes, eligible)
        except ValueError as refused:
            raise SettingsRefused(
                "nonresponse",
                [
                    Problem(
                        _l("nonresponse adjustment"),
                        _nonresponse_message(classes, eligible, weights),
                    )
                ],
            ) from refused
        weights, factors = adjusted.weights, adjusted.factors
    iterations = None
    margins = settings.margins()
    if margins and len(weights):
        columns = [
            respondent_categories(session, survey, people.ids, people.agency_ids, variable)
            for variable in margins
        ]
        problems = coverage_problems(margins, columns)
        if problems:
            raise SettingsRefused("raking", problems)
        labels = [np.array(["" if v is None else v for v in column]) for column in columns]
        result = rake(weights, labels, list(margins.values()))
        if not result.converged:
            message = _l(
                "raking did not converge after %(iterations)s rounds (a margin is still "
                "%(error)s off): check that the targets describe the same population",
                iterations=result.iterations,
                error=f"{result.max_error:.2%}",
            )
            raise SettingsRefused("raking", [Problem(_l("raking"), message)])
        weights, iterations = result.weights, result.iterations
    return Outcome(people, weights, factors, iterations)


def _classes(
    session: DbSession, survey: Survey, people: Respondents, kind: str
) -> npt.NDArray[np.str_]:
    if kind == "stratum":
        return people.strata
    codes = dict(session.execute(select(Agency.id, Agency.code)).all())
    return np.array([codes[int(i)] for i in people.agency_ids], dtype=np.str_)


def _eligible_totals(session: DbSession, survey: Survey, kind: str) -> dict[str, float]:
    """Σ base weight of sampled units not known to be ineligible, by adjustment class."""
    label = func.coalesce(Invitation.stratum, "") if kind == "stratum" else Agency.code
    query = (
        select(label, func.sum(Invitation.base_weight))
        .join(Agency, Agency.id == Invitation.agency_id)
        .where(
            Invitation.survey_id == survey.id,
            Invitation.disposition != Disposition.INELIGIBLE,
        )
        .group_by(label)
    )
    return {str(k): float(v) for k, v in session.execute(query).all()}


def _nonresponse_message(
    classes: npt.NDArray[np.str_], eligible: dict[str, float], weights: FloatArray
) -> LazyString:
    present = set(np.unique(classes).tolist())
    if not eligible:
        return _l("the survey has no invitations: nonresponse adjustment needs the drawn sample")
    lacking = sorted(present - set(eligible))
    if lacking:
        return _l(
            "respondents in %(classes)s have no invitation in the same class",
            classes=", ".join(c or "–" for c in lacking),
        )
    empty = sorted(set(eligible) - present)
    if empty:
        return _l(
            "no one answered in %(classes)s: their share of the sample cannot be carried "
            "by other respondents; adjust by agency instead, or leave the adjustment off",
            classes=", ".join(c or "–" for c in empty),
        )
    heavy = sorted(c for c in present if weights[classes == c].sum() > eligible[c] * (1 + 1e-9))
    return _l(
        "respondents in %(classes)s weigh more than the sampled units of the class "
        "(responses without an invitation?)",
        classes=", ".join(c or "–" for c in heavy),
    )


# --- settings and the scoring hook ------------------------------------------------------


def save_settings(
    session: DbSession, survey: Survey, settings: Settings, *, actor_id: int | None
) -> Outcome:
    """Check the settings against today's responses, store them, audit-log the change."""
    outcome = compute(session, survey, settings)
    before = survey.weighting
    survey.weighting = settings.to_json()
    audit.record(
        session, actor_id, "survey.weighting", survey, before=before, after=survey.weighting
    )
    return outcome


def final_weights(
    session: DbSession,
    survey: Survey,
    ids: npt.NDArray[np.int64],
    agency_ids: npt.NDArray[np.int64],
    strata: npt.NDArray[np.str_],
    base: FloatArray,
) -> tuple[FloatArray, WeightsUsed]:
    """The weights scoring uses: the survey's settings applied to the loaded rows.

    Settings that no longer fit the responses (checked when saved, but data change)
    leave the base weights in place; the ``WeightsUsed`` says so and why, for every
    page, file and answer that shows weighted results.
    """
    settings = Settings.from_json(survey.weighting)
    if settings.to_json() is None:
        return base, WeightsUsed()
    people = Respondents(ids, agency_ids, strata, base)
    try:
        final = compute(session, survey, settings, people).final
    except SettingsRefused as refused:
        log.warning("survey %s: weighting not applied: %s", survey.id, refused)
        used = WeightsUsed(WeightingStatus.NOT_APPLIED, refused.setting, tuple(refused.problems))
        return base, used
    return final, WeightsUsed(WeightingStatus.APPLIED)


@dataclass(frozen=True)
class FinalWeights:
    """Response id → final weight, for writers that read responses row by row."""

    ids: npt.NDArray[np.int64]  # sorted
    weights: FloatArray

    def get(self, response_id: int, default: float) -> float:
        at = int(np.searchsorted(self.ids, response_id))
        if at < len(self.ids) and self.ids[at] == response_id:
            return float(self.weights[at])
        return default


def final_weight_lookup(session: DbSession, survey: Survey) -> FinalWeights | None:
    """The final weights of every submitted response; None when they are the base weights."""
    if Settings.from_json(survey.weighting).to_json() is None:
        return None
    people = respondents(session, survey)
    final, _used = final_weights(
        session, survey, people.ids, people.agency_ids, people.strata, people.base
    )
    return FinalWeights(people.ids, final)
