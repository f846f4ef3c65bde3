"""The scored pass shaped for the pages: figures with labels, gaps to targets, changes
since the previous period, agency rows in rank order, indicator blocks, chart bars."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
from flask_babel import force_locale

from surveyapp.charts import Bar, estimate_bar
from surveyapp.models import Agency
from surveyapp.questionnaire.document import Questionnaire
from surveyapp.results.services.dashboard import period
from surveyapp.results.services.dashboard.model import (
    AgencyRef,
    AgencyRow,
    Dashboard,
    Figure,
    IndicatorBlock,
    ScoredData,
    WeightingNote,
)
from surveyapp.results.services.dashboard.period import Change, PeriodScores
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
    target_gap,
)

DEFAULT_TARGETS = (0.85, 0.90)  # provincial plans: > 85 % now, 90 % next (SIPAS.md §6)
RANK_SEED = 2026  # rank intervals are simulated: a fixed seed keeps pages stable
RANK_DRAWS = 4000


def weighting_note(used: WeightsUsed, lang: str, *, with_reasons: bool) -> WeightingNote | None:
    """The note a page shows when saved weighting settings were not applied, in ``lang``."""
    if used.status is not WeightingStatus.NOT_APPLIED:
        return None
    with force_locale(lang):
        reasons = tuple(map(str, used.problems)) if with_reasons else ()
        return WeightingNote(str(used.setting_name), reasons)


def figure_change(before: PeriodScores | None, figure: str, now: Estimate) -> Change | None:
    if before is None:
        return None
    name = before.name(figure)  # through the series mapping: copies and versions differ
    if name is None:  # a break in the series
        return None
    try:
        was = _pick(before.focus, name)
    except KeyError:  # last period's questionnaire had no such figure
        return None
    return period.change(now, was)


def with_change(row: AgencyRow, before: PeriodScores | None) -> AgencyRow:
    if before is None or row.agency.id not in before.agencies:
        return row
    was = before.agencies[row.agency.id].overall
    return replace(row, change=period.change(row.estimate, was))


def targets_of(framework: Framework, kind: str) -> tuple[float, ...]:
    """The questionnaire's own target and, for citizens' satisfaction, the provinces'."""
    own = (framework.targets or {}).get("overall")
    defaults = () if kind == "par" else DEFAULT_TARGETS
    return tuple(sorted({*defaults, *([own] if own is not None else [])}))


def gaps(estimate: Estimate, targets: Iterable[float]) -> tuple[Gap, ...]:
    if estimate.suppressed or math.isnan(estimate.value):
        return ()
    return tuple(target_gap(estimate, t) for t in targets)


def rank_agencies(data: ScoredData, scores: Mapping[Any, IndexResult]) -> dict[int, Ranking]:
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


def agency_rows(
    data: ScoredData,
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


def _versus_total(data: ScoredData, pos: int, figure: str) -> Difference | None:
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


def criteria_figures(
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
            gaps=gaps(result.criteria[item], targets[:1]),
        )
        for item in framework.criteria_items
    ]
    return sorted(rows, key=lambda f: sort_key(f.estimate))


def sort_key(estimate: Estimate, *, highest_first: bool = False) -> float:
    """Suppressed or empty estimates sort last, whichever the direction."""
    if estimate.suppressed or not math.isfinite(estimate.value):
        return math.inf
    return -estimate.value if highest_first else estimate.value


def indicator_block(
    q: Questionnaire,
    lang: str,
    data: ScoredData,
    indicator: Any,
    result: IndexResult,
    scores: Mapping[Any, IndexResult],
    visible: Sequence[tuple[int, Agency]],
    total: IndexResult | None,
    focus: Agency | None,
) -> IndicatorBlock:
    figure = f"indicators.{indicator.id}"
    better = higher_is_better(q, indicator.id, indicator.among)
    rows = agency_rows(data, visible, scores, figure, total, focus)
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
