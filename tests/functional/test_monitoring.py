"""Fieldwork rates from the database: per stratum, per agency, overall, within a scope."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from surveyapp.extensions import db
from surveyapp.fieldwork.services.monitoring import fieldwork_rates
from surveyapp.models import Agency, Disposition, Invitation, Survey
from tests import factories

D = Disposition


def invite(survey: Survey, code: str, stratum: str | None, *dispositions: Disposition) -> None:
    agency = db.session.scalars(select(Agency).where(Agency.code == code)).one()
    for number, disposition in enumerate(dispositions):
        db.session.add(
            Invitation(
                survey_id=survey.id,
                agency_id=agency.id,
                token_hash=f"{code}-{stratum}-{number}-{disposition.value}",
                stratum=stratum,
                disposition=disposition,
            )
        )
    db.session.commit()


@pytest.fixture()
def survey(app: Flask) -> Survey:
    factories.province()
    created = factories.survey(("SXD", "STP"))
    invite(created, "SXD", "SXD | Xây dựng", D.COMPLETE, D.COMPLETE, D.PARTIAL, D.SENT)
    invite(created, "SXD", "SXD | Quy hoạch", D.COMPLETE, D.REFUSED, D.INELIGIBLE)
    invite(created, "STP", None, D.COMPLETE, D.NOT_SENT, D.UNREACHABLE, D.OPENED, D.PARTIAL)
    return created


def test_rates_per_stratum_agency_and_overall(survey: Survey) -> None:
    """By hand (NE leaves the denominator):

    SXD | Xây dựng: I=2 P=1 UH=1 → RR1 2/4 = 0.5,  RR2 3/4 = 0.75
    SXD | Quy hoạch: I=1 R=1 NE=1 → RR1 1/2 = 0.5, RR2 1/2 = 0.5
    STP (no stratum → its code): I=1 UH=1 UO=1 R=1 P=1 → RR1 1/5 = 0.2, RR2 2/5 = 0.4
    SXD: I=3 P=1 R=1 UH=1 NE=1 → RR1 3/6 = 0.5, RR2 4/6
    overall: I=4 P=2, 12 invitations, 1 NE → RR1 4/11, RR2 6/11
    """
    rates = fieldwork_rates(db.session, survey.id)
    assert list(rates.strata) == ["STP", "SXD | Quy hoạch", "SXD | Xây dựng"]
    assert rates.strata["SXD | Xây dựng"].rr1 == pytest.approx(0.5)
    assert rates.strata["SXD | Xây dựng"].rr2 == pytest.approx(0.75)
    assert rates.strata["SXD | Quy hoạch"].rr2 == pytest.approx(0.5)
    assert rates.strata["STP"].rr1 == pytest.approx(0.2)
    assert rates.strata["STP"].rr2 == pytest.approx(0.4)
    assert list(rates.agencies) == ["STP", "SXD"]
    assert rates.agencies["SXD"].rr1 == pytest.approx(0.5)
    assert rates.agencies["SXD"].rr2 == pytest.approx(4 / 6)
    assert rates.agencies["SXD"].count(D.INELIGIBLE) == 1
    assert rates.overall.invitations == 12
    assert rates.overall.rr1 == pytest.approx(4 / 11)
    assert rates.overall.rr2 == pytest.approx(6 / 11)


def test_scope_counts_only_the_given_agencies(survey: Survey) -> None:
    stp = db.session.scalars(select(Agency).where(Agency.code == "STP")).one()
    rates = fieldwork_rates(db.session, survey.id, agency_ids=[stp.id])
    assert list(rates.agencies) == ["STP"]
    assert list(rates.strata) == ["STP"]
    assert rates.overall.invitations == 5
    assert rates.overall.rr1 == pytest.approx(0.2)


def test_a_survey_without_invitations_has_no_rates(app: Flask) -> None:
    factories.province()
    created = factories.survey(("SXD",))
    rates = fieldwork_rates(db.session, created.id)
    assert rates.overall.invitations == 0
    assert rates.overall.rr1 is None
    assert rates.strata == {} and rates.agencies == {}
