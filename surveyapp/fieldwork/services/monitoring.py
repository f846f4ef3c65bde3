"""Fieldwork monitoring: invitations counted by disposition, and AAPOR response rates.

Response rates follow the AAPOR *Standard Definitions* (American Association for Public
Opinion Research, 10th edition, 2023), with its final disposition categories:

- I  complete interview                 - P  partial interview
- R  refusal and break-off              - NC non-contact
- O  other eligible non-interview       - UH/UO unknown eligibility (no contact / other)
- NE not eligible (left out of every rate)

    RR1 = I / ((I + P) + (R + NC + O) + (UH + UO))
    RR2 = (I + P) / ((I + P) + (R + NC + O) + (UH + UO))

Our ``Disposition`` codes map to those categories as AAPOR's table for Internet surveys
of specifically named persons does:

==============  ====  =================================================================
disposition     AAPOR why
==============  ====  =================================================================
complete        I     1.1 returned, complete
partial         P     1.2 partial: went past the welcome page (a response was started),
                      never submitted. AAPOR lets the researcher set the partial/break-
                      off threshold; ours is the lowest, so RR2 is the generous rate and
                      RR1 the strict one
refused         R     2.11 explicit refusal, recorded by staff (answering later makes it P)
opened          R     2.112 implicit refusal: logged on, answered no item (interim code
                      while fieldwork runs: the respondent may still come back)
unreachable     UO    3.30 invitation returned undelivered (letter returned, e-mail
                      bounced, number not in service), recorded by staff; opening the
                      link later proves contact and makes it "opened"
sent            UH    3.19 invitation sent, nothing ever returned (never opened): we do
                      not know it reached an eligible person
not_sent        UH    3.11 no invitation sent
ineligible      NE    4.0 not eligible (e.g. never received a result), recorded by staff
==============  ====  =================================================================

No code maps to O. RR1 and RR2 count NC, UH and UO alike (fully in the denominator), so
the UH/UO/NC split only matters to the rates that estimate the eligible share of
unknowns (RR3/RR4), which we do not report. Rates are proportions in [0, 1], unweighted,
and None when no invitation counts (an open-link survey has no denominator).
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field

from sqlalchemy import func, select

from surveyapp.extensions import DbSession
from surveyapp.models import Agency, Disposition, Invitation


class AaporCategory(enum.Enum):
    """AAPOR final disposition categories used in the response-rate formulas."""

    I = "I"  # noqa: E741 -- AAPOR's own letter
    P = "P"
    R = "R"
    NC = "NC"
    O = "O"  # noqa: E741
    UH = "UH"
    UO = "UO"
    NE = "NE"


AAPOR_CATEGORY: dict[Disposition, AaporCategory] = {
    Disposition.COMPLETE: AaporCategory.I,
    Disposition.PARTIAL: AaporCategory.P,
    Disposition.REFUSED: AaporCategory.R,
    Disposition.OPENED: AaporCategory.R,
    Disposition.UNREACHABLE: AaporCategory.UO,
    Disposition.SENT: AaporCategory.UH,
    Disposition.NOT_SENT: AaporCategory.UH,
    Disposition.INELIGIBLE: AaporCategory.NE,
}

# Fieldwork order, for tables and charts: not yet sent first, final outcomes last.
DISPOSITION_ORDER: tuple[Disposition, ...] = (
    Disposition.NOT_SENT,
    Disposition.SENT,
    Disposition.OPENED,
    Disposition.PARTIAL,
    Disposition.COMPLETE,
    Disposition.REFUSED,
    Disposition.INELIGIBLE,
    Disposition.UNREACHABLE,
)


@dataclass(frozen=True)
class ResponseRates:
    """Disposition counts of a group of invitations and the AAPOR rates they give."""

    counts: Mapping[Disposition, int] = field(default_factory=dict)

    def count(self, disposition: Disposition) -> int:
        return self.counts.get(disposition, 0)

    @property
    def invitations(self) -> int:
        return sum(self.counts.values())

    def category(self, category: AaporCategory) -> int:
        """How many invitations fall in one AAPOR category."""
        return sum(n for d, n in self.counts.items() if AAPOR_CATEGORY[d] is category)

    @property
    def eligible_or_unknown(self) -> int:
        """The RR1/RR2 denominator: (I+P) + (R+NC+O) + (UH+UO), i.e. all but NE."""
        return self.invitations - self.category(AaporCategory.NE)

    @property
    def rr1(self) -> float | None:
        """AAPOR RR1 = I / ((I+P) + (R+NC+O) + (UH+UO)); completes only, a proportion."""
        return self._rate(self.category(AaporCategory.I))

    @property
    def rr2(self) -> float | None:
        """AAPOR RR2 = (I+P) / ((I+P) + (R+NC+O) + (UH+UO)); partials count as responses."""
        return self._rate(self.category(AaporCategory.I) + self.category(AaporCategory.P))

    def _rate(self, numerator: int) -> float | None:
        denominator = self.eligible_or_unknown
        return numerator / denominator if denominator else None

    def __add__(self, other: ResponseRates) -> ResponseRates:
        merged = dict(self.counts)
        for disposition, n in other.counts.items():
            merged[disposition] = merged.get(disposition, 0) + n
        return ResponseRates(merged)


@dataclass(frozen=True)
class FieldworkRates:
    """A survey's rates overall, per stratum (label → rates) and per agency (code → rates)."""

    overall: ResponseRates
    strata: dict[str, ResponseRates]
    agencies: dict[str, ResponseRates]


def response_rates(counts: Mapping[Disposition, int]) -> ResponseRates:
    """The rates of a group of invitations from its counts per disposition."""
    return ResponseRates({d: n for d, n in counts.items() if n})


def fieldwork_rates(
    session: DbSession, survey_id: int, agency_ids: Collection[int] | None = None
) -> FieldworkRates:
    """Counts and RR1/RR2 of a survey's invitations, overall, per stratum and per agency.

    ``agency_ids`` limits the count to those agencies' invitations (a user's scope);
    None counts every invitation of the survey. Strata and agencies come sorted by
    label and code; invitations without a stratum are grouped under their agency code.
    """
    query = (
        select(Invitation.stratum, Agency.code, Invitation.disposition, func.count())
        .join(Agency, Agency.id == Invitation.agency_id)
        .where(Invitation.survey_id == survey_id)
        .group_by(Invitation.stratum, Agency.code, Invitation.disposition)
    )
    if agency_ids is not None:
        query = query.where(Invitation.agency_id.in_(list(agency_ids)))
    rows = [(stratum or code, code, d, int(n)) for stratum, code, d, n in session.execute(query)]
    return FieldworkRates(
        overall=_grouped((("", d, n) for _, _, d, n in rows)).get("", ResponseRates()),
        strata=_grouped((s, d, n) for s, _, d, n in rows),
        agencies=_grouped((c, d, n) for _, c, d, n in rows),
    )


def _grouped(rows: Iterable[tuple[str, Disposition, int]]) -> dict[str, ResponseRates]:
    counts: dict[str, dict[Disposition, int]] = {}
    for key, disposition, n in rows:
        group = counts.setdefault(key, {})
        group[disposition] = group.get(disposition, 0) + n
    return {key: response_rates(counts[key]) for key in sorted(counts)}
