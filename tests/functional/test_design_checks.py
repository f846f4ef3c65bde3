"""Answer checks in the designer's service: built from conditions, validated, audited.

SIPAS 2017 asks the submission channel (``submit_channel``: 1 in person … 2 online) and
then the number of visits (``trips``), both on the first page: the brief's example,
"at least one visit when the file was handed in person", is a check on ``trips``.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from surveyapp.design.services import creation, designer
from surveyapp.design.services.draft import edit_checks, move_item
from surveyapp.extensions import db
from surveyapp.models import AuditEvent, QuestionnaireVersion
from surveyapp.models._types import utcnow
from surveyapp.problems import InputRefused
from surveyapp.questionnaire import rules

IN_PERSON = {"vi": "Nộp trực tiếp thì phải đến ít nhất 1 lần.", "en": "In person means 1+ visit."}


@pytest.fixture()
def draft(app: Flask) -> QuestionnaireVersion:
    with app.test_request_context("/?lang=en"):
        version = creation.create_from_template(
            db.session, designer.Scope(None), "sipas-2017", actor_id=None, now=utcnow()
        )
    db.session.commit()
    return version


def _edit(app: Flask, version: QuestionnaireVersion, operation: str, **fields: Any) -> Any:
    with app.test_request_context("/?lang=en"):
        result = edit_checks(db.session, version, None, operation, "trips", **fields)
    db.session.commit()
    return result


def _refused(app: Flask, version: QuestionnaireVersion, operation: str, **fields: Any) -> str:
    before = copy.deepcopy(version.document)
    with app.test_request_context("/?lang=en"), pytest.raises(InputRefused) as refused:
        edit_checks(db.session, version, None, operation, "trips", **fields)
    db.session.rollback()
    assert version.document == before  # nothing half-saved
    return " | ".join(p.message for p in refused.value.problems)


def _trips(version: QuestionnaireVersion) -> dict[str, Any]:
    return next(i for s in version.document["sections"] for i in s["items"] if i["id"] == "trips")


def test_a_check_is_built_condition_by_condition_and_every_edit_is_audited(
    app: Flask, draft: QuestionnaireVersion
) -> None:
    first = dict(item="submit_channel", op="ne", values=["1"])
    index = _edit(
        app, draft, "add", message_vi=IN_PERSON["vi"], message_en=IN_PERSON["en"], **first
    )
    assert index == 0
    assert _trips(draft)["checks"] == [
        {"rule": {"ne": ["submit_channel", 1]}, "message": IN_PERSON}
    ]
    # the check may read its own item's answer
    _edit(app, draft, "add_condition", check=0, item="trips", op="ge", values=["1"], combine="any")
    rule = _trips(draft)["checks"][0]["rule"]
    assert rule == {"or": [{"ne": ["submit_channel", 1]}, {"ge": ["trips", 1]}]}
    # what it means, by the respondent pages' own interpreter
    assert rules.evaluate(rule, {"submit_channel": 1, "trips": 1})
    assert not rules.evaluate(rule, {"submit_channel": 1, "trips": 0})
    assert rules.evaluate(rule, {"submit_channel": 2, "trips": 0})
    _edit(app, draft, "combine", check=0, combine="all")
    assert list(_trips(draft)["checks"][0]["rule"]) == ["and"]
    _edit(app, draft, "message", check=0, message_vi="Sai", message_en="Wrong")
    assert _trips(draft)["checks"][0]["message"] == {"vi": "Sai", "en": "Wrong"}
    _edit(app, draft, "remove_condition", check=0, index=0)
    assert _trips(draft)["checks"][0]["rule"] == {"ge": ["trips", 1]}
    _edit(app, draft, "delete", check=0)
    assert "checks" not in _trips(draft)
    actions = list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    assert actions[-6:] == [
        "questionnaire.checks.add",
        "questionnaire.checks.add_condition",
        "questionnaire.checks.combine",
        "questionnaire.checks.message",
        "questionnaire.checks.remove_condition",
        "questionnaire.checks.delete",
    ]
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "questionnaire.checks.add")
    )
    assert event is not None and event.details["item"] == "trips"


def test_a_check_naming_a_later_or_unknown_item_is_refused_saying_which(
    app: Flask, draft: QuestionnaireVersion
) -> None:
    message = dict(message_vi="Sai", message_en="Wrong")
    later = _refused(app, draft, "add", item="gave_feedback", op="eq", values=["1"], **message)
    assert "gave_feedback is answered after this question" in later
    unknown = _refused(app, draft, "add", item="nope", op="answered", values=[], **message)
    assert "There is no question nope." in unknown
    _edit(app, draft, "add", item="trips", op="ge", values=["1"], **message)
    later = _refused(
        app, draft, "add_condition", check=0, item="overall_sat", op="eq", values=["5"]
    )
    assert "overall_sat is answered after this question" in later


def test_a_check_needs_its_message_in_both_languages_and_a_well_typed_value(
    app: Flask, draft: QuestionnaireVersion
) -> None:
    both = _refused(
        app, draft, "add", message_vi=" ", message_en="", item="trips", op="ge", values=["x"]
    )
    assert "The message in Vietnamese is required." in both
    assert "The message in English is required." in both
    assert "Give a number." in both  # every problem of the form at once
    _edit(
        app, draft, "add", message_vi="Sai", message_en="Wrong", item="trips", op="ge", values=["1"]
    )
    english = _refused(app, draft, "message", check=0, message_vi="Sai", message_en="")
    assert english == "The message in English is required."
    alone = _refused(app, draft, "remove_condition", check=0, index=0)
    assert alone == "A check needs a condition: delete the check instead."
    assert "no longer exists" in _refused(app, draft, "delete", check=3)
    assert "Choose all or any." in _refused(app, draft, "combine", check=0, combine="xor")


def test_moving_a_question_above_what_its_check_reads_is_refused(
    app: Flask, draft: QuestionnaireVersion
) -> None:
    on_channel = dict(item="submit_channel", op="ne", values=["1"])
    _edit(app, draft, "add", message_vi="Sai", message_en="Wrong", **on_channel)
    before = copy.deepcopy(draft.document)
    with app.test_request_context("/?lang=en"), pytest.raises(InputRefused) as refused:
        move_item(db.session, draft, None, "trips", "up")
    db.session.rollback()
    assert draft.document == before
    (problem,) = refused.value.problems
    assert problem.where.endswith(".checks[0].rule")
    assert '"submit_channel" comes later' in problem.message
