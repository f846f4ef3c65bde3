"""The results dashboard of one survey, in one pass: load the arrays (weights applied as
they load), keep the filters' rows, score every agency and the focus once, score the
previous period the same way, and hand the results to the presenter.

Filters (an agency, a channel, a service field, a period, respondent characteristics)
are scoring domains over the whole design, never rows dropped from it
(spec/scoring-api.md, "domains"; :mod:`.filters`). Scope: a user tied to an agency gets
only figures computed from that agency's responses, plus its own rank ("3 of 8"); the
province total and every other agency stay out of the model altogether.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
from flask_babel import force_locale
from sqlalchemy import or_, select

from surveyapp.extensions import DbSession
from surveyapp.fieldwork.services import monitoring
from surveyapp.fieldwork.services.monitoring import ResponseRates
from surveyapp.models import Agency, Survey
from surveyapp.questionnaire.document import Questionnaire
from surveyapp.results.services import cache as result_cache
from surveyapp.results.services import results
from surveyapp.results.services.dashboard import filters as dashboard_filters
from surveyapp.results.services.dashboard import period, presenter
from surveyapp.results.services.dashboard.filters import CHANNELS, Filters
from surveyapp.results.services.dashboard.model import (
    AgencyRef,
    Dashboard,
    Figure,
    PreviousPeriod,
    Scored,
    WeightingNote,
)
from surveyapp.results.services.weighting import WeightingStatus, WeightsUsed
from surveyapp.scoring import (
    Framework,
    score,
    score_by,
)
from surveyapp.security import Scope
from surveyapp.surveys.services import surveys

__all__ = ["CHANNELS", "Dashboard", "build"]


def build(
    session: DbSession,
    survey: Survey,
    *,
    focus: Agency | None,
    user_root: Agency | None,
    filters: Filters,
    lang: str,
    timezone: str,
) -> Dashboard:
    """The dashboard of ``focus`` (None = every agency) as seen by a user scoped to
    ``user_root`` (None = the province), for the responses ``filters`` keep; dates are
    days in ``timezone``."""
    q = Questionnaire(survey.version.document)
    framework = Framework.from_dict(q.framework)
    arrays, facts = dashboard_filters.load(
        session, survey, timezone, result_cache.freshness(session, survey, rounds=1)
    )
    everyone = dashboard_filters.mask(filters, arrays, facts)
    domain = everyone.copy()
    if focus is not None:
        domain &= results.subtree_mask(session, arrays, focus)
    positions = results.agency_labels(session, arrays, survey.agencies)
    by = np.where(everyone, positions, np.nan)
    data = Scored(framework, arrays.answers, arrays.design(), by, everyone)
    result = score(framework, arrays.answers, data.design, domain=domain)
    scores = score_by(framework, arrays.answers, data.design, by).domains
    visible = [(pos, a) for pos, a in enumerate(survey.agencies) if Scope(user_root).covers(a)]
    # A user tied to the province (every surveyed agency under it) sees it all.
    scoped = len(visible) < len(survey.agencies)
    total = None if scoped else score(framework, arrays.answers, data.design, domain=everyone)
    before = period.scores(
        session,
        survey,
        focus=focus,
        agencies=[a for _, a in visible],
        filters=filters,
        timezone=timezone,
    )
    df = min(data.design.df, before.df) if before else 0
    targets = presenter.targets_of(framework, surveys.features(survey).kind)
    rankings = presenter.rankings_of(data, scores)
    agencies = presenter.agency_rows(data, visible, scores, "overall", total, focus, rankings)
    agencies = [presenter.with_change(r, before, df) for r in agencies]
    agencies.sort(key=lambda r: r.ranking.rank if r.ranking else math.inf)
    blocks = [
        presenter.indicator_block(q, lang, data, ind, result, scores, visible, total, focus)
        for ind in framework.indicators
    ]
    blocks = [
        replace(b, change=presenter.change(before, "indicators." + b.id, b.estimate, df))
        for b in blocks
    ]
    overall_gaps = presenter.gaps(result.overall, targets)
    return Dashboard(
        focus=AgencyRef.of(focus) if focus is not None else None,
        filters=filters,
        scoped=scoped,
        responses=int(domain.sum()),
        targets=targets,
        overall=Figure(
            "overall",
            "",
            result.overall,
            gaps=overall_gaps,
            change=presenter.change(before, "overall", result.overall, df),
        ),
        groups=[
            Figure(
                g.id,
                q.text(g.label, lang) or g.id,
                result.groups[g.id],
                change=presenter.change(before, "groups." + g.id, result.groups[g.id], df),
            )
            for g in framework.groups
        ],
        elements=[
            Figure(
                e.id,
                q.text(e.label, lang) or e.id,
                result.elements[e.id],
                change=presenter.change(before, "elements." + e.id, result.elements[e.id], df),
            )
            for e in framework.elements
        ],
        criteria=presenter.criteria(q, lang, framework, result, targets),
        negatives=[b for b in blocks if not b.higher_is_better],
        compliance=[b for b in blocks if b.higher_is_better],
        agencies=agencies,
        ranked=len(rankings),
        previous=PreviousPeriod(
            before.survey_id,
            before.title,
            weighting_note(before.weights_used, lang, with_reasons=not scoped),
        )
        if before
        else None,
        weighting=weighting_note(arrays.weights_used, lang, with_reasons=not scoped),
    )


def weighting_note(used: WeightsUsed, lang: str, *, with_reasons: bool) -> WeightingNote | None:
    """The note a page shows when saved weighting settings were not applied, in ``lang``."""
    if used.status is not WeightingStatus.NOT_APPLIED:
        return None
    with force_locale(lang):
        reasons = tuple(map(str, used.problems)) if with_reasons else ()
        return WeightingNote(str(used.setting_name), reasons)


def response_rate(session: DbSession, survey: Survey, agencies: Sequence[Agency]) -> ResponseRates:
    """AAPOR counts and rates (RR1, RR2) of the invitations of ``agencies`` and the
    units under them (:mod:`.monitoring`)."""
    ids = session.scalars(
        select(Agency.id).where(
            or_(*[Agency.path.startswith(a.path, autoescape=True) for a in agencies])
        )
    ).all()
    return monitoring.fieldwork_rates(session, survey.id, ids).overall
