"""AAPOR RR1/RR2 from disposition counts, against rates worked out by hand."""

from __future__ import annotations

import pytest

from surveyapp.fieldwork.services.monitoring import AAPOR_CATEGORY, AaporCategory, response_rates
from surveyapp.models import Disposition

D = Disposition


def test_rr1_and_rr2_follow_the_aapor_formulas() -> None:
    """100 invitations: I=30, P=10, R=5+5 (refused, opened), UO=8, UH=20+12, NE=10.

    Denominator (I+P)+(R+NC+O)+(UH+UO) = 40 + 10 + 40 = 90 (the 10 ineligible leave it).
    RR1 = 30/90 = 0.3333…, RR2 = (30+10)/90 = 0.4444….
    """
    counts = {D.COMPLETE: 30, D.PARTIAL: 10, D.REFUSED: 5, D.OPENED: 5, D.UNREACHABLE: 8,
              D.SENT: 20, D.NOT_SENT: 12, D.INELIGIBLE: 10}  # fmt: skip
    rates = response_rates(counts)
    assert rates.invitations == 100
    assert rates.eligible_or_unknown == 90
    assert rates.category(AaporCategory.R) == 10
    assert rates.category(AaporCategory.UH) == 32
    assert rates.category(AaporCategory.UO) == 8
    assert rates.category(AaporCategory.NC) == 0
    assert rates.rr1 == pytest.approx(1 / 3)
    assert rates.rr2 == pytest.approx(4 / 9)


def test_ineligible_invitations_leave_both_numerator_and_denominator() -> None:
    """I=3, NE=7: RR1 = 3 / (10 - 7) = 1.0."""
    rates = response_rates({D.COMPLETE: 3, D.INELIGIBLE: 7})
    assert rates.rr1 == 1.0
    assert rates.rr2 == 1.0


def test_rates_are_none_without_eligible_or_unknown_invitations() -> None:
    assert response_rates({}).rr1 is None
    assert response_rates({D.INELIGIBLE: 4}).rr2 is None


def test_sent_but_never_opened_counts_as_unknown_eligibility() -> None:
    """AAPOR 3.19 'nothing ever returned' and 3.11 'no invitation sent' are UH."""
    assert AAPOR_CATEGORY[D.SENT] is AaporCategory.UH
    assert AAPOR_CATEGORY[D.NOT_SENT] is AaporCategory.UH
    assert set(AAPOR_CATEGORY) == set(Disposition)


def test_groups_add_up() -> None:
    """(I=1, R=1) + (I=2, UH=4): RR1 = 3/8 = 0.375."""
    merged = response_rates({D.COMPLETE: 1, D.REFUSED: 1}) + response_rates(
        {D.COMPLETE: 2, D.SENT: 4}
    )
    assert merged.count(D.COMPLETE) == 3
    assert merged.rr1 == pytest.approx(0.375)
