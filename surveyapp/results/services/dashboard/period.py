"""The previous period: linking a survey to its last round, and the change since then.

Two rounds are independent samples, so a change is a − b with se = sqrt(se_a² + se_b²),
tested with z (``scoring.round_change``, the trend page's rule too). Last round's
figures are found through the series mapping (``results.services.series.mapping``),
so a round of another questionnaire or a copy compares too. The previous round is
filtered the same way as the current one (agency, channel, service field, respondent
characteristics) except for the dates, which belong to each round alone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from sqlalchemy import select

from surveyapp.extensions import DbSession
from surveyapp.models import Agency, Survey, audit
from surveyapp.problems import InputRefused, Problem
from surveyapp.questionnaire.document import Questionnaire
from surveyapp.results.services import results
from surveyapp.results.services.dashboard import filters as dashboard_filters
from surveyapp.results.services.dashboard.filters import Filters
from surveyapp.results.services.series import mapping
from surveyapp.results.services.weighting import WeightsUsed
from surveyapp.scoring import (
    Estimate,
    Framework,
    IndexResult,
    RoundChange,
    round_change,
    score,
    score_by,
)
from surveyapp.surveys.services import surveys


@dataclass(frozen=True)
class Change:
    """A figure's value last period and this period minus it (None when either side has
    too few answers to compare)."""

    previous: Estimate
    difference: RoundChange | None


@dataclass(frozen=True)
class PeriodScores:
    """The previous round scored for the same domain and for each agency."""

    survey_id: int
    title: str
    focus: IndexResult
    agencies: dict[int, IndexResult]  # agency id → its result last period
    weights_used: WeightsUsed  # its own weighting settings, applied or not
    # This round's figure → last round's (the series mapping); None: a break. A figure
    # not listed (overall, groups) keeps its name.
    names: dict[str, str | None]

    def name(self, figure: str) -> str | None:
        return self.names.get(figure, figure)


def candidates(session: DbSession, survey: Survey) -> list[Survey]:
    """Surveys that may be this one's previous round: of the same kind of index (SIPAS,
    PAR INDEX, dossier evaluation), not itself, not one that already follows it (no
    cycles). Another questionnaire, or a copy of it, is fine: the series mapping
    (``results.services.series.mapping``) says which figures continue."""
    followers = _followers(session, survey)
    found = session.scalars(
        select(Survey).where(Survey.id != survey.id).order_by(Survey.created_at.desc())
    ).all()
    kind = surveys.features(survey).kind
    return [s for s in found if s.id not in followers and surveys.features(s).kind == kind]


def _followers(session: DbSession, survey: Survey) -> set[int]:
    """Ids of the surveys that have ``survey`` somewhere in their chain of previous rounds."""
    links = {
        sid: prev for sid, prev in session.execute(select(Survey.id, Survey.previous_survey_id))
    }
    out = set()
    for start in links:
        seen, current = set(), links.get(start)
        while current is not None and current not in seen:
            if current == survey.id:
                out.add(start)
                break
            seen.add(current)
            current = links.get(current)
    return out


def set_previous(
    session: DbSession, survey: Survey, previous: Survey | None, *, actor_id: int | None
) -> None:
    """Link ``survey`` to its previous round (None unlinks); audit-logged, caller commits."""
    if previous is not None and previous.id not in {s.id for s in candidates(session, survey)}:
        raise InputRefused(
            [
                Problem(
                    "previous",
                    f"survey {previous.id} cannot be the previous round of survey {survey.id}: "
                    "it must be of the same kind and must not follow it",
                )
            ]
        )
    before = survey.previous_survey_id
    survey.previous_survey_id = previous.id if previous is not None else None
    audit.record(
        session,
        actor_id,
        "survey.previous_set",
        survey,
        previous=survey.previous_survey_id,
        was=before,
    )


def scores(
    session: DbSession,
    survey: Survey,
    *,
    focus: Agency | None,
    agencies: list[Agency],
    filters: Filters,
    timezone: str,
    stamp: str | None,
) -> PeriodScores | None:
    """The previous round of ``survey`` scored for ``focus`` and each of ``agencies``;
    ``stamp`` is its freshness, taken with this round's (``cache.freshness``)."""
    previous = survey.previous
    if previous is None or stamp is None:
        return None
    arrays, facts = dashboard_filters.load(session, previous, timezone, stamp)
    keep = dashboard_filters.mask(filters.without_period(), arrays, facts)
    domain = keep.copy()
    if focus is not None:
        domain &= results.subtree_mask(session, arrays, focus)
    framework = Framework.from_dict(Questionnaire(previous.version.document).framework)
    design = arrays.design()
    labels = np.where(keep, results.agency_labels(session, arrays, agencies), np.nan)
    by_position = score_by(framework, arrays.answers, design, labels).domains
    return PeriodScores(
        survey_id=previous.id,
        title=previous.title,
        focus=score(framework, arrays.answers, design, domain=domain),
        agencies={
            a.id: by_position[float(k)] for k, a in enumerate(agencies) if float(k) in by_position
        },
        weights_used=arrays.weights_used,
        names=found.pairs if (found := mapping.link(session, survey)) is not None else {},
    )


def change(now: Estimate, before: Estimate | None) -> Change | None:
    """The change of one figure; None when last period has no such figure."""
    if before is None:
        return None
    if _unusable(now) or _unusable(before):
        return Change(before, None)
    return Change(before, round_change(now, before))


def _unusable(estimate: Estimate) -> bool:
    return estimate.suppressed or not math.isfinite(estimate.value) or not estimate.se >= 0
