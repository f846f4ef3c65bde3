"""Late results: what the one-stop records say beside what citizens report, per agency.

The rules are those of ../shared/domain/SIPAS.md §5 (Cần Thơ letter 2307/UBND-NC):

- R1: a dossier is late when returned after its due date, or still unreturned once the
  due date has passed. Dossiers due = those with a due date that were returned or whose
  due date has passed (by ``as_of``); dossiers without a due date are not counted.
- R6: a unit with late / due ≥ 5 % fails; the survey's ``late_threshold`` holds the
  province's own share (5 % unless changed, ``set_threshold``).
- R2 + R3: every late dossier gets an advance notice of the delay and an apology form.
  From the survey: among respondents whose result was late (``result_timing`` = 3),
  the weighted share told of the delay *and* apologised to (both answered yes); the
  two parts are shown too. A "no" to either, or one missing while the other is "no",
  counts as not handled by the rules; both missing leaves the denominator.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import numpy.typing as npt
from sqlalchemy import and_, case, func, or_, select

from surveyapp.extensions import DbSession
from surveyapp.models import Agency, FrameUnit, Survey, audit
from surveyapp.questionnaire.document import Questionnaire
from surveyapp.results.services.loading import load_response_arrays
from surveyapp.results.services.results import subtree_mask
from surveyapp.results.services.weighting import WeightsUsed
from surveyapp.scoring import Estimate, SurveyDesign

TIMING, NOTIFIED, APOLOGY = "result_timing", "late_notified", "late_apology"
LATE_CODE, YES = 3.0, 1.0


@dataclass(frozen=True)
class AgencyRecords:
    agency: Agency
    due: int  # dossiers due in the frame (R1 denominator)
    late: int
    reported_late: Estimate | None  # None: the questionnaire does not ask
    notified: Estimate | None  # among late, told in advance
    apologised: Estimate | None  # among late, got the apology form
    handled: Estimate | None  # among late, both: the R2 + R3 rules kept

    @property
    def late_rate(self) -> float | None:
        return self.late / self.due if self.due else None

    def flagged(self, threshold: float) -> bool:
        rate = self.late_rate
        return rate is not None and rate >= threshold


@dataclass(frozen=True)
class Comparison:
    rows: list[AgencyRecords]
    threshold: float
    as_of: date
    asks_lateness: bool  # the questionnaire has the late-result items
    weights_used: WeightsUsed = field(default_factory=WeightsUsed)  # of the reported shares

    @property
    def flagged(self) -> list[AgencyRecords]:
        return [r for r in self.rows if r.flagged(self.threshold)]


def compare(
    session: DbSession,
    survey: Survey,
    agencies: list[Agency],
    *,
    as_of: date,
) -> Comparison:
    """Records and reports side by side for ``agencies`` (each with its subtree)."""
    counts = _frame_counts(session, survey, as_of)
    paths = dict(session.execute(select(Agency.id, Agency.path)).all())
    asked = _asks_lateness(survey)
    arrays = (
        load_response_arrays(session, survey, items=[TIMING, NOTIFIED, APOLOGY]) if asked else None
    )
    rows = []
    for agency in agencies:
        due = late = 0
        for agency_id, (d, lt) in counts.items():
            if paths[agency_id].startswith(agency.path):
                due, late = due + d, late + lt
        estimates: tuple[Estimate | None, ...] = (None,) * 4
        if arrays is not None:
            estimates = _reported(
                arrays.design(), arrays.answers, subtree_mask(session, arrays, agency)
            )
        rows.append(AgencyRecords(agency, due, late, *estimates))
    used = arrays.weights_used if arrays is not None else WeightsUsed()
    return Comparison(rows, survey.late_threshold, as_of, asked, used)


def set_threshold(
    session: DbSession, survey: Survey, threshold: float, *, actor_id: int | None
) -> None:
    """Store the province's R6 threshold (a proportion in (0, 1]) and audit-log it."""
    if not 0 < threshold <= 1:
        raise ValueError(threshold)
    before, survey.late_threshold = survey.late_threshold, threshold
    audit.record(session, actor_id, "survey.late_threshold", survey, before=before, after=threshold)


def _frame_counts(session: DbSession, survey: Survey, as_of: date) -> dict[int, tuple[int, int]]:
    """Agency id → (dossiers due, late) under rule R1."""
    unit = FrameUnit
    due = and_(unit.due_at.is_not(None), or_(unit.returned_at.is_not(None), unit.due_at < as_of))
    late = or_(
        unit.returned_at > unit.due_at,
        and_(unit.returned_at.is_(None), unit.due_at < as_of),
    )
    query = (
        select(
            unit.agency_id,
            func.sum(case((due, 1), else_=0)),
            func.sum(case((and_(due, late), 1), else_=0)),
        )
        .where(unit.survey_id == survey.id)
        .group_by(unit.agency_id)
    )
    return {a: (int(d or 0), int(lt or 0)) for a, d, lt in session.execute(query).all()}


def _asks_lateness(survey: Survey) -> bool:
    questionnaire = Questionnaire(survey.version.document)
    asked = {i["id"] for i in questionnaire.answerable_items if i["type"] == "single"}
    return {TIMING, NOTIFIED, APOLOGY} <= asked


def _reported(
    design: SurveyDesign,
    answers: dict[str, npt.NDArray[np.float64]],
    mask: npt.NDArray[np.bool_],
) -> tuple[Estimate, Estimate, Estimate, Estimate]:
    timing, notified, apology = answers[TIMING], answers[NOTIFIED], answers[APOLOGY]
    late = np.where(np.isnan(timing), np.nan, (timing == LATE_CODE).astype(float))
    among = mask & (late == 1.0)
    said_notified = _yes(notified)
    said_apology = _yes(apology)
    both = np.where(
        np.isnan(notified) & np.isnan(apology),
        np.nan,
        ((notified == YES) & (apology == YES)).astype(float),
    )
    return (
        design.proportion(late, domain=mask),
        design.proportion(said_notified, domain=among),
        design.proportion(said_apology, domain=among),
        design.proportion(both, domain=among),
    )


def _yes(values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    return np.where(np.isnan(values), np.nan, (values == YES).astype(float))
