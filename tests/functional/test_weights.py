"""Final weights: settings checked and stored, applied wherever responses are scored."""

from __future__ import annotations

import csv
import json
import secrets
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from surveyapp.extensions import db
from surveyapp.models import (
    Agency,
    Answer,
    AuditEvent,
    Disposition,
    FrameUnit,
    Invitation,
    Response,
    ResponseStatus,
    Survey,
)
from surveyapp.models._types import utcnow
from surveyapp.problems import InputRefused
from surveyapp.results.services import results, weighting, weighting_targets
from surveyapp.scoring import Framework
from tests import factories
from tests.functional.test_cli import run


def invite(survey: Survey, code: str, weight: float, disposition: Disposition) -> Invitation:
    agency = db.session.scalars(select(Agency).where(Agency.code == code)).one()
    invitation = Invitation(
        survey_id=survey.id,
        agency_id=agency.id,
        token_hash=secrets.token_hex(32),
        stratum=code,
        base_weight=weight,
        disposition=disposition,
    )
    db.session.add(invitation)
    db.session.flush()
    return invitation


def respond(
    survey: Survey, code: str, weight: float, *, satisfied: bool, **answers: float
) -> Response:
    """A submitted response through a completed invitation: every criterion 5 or 1."""
    invitation = invite(survey, code, weight, Disposition.COMPLETE)
    response = Response(
        survey_id=survey.id,
        questionnaire_version_id=survey.questionnaire_version_id,
        agency_id=invitation.agency_id,
        invitation_id=invitation.id,
        status=ResponseStatus.SUBMITTED,
        stratum=code,
        weight=weight,
        submitted_at=utcnow(),
    )
    db.session.add(response)
    db.session.flush()
    framework = Framework.from_dict(survey.version.document["framework"])
    values = {c: 5.0 if satisfied else 1.0 for c in framework.criteria_items}
    values.update(answers)
    db.session.add_all(
        Answer(response_id=response.id, item_id=item, value_num=value)
        for item, value in values.items()
    )
    return response


@pytest.fixture()
def sample(app: Flask) -> Survey:
    """SXD: 4 invited at d = 10, one ineligible, one refusal, 2 answer (f = 30/20 = 1.5).

    STP: 2 invited at d = 5, one never reached, 1 answers (f = 10/5 = 2). So the final
    weights are 15, 15 and 10.
    """
    factories.province()
    survey = factories.survey()
    respond(survey, "SXD", 10, satisfied=True, gender=1)
    respond(survey, "SXD", 10, satisfied=False, gender=2)
    invite(survey, "SXD", 10, Disposition.INELIGIBLE)
    invite(survey, "SXD", 10, Disposition.REFUSED)
    respond(survey, "STP", 5, satisfied=True, gender=2)
    invite(survey, "STP", 5, Disposition.SENT)
    db.session.commit()
    return survey


def test_nonresponse_adjustment_reaches_the_loaded_weights(sample: Survey) -> None:
    settings = weighting.Settings(nonresponse=True)
    outcome = weighting.save_settings(db.session, sample, settings, actor_id=None)
    db.session.commit()
    assert outcome.factors == {"SXD": pytest.approx(1.5), "STP": pytest.approx(2.0)}
    arrays = results.load_arrays(db.session, sample)
    assert arrays.weights.tolist() == pytest.approx([15.0, 15.0, 10.0])
    assert arrays.strata.tolist() == ["SXD", "SXD", "STP"]  # strata stay for the variance
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "survey.weighting")
    ).one()
    assert event.action == "survey.weighting" and event.details["after"]["nonresponse"] is True


def test_adjustment_by_agency_refuses_a_class_nobody_answered(sample: Survey) -> None:
    invite(sample, "SXD_P1", 3, Disposition.REFUSED)
    db.session.commit()
    with pytest.raises(InputRefused, match="SXD_P1"):
        weighting.compute(db.session, sample, weighting.Settings(nonresponse=True))


def test_weights_flow_into_the_score_command(app: Flask, sample: Survey, tmp_path: Path) -> None:
    """Base weights: satisfied share 15/25 = 0.6 (SXD 10 yes, 10 no; STP 5 yes).

    Nonresponse-adjusted (15, 15, 10): (15 + 10)/40 = 0.625. Raked on gender to
    1: 100, 2: 300 after that: gender 1 is the one SXD yes (weight 100); gender 2 holds
    SXD no (15) and STP yes (10), scaled by 300/25 = 12 to 180 and 120. Satisfied share
    (100 + 120)/400 = 0.55.
    """
    code, out, _ = run(app, "score", str(sample.id), "--format", "json")
    assert code == 0 and json.loads(out)["overall"]["value"] == pytest.approx(0.6)
    code, out, err = run(app, "weights", str(sample.id), "--nonresponse")
    assert code == 0, err
    lines = [line.split("\t") for line in out.splitlines()]
    header, overall = lines[0], dict(zip(lines[0], lines[-1], strict=True))
    assert header[:2] == ["stratum", "n_before"] and overall["stratum"] == "overall"
    assert float(overall["max_after"]) == 15.0 and float(overall["mean_before"]) == pytest.approx(
        25 / 3, abs=1e-6
    )
    code, out, _ = run(app, "score", str(sample.id), "--format", "json")
    assert json.loads(out)["overall"]["value"] == pytest.approx(0.625)
    targets = tmp_path / "targets.csv"
    targets.write_text("variable,category,total\ngender,1,100\ngender,2,300\n", encoding="utf-8")
    code, _, err = run(app, "weights", str(sample.id), "--rake", str(targets))
    assert code == 0, err
    code, out, _ = run(app, "score", str(sample.id), "--format", "json")
    assert json.loads(out)["overall"]["value"] == pytest.approx(0.55)
    stored = db.session.get(Survey, sample.id)
    assert stored is not None and stored.weighting is not None
    assert stored.weighting["nonresponse"] is True and len(stored.weighting["targets"]) == 2


def test_bad_targets_are_refused_row_by_row_and_nothing_is_stored(
    app: Flask, sample: Survey, tmp_path: Path
) -> None:
    targets = tmp_path / "targets.csv"
    targets.write_text(
        "variable,category,total\nsex,1,100\ngender,7,100\ngender,1,-3\ngender,2,abc\n",
        encoding="utf-8",
    )
    code, _, err = run(app, "weights", str(sample.id), "--rake", str(targets))
    assert code == 1
    lines = err.splitlines()
    assert len(lines) == 4
    assert "2" in lines[0] and "variable" in lines[0] and "sex" in lines[0]
    assert "3" in lines[1] and "category" in lines[1] and '"7"' in lines[1]
    assert "4" in lines[2] and "total" in lines[2] and '"-3"' in lines[2]
    assert "5" in lines[3] and '"abc"' in lines[3]
    assert db.session.get(Survey, sample.id).weighting is None  # type: ignore[union-attr]


def test_a_target_category_without_respondents_is_a_clear_error(sample: Survey) -> None:
    targets = weighting_targets.check_targets(
        db.session,
        sample,
        [
            {"variable": "age_group", "category": "1", "total": "100"},
            {"variable": "agency", "category": "SXD", "total": "60"},
            {"variable": "agency", "category": "STP", "total": "40"},
        ],
    )
    with pytest.raises(InputRefused) as refused:
        weighting.compute(db.session, sample, weighting.Settings(targets=tuple(targets)))
    assert "3" in str(refused.value) and "age_group" in str(refused.value)


def test_totals_of_different_variables_must_agree(sample: Survey) -> None:
    rows: list[dict[str, Any]] = [
        {"variable": "gender", "category": "1", "total": "100"},
        {"variable": "gender", "category": "2", "total": "100"},
        {"variable": "agency", "category": "SXD", "total": "500"},
    ]
    with pytest.raises(InputRefused, match="agency"):
        weighting_targets.check_targets(db.session, sample, rows)


def test_exports_write_the_final_weights(app: Flask, sample: Survey, tmp_path: Path) -> None:
    weighting.save_settings(db.session, sample, weighting.Settings(nonresponse=True), actor_id=None)
    db.session.commit()
    target = tmp_path / "out.csv"
    code, _, err = run(app, "export", str(sample.id), "--format", "csv", "-o", str(target))
    assert code == 0, err
    with target.open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert [float(r["weight"]) for r in rows] == [15.0, 15.0, 10.0]


def test_raking_on_a_frame_variable_finds_respondents_by_dossier_code(sample: Survey) -> None:
    """Districts from the frame: A holds the two SXD respondents (10 + 10), B the STP
    one (5). Totals A 60, B 40 scale A by 3 and B by 8: weights 30, 30, 40."""
    responses = db.session.scalars(select(Response).order_by(Response.id)).all()
    for number, (response, district) in enumerate(zip(responses, "AAB", strict=True)):
        response.dossier_code = f"HS-{number}"
        db.session.add(
            FrameUnit(
                survey_id=sample.id,
                dossier_code=f"HS-{number}",
                agency_id=response.agency_id,
                received_at=date(2026, 1, 5),
                district=district,
            )
        )
    db.session.commit()
    rows = [
        {"variable": "district", "category": "A", "total": "60"},
        {"variable": "district", "category": "B", "total": "40"},
    ]
    targets = weighting_targets.check_targets(db.session, sample, rows)
    weighting.save_settings(
        db.session, sample, weighting.Settings(targets=tuple(targets)), actor_id=None
    )
    db.session.commit()
    assert results.load_arrays(db.session, sample).weights.tolist() == pytest.approx([30, 30, 40])
