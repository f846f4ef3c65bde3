"""PAR cross-evaluation: which official rates which agency.

Every agency of an officials-mode survey gets ``k`` distinct raters (users with the role
``official``), none from the agency itself, a unit under it, or an agency above it (its
own organisation either way). Loads are as even as the eligibility allows: the
assignment minimises the sum of squared rater loads, hence also the largest load.

The algorithm is successive shortest paths on the flow network source → agency (k) →
rater (1, when eligible) → sink (convex cost: the rater's load). With zero costs inside,
the cheapest augmenting path ends at the least-loaded rater reachable from the agency in
the residual graph (a breadth-first search that may move earlier picks from one rater to
another); augmenting along it one unit at a time is optimal for convex costs (Ahuja,
Magnanti & Orlin, *Network Flows*, §14.2; Harvey et al., "Semi-matchings for bipartite
graphs and load balancing", 2006). Ties are broken by a seeded shuffle, so one seed
always gives the same assignment.
"""

from __future__ import annotations

import enum
import random
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select

from surveyapp.extensions import DbSession
from surveyapp.models import (
    Agency,
    RaterAssignment,
    Response,
    ResponseStatus,
    Role,
    Survey,
    SurveyMode,
    User,
)
from surveyapp.models.audit import record
from surveyapp.problems import InputRefused, Problem
from surveyapp.security import Scope


class Progress(enum.Enum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"


@dataclass(frozen=True)
class AssignmentRow:
    """One assignment with where its response stands."""

    assignment: RaterAssignment
    progress: Progress


class NotEnoughRaters(InputRefused):
    """Some agencies have fewer eligible officials than raters asked for."""

    def __init__(self, short: list[tuple[str, int]], per_agency: int) -> None:
        self.short = short  # (agency code, eligible officials)
        self.per_agency = per_agency
        super().__init__(
            [
                Problem(
                    code,
                    f"only {n} eligible officials for {per_agency} raters per agency "
                    "(officials never rate their own agency, a unit under it or one above it)",
                )
                for code, n in short
            ]
        )


class AlreadyAnswered(InputRefused):
    """The assignment can't be redone: some assignments have answers."""

    def __init__(self, answered: int) -> None:
        self.answered = answered
        super().__init__(
            [Problem("survey", f"{answered} assignments already have answers: not redone")]
        )


def conflicts(rater_agency: Agency | None, agency: Agency) -> bool:
    """Whether a rater from ``rater_agency`` would be judging their own organisation."""
    if rater_agency is None:
        return False
    return agency.path.startswith(rater_agency.path) or rater_agency.path.startswith(agency.path)


def officials(session: DbSession) -> list[User]:
    """Active accounts with the role ``official``, in a stable order."""
    return list(
        session.scalars(
            select(User).where(User.role == Role.OFFICIAL, User.active.is_(True)).order_by(User.id)
        )
    )


def plan(
    agencies: Sequence[Agency], raters: Sequence[User], per_agency: int, seed: int
) -> dict[int, list[int]]:
    """Rater ids for each agency id: ``per_agency`` each, balanced, deterministic for a seed.

    Raises ``InputRefused`` naming every agency with fewer eligible raters than needed.
    """
    if per_agency < 1:
        raise InputRefused([Problem("--per-agency", "must be at least 1")])
    eligible = {a.id: [r.id for r in raters if not conflicts(r.agency, a)] for a in agencies}
    short = [(a.code, len(eligible[a.id])) for a in agencies if len(eligible[a.id]) < per_agency]
    if short:
        raise NotEnoughRaters(short, per_agency)
    rng = random.Random(seed)
    rank = {r.id: i for i, r in enumerate(rng.sample(list(raters), len(raters)))}
    for ids in eligible.values():
        ids.sort(key=rank.__getitem__)
    order = [a.id for a in rng.sample(list(agencies), len(agencies))]
    chosen: dict[int, list[int]] = {a: [] for a in order}
    load = dict.fromkeys(rank, 0)
    for _ in range(per_agency):
        for agency_id in order:
            _augment(agency_id, eligible, chosen, load, rank)
    return {a: sorted(ids, key=rank.__getitem__) for a, ids in chosen.items()}


def _augment(
    start: int,
    eligible: dict[int, list[int]],
    chosen: dict[int, list[int]],
    load: dict[int, int],
    rank: dict[int, int],
) -> None:
    """Give ``start`` one more rater along the cheapest path in the residual graph."""
    raters_of = {a: set(ids) for a, ids in chosen.items()}
    agencies_of: dict[int, list[int]] = {}
    for agency_id, ids in chosen.items():
        for rater_id in ids:
            agencies_of.setdefault(rater_id, []).append(agency_id)
    came_from: dict[int, tuple[int, int]] = {}  # rater -> (agency it is reached from, prev rater)
    seen_agencies = {start}
    queue: deque[tuple[int, int]] = deque([(start, -1)])
    while queue:
        agency_id, via = queue.popleft()
        for rater_id in eligible[agency_id]:
            if rater_id in came_from or rater_id in raters_of[agency_id]:
                continue
            came_from[rater_id] = (agency_id, via)
            for other in agencies_of.get(rater_id, []):
                if other not in seen_agencies:
                    seen_agencies.add(other)
                    queue.append((other, rater_id))
    # Feasibility was checked: the start agency always reaches a rater it lacks.
    end = min(came_from, key=lambda r: (load[r], rank[r]))
    load[end] += 1
    rater_id = end
    while True:
        agency_id, via = came_from[rater_id]
        chosen[agency_id].append(rater_id)
        if via == -1:
            break
        chosen[agency_id].remove(via)  # ``via`` now rates the agency that reached it
        rater_id = via


def assign(
    session: DbSession,
    survey: Survey,
    per_agency: int,
    *,
    seed: int,
    actor_id: int | None,
    now: datetime,
) -> list[RaterAssignment]:
    """(Re)make the survey's rater assignments; refused once any assignment has answers."""
    if survey.mode is not SurveyMode.OFFICIALS:
        raise InputRefused([Problem("survey", f"survey {survey.id} is not an officials survey")])
    answered = session.scalar(
        select(func.count())
        .select_from(Response)
        .join(RaterAssignment, Response.assignment_id == RaterAssignment.id)
        .where(RaterAssignment.survey_id == survey.id)
    )
    if answered:
        raise AlreadyAnswered(answered)
    raters = officials(session)
    picks = plan(survey.agencies, raters, per_agency, seed)
    session.execute(delete(RaterAssignment).where(RaterAssignment.survey_id == survey.id))
    made = [
        RaterAssignment(survey_id=survey.id, rater_id=rater_id, agency_id=agency_id, created_at=now)
        for agency_id, rater_ids in picks.items()
        for rater_id in rater_ids
    ]
    session.add_all(made)
    session.flush()
    record(
        session,
        actor_id,
        "officials.assign",
        survey,
        per_agency=per_agency,
        seed=seed,
        raters=len(raters),
        assignments=len(made),
    )
    return made


def survey_assignments(session: DbSession, survey: Survey, scope: Scope) -> list[AssignmentRow]:
    """The assignments of a survey's agencies in scope with their progress, by agency then
    rater."""
    query = (
        select(RaterAssignment)
        .join(Agency, RaterAssignment.agency_id == Agency.id)
        .join(User, RaterAssignment.rater_id == User.id)
        .where(RaterAssignment.survey_id == survey.id)
        .order_by(Agency.path, User.email)
    )
    agency_ids = scope.agency_ids(survey)
    if agency_ids is not None:
        query = query.where(RaterAssignment.agency_id.in_(agency_ids))
    return _with_progress(session, list(session.scalars(query)))


def progress_counts(session: DbSession, survey: Survey, scope: Scope) -> dict[str, int]:
    """How many of the survey's assignments in scope stand at each step (by value)."""
    counts = dict.fromkeys((p.value for p in Progress), 0)
    if survey.mode is SurveyMode.OFFICIALS:
        for row in survey_assignments(session, survey, scope):
            counts[row.progress.value] += 1
    return counts


def rater_assignments(session: DbSession, rater: User, now: datetime) -> list[AssignmentRow]:
    """The assignments of one official in surveys open now, by survey then agency."""
    query = (
        select(RaterAssignment)
        .join(Survey, RaterAssignment.survey_id == Survey.id)
        .join(Agency, RaterAssignment.agency_id == Agency.id)
        .where(RaterAssignment.rater_id == rater.id)
        .order_by(Survey.id.desc(), Agency.path)
    )
    rows = [a for a in session.scalars(query) if a.survey.is_open(now)]
    return _with_progress(session, rows)


def find_for_rater(session: DbSession, assignment_id: int, rater: User) -> RaterAssignment | None:
    """The assignment if it is this rater's, else None (someone else's looks like none)."""
    assignment = session.get(RaterAssignment, assignment_id)
    if assignment is None or assignment.rater_id != rater.id:
        return None
    return assignment


def _with_progress(session: DbSession, assignments: list[RaterAssignment]) -> list[AssignmentRow]:
    ids = [a.id for a in assignments]
    found = session.execute(
        select(Response.assignment_id, Response.status).where(
            Response.assignment_id.in_(ids or [-1])
        )
    )
    statuses = {assignment_id: status for assignment_id, status in found}
    rows = []
    for assignment in assignments:
        status = statuses.get(assignment.id)
        if status is None:
            progress = Progress.NOT_STARTED
        elif status is not ResponseStatus.IN_PROGRESS:  # sent (a voided one too)
            progress = Progress.SUBMITTED
        else:
            progress = Progress.IN_PROGRESS
        rows.append(AssignmentRow(assignment, progress))
    return rows
