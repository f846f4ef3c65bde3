"""The demo's open-link survey: the README's `/o/…` and kiosk links answer; its synthetic
responses carry paradata, and some are careless on purpose, for the flags to find."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from surveyapp.demo import seed as demo
from surveyapp.demo.synthetic import AgencyProfile, generate
from surveyapp.extensions import db
from surveyapp.models import Agency, Channel, Response, ResponseStatus, SurveyMode
from surveyapp.models._types import utcnow
from surveyapp.review.services import quality
from surveyapp.surveys.services import agencies
from tests import factories


def _seed_agencies() -> None:
    rows = [demo.PROVINCE, *demo.AGENCIES]
    keys = ("code", "parent", "name_vi", "name_en")
    agencies.import_agencies(db.session, [dict(zip(keys, row, strict=True)) for row in rows])
    db.session.commit()


def test_demo_seeds_an_open_survey_whose_printed_links_answer(
    client: FlaskClient, capsys: pytest.CaptureFixture[str]
) -> None:
    _seed_agencies()
    survey = demo.seed_open()
    assert survey.mode is SurveyMode.OPEN
    assert {a.code for a in survey.agencies} == {code for code, *_ in demo.AGENCIES}
    assert db.session.scalar(select(Agency).where(Agency.code == "SXD")) in survey.agencies

    demo._print_welcome(5000, 1, [], survey.id, 2)
    printed = capsys.readouterr().out
    for path in (f"/o/{survey.id}/SXD", f"/o/{survey.id}/SXD/kiosk"):
        assert f"http://127.0.0.1:5000{path}\n" in printed
        assert client.get(path).status_code == 200
    assert "Ctrl-C" in printed


def test_demo_seeds_a_tt01_evaluation_whose_printed_register_opens(
    client: FlaskClient, capsys: pytest.CaptureFixture[str]
) -> None:
    _seed_agencies()
    survey = demo._seed_dossiers()
    demo._print_welcome(5000, 1, [], 2, survey.id)
    assert f"http://127.0.0.1:5000/results/{survey.id}/dossiers\n" in capsys.readouterr().out
    factories.user()
    factories.login(client)
    page = client.get(f"/results/{survey.id}/dossiers?lang=en")
    assert page.status_code == 200
    assert page.text.count("data-agency=") == len(demo.AGENCIES)
    assert "The newest 200 of 480" in page.text


def test_the_open_surveys_counter_morning_has_a_repeated_dossier_and_a_burst(
    client: FlaskClient,
) -> None:
    _seed_agencies()
    survey = demo.seed_open()
    flagged = {
        r.id: [f.kind for f in flags] for r, flags in quality.flags_for_survey(db.session, survey)
    }
    kinds = [kind for found in flagged.values() for kind in found]
    assert kinds.count("duplicate_dossier") == 2 and kinds.count("duplicate_device") == 3
    kiosk = db.session.scalars(select(Response).where(Response.survey_id == survey.id)).all()
    assert {(r.channel, r.device) for r in kiosk} == {(Channel.KIOSK, "tablet")}
    assert all(r.page_seconds and r.ip_hash for r in kiosk)


def test_synthetic_responses_carry_paradata_and_some_careless_respondents(
    client: FlaskClient, app: Flask
) -> None:
    """With careless respondents (3 % speeders, 3 % straight-liners), 400 responses hold
    a dozen of each, well within what chance gives; every one has its paradata."""
    factories.province()
    survey = factories.survey()
    profile = AgencyProfile(0.80, 0.03, 0.03, 0.10, 0.60, 0.2)
    made = generate(
        db.session,
        survey,
        {"SXD": profile, "STP": profile},
        {"SXD": 1000, "STP": 1000},
        {"SXD": 200, "STP": 200},
        {},
        now=utcnow(),
        with_careless=True,
    )
    quality.recompute(db.session, survey)
    db.session.commit()
    assert made == 400
    sent = db.session.scalars(
        select(Response).where(Response.status == ResponseStatus.SUBMITTED)
    ).all()
    assert all(r.page_seconds and r.started_at < r.submitted_at for r in sent)
    assert all(
        abs(sum(r.page_seconds.values()) - (r.submitted_at - r.started_at).total_seconds()) < 5
        for r in sent
    )
    assert {r.device for r in sent if r.channel is Channel.WEB} <= {"phone", "desktop", "tablet"}
    counts = quality.counts_by_kind(db.session, survey)
    assert 4 <= counts["speeding"] <= 25
    assert counts["straightlining"] >= 4
