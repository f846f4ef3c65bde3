"""Estimates follow the design the survey was fielded under (#19): a sample drawn from
the frame carries the finite-population correction of its strata; an open link, with no
frame behind it, stays with replacement."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from surveyapp.extensions import db
from surveyapp.models import Answer, Invitation, Response, ResponseStatus, Survey, SurveyMode
from surveyapp.models._types import utcnow
from surveyapp.scoring import Framework
from tests import factories
from tests.functional.test_cli import run

# Frame: SXD 12 dossiers, STP 8 (N = 20); a proportional draw of 10 takes 6 and 4.
FRAME = {"SXD": 12, "STP": 8}
DRAWN = {"SXD": 6, "STP": 4}
# Respondents satisfied with everything, per stratum (the others with nothing).
SATISFIED = {"SXD": 4, "STP": 3}


def frame_csv(path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["dossier_code", "agency", "service_field", "received_at"])
        for code, size in FRAME.items():
            for k in range(size):
                writer.writerow([f"{code}-{k:03d}", code, "Cấp phép", "02/01/2024"])
    return path


def answer(survey: Survey, invitation: Invitation | None, code: str, satisfied: bool) -> None:
    """A submitted response, every criterion 5 (satisfied) or 1, as the collect pages store."""
    agency_id = next(a.id for a in survey.agencies if a.code == code)
    response = Response(
        survey_id=survey.id,
        questionnaire_version_id=survey.questionnaire_version_id,
        agency_id=agency_id,
        invitation_id=invitation.id if invitation else None,
        status=ResponseStatus.SUBMITTED,
        stratum=invitation.stratum if invitation else code,
        weight=invitation.base_weight if invitation else FRAME[code] / DRAWN[code],
        submitted_at=utcnow(),
    )
    db.session.add(response)
    db.session.flush()
    framework = Framework.from_dict(survey.version.document["framework"])
    db.session.add_all(
        Answer(response_id=response.id, item_id=item, value_num=5.0 if satisfied else 1.0)
        for item in framework.criteria_items
    )


@pytest.fixture()
def drawn(app: Flask, tmp_path: Path) -> Survey:
    """The frame imported, 10 drawn by agency, every one of them answering."""
    factories.province()
    survey = factories.survey(("SXD", "STP"))
    assert run(app, "frame", "import", str(survey.id), str(frame_csv(tmp_path / "f.csv")))[0] == 0
    code, _out, err = run(app, "sample", "draw", str(survey.id), "--size", "10", "--seed", "7",
                         "--strata", "agency", "--reserve", "0")  # fmt: skip
    assert code == 0, err
    survey = db.session.get(Survey, survey.id)
    assert survey is not None
    invited = db.session.scalars(
        select(Invitation).where(Invitation.survey_id == survey.id).order_by(Invitation.id)
    ).all()
    assert {s: sum(i.stratum == s for i in invited) for s in DRAWN} == DRAWN
    seen = dict.fromkeys(DRAWN, 0)
    for invitation in invited:
        stratum = invitation.stratum or ""
        answer(survey, invitation, stratum, seen[stratum] < SATISFIED[stratum])
        seen[stratum] += 1
    db.session.commit()
    return survey


def stratified_se(finite: bool) -> float:
    """Cochran (1977) eq. 5.6 for a stratified proportion, worked by hand:

    V = Σ_h (N_h/N)² · (1 − f_h) · s_h² / n_h,  s_h² = n_h/(n_h − 1) · p_h(1 − p_h).
    SXD: p = 4/6, s² = 6/5 · 2/9 = 4/15;  STP: p = 3/4, s² = 4/3 · 3/16 = 1/4.
    With f_h = 6/12 = 4/8 = 1/2:  V = 0.36 · ½ · (4/15)/6 + 0.16 · ½ · (1/4)/4
    = 0.008 + 0.005 = 0.013; with replacement (f_h = 0) twice that, 0.026.
    """
    return math.sqrt(0.013 if finite else 0.026)


def score_json(app: Flask, survey: Survey, *args: str) -> dict:
    code, out, err = run(app, "score", str(survey.id), "--format", "json", *args)
    assert code == 0, err
    return json.loads(out)


def test_a_drawn_sample_uses_the_finite_population_correction(app: Flask, drawn: Survey) -> None:
    body = score_json(app, drawn)
    assert body["overall"]["value"] == pytest.approx(0.7)  # 0.6 · 4/6 + 0.4 · 3/4
    assert body["overall"]["se"] == pytest.approx(stratified_se(True), rel=1e-12)
    for level in ("elements", "criteria"):
        for estimate in body[level].values():
            assert estimate["se"] == pytest.approx(stratified_se(True), rel=1e-12)


def test_an_agency_domain_keeps_the_whole_designs_sampling_fractions(
    app: Flask, drawn: Survey
) -> None:
    """SXD alone: V = (1 − 6/12) · s² / n = ½ · (4/15) / 6 (the stratum is the domain)."""
    body = score_json(app, drawn, "--by", "agency")
    sxd = body["agencies"]["SXD"]["overall"]
    assert sxd["value"] == pytest.approx(4 / 6)
    assert sxd["se"] == pytest.approx(math.sqrt(0.5 * (4 / 15) / 6), rel=1e-12)


def test_an_open_link_survey_stays_with_replacement(app: Flask) -> None:
    factories.province()
    survey = factories.survey(("SXD", "STP"), mode=SurveyMode.OPEN)
    for code, size in DRAWN.items():
        for k in range(size):
            answer(survey, None, code, k < SATISFIED[code])
    db.session.commit()
    body = score_json(app, survey)
    assert body["overall"]["value"] == pytest.approx(0.7)
    assert body["overall"]["se"] == pytest.approx(stratified_se(False), rel=1e-12)
