"""The bulk loader returns exactly what a plain reading of the answer rows gives.

Runs on SQLite (bulk SELECT) and, with SURVEYAPP_TEST_DATABASE_URL, on PostgreSQL
(binary COPY).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from flask import Flask
from sqlalchemy import select

from surveyapp.extensions import db
from surveyapp.models import (
    Agency,
    Answer,
    Questionnaire,
    QuestionnaireVersion,
    Response,
    ResponseStatus,
    Survey,
    VersionStatus,
)
from surveyapp.models._types import utcnow
from surveyapp.questionnaire.document import Questionnaire as Document
from surveyapp.results.services import loading, results
from surveyapp.results.services.arrays import LoadedArrays
from surveyapp.results.services.loading import load_response_arrays
from tests import factories

NUMERIC = ("likert", "single", "number")
SAT5 = [{"code": c, "label": str(c)} for c in range(1, 6)]


def document(version: int) -> dict[str, Any]:
    """v1 asks trips, v2 does not; v2 adds q3; "yes" codes 8 missing in v1, 9 in v2."""
    yes = [{"code": 1, "label": "yes"}, {"code": 2, "label": "no"}]
    if version == 1:
        yes += [{"code": 8, "label": "?", "missing": True}, {"code": 9, "label": "dk"}]
    else:
        yes += [{"code": 8, "label": "?"}, {"code": 9, "label": "dk", "missing": True}]
    items: list[dict[str, Any]] = [
        {"id": "intro", "type": "info", "label": "hello"},
        {"id": "q1", "type": "likert", "scale": "sat5", "label": "Q1"},
        {"id": "q2", "type": "likert", "scale": "sat5", "label": "Q2"},
        {"id": "yes", "type": "single", "options": yes, "label": "Y"},
        {"id": "why", "type": "multi", "options": SAT5, "label": "W"},
        {"id": "note", "type": "text", "label": "N"},
    ]
    if version == 1:
        items.insert(4, {"id": "trips", "type": "number", "label": "T"})
    else:
        items.insert(3, {"id": "q3", "type": "likert", "scale": "sat5", "label": "Q3"})
    return {
        "id": "load-test",
        "version": version,
        "title": "t",
        "scales": {"sat5": {"options": [*SAT5, {"code": 9, "label": "NA", "missing": True}]}},
        "sections": [{"id": "s1", "title": "S", "items": items}],
    }


def make_survey(title: str, versions: list[QuestionnaireVersion], codes: list[str]) -> Survey:
    agencies = list(db.session.scalars(select(Agency).where(Agency.code.in_(codes))))
    survey = Survey(title=title, version=versions[0], agencies=agencies)
    db.session.add(survey)
    db.session.flush()
    return survey


@pytest.fixture()
def world(app: Flask) -> dict[str, Any]:
    """Two surveys on a two-version questionnaire; responses interleaved by id."""
    province = factories.province()
    questionnaire = Questionnaire(key="load-test")
    db.session.add(questionnaire)
    db.session.flush()
    versions = [
        QuestionnaireVersion(
            questionnaire_id=questionnaire.id,
            version=v,
            document=document(v),
            status=VersionStatus.OPEN,
        )
        for v in (1, 2)
    ]
    db.session.add_all(versions)
    db.session.flush()
    main = make_survey("main", versions, ["SXD", "STP"])
    other = make_survey("other", versions, ["SXD"])
    rng = np.random.default_rng(7)
    for k in range(60):
        target = other if k % 5 == 4 else main
        version = versions[int(rng.integers(0, 2))]
        submitted = rng.random() < 0.8
        response = Response(
            survey_id=target.id,
            questionnaire_version_id=version.id,
            agency_id=province["SXD" if rng.random() < 0.6 else "STP"].id,
            status=ResponseStatus.SUBMITTED if submitted else ResponseStatus.IN_PROGRESS,
            stratum=[None, "urban", "rural", "Hà Nội"][int(rng.integers(0, 4))],
            weight=float(rng.uniform(1.0, 30.0)),
            submitted_at=utcnow() if submitted else None,
        )
        db.session.add(response)
        db.session.flush()
        if k % 7 == 3:
            continue  # a response with no answers at all
        values = {
            "q1": int(rng.choice([1, 2, 3, 4, 5, 9])),
            "q2": int(rng.choice([1, 4, 5, 9])),
            "q3": int(rng.choice([2, 5, 9])),  # stored for v1 too: must still be NaN there
            "yes": int(rng.choice([1, 2, 8, 9])),
            "trips": float(rng.choice([0.0, 1.0, 2.5, 9.0])),
        }
        for item, value in values.items():
            if rng.random() < 0.15:
                continue  # skipped
            if rng.random() < 0.1:  # a row without a number
                db.session.add(Answer(response_id=response.id, item_id=item, value_text="x"))
            else:
                db.session.add(Answer(response_id=response.id, item_id=item, value_num=value))
        for position in range(int(rng.integers(0, 3))):
            db.session.add(
                Answer(response_id=response.id, item_id="why", position=position, value_num=2)
            )
        db.session.add(Answer(response_id=response.id, item_id="note", value_text="hi"))
    db.session.commit()
    return {"main": main, "other": other, "versions": versions}


def reference(survey: Survey, items: list[str]) -> dict[str, Any]:
    """The obvious way: every Answer row, every response's own questionnaire version."""
    responses = db.session.scalars(
        select(Response)
        .where(Response.survey_id == survey.id, Response.status == ResponseStatus.SUBMITTED)
        .order_by(Response.id)
    ).all()
    documents = {
        v.id: Document(v.document) for v in db.session.scalars(select(QuestionnaireVersion))
    }
    stored = {
        (a.response_id, a.item_id, a.position): a.value_num
        for a in db.session.scalars(select(Answer))
    }
    answers = {item: [] for item in items}
    for response in responses:
        questionnaire = documents[response.questionnaire_version_id]
        for item in items:
            value = stored.get((response.id, item, 0))
            asked = any(i["id"] == item and i["type"] in NUMERIC for i in questionnaire.items)
            if not asked or value is None or value in questionnaire.missing_codes(item):
                value = math.nan
            answers[item].append(value)
    return {
        "response_ids": [r.id for r in responses],
        "agency_ids": [r.agency_id for r in responses],
        "weights": [r.weight for r in responses],
        "strata": [r.stratum or "" for r in responses],
        "versions": [
            db.session.get(QuestionnaireVersion, r.questionnaire_version_id).version
            for r in responses
        ],
        "answers": answers,
    }


def assert_matches(loaded: LoadedArrays, expected: dict[str, Any]) -> None:
    assert loaded.n == len(expected["response_ids"])
    np.testing.assert_array_equal(loaded.response_ids, expected["response_ids"])
    np.testing.assert_array_equal(loaded.agency_ids, expected["agency_ids"])
    np.testing.assert_array_equal(loaded.weights, expected["weights"])
    np.testing.assert_array_equal(loaded.strata, np.array(expected["strata"], dtype=np.str_))
    np.testing.assert_array_equal(loaded.versions, expected["versions"])
    assert list(loaded.answers) == list(expected["answers"])
    for item, column in loaded.answers.items():
        assert column.dtype == np.float64
        np.testing.assert_array_equal(column, expected["answers"][item], err_msg=item)


def test_matches_the_answer_rows(world: dict[str, Any]) -> None:
    loaded = load_response_arrays(db.session, world["main"])
    columns = ["q1", "q2", "yes", "trips", "q3"]  # the survey's version first, then v2's
    assert_matches(loaded, reference(world["main"], columns))
    assert loaded.not_asked == {"trips": [2], "q3": [1]}
    assert 0 < loaded.n < 60
    assert np.isnan(loaded.answers["q3"][loaded.versions == 1]).all()
    assert not np.isnan(loaded.answers["q3"][loaded.versions == 2]).all()
    assert 9 not in loaded.answers["q1"]  # missing code
    yes = loaded.answers["yes"]
    assert 8 not in yes[loaded.versions == 1] and 8 in yes[loaded.versions == 2]
    assert loaded.response_ids.dtype == np.int64 and loaded.weights.dtype == np.float64


def test_other_survey_and_chosen_items(world: dict[str, Any]) -> None:
    loaded = load_response_arrays(db.session, world["other"], items=["q3", "q1"])
    assert_matches(loaded, reference(world["other"], ["q3", "q1"]))
    assert set(loaded.not_asked) <= {"q3"}


def test_small_slices_of_the_copy_stream(
    world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(loading, "CHUNK_BYTES", 50)  # rows straddle every slice
    loaded = load_response_arrays(db.session, world["main"])
    assert_matches(loaded, reference(world["main"], list(loaded.answers)))


def test_postgresql_reads_binary_copy(
    world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    copies: list[str] = []
    real = loading._copy_rows

    def spy(raw: Any, statement: str, *args: Any) -> None:
        copies.append(statement)
        real(raw, statement, *args)

    monkeypatch.setattr(loading, "_copy_rows", spy)
    load_response_arrays(db.session, world["main"])
    postgresql = db.session.get_bind().dialect.name == "postgresql"
    assert len(copies) == (2 if postgresql else 0)


def test_columns_are_views_of_one_matrix(world: dict[str, Any]) -> None:
    loaded = load_response_arrays(db.session, world["main"])
    first = loaded.answers["q1"]
    assert first.base is not None and all(c.base is first.base for c in loaded.answers.values())
    assert first.flags["C_CONTIGUOUS"]


def test_load_arrays_delegates(world: dict[str, Any]) -> None:
    loaded = results.load_arrays(db.session, world["main"])
    assert isinstance(loaded, LoadedArrays)
    assert_matches(loaded, reference(world["main"], list(loaded.answers)))


def test_sees_unflushed_changes_of_its_session(world: dict[str, Any]) -> None:
    survey, version = world["main"], world["versions"][0]
    before = load_response_arrays(db.session, survey)
    response = Response(
        survey_id=survey.id,
        questionnaire_version_id=version.id,
        agency_id=survey.agencies[0].id,
        status=ResponseStatus.SUBMITTED,
        weight=2.0,
    )
    response.answers.append(Answer(item_id="q1", value_num=4))
    db.session.add(response)
    after = load_response_arrays(db.session, survey)
    assert after.n == before.n + 1 and after.answers["q1"][-1] == 4
    db.session.rollback()


def test_no_submitted_responses(app: Flask, world: dict[str, Any]) -> None:
    empty = make_survey("empty", world["versions"], ["STP"])
    loaded = load_response_arrays(db.session, empty)
    assert loaded.n == 0 and loaded.not_asked == {} and len(loaded.versions) == 0
    assert list(loaded.answers) == ["q1", "q2", "yes", "trips"]
    assert all(len(c) == 0 for c in loaded.answers.values())


def test_refuses_items_never_asked_as_numbers(world: dict[str, Any]) -> None:
    for items in (["why"], ["note"], ["nope"], ["q1", "intro"]):
        with pytest.raises(ValueError, match="as a number"):
            load_response_arrays(db.session, world["main"], items=items)


@pytest.mark.parametrize("ids", [[10, 12, 13, 20], [1, 50_000, 900_000]])
def test_scatter_drops_answers_of_unknown_responses(ids: list[int]) -> None:
    # Dense ids use a lookup table, spread ones a binary search; both skip strangers.
    matrix = np.full((2, len(ids)), np.nan)
    scatter = loading._Scatter(np.array(ids, dtype=np.int64), matrix)
    rids = np.array([ids[-1], 0, 11, ids[0], 10**9, 14, ids[1]])
    scatter(rids, np.array([0, 0, 1, 1, 0, 1, 0]), np.arange(7.0))
    expected = np.full((2, len(ids)), np.nan)
    expected[0, -1], expected[1, 0], expected[0, 1] = 0.0, 3.0, 6.0
    np.testing.assert_array_equal(matrix, expected)
