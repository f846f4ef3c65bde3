"""The results dashboard of one survey: one way down, from the request to the page.

A view parses a :class:`DashboardRequest` once (:mod:`.filters`) and asks :func:`page`;
:func:`page` computes the cache key once (:mod:`.cache`) and, on a miss, :func:`build`
runs the one pass: load each round's arrays once (:mod:`.filters` keeps them between
pages), score once per domain, the previous period (:mod:`.period`) in the same pass,
then :mod:`.presenter` shapes the figures into the :mod:`.model` the templates read.

Filters (an agency, a channel, a service field, a period, respondent characteristics)
are scoring domains over the whole design, never rows dropped from it
(spec/scoring-api.md, "domains"). Scope: a user tied to an agency gets only figures
computed from that agency's responses, plus its own rank ("3 of 8"); the province total
and every other agency stay out of the model altogether.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
from sqlalchemy import or_, select

from surveyapp.extensions import DbSession
from surveyapp.fieldwork.services import monitoring
from surveyapp.fieldwork.services.monitoring import ResponseRates
from surveyapp.models import Agency, Survey
from surveyapp.questionnaire.document import Questionnaire
from surveyapp.results.services import results
from surveyapp.results.services.dashboard import filters as dashboard_filters
from surveyapp.results.services.dashboard import period
from surveyapp.results.services.dashboard.cache import Freshness, ResultCache, freshness
from surveyapp.results.services.dashboard.filters import DashboardRequest
from surveyapp.results.services.dashboard.model import (
    AgencyRef,
    Dashboard,
    Figure,
    PreviousPeriod,
    ScoredData,
)
from surveyapp.results.services.dashboard.presenter import (
    agency_rows,
    criteria_figures,
    figure_change,
    gaps,
    indicator_block,
    rank_agencies,
    targets_of,
    weighting_note,
    with_change,
)
from surveyapp.scoring import Framework, element_alphas, score, score_by
from surveyapp.security import Scope
from surveyapp.surveys.services import surveys


def page(
    session: DbSession, survey: Survey, asked: DashboardRequest, cache: ResultCache
) -> Dashboard:
    """The dashboard ``asked`` for, from ``cache`` while neither round's data changed."""
    stamps = freshness(session, survey)
    key = ":".join(["dashboard", str(survey.id), stamps.key, asked.key()])
    return cache.get_or_compute(key, lambda: build(session, survey, asked=asked, stamps=stamps))


def build(
    session: DbSession, survey: Survey, *, asked: DashboardRequest, stamps: Freshness
) -> Dashboard:
    """The one pass: load this round's arrays (weights applied as loaded) and last
    round's, score each once for every domain the page needs, hand them to the presenter.
    ``focus`` None = every agency; ``viewer`` None = the province."""
    focus, user_root, filters = asked.focus, asked.viewer, asked.filters
    lang, timezone = asked.lang, asked.timezone
    q = Questionnaire(survey.version.document)
    framework = Framework.from_dict(q.framework)
    arrays, facts = dashboard_filters.load(session, survey, timezone, stamps.current)
    everyone = dashboard_filters.mask(filters, arrays, facts)
    domain = everyone.copy()
    if focus is not None:
        domain &= results.subtree_mask(session, arrays, focus)
    positions = results.agency_labels(session, arrays, survey.agencies)
    by = np.where(everyone, positions, np.nan)
    data = ScoredData(framework, arrays.answers, arrays.design(), by, everyone)
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
        stamp=stamps.previous,
    )
    targets = targets_of(framework, surveys.features(survey).kind)
    rankings = rank_agencies(data, scores)
    agencies = agency_rows(data, visible, scores, "overall", total, focus, rankings)
    agencies = [with_change(r, before) for r in agencies]
    agencies.sort(key=lambda r: r.ranking.rank if r.ranking else math.inf)
    blocks = [
        indicator_block(q, lang, data, ind, result, scores, visible, total, focus)
        for ind in framework.indicators
    ]
    blocks = [
        replace(b, change=figure_change(before, "indicators." + b.id, b.estimate)) for b in blocks
    ]
    overall_gaps = gaps(result.overall, targets)
    alphas = element_alphas(framework, {k: v[domain] for k, v in arrays.answers.items()})
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
            change=figure_change(before, "overall", result.overall),
        ),
        groups=[
            Figure(
                g.id,
                q.text(g.label, lang) or g.id,
                result.groups[g.id],
                change=figure_change(before, "groups." + g.id, result.groups[g.id]),
            )
            for g in framework.groups
        ],
        elements=[
            Figure(
                e.id,
                q.text(e.label, lang) or e.id,
                result.elements[e.id],
                change=figure_change(before, "elements." + e.id, result.elements[e.id]),
                alpha=alphas[e.id] if math.isfinite(alphas.get(e.id, math.nan)) else None,
            )
            for e in framework.elements
        ],
        criteria=criteria_figures(q, lang, framework, result, targets),
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
        par_points=survey.par_points_max,
    )


def response_rate(session: DbSession, survey: Survey, agencies: Sequence[Agency]) -> ResponseRates:
    """AAPOR counts and rates (RR1, RR2) of the invitations of ``agencies`` and the
    units under them (:mod:`.monitoring`)."""
    ids = session.scalars(
        select(Agency.id).where(
            or_(*[Agency.path.startswith(a.path, autoescape=True) for a in agencies])
        )
    ).all()
    return monitoring.fieldwork_rates(session, survey.id, ids).overall
