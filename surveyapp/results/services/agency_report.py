"""One agency's printable report: the input to its improvement plan.

Built on the agency's dashboard (index, elements, criteria weakest first, indicators,
change since last period, gaps to target, rank) plus the points schemes reform offices
score agencies with:

- QĐ 766/QĐ-TTg satisfaction-rate criterion (SIPAS.md §3.8): 6 points, full at a rate
  of 90 % or more, else 6 × rate / 0.90 (81 % → 5.4).
- TT01 per-dossier points (SIPAS.md §3.7), when the questionnaire has a points scheme:
  the share of dossiers in each band and the mean total out of 18.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from surveyapp.extensions import DbSession
from surveyapp.models import Agency, Response, Survey, counted
from surveyapp.results.services import dossiers
from surveyapp.results.services.dashboard.model import Dashboard, Figure
from surveyapp.results.services.dossiers import DossierPoints
from surveyapp.scoring import Estimate

RATE_POINTS = 6.0  # QĐ 766: the satisfaction-rate criterion's points
RATE_FULL_AT = 0.90  # ... given in full at this rate
WEAKEST = 5  # criteria listed as priorities


@dataclass(frozen=True)
class AgencyReport:
    dashboard: Dashboard
    first: datetime | None  # first and last submission in the agency
    last: datetime | None
    rate_points: float | None  # QĐ 766 satisfaction-rate criterion, out of RATE_POINTS
    dossier: DossierPoints | None

    @property
    def priorities(self) -> list[Figure]:
        """The weakest criteria with a published figure, weakest first."""
        shown = [f for f in self.dashboard.criteria if not f.estimate.suppressed]
        return shown[:WEAKEST]


def rate_points(index: Estimate) -> float | None:
    """QĐ 766: 6 × min(rate / 0.90, 1), rounded to 2 decimals; None when unpublished."""
    if index.suppressed or not math.isfinite(index.value):
        return None
    return round(RATE_POINTS * min(index.value / RATE_FULL_AT, 1.0), 2)


def build(
    session: DbSession, survey: Survey, agency: Agency, dashboard: Dashboard, lang: str
) -> AgencyReport:
    """The report of ``agency`` from its (unfiltered) dashboard."""
    first, last = session.execute(
        select(func.min(Response.submitted_at), func.max(Response.submitted_at))
        .join(Agency, Agency.id == Response.agency_id)
        .where(
            counted(survey.id),
            Agency.path.startswith(agency.path, autoescape=True),
        )
    ).one()
    return AgencyReport(
        dashboard=dashboard,
        first=first,
        last=last,
        rate_points=rate_points(dashboard.overall.estimate),
        dossier=dossiers.points_of(session, survey, agency, lang),
    )
