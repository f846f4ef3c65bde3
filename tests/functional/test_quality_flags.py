"""Data-quality flags: speeding, straight-lining, item nonresponse, repeated dossier codes
and bursts from one device; computed from answers and paradata, listed, never acted on.

Reference values are worked by hand in each test's docstring.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale
from sqlalchemy import func, select

from surveyapp.extensions import db
from surveyapp.models import Channel, Response, ResponseFlag, ResponseStatus, Survey, SurveyMode
from surveyapp.review.services import quality
from tests import factories
from tests.export_data import submit
from tests.functional.test_cli import run
from tests.respondent import answer_everything, current_page, form_action

# A SIPAS 2017 respondent who reads: answers vary inside every grid.
GRIDS = {
    "acc_seats": 4, "acc_equip_enough": 5, "acc_equip_modern": 4, "acc_equip_easy": 3,
    "proc_posted_full": 4, "proc_posted_correct": 5, "proc_docs_lawful": 4,
    "proc_fees_lawful": 3, "proc_deadline_lawful": 4,
    "cs_polite": 5, "cs_listen": 4, "cs_answer_full": 4, "cs_guide_caring": 5,
    "cs_guide_clear": 3, "cs_follow_rules": 4,
    "res_lawful": 4, "res_info_full": 4, "res_info_correct": 5,
    "fb_channel": 3, "fb_easy": 4, "fb_handled": 4, "fb_notified": 2,
}  # fmt: skip
VARIED: dict[str, Any] = {
    "applicant_type": 1,
    "result_received": 1,
    "submit_channel": 1,
    "trips": 1,
    "gave_feedback": 2,
    **GRIDS,
    "harassed": 2,
    "asked_extra_pay": 2,
    "result_timing": 1,
    "gender": 1,
    "age_group": 2,
    "education": 4,
    "occupation": 3,
    "overall_sat": 4,
    "expect_improve": [1, 3],
}
PAGES = "screen s_access s_procedures s_civil_servants s_results s_feedback negative"
# 10 s on every page: 38 answered items over 9 pages, far from speeding.
CALM = dict.fromkeys([*PAGES.split(), "background", "closing"], 10.0)
T0 = datetime(2026, 3, 4, 8, 0, tzinfo=UTC)


@pytest.fixture()
def survey(app: Flask) -> Survey:
    factories.province()
    return factories.survey()


def _sent(
    survey: Survey,
    answers: dict[str, Any] | None = None,
    *,
    code: str = "SXD",
    channel: Channel = Channel.WEB,
    at: datetime = T0,
    **paradata: Any,
) -> Response:
    response = submit(survey, code, VARIED if answers is None else answers, channel=channel)
    response.page_seconds = paradata.pop("page_seconds", CALM)
    response.submitted_at = at
    for name, value in paradata.items():
        setattr(response, name, value)
    db.session.commit()
    return response


def _flags(survey: Survey) -> dict[int, list[str]]:
    quality.recompute(db.session, survey)
    db.session.commit()
    return {
        r.id: [f.kind for f in flags] for r, flags in quality.flags_for_survey(db.session, survey)
    }


def test_a_careful_respondent_raises_no_flag(survey: Survey) -> None:
    _sent(survey)
    assert _flags(survey) == {}


def test_a_speeder_is_flagged_under_the_median_threshold_the_survey_sets(survey: Survey) -> None:
    """Pages timed so that items take 0.5 s (s_procedures: 5 items in 2.5 s), 1 s
    (s_civil_servants: 6 in 6 s) and 3 s (s_access: 4 in 12 s): 15 timed answers, sorted
    0.5 ×5, 1 ×6, 3 ×4, whose median (the 8th) is 1 s: under 1.5 s, not under 0.9 s."""
    fast = {"s_procedures": 2.5, "s_civil_servants": 6.0, "s_access": 12.0}
    speeder = _sent(survey, page_seconds=fast)
    calm = _sent(survey)
    assert _flags(survey) == {speeder.id: ["speeding"]}
    flag = db.session.query(ResponseFlag).one()
    assert flag.detail == {"median_seconds": 1.0, "threshold": 1.5}
    with force_locale("en"):
        assert quality.describe(flag) == ("1.0 s per answered question (median), under 1.5 s.")

    survey.speeding_seconds = 0.9
    db.session.commit()
    assert _flags(survey) == {}
    assert calm.id not in _flags(survey)


def test_paper_questionnaires_and_untimed_responses_are_never_speeders(survey: Survey) -> None:
    _sent(survey, channel=Channel.PAPER, page_seconds={"s_civil_servants": 0.6})
    _sent(survey, page_seconds=None)
    _sent(survey, page_seconds={"s_results": 0.3})  # 3 timed answers: too few to judge
    assert _flags(survey) == {}


def test_a_grid_of_five_or_more_answered_alike_is_straight_lining(survey: Survey) -> None:
    """s_procedures (5 items) all 4 is flagged; s_access (4 items) all 4 is not; a grid
    all "no answer" (9) is nonresponse, not straight-lining."""
    procedures = [k for k in VARIED if k.startswith("proc_")]
    access = [k for k in VARIED if k.startswith("acc_")]
    liner = _sent(survey, {**VARIED, **dict.fromkeys(procedures, 4)})
    _sent(survey, {**VARIED, **dict.fromkeys(access, 4)})
    _sent(survey, {**VARIED, **dict.fromkeys(procedures, 9)})
    assert _flags(survey) == {liner.id: ["straightlining"]}
    flag = db.session.query(ResponseFlag).one()
    assert flag.detail == {"matrices": [{"first": "proc_posted_full", "items": 5, "code": 4}]}


def test_item_nonresponse_over_the_survey_share_is_flagged(survey: Survey) -> None:
    """VARIED is asked 36 questions (screen 5, the grids 22, negative 3, background 4,
    closing 2; the comment box is not counted). "9" (no answer) to 18 grid questions and
    gender is 19 of 36 = 52.8 %: over 50 %; 18 of 36 is 50 %, not over it, but over 40 %."""
    asked = [k for k in VARIED if k.startswith(("proc_", "cs_", "res_", "fb_", "acc_"))]
    assert len(asked) == 22
    many = {**VARIED, **dict.fromkeys(asked[:18], 9), "gender": 9}
    fewer = {**VARIED, **dict.fromkeys(asked[:18], 9)}
    flagged = _sent(survey, many)
    _sent(survey, fewer)
    assert _flags(survey) == {flagged.id: ["item_nonresponse"]}
    flag = db.session.query(ResponseFlag).one()
    assert flag.detail == {"missing": 19, "asked": 36, "threshold": 0.5}
    with force_locale("en"):
        assert quality.describe(flag) == ('19 of 36 questions blank or "don\'t know", over 50%.')

    survey.nonresponse_share = 0.4
    db.session.commit()
    assert len(_flags(survey)) == 2


def test_a_dossier_code_answered_twice_flags_both_responses_naming_each_other(
    survey: Survey,
) -> None:
    first = _sent(survey, channel=Channel.KIOSK, dossier_code="000.00.12.H56-1")
    again = _sent(survey, channel=Channel.KIOSK, dossier_code="000.00.12.H56-1")
    _sent(survey, channel=Channel.KIOSK, dossier_code="000.00.12.H56-2")
    assert _flags(survey) == {first.id: ["duplicate_dossier"], again.id: ["duplicate_dossier"]}
    details = {f.response_id: f.detail for f in db.session.query(ResponseFlag)}
    assert details[first.id] == {"code": "000.00.12.H56-1", "others": [again.id]}

    # Once one of them is voided, the other repeats nothing.
    again.status = ResponseStatus.VOIDED
    db.session.commit()
    assert _flags(survey) == {}


def test_a_burst_from_one_device_on_an_open_link_is_flagged(app: Flask) -> None:
    """Three responses of one (IP hash, device) within 10 minutes: 08:00, 08:04, 08:09.
    A fourth at 08:30 stands alone; another device at 08:05 is not in the burst."""
    factories.province()
    survey = factories.survey(mode=SurveyMode.OPEN)
    same = {"ip_hash": "a" * 64, "device": "tablet"}
    burst = [
        _sent(survey, at=T0 + timedelta(minutes=m), channel=Channel.KIOSK, **same)
        for m in (0, 4, 9)
    ]
    later = _sent(survey, at=T0 + timedelta(minutes=30), channel=Channel.KIOSK, **same)
    other = {"ip_hash": "b" * 64, "device": "tablet"}
    _sent(survey, at=T0 + timedelta(minutes=5), channel=Channel.KIOSK, **other)
    flagged = _flags(survey)
    assert flagged == {r.id: ["duplicate_device"] for r in burst}
    assert later.id not in flagged
    first = db.session.query(ResponseFlag).filter_by(response_id=burst[0].id).one()
    assert first.detail == {"minutes": 10, "others": [burst[1].id, burst[2].id]}

    survey.burst_minutes = 5  # 08:00–08:04 and 08:04–08:09 hold two each
    db.session.commit()
    assert _flags(survey) == {}


def test_flags_are_listed_by_scope_and_kind_and_labelled(survey: Survey) -> None:
    procedures = [k for k in VARIED if k.startswith("proc_")]
    liner = _sent(survey, {**VARIED, **dict.fromkeys(procedures, 5)}, code="SXD")
    _sent(survey, {**VARIED, **dict.fromkeys(procedures, 5)}, code="STP")
    quality.recompute(db.session, survey)
    sxd = factories.agencies.by_codes(db.session, ["SXD"])[0]
    listed = quality.flags_for_survey(db.session, survey, [sxd.id])
    assert [(r.id, [f.kind for f in flags]) for r, flags in listed] == [
        (liner.id, ["straightlining"])
    ]
    assert quality.flags_for_survey(db.session, survey, kinds=["speeding"]) == []
    assert quality.counts_by_kind(db.session, survey)["straightlining"] == 2
    with force_locale("vi"):
        assert all(quality.label(kind) for kind in quality.KINDS)
    with force_locale("en"):
        assert quality.label("straightlining") == "Straight-lining"


# --- the counter tablet and the settings page ---------------------------------------------


def _kiosk_citizen(client: FlaskClient, survey: Survey, code: str) -> Any:
    """A citizen at the SXD tablet typing ``code`` on its start page: the start's answer."""
    start = f"/o/{survey.id}/SXD/kiosk"
    welcome = client.get(start)
    data = {**factories.form_fields(welcome.text), "action": "next", "dossier_code": code}
    return client.post(form_action(welcome.text), data=data)


def test_the_kiosk_refuses_a_dossier_code_answered_already_or_takes_it_flagged(
    app: Flask,
) -> None:
    factories.province()
    survey = factories.survey(mode=SurveyMode.OPEN)
    visit = f"/o/{survey.id}/SXD/kiosk/visit"
    tablet = app.test_client()
    assert _kiosk_citizen(tablet, survey, "000.00.12.H56-1").status_code == 303
    answer_everything(tablet, visit)
    assert 'data-state="submitted"' in tablet.get(visit).text

    refused = _kiosk_citizen(tablet, survey, " 000.00.12.h56-1 ")
    assert refused.status_code == 200
    assert current_page(refused.text) == "welcome"
    assert 'data-error="repeated"' in refused.text and 'aria-invalid="true"' in refused.text
    assert db.session.scalar(select(func.count()).select_from(Response)) == 1
    assert _kiosk_citizen(tablet, survey, "000.00.12.H56-2").status_code == 303  # another one

    survey.refuse_repeat_dossier = False  # "accept and flag"
    db.session.commit()
    other = app.test_client()
    assert _kiosk_citizen(other, survey, "000.00.12.H56-1").status_code == 303
    answer_everything(other, visit)
    repeated = db.session.scalars(
        select(ResponseFlag.response_id).filter_by(kind="duplicate_dossier")
    ).all()
    sent = db.session.scalars(
        select(Response.id).where(Response.status == ResponseStatus.SUBMITTED)
    ).all()
    assert sorted(repeated) == sorted(sent) and len(sent) == 2


def test_the_settings_page_sets_the_thresholds_and_recomputes_the_flags(
    client: FlaskClient, survey: Survey
) -> None:
    factories.user()
    factories.login(client)
    _sent(survey, page_seconds={"s_procedures": 5.0, "s_civil_servants": 6.0})  # 1 s an item
    quality.recompute(db.session, survey)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(ResponseFlag)) == 1
    page = client.get(f"/surveys/{survey.id}/edit?lang=en")
    assert 'id="quality"' in page.text and 'name="speeding_seconds"' in page.text
    form = {
        "csrf_token": factories.csrf_from(page.text),
        "speeding_seconds": "0.8",
        "nonresponse_percent": "40",
        "burst_count": "4",
        "burst_minutes": "15",
        "repeat_dossier": "flag",
    }
    saved = client.post(f"/surveys/{survey.id}/quality-settings", data=form)
    assert saved.status_code == 303
    db.session.refresh(survey)
    assert (survey.speeding_seconds, survey.nonresponse_share) == (0.8, 0.4)
    assert (survey.burst_count, survey.burst_minutes, survey.refuse_repeat_dossier) == (
        4,
        15,
        False,
    )
    assert db.session.scalar(select(func.count()).select_from(ResponseFlag)) == 0
    code, out, _err = run(
        client.application, "audit", "--survey", str(survey.id), "--format", "json"
    )
    (event,) = [e for e in json.loads(out) if e["what"] == "survey.quality_settings"]
    assert code == 0 and "speeding_seconds" in json.dumps(event)

    wrong = client.post(
        f"/surveys/{survey.id}/quality-settings?lang=en", data={**form, "burst_count": "1"}
    )
    assert wrong.status_code == 422
    assert 'id="err-burst_count"' in wrong.text and "Enter a number from 2 to 100." in wrong.text
    db.session.refresh(survey)
    assert survey.burst_count == 4


def test_the_flags_command_lists_flagged_responses_as_csv_json_or_a_table(
    app: Flask, survey: Survey
) -> None:
    procedures = [k for k in VARIED if k.startswith("proc_")]
    liner = _sent(survey, {**VARIED, **dict.fromkeys(procedures, 5)}, code="STP")
    speeder = _sent(survey, page_seconds={"s_procedures": 2.0, "s_civil_servants": 3.0})
    _sent(survey)
    quality.recompute(db.session, survey)
    db.session.commit()

    code, out, err = run(
        app, "responses", "flags", str(survey.id), "--format", "csv", "--lang", "en"
    )
    assert (code, err.strip()) == (0, "2 flagged responses")
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["response_id", *quality.KINDS, "agency", "channel", "status"]
    assert rows[1][0] == str(liner.id) and rows[1][2].startswith("all 5 questions of the grid")
    assert rows[1][1] == "" and rows[1][-3:] == ["STP", "web", "submitted"]
    assert rows[2][0] == str(speeder.id) and rows[2][1].endswith("under 1.5 s.")

    code, out, _err = run(app, "responses", "flags", str(survey.id), "--format", "json")
    body = json.loads(out)
    assert body["survey"] == survey.id and body["counts"]["speeding"] == 1
    first = body["responses"][0]
    assert first["response_id"] == liner.id and first["flags"][0]["kind"] == "straightlining"
    assert first["flags"][0]["label"] == "Chọn cùng một đáp án cho cả bảng"

    survey.speeding_seconds = 0.4  # thresholds changed outside the settings page
    db.session.commit()
    code, out, err = run(app, "responses", "flags", str(survey.id), "--recompute")
    assert code == 0 and "1 flags computed again" in err
    (line,) = out.splitlines()
    assert line.startswith(f"{liner.id}\tSTP\tsubmitted\tstraightlining\t")

    assert run(app, "responses", "flags", "999")[0] == 1
