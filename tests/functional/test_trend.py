"""Series across rounds: the figure mapping between rounds, the trend (page, command, API)."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from surveyapp.extensions import db
from surveyapp.models import AuditEvent, SeriesMapping, Survey
from surveyapp.problems import InputRefused
from surveyapp.results.services.series import mapping
from tests import factories


def _linked(later: str = "sipas-2023", earlier: str = "sipas-2017") -> tuple[Survey, Survey]:
    factories.province()
    before = factories.survey(template=earlier)
    now = factories.survey(template=later)
    now.previous_survey_id = before.id
    db.session.commit()
    return now, before


def test_suggestion_matches_2023_elements_onto_2017_and_leaves_breaks(app: Flask) -> None:
    now, _ = _linked()
    found = mapping.link(db.session, now)
    assert found is not None and not found.edited
    pairs = found.pairs
    assert pairs["elements.svc_access"] == "elements.access"
    assert pairs["elements.svc_civil_servants"] == "elements.civil_servants"
    assert pairs["elements.svc_feedback"] == "elements.feedback"  # wording, not the code
    # The policy group has no 2017 counterpart, and 2023's perceived harassment is not
    # 2017's per-transaction question (SIPAS.md §4): breaks.
    assert pairs["elements.pol_quality"] is None
    assert pairs["indicators.harassment_perceived"] is None
    assert "elements.pol_impact" in found.breaks
    # Criteria worded alike are matched one to one.
    assert pairs["criteria.q9_21"] == "criteria.proc_fees_lawful"
    matched = [p for f, p in pairs.items() if p is not None]
    assert len(matched) == len(set(matched))


def test_suggestion_between_rounds_of_one_questionnaire_is_the_identity(app: Flask) -> None:
    now, _ = _linked("sipas-2017", "sipas-2017")
    found = mapping.link(db.session, now)
    assert found is not None
    assert all(f == p for f, p in found.pairs.items())
    assert found.breaks == []


def test_saved_mapping_replaces_the_suggestion_and_is_audited(app: Flask) -> None:
    now, before = _linked()
    admin = factories.user()
    chosen = dict(mapping.link(db.session, now).pairs)  # type: ignore[union-attr]
    chosen["elements.pol_quality"] = "elements.procedures"
    chosen["elements.svc_procedures"] = None
    mapping.save(db.session, now, chosen, actor_id=admin.id)
    db.session.commit()
    found = mapping.link(db.session, now)
    assert found is not None and found.edited
    assert found.pairs["elements.pol_quality"] == "elements.procedures"
    assert found.pairs["elements.svc_procedures"] is None
    rows = db.session.scalars(select(SeriesMapping).where(SeriesMapping.survey_id == now.id))
    assert {r.previous_survey_id for r in rows} == {before.id}
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "survey.series_mapped"))
    assert event is not None and event.actor_id == admin.id
    assert "elements.svc_procedures" in event.details["breaks"]

    mapping.reset(db.session, now, actor_id=admin.id)
    db.session.commit()
    again = mapping.link(db.session, now)
    assert again is not None and not again.edited
    assert again.pairs["elements.svc_procedures"] == "elements.procedures"


def test_bad_mapping_is_refused_whole_saying_where(app: Flask) -> None:
    now, _ = _linked()
    chosen = {
        "elements.nope": None,
        "elements.svc_access": "criteria.acc_seats",  # another kind
        "elements.svc_results": "elements.unknown",
        "elements.svc_procedures": "elements.access",
        "elements.svc_feedback": "elements.access",  # used twice
    }
    with pytest.raises(InputRefused) as refused:
        mapping.save(db.session, now, chosen, actor_id=None)
    where = [str(p.where) for p in refused.value.problems]
    assert where == [
        "elements.nope",
        "elements.svc_access",
        "elements.svc_results",
        "elements.svc_feedback",
    ]
    assert "already continues" in str(refused.value.problems[-1].message)
    db.session.rollback()
    assert db.session.scalar(select(SeriesMapping)) is None
