"""Every round of a survey's series, oldest first, with the change from the round before.

The rounds are the chain of previous rounds (``Survey.previous``); each is scored on its
own responses and design, for the same scope (an agency's subtree or the whole survey).
The figures are those of the survey asked for: an earlier round's figure is found through
the mapping of each pair of rounds (:mod:`.mapping`), and a figure without one is a break
(None). A change is tested as two independent samples (``scoring.round_change``: z on
the difference, the two design-based SEs combined). An agency's rank in a round is its
place by the overall index among that round's agencies with a publishable index.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import func, select

from surveyapp.extensions import DbSession
from surveyapp.i18n import LOCAL_TIME
from surveyapp.models import Agency, Response, Survey, counted
from surveyapp.results.services import results
from surveyapp.results.services.dashboard.model import AgencyRef
from surveyapp.results.services.series import mapping
from surveyapp.scoring import (
    Estimate,
    Framework,
    IndexResult,
    RoundChange,
    round_change,
    score,
    score_by,
)
from surveyapp.security import Scope

MAX_ROUNDS = 30  # a chain longer than this is cut at the oldest rounds
FIGURE_KINDS = ("elements", "indicators", "criteria")


@dataclass(frozen=True)
class Point:
    """One figure in one round; ``change`` from the round before (None: first round,
    a break just before, or nothing to compare)."""

    estimate: Estimate
    change: RoundChange | None = None

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = self.estimate.as_dict()
        body["change"] = self.change.as_dict() if self.change is not None else None
        return body


@dataclass(frozen=True)
class Rank:
    rank: int
    of: int


@dataclass(frozen=True)
class Round:
    survey_id: int
    title: str
    period: str  # ISO 8601 interval of its answers in Vietnam time: "2025-03-01/2025-04-15"
    n: int  # responses in the scope
    overall: Point
    figures: dict[str, Point | None]  # "elements.x" / "indicators.y" / "criteria.z" → None: break
    ranks: dict[int, Rank]  # agency id → its place by the overall index

    def part(self, kind: str) -> dict[str, Point | None]:
        prefix = kind + "."
        return {f[len(prefix) :]: p for f, p in self.figures.items() if f.startswith(prefix)}


@dataclass(frozen=True)
class Trend:
    survey_id: int
    rounds: list[Round]  # oldest first, the survey asked for last
    labels: dict[str, str]  # figure → its label in the survey asked for
    # Whose ranks may be shown, by their rank in the last round (plain values: cached).
    agencies: list[AgencyRef]

    def as_dict(self) -> dict[str, Any]:
        """``{"survey", "rounds": [{"survey", "title", "period", "n", "overall",
        "elements", "indicators"}]}``: a break is null."""
        return {
            "survey": self.survey_id,
            "rounds": [
                {
                    "survey": r.survey_id,
                    "title": r.title,
                    "period": r.period,
                    "n": r.n,
                    "overall": r.overall.as_dict(),
                    "elements": _points(r.part("elements")),
                    "indicators": _points(r.part("indicators")),
                }
                for r in self.rounds
            ],
        }

    def series(self, figure: str) -> list[Point | None]:
        return [r.overall if figure == "overall" else r.figures.get(figure) for r in self.rounds]


def _points(points: dict[str, Point | None]) -> dict[str, Any]:
    return {k: p.as_dict() if p is not None else None for k, p in points.items()}


def chain(session: DbSession, survey: Survey) -> list[Survey]:
    """``survey`` and its previous rounds, oldest first (a cycle, never saved, is cut)."""
    out, seen = [survey], {survey.id}
    current = survey.previous
    while current is not None and current.id not in seen and len(out) < MAX_ROUNDS:
        out.append(current)
        seen.add(current.id)
        current = current.previous
    return out[::-1]


def names_by_round(session: DbSession, rounds: list[Survey]) -> list[dict[str, str | None]]:
    """For each round (oldest first), the name in it of each figure of the last round."""
    last = rounds[-1]
    names: dict[str, str | None] = {
        f.figure: f.figure for f in mapping.figures(last.version.document, "en")
    }
    out = [names]
    for later in rounds[:0:-1]:
        found = mapping.link(session, later)
        pairs = found.pairs if found is not None else {}
        names = {f: pairs.get(n) if n is not None else None for f, n in names.items()}
        out.append(names)
    return out[::-1]


def build(
    session: DbSession, survey: Survey, *, focus: Agency | None, viewer: Agency | None, lang: str
) -> Trend:
    """The trend of ``survey`` for ``focus`` (None: the whole survey); ranks of the
    agencies ``viewer``'s scope covers (None: the province)."""
    rounds = chain(session, survey)
    names = names_by_round(session, rounds)
    visible = [a for a in survey.agencies if Scope(viewer).covers(a)]
    built: list[Round] = []
    for target, named in zip(rounds, names, strict=True):
        before = built[-1] if built else None
        built.append(_round(session, target, named, focus, visible, before))
    labels = {f.figure: f.label for f in mapping.figures(survey.version.document, lang)}
    latest = built[-1].ranks
    visible.sort(key=lambda a: (latest[a.id].rank if a.id in latest else math.inf, a.code))
    return Trend(survey.id, built, labels, [AgencyRef.of(a) for a in visible])


def _round(
    session: DbSession,
    survey: Survey,
    named: dict[str, str | None],
    focus: Agency | None,
    visible: list[Agency],
    before: Round | None,
) -> Round:
    arrays = results.load_arrays(session, survey)
    framework = Framework.from_dict(survey.version.document["framework"])
    design = arrays.design()
    domain = (
        results.subtree_mask(session, arrays, focus)
        if focus is not None
        else np.ones(arrays.n, dtype=bool)
    )
    result = score(framework, arrays.answers, design, domain=domain)
    overall = Point(result.overall, _change(result.overall, before.overall if before else None))
    figures: dict[str, Point | None] = {}
    for figure, name in named.items():
        estimate = _pick(result, name)
        if estimate is None:
            figures[figure] = None
            continue
        was = before.figures.get(figure) if before is not None else None
        figures[figure] = Point(estimate, _change(estimate, was))
    return Round(
        survey.id,
        survey.title,
        _period(session, survey),
        int(domain.sum()),
        overall,
        figures,
        _ranks(session, survey, arrays, framework, design, visible),
    )


def _pick(result: IndexResult, name: str | None) -> Estimate | None:
    if name is None:
        return None
    kind, _, key = name.partition(".")
    found: Estimate | None = getattr(result, kind, {}).get(key) if kind in FIGURE_KINDS else None
    return found


def _change(now: Estimate, was: Point | Estimate | None) -> RoundChange | None:
    previous = was.estimate if isinstance(was, Point) else was
    if previous is None or now.suppressed or previous.suppressed:
        return None
    return round_change(now, previous)


def _ranks(
    session: DbSession,
    survey: Survey,
    arrays: Any,
    framework: Framework,
    design: Any,
    visible: list[Agency],
) -> dict[int, Rank]:
    labels = results.agency_labels(session, arrays, survey.agencies)
    scores = score_by(framework, arrays.answers, design, labels).domains
    values = {
        survey.agencies[int(k)].id: r.overall.value
        for k, r in scores.items()
        if not r.overall.suppressed and math.isfinite(r.overall.value)
    }
    order = sorted(values, key=lambda a: -values[a])
    wanted = {a.id for a in visible}
    return {a: Rank(i + 1, len(order)) for i, a in enumerate(order) if a in wanted}


def _period(session: DbSession, survey: Survey) -> str:
    first, last = session.execute(
        select(func.min(Response.submitted_at), func.max(Response.submitted_at)).where(
            counted(survey.id)
        )
    ).one()
    start = first or survey.opens_at or survey.created_at
    end = last or survey.closes_at
    return f"{_day(start)}/{_day(end) if end is not None else '..'}"


def _day(moment: datetime) -> str:
    return moment.astimezone(LOCAL_TIME).date().isoformat()
