"""A points questionnaire's scheme in the designer's service: points per answer on the
scales, the questions that count, and bands from the top, validated and audited.

The per-dossier evaluation (TT01) scores nine questions 0/1/2 and bands the total of 18
from the top: excellent from 16, good from 12, fair from 9, average from 6, weak below.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from surveyapp.design.services import creation, designer
from surveyapp.design.services.draft import edit_framework, set_scale
from surveyapp.design.services.edits.structure import OptionInput
from surveyapp.extensions import db
from surveyapp.models import AuditEvent, QuestionnaireVersion
from surveyapp.models._types import utcnow
from surveyapp.problems import InputRefused
from surveyapp.scoring import Framework

INDICES = [f"tt01_i{n}" for n in range(1, 10)]


@pytest.fixture()
def draft(app: Flask) -> QuestionnaireVersion:
    with app.test_request_context("/?lang=en"):
        version = creation.create_from_template(
            db.session, designer.Scope(None), "tt01-dossier", actor_id=None, now=utcnow()
        )
        edit_framework(db.session, version, None, "clear_points")
    db.session.commit()
    return version


def _items(version: QuestionnaireVersion) -> list[str]:
    return [i["id"] for s in version.document["sections"] for i in s["items"]]


def _points(app: Flask, version: QuestionnaireVersion, **fields: Any) -> None:
    with app.test_request_context("/?lang=en"):
        edit_framework(db.session, version, None, "set_points", **fields)
    db.session.commit()


def _refused(app: Flask, version: QuestionnaireVersion, **fields: Any) -> list[str]:
    before = copy.deepcopy(version.document)
    with app.test_request_context("/?lang=en"), pytest.raises(InputRefused) as refused:
        edit_framework(db.session, version, None, "set_points", **fields)
    db.session.rollback()
    assert version.document == before
    return [p.message for p in refused.value.problems]


def test_the_questions_that_count_and_the_bands_are_saved_in_questionnaire_order(
    app: Flask, draft: QuestionnaireVersion
) -> None:
    assert "points" not in draft.document["framework"]
    counted = [i for i in _items(draft) if i.startswith("tt01_i")]
    _points(
        app,
        draft,
        points_items=list(reversed(counted)),  # ticked in any order
        band_min=["16", "12", "", "0"],
        band_vi=["Xuất sắc", "Tốt", "", "Chưa đạt"],
        band_en=["Excellent", "Good", "", "Not yet"],
        item_max="2",
        points_max="",
    )
    points = draft.document["framework"]["points"]
    assert points == {
        "items": counted,
        "item_max": 2,
        "bands": [
            {"min": 16, "label": {"vi": "Xuất sắc", "en": "Excellent"}},
            {"min": 12, "label": {"vi": "Tốt", "en": "Good"}},
            {"min": 0, "label": {"vi": "Chưa đạt", "en": "Not yet"}},
        ],
    }
    # the scoring package reads it as the scheme: 9 items × 2 points = 18
    scheme = Framework.from_dict(draft.document["framework"]).points
    assert scheme is not None and scheme.max_total == 18 and len(scheme.bands) == 3
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions[-1] == "questionnaire.framework.set_points"
    _points(
        app,
        draft,
        points_items=counted[:2],
        band_min=["15,5"],
        band_vi=["Đạt"],
        band_en=["Pass"],
        points_max="20",
    )
    assert draft.document["framework"]["points"] == {
        "items": counted[:2],
        "max": 20,
        "bands": [{"min": 15.5, "label": {"vi": "Đạt", "en": "Pass"}}],
    }
    with app.test_request_context("/?lang=en"):
        edit_framework(db.session, draft, None, "clear_points")
    assert "points" not in draft.document["framework"]


def test_bad_bands_and_items_are_refused_with_every_problem_named(
    app: Flask, draft: QuestionnaireVersion
) -> None:
    problems = _refused(
        app,
        draft,
        points_items=["tt01_i1_total_time", "dossier_code", "nope"],
        band_min=["12", "many", "16", "", "3"],
        band_vi=["Tốt", "Khá", "", "Yếu", ""],
        band_en=["Good", "", "Excellent", "Weak", "Low"],
        item_max="0",
    )
    assert problems == [
        "There is no question nope.",
        "dossier_code is not a rating or single-choice question.",
        'Band 2: "many" is not a number.',
        "Band 2: the English label is required.",
        "Band 3: the Vietnamese label is required.",
        "Band 3: its lowest total (16) must be below that of band 1 (12): bands go from the top.",
        "Band 4: give its lowest total.",
        "Band 5: the Vietnamese label is required.",
        "Must be greater than 0.",
    ]
    nothing = _refused(app, draft, points_items=[], band_min=[""], band_vi=[""], band_en=[""])
    assert nothing == ["Tick the questions whose points count.", "Give at least one band."]


def test_points_per_answer_are_kept_on_the_scale_and_checked(
    app: Flask, draft: QuestionnaireVersion
) -> None:
    rows = [
        OptionInput("2", "Sớm hơn", "Earlier", points="2"),
        OptionInput("1", "Đúng hạn", "On time", points="1,5"),
        OptionInput("0", "Trễ hạn", "Late", points=""),
        OptionInput("9", "Không áp dụng", "Not applicable", missing=True),
    ]
    with app.test_request_context("/?lang=en"):
        set_scale(db.session, draft, None, "tt01_time", name_vi="", name_en="", options=rows)
        options = draft.document["scales"]["tt01_time"]["options"]
        assert [o.get("points") for o in options] == [2, 1.5, None, None]
        assert options[3]["missing"] is True
        bad = [OptionInput("2", "Sớm", points="-1"), OptionInput("1", "Đúng", points="x")]
        with pytest.raises(InputRefused) as refused:
            set_scale(db.session, draft, None, "tt01_time", name_vi="", name_en="", options=bad)
    assert [p.message for p in refused.value.problems] == [
        "Row 1: points are a number of at least 0.",
        "Row 2: points are a number of at least 0.",
    ]
