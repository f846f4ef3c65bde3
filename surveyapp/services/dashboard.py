"""The results dashboard of one survey: scoring results arranged for one page.

Filters (an agency, a channel) are scoring domains over the whole design, never rows
dropped from it (spec/scoring-api.md, "domains"). Scope: a user tied to an agency gets
only figures computed from that agency's responses, plus its own rank ("3 of 8"); the
province total and every other agency stay out of the model altogether.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import select

from surveyapp.charts import Bar, estimate_bar
from surveyapp.extensions import DbSession
from surveyapp.models import Agency, Channel, Response, ResponseStatus, Survey
from surveyapp.questionnaire.document import Questionnaire
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
from surveyapp.services import results

CHANNELS = tuple(c.value for c in Channel)
DEFAULT_TARGETS = (0.85, 0.90)  # provincial plans: > 85 % now, 90 % next (SIPAS.md §6)
RANK_SEED = 2026  # rank intervals are simulated: a fixed seed keeps pages stable
RANK_DRAWS = 4000

BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Figure:
    """One estimate with its label; ``parent`` is a criterion's element."""

    id: str
    label: str
    estimate: Estimate
    parent: str = ""
    gaps: tuple[Gap, ...] = ()


@dataclass(frozen=True)
class AgencyRow:
    """An agency's figure; ``versus_total`` compares it with the whole survey."""

    agency: Agency
    estimate: Estimate
    ranking: Ranking | None = None
    versus_total: Difference | None = None
    focus: bool = False


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


@dataclass(frozen=True)
class Dashboard:
    focus: Agency | None
    channel: str | None
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


@dataclass(frozen=True)
class _Data:
    framework: Framework
    answers: Mapping[str, Any]
    design: Any
    by: npt.NDArray[np.float64]  # survey agency position per row, NaN = none/filtered out
    everyone: BoolArray  # every row the channel filter keeps


def build(
    session: DbSession,
    survey: Survey,
    *,
    focus: Agency | None,
    user_root: Agency | None,
    channel: str | None,
    lang: str,
) -> Dashboard:
    """The dashboard of ``focus`` (None = every agency) as seen by a user scoped to
    ``user_root`` (None = the province), optionally for one response ``channel``."""
    q = Questionnaire(survey.version.document)
    framework = Framework.from_dict(q.framework)
    arrays = results.load_arrays(session, survey)
    everyone = _channel_mask(session, survey, arrays, channel)
    domain = everyone.copy()
    if focus is not None:
        domain &= results.subtree_mask(session, arrays, focus)
    positions = results.agency_labels(session, arrays, survey.agencies)
    by = np.where(everyone, positions, np.nan)
    data = _Data(framework, arrays.answers, arrays.design(), by, everyone)
    result = score(framework, arrays.answers, data.design, domain=domain)
    scores = score_by(framework, arrays.answers, data.design, by).domains
    visible = [
        (pos, a)
        for pos, a in enumerate(survey.agencies)
        if user_root is None or a.path.startswith(user_root.path)
    ]
    scoped = user_root is not None
    total = None if scoped else score(framework, arrays.answers, data.design, domain=everyone)
    targets = _targets(framework)
    rankings = _rankings(data, scores)
    agencies = _agency_rows(data, visible, scores, "overall", total, focus, rankings)
    agencies.sort(key=lambda r: r.ranking.rank if r.ranking else math.inf)
    blocks = [
        _indicator_block(q, lang, data, ind, result, scores, visible, total, focus)
        for ind in framework.indicators
    ]
    return Dashboard(
        focus=focus,
        channel=channel,
        scoped=scoped,
        responses=int(domain.sum()),
        targets=targets,
        overall=Figure("overall", "", result.overall, gaps=_gaps(result.overall, targets)),
        groups=[
            Figure(g.id, q.text(g.label, lang) or g.id, result.groups[g.id])
            for g in framework.groups
        ],
        elements=[
            Figure(e.id, q.text(e.label, lang) or e.id, result.elements[e.id])
            for e in framework.elements
        ],
        criteria=_criteria(q, lang, framework, result, targets),
        negatives=[b for b in blocks if not b.higher_is_better],
        compliance=[b for b in blocks if b.higher_is_better],
        agencies=agencies,
        ranked=len(rankings),
    )


def _targets(framework: Framework) -> tuple[float, ...]:
    own = (framework.targets or {}).get("overall")
    return tuple(sorted({*DEFAULT_TARGETS, *([own] if own is not None else [])}))


def _gaps(estimate: Estimate, targets: Iterable[float]) -> tuple[Gap, ...]:
    if estimate.suppressed or math.isnan(estimate.value):
        return ()
    return tuple(target_gap(estimate, t) for t in targets)


def _channel_mask(
    session: DbSession, survey: Survey, arrays: results.ResponseArrays, channel: str | None
) -> BoolArray:
    if channel is None:
        return np.ones(arrays.n, dtype=bool)
    ids = session.scalars(
        select(Response.id).where(
            Response.survey_id == survey.id,
            Response.status == ResponseStatus.SUBMITTED,
            Response.channel == Channel(channel),
        )
    ).all()
    return np.isin(arrays.response_ids, np.asarray(ids, dtype=np.int64))


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
                agency,
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
