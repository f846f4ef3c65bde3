"""Cleaning responses: void, restore and correct, each with a reason, seen everywhere a
response counts (scores, the API, exports) and in the audit log."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func

from surveyapp.extensions import db
from surveyapp.models import AnswerCorrection, Response, ResponseStatus
from surveyapp.security import issue_api_token
from tests import factories
from tests.export_data import three_responses
from tests.functional.test_cli import run


@pytest.fixture()
def survey(app: Flask) -> object:
    factories.province()
    factories.user()
    created = factories.survey()
    three_responses(created)
    return created


def _score_n(app: Flask, survey_id: int) -> int:
    code, out, err = run(app, "score", str(survey_id), "--format", "json")
    assert code == 0, err
    return int(json.loads(out)["n"])


def _csv(app: Flask, survey_id: int, tmp_path: Path, *extra: str) -> list[dict[str, str]]:
    target = tmp_path / "out.csv"
    code, _, err = run(app, "export", str(survey_id), "--format", "csv", "-o", str(target), *extra)
    assert code == 0, err
    return list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8-sig"))))


def _audit(app: Flask, survey_id: int) -> list[dict[str, object]]:
    code, out, err = run(app, "audit", "--survey", str(survey_id), "--format", "json")
    assert code == 0, err
    return [e for e in json.loads(out) if str(e["what"]).startswith("response.")]


def test_a_voided_response_leaves_scores_exports_and_the_api_until_restored(
    app: Flask, client: FlaskClient, survey: object, tmp_path: Path
) -> None:
    first = db.session.query(Response).order_by(Response.id).first()
    assert first is not None
    rid = first.id
    assert _score_n(app, survey.id) == 3

    code, _, err = run(
        app, "responses", "void", str(survey.id), str(rid), "--reason", "Cùng một máy, 2 phút"
    )
    assert (code, err.strip()) == (0, f"response {rid} voided")
    assert db.session.get(Response, rid).status is ResponseStatus.VOIDED
    assert _score_n(app, survey.id) == 2
    assert [r["response_id"] for r in _csv(app, survey.id, tmp_path)] == [
        str(rid + 1),
        str(rid + 2),
    ]
    with_voided = _csv(app, survey.id, tmp_path, "--include-voided")
    assert [(r["response_id"], r["status"]) for r in with_voided] == [
        (str(rid), "voided"),
        (str(rid + 1), "submitted"),
        (str(rid + 2), "submitted"),
    ]
    assert "status" not in _csv(app, survey.id, tmp_path)[0]

    token = issue_api_token(db.session, factories.user("api@example.org", "analyst"))
    db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    page = client.get(f"/api/v1/surveys/{survey.id}/responses", headers=headers).json
    assert [r["response_id"] for r in page["responses"]] == [rid + 1, rid + 2]
    listed = client.get("/api/v1/surveys", headers=headers).json["surveys"][0]
    assert listed["submitted"] == 2

    code, _, err = run(
        app, "responses", "restore", str(survey.id), str(rid), "--reason", "Kiểm tra lại: hợp lệ"
    )
    assert code == 0, err
    assert _score_n(app, survey.id) == 3
    events = _audit(app, survey.id)
    assert [(e["what"], e["reason"]) for e in events] == [
        ("response.voided", "Cùng một máy, 2 phút"),
        ("response.restored", "Kiểm tra lại: hợp lệ"),
    ]
    assert events[0]["details"] == {"reason": "Cùng một máy, 2 phút"}


def test_void_and_restore_refuse_what_cannot_be_done(app: Flask, survey: object) -> None:
    rid = db.session.query(func.min(Response.id)).scalar()
    sid = str(survey.id)
    code, _, err = run(app, "responses", "void", sid, str(rid), "--reason", "   ")
    assert code == 1 and "reason: Give the reason" in err
    code, _, err = run(app, "responses", "void", sid, "999999", "--reason", "x")
    assert code == 1 and f"Survey {sid} has no response 999999" in err
    code, _, err = run(app, "responses", "restore", sid, str(rid), "--reason", "x")
    assert code == 1 and "is not voided" in err
    code, _, err = run(app, "responses", "void", sid, str(rid))
    assert code == 2 and "--reason" in err
    assert run(app, "responses", "void", sid, str(rid), "--reason", "r")[0] == 0
    code, _, err = run(app, "responses", "void", sid, str(rid), "--reason", "again")
    assert code == 1 and "voided already" in err
    assert _audit(app, survey.id) == [_audit(app, survey.id)[0]]  # one event: the one void


def test_correcting_an_answer_keeps_the_old_value_and_moves_the_scores(
    app: Flask, survey: object, tmp_path: Path
) -> None:
    rid = db.session.query(func.min(Response.id)).scalar()
    sid = str(survey.id)
    before = json.loads(run(app, "score", sid, "--format", "json")[1])

    code, _, err = run(
        app,
        "responses",
        "correct",
        sid,
        str(rid),
        "acc_seats",
        "1",
        "--reason",
        "Nhập sai từ phiếu giấy",
    )
    assert (code, err.strip()) == (0, f"response {rid}, acc_seats: 4 -> 1")
    after = json.loads(run(app, "score", sid, "--format", "json")[1])
    assert after != before  # the index moved with the corrected answer
    row = _csv(app, survey.id, tmp_path)[0]
    assert row["acc_seats"] == "1"
    correction = db.session.query(AnswerCorrection).one()
    assert (correction.response_id, correction.item_id) == (rid, "acc_seats")
    assert (correction.old_value, correction.new_value) == ("4", "1")
    assert correction.reason == "Nhập sai từ phiếu giấy"
    assert correction.at is not None

    code, _, err = run(
        app, "responses", "correct", sid, str(rid), "expect_improve", "3;2", "--reason", "phiếu"
    )
    assert (code, err.strip()) == (0, f"response {rid}, expect_improve: 1;3 -> 2;3")
    assert _csv(app, survey.id, tmp_path)[0]["expect_improve"] == "2; 3"
    code, _, err = run(
        app, "responses", "correct", sid, str(rid), "trips", "", "--reason", "không ghi"
    )
    assert (code, err.strip()) == (0, f"response {rid}, trips: 2 -> (none)")
    events = _audit(app, survey.id)
    assert events[0]["details"] == {
        "item": "acc_seats",
        "old": "4",
        "new": "1",
        "reason": "Nhập sai từ phiếu giấy",
    }


@pytest.mark.parametrize(
    ("item", "value", "says"),
    [
        ("acc_seats", "7", "acc_seats: This is not one of the options. Options: 1, 2, 3, 4, 5, 9."),
        ("acc_seats", "1;2", "acc_seats: Choose only one answer."),
        ("trips", "two", "trips: Enter a number, for example 3."),
        ("nothing", "1", "has no question nothing"),
        ("acc_seats", "4", "acc_seats: The answer is 4 already."),
    ],
)
def test_a_correction_that_does_not_fit_the_question_is_refused_saying_why(
    app: Flask, survey: object, item: str, value: str, says: str
) -> None:
    rid = db.session.query(func.min(Response.id)).scalar()
    code, _, err = run(
        app, "responses", "correct", str(survey.id), str(rid), item, value, "--reason", "r"
    )
    assert code == 1
    assert says in err
    assert db.session.query(AnswerCorrection).count() == 0


def test_download_page_brings_voided_rows_back_when_ticked(
    app: Flask, client: FlaskClient, survey: object
) -> None:
    rid = db.session.query(func.min(Response.id)).scalar()
    assert run(app, "responses", "void", str(survey.id), str(rid), "--reason", "trùng")[0] == 0
    factories.login(client)
    page = client.get(f"/results/{survey.id}")
    assert 'name="include_voided" value="1"' in page.text
    plain = client.get(f"/results/{survey.id}/export.csv", buffered=True)
    rows = list(csv.DictReader(io.StringIO(plain.data.decode("utf-8-sig"))))
    assert len(rows) == 2 and "status" not in rows[0]
    ticked = client.get(f"/results/{survey.id}/export.csv?include_voided=1", buffered=True)
    rows = list(csv.DictReader(io.StringIO(ticked.data.decode("utf-8-sig"))))
    assert [r["status"] for r in rows] == ["voided", "submitted", "submitted"]


def test_survey_and_results_pages_say_how_many_were_voided(
    app: Flask, client: FlaskClient, survey: object
) -> None:
    rid = db.session.query(func.min(Response.id)).scalar()
    factories.login(client)
    assert 'data-metric="voided"' not in client.get(f"/results/{survey.id}").text
    assert run(app, "responses", "void", str(survey.id), str(rid), "--reason", "trùng")[0] == 0
    results = client.get(f"/results/{survey.id}?lang=en").text
    assert 'data-metric="responses">2<' in results
    assert "1 voided response is not counted" in results
    detail = client.get(f"/surveys/{survey.id}?lang=en").text
    assert "(and 1 voided response, not counted)" in detail
