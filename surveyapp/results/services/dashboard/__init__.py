"""The results dashboard of one survey: scoring results arranged for one page.

Filters (an agency, a channel, a service field, a period, respondent characteristics)
are scoring domains over the whole design, never rows dropped from it
(spec/scoring-api.md, "domains"; :mod:`.dashboard_filters`). Scope: a user tied to an
agency gets only figures computed from that agency's responses, plus its own rank
("3 of 8"); the province total and every other agency stay out of the model altogether.

The model holds plain values only (agencies as :class:`AgencyRef`), so a built page can
be cached and shared between workers (:mod:`.result_cache`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt
from flask_babel import force_locale
from sqlalchemy import or_, select

from surveyapp.charts import Bar, estimate_bar
from surveyapp.extensions import DbSession
from surveyapp.fieldwork.services import monitoring
from surveyapp.fieldwork.services.monitoring import ResponseRates
from surveyapp.models import Agency, Survey
from surveyapp.questionnaire.document import Questionnaire
from surveyapp.results.services import cache as result_cache
from surveyapp.results.services import filters as dashboard_filters
from surveyapp.results.services import period, results
from surveyapp.results.services.filters import CHANNELS, Filters
from surveyapp.results.services.period import Change, PeriodScores
from surveyapp.results.services.weighting import WeightingStatus, WeightsUsed
from surveyapp.scoring import (
    Difference,
    Estimate,
    Framework,
    Gap,
    IndexResult,
    Ranking,
    index_difference,
    rank_domains,
    score,
    score_by,
    target_gap,
)
from surveyapp.security import Scope
from surveyapp.surveys.services import surveys

__all__ = ["CHANNELS", "Dashboard", "build"]

DEFAULT_TARGETS = (0.85, 0.90)  # provincial plans: > 85 % now, 90 % next (SIPAS.md §6)
RANK_SEED = 2026  # rank intervals are simulated: a fixed seed keeps pages stable
RANK_DRAWS = 4000

BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class AgencyRef:
    """What a page needs of an agency, detached from the database session."""

    id: int
    code: str
    path: str
    name_vi: str
    name_en: str | None

    @classmethod
    def of(cls, agency: Agency) -> AgencyRef:
        return cls(agency.id, agency.code, agency.path, agency.name_vi, agency.name_en)

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" and self.name_en else self.name_vi


@dataclass(frozen=True)
class Figure:
    """One estimate with its label; ``parent`` is a criterion's element."""

    id: str
    label: str
    estimate: Estimate
    parent: str = ""
    gaps: tuple[Gap, ...] = ()
    change: Change | None = None


@dataclass(frozen=True)
class AgencyRow:
    """An agency's figure; ``versus_total`` compares it with the whole survey."""

    agency: AgencyRef
    estimate: Estimate
    ranking: Ranking | None = None
    versus_total: Difference | None = None
    focus: bool = False
    change: Change | None = None


@dataclass(frozen=True)
class IndicatorBlock:
    """One negative experience (or compliance share) for the focus and for each agency.

    ``among`` describes the indicator's denominator condition in the questionnaire's
    own words (None = every valid answer); ``higher_is_better`` is True for compliance
    shares (apology given when late), False for negative experiences.
    """

    id: str
    label: str
    item_label: str
    among: str | None
    higher_is_better: bool
    estimate: Estimate
    total: Estimate | None
    agencies: list[AgencyRow] = field(default_factory=list)
    change: Change | None = None

    def row(self, code: str) -> AgencyRow | None:
        """This indicator's row for the agency with ``code`` (the overview matrix)."""
        return next((r for r in self.agencies if r.agency.code == code), None)


@dataclass(frozen=True)
class PreviousPeriod:
    survey_id: int
    title: str
    weighting: WeightingNote | None = None  # its own settings left out, as for this round


@dataclass(frozen=True)
class WeightingNote:
    """The survey's weighting settings were left out: its figures use the base weights.

    ``setting`` names the step that failed, ``reasons`` say why (empty for a scoped
    user: they may name other agencies' strata or categories).
    """

    setting: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Dashboard:
    focus: AgencyRef | None
    filters: Filters
    scoped: bool
    responses: int  # submitted responses in the focus and filters
    targets: tuple[float, ...]
    overall: Figure
    groups: list[Figure]
    elements: list[Figure]
    criteria: list[Figure]  # weakest first
    negatives: list[IndicatorBlock]
    compliance: list[IndicatorBlock]
    agencies: list[AgencyRow]  # ranked, only those the user may see
    ranked: int  # how many agencies the ranking has ("k of N")
    previous: PreviousPeriod | None = None
    weighting: WeightingNote | None = None

    @property
    def channel(self) -> str | None:
        return self.filters.channel


@dataclass(frozen=True)
class _Data:
    framework: Framework
    answers: Mapping[str, Any]
    design: Any
    by: npt.NDArray[np.float64]  # survey agency position per row, NaN = none/filtered out
    everyone: BoolArray  # every row the filters keep, whatever the agency


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
    data = _Data(framework, arrays.answers, arrays.design(), by, everyone)
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
    targets = _targets(framework, surveys.features(survey).kind)
    rankings = _rankings(data, scores)
    agencies = _agency_rows(data, visible, scores, "overall", total, focus, rankings)
    agencies = [_with_change(r, before, df) for r in agencies]
    agencies.sort(key=lambda r: r.ranking.rank if r.ranking else math.inf)
    blocks = [
        _indicator_block(q, lang, data, ind, result, scores, visible, total, focus)
        for ind in framework.indicators
    ]
    blocks = [
        replace(b, change=_change(before, "indicators." + b.id, b.estimate, df)) for b in blocks
    ]
    overall_gaps = _gaps(result.overall, targets)
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
            change=_change(before, "overall", result.overall, df),
        ),
        groups=[
            Figure(
                g.id,
                q.text(g.label, lang) or g.id,
                result.groups[g.id],
                change=_change(before, "groups." + g.id, result.groups[g.id], df),
            )
            for g in framework.groups
        ],
        elements=[
            Figure(
                e.id,
                q.text(e.label, lang) or e.id,
                result.elements[e.id],
                change=_change(before, "elements." + e.id, result.elements[e.id], df),
            )
            for e in framework.elements
        ],
        criteria=_criteria(q, lang, framework, result, targets),
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


def _change(before: PeriodScores | None, figure: str, now: Estimate, df: int) -> Change | None:
    if before is None:
        return None
    try:
        was = _pick(before.focus, figure)
    except KeyError:  # last period's questionnaire had no such figure
        return None
    return period.change(now, was, df)


def _with_change(row: AgencyRow, before: PeriodScores | None, df: int) -> AgencyRow:
    if before is None or row.agency.id not in before.agencies:
        return row
    was = before.agencies[row.agency.id].overall
    return replace(row, change=period.change(row.estimate, was, df))


def _targets(framework: Framework, kind: str) -> tuple[float, ...]:
    """The questionnaire's own target and, for citizens' satisfaction, the provinces'."""
    own = (framework.targets or {}).get("overall")
    defaults = () if kind == "par" else DEFAULT_TARGETS
    return tuple(sorted({*defaults, *([own] if own is not None else [])}))


def _gaps(estimate: Estimate, targets: Iterable[float]) -> tuple[Gap, ...]:
    if estimate.suppressed or math.isnan(estimate.value):
        return ()
    return tuple(target_gap(estimate, t) for t in targets)


def _rankings(data: _Data, scores: Mapping[Any, IndexResult]) -> dict[int, Ranking]:
    """Rank intervals of every agency with a publishable index (n ≥ 10): a scoped user
    may see its own place among all of them, never the others' figures."""
    publishable = {int(label) for label, r in scores.items() if not r.overall.suppressed}
    if len(publishable) < 2:
        return {}
    by = np.where(np.isin(data.by, list(publishable)), data.by, np.nan)
    ranking = rank_domains(
        data.framework, data.answers, data.design, by, draws=RANK_DRAWS, seed=RANK_SEED
    )
    return {int(r.label): r for r in ranking}


def _agency_rows(
    data: _Data,
    visible: Sequence[tuple[int, Agency]],
    scores: Mapping[Any, IndexResult],
    figure: str,
    total: IndexResult | None,
    focus: Agency | None,
    rankings: Mapping[int, Ranking] | None = None,
) -> list[AgencyRow]:
    rows = []
    for pos, agency in visible:
        found = scores.get(float(pos))
        if found is None:
            continue
        estimate = _pick(found, figure)
        versus = None
        if total is not None and not estimate.suppressed and not _pick(total, figure).suppressed:
            versus = _versus_total(data, pos, figure)
        rows.append(
            AgencyRow(
                AgencyRef.of(agency),
                estimate,
                (rankings or {}).get(pos),
                versus,
                focus is not None and agency.id == focus.id,
            )
        )
    return rows


def _versus_total(data: _Data, pos: int, figure: str) -> Difference | None:
    """Agency minus the whole survey, with the design covariance of the overlap."""
    try:
        diff = index_difference(
            _slim(data.framework, figure),
            data.answers,
            data.design,
            data.by == pos,
            data.everyone,
            figure=figure,
        )
    except ValueError:
        return None
    return None if math.isnan(diff.p_value) else diff


def _slim(framework: Framework, figure: str) -> Framework:
    """For an indicator, a framework holding only it (and one criterion, as a framework
    needs an element): the indicator's estimate and linearisation do not depend on the
    other columns, and the comparison runs ten times faster without them."""
    part, _, key = figure.partition(".")
    if part != "indicators":
        return framework
    first = framework.elements[0]
    return replace(
        framework,
        elements=(replace(first, group=None, criteria=first.criteria[:1]),),
        groups=(),
        indicators=tuple(i for i in framework.indicators if i.id == key),
        targets=None,
        points=None,
    )


def _pick(result: IndexResult, figure: str) -> Estimate:
    if figure == "overall":
        return result.overall
    part, _, key = figure.partition(".")
    estimate: Estimate = getattr(result, part)[key]
    return estimate


def _criteria(
    q: Questionnaire,
    lang: str,
    framework: Framework,
    result: IndexResult,
    targets: tuple[float, ...],
) -> list[Figure]:
    element_of = {c.item: e for e in framework.elements for c in e.criteria}
    rows = [
        Figure(
            item,
            q.label(q.item(item), lang),
            result.criteria[item],
            parent=q.text(element_of[item].label, lang) or element_of[item].id,
            gaps=_gaps(result.criteria[item], targets[:1]),
        )
        for item in framework.criteria_items
    ]
    return sorted(rows, key=lambda f: sort_key(f.estimate))


def sort_key(estimate: Estimate, *, highest_first: bool = False) -> float:
    """Suppressed or empty estimates sort last, whichever the direction."""
    if estimate.suppressed or not math.isfinite(estimate.value):
        return math.inf
    return -estimate.value if highest_first else estimate.value


def _indicator_block(
    q: Questionnaire,
    lang: str,
    data: _Data,
    indicator: Any,
    result: IndexResult,
    scores: Mapping[Any, IndexResult],
    visible: Sequence[tuple[int, Agency]],
    total: IndexResult | None,
    focus: Agency | None,
) -> IndicatorBlock:
    figure = f"indicators.{indicator.id}"
    better = higher_is_better(q, indicator.id, indicator.among)
    rows = _agency_rows(data, visible, scores, figure, total, focus)
    rows.sort(key=lambda r: sort_key(r.estimate, highest_first=not better))
    return IndicatorBlock(
        id=indicator.id,
        label=q.text(indicator.label, lang) or indicator.id,
        item_label=_item_label(q, indicator.item, lang),
        among=describe_rule(q, indicator.among, lang),
        higher_is_better=better,
        estimate=result.indicators[indicator.id],
        total=None if total is None else total.indicators[indicator.id],
        agencies=rows,
    )


def higher_is_better(q: Questionnaire, indicator_id: str, among: Any) -> bool:
    """Direction of an indicator: the framework may say ``"better": "higher"|"lower"``;
    otherwise shares taken among a subgroup (apology among late results) are compliance
    (higher is better) and the rest negative experiences (lower is better)."""
    for raw in q.framework.get("indicators", []):
        if raw.get("id") == indicator_id and raw.get("better") in ("higher", "lower"):
            return bool(raw["better"] == "higher")
    return among is not None


def _item_label(q: Questionnaire, item_id: str, lang: str) -> str:
    try:
        return q.label(q.item(item_id), lang)
    except KeyError:
        return item_id


def describe_rule(q: Questionnaire, rule: Any, lang: str) -> str | None:
    """A denominator condition in the questionnaire's words: “Result came”: Late."""
    if not rule:
        return None
    if "and" in rule:
        parts = [describe_rule(q, r, lang) for r in rule["and"]]
        return "; ".join(p for p in parts if p) or None
    for op in ("eq", "in"):
        if op in rule:
            item, wanted = rule[op]
            codes = wanted if op == "in" else [wanted]
            names = []
            for code in codes:
                try:
                    names.append(q.option_label(item, int(code), lang))
                except (KeyError, ValueError, TypeError):
                    names.append(str(code))
            return f"“{_item_label(q, item, lang)}”: {', '.join(names)}"
    return None


# --- chart rows ------------------------------------------------------------------------


def element_bars(model: Dashboard) -> list[Bar]:
    return [estimate_bar(f.label, f.estimate) for f in model.elements]


def agency_bars(rows: Sequence[AgencyRow], lang: str) -> list[Bar]:
    return [estimate_bar(r.agency.name(lang), r.estimate, focus=r.focus) for r in rows]
