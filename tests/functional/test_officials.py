"""Officials mode: the rater assignment (service, CLI, staff page) and an official's pages."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from surveyapp.extensions import db
from surveyapp.fieldwork.services import assignments
from surveyapp.models import (
    AuditEvent,
    RaterAssignment,
    Response,
    ResponseStatus,
    Survey,
    SurveyMode,
    User,
)
from surveyapp.models._types import utcnow
from tests import factories
from tests.functional.test_cli import run
from tests.respondent import answer_everything, current_page

AGENCIES = ("SXD", "STP", "SXD_P1")


def _officials_survey() -> tuple[Survey, dict[str, User]]:
    """Three agencies to rate; officials from SXD, its unit, STP and the province."""
    province = factories.province()
    raters = {
        "sxd": factories.user("sxd@example.org", "official", province["SXD"]),
        "unit": factories.user("unit@example.org", "official", province["SXD_P1"]),
        "stp": factories.user("stp@example.org", "official", province["STP"]),
        "prov": factories.user("prov@example.org", "official", None),
        "stp2": factories.user("stp2@example.org", "official", province["STP"]),
    }
    survey = factories.survey(AGENCIES, template="par-officials", mode=SurveyMode.OFFICIALS)
    return survey, raters


def _assign(survey: Survey, k: int = 2, seed: int = 1) -> list[RaterAssignment]:
    made = assignments.assign(db.session, survey, k, seed=seed, actor_id=None, now=utcnow())
    db.session.commit()
    return made


def _pairs() -> set[tuple[str, str]]:
    rows = db.session.scalars(select(RaterAssignment))
    return {(a.agency.code, a.rater.email) for a in rows}


def test_assignment_is_balanced_and_never_rates_own_agency(app: Flask) -> None:
    survey, _ = _officials_survey()
    _assign(survey, k=2)
    pairs = _pairs()
    per_agency = Counter(code for code, _ in pairs)
    assert per_agency == {"SXD": 2, "STP": 2, "SXD_P1": 2}
    # SXD and its unit conflict both ways; STP officials never rate STP.
    forbidden = {
        ("SXD", "sxd@example.org"),
        ("SXD", "unit@example.org"),
        ("SXD_P1", "sxd@example.org"),
        ("SXD_P1", "unit@example.org"),
        ("STP", "stp@example.org"),
        ("STP", "stp2@example.org"),
    }
    assert not pairs & forbidden
    loads = Counter(email for _, email in pairs)
    assert max(loads.values()) - min(loads.values()) <= 1  # 6 ratings over 5 officials
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "officials.assign"))
    assert event is not None and event.details["assignments"] == 6


def test_cli_assign_is_deterministic_and_refuses_the_impossible(app: Flask) -> None:
    survey, _ = _officials_survey()
    code, out, err = run(
        app, "officials", "assign", str(survey.id), "--per-agency", "2", "--seed", "9"
    )
    assert code == 0, err
    first = out.splitlines()
    assert len(first) == 6 and all(
        re.fullmatch(r"(SXD|STP|SXD_P1)\t\S+@example\.org", x) for x in first
    )
    assert "6 assignments over" in err
    again = run(app, "officials", "assign", str(survey.id), "--per-agency", "2", "--seed", "9")
    assert again[1].splitlines() == first
    # Only 3 officials are eligible for SXD and SXD_P1 (STP x2, province): 4 is impossible.
    code, out, err = run(app, "officials", "assign", str(survey.id), "--per-agency", "4")
    assert code == 1
    assert "SXD: only 3 eligible officials for 4 raters per agency" in err
    assert "SXD_P1: only 3 eligible officials" in err
    assert db.session.scalar(select(func.count()).select_from(RaterAssignment)) == 6  # kept


def test_cli_refuses_a_survey_that_is_not_officials_mode(app: Flask) -> None:
    factories.province()
    factories.user("o@example.org", "official", None)
    survey = factories.survey(("SXD",))
    code, _, err = run(app, "officials", "assign", str(survey.id), "--per-agency", "1")
    assert code == 1
    assert "is not an officials survey" in err


def test_official_sees_assigned_agencies_with_status_and_completes_one(
    client: FlaskClient,
) -> None:
    survey, raters = _officials_survey()
    _assign(survey, k=2)
    mine = db.session.scalars(
        select(RaterAssignment).where(RaterAssignment.rater_id == raters["prov"].id)
    ).all()
    assert mine
    factories.login(client, "prov@example.org")
    home = client.get("/")
    assert home.status_code == 303 and home.headers["Location"] == "/officials"
    listing = client.get("/officials?lang=en")
    assert listing.text.count('class="assignment ') == len(mine)
    assert listing.text.count("Not started") == len(mine)

    target = mine[0]
    url = f"/officials/{target.id}"
    welcome = client.get(url)
    assert current_page(welcome.text) == "welcome"
    assert target.agency.name_en in welcome.text  # the list was asked for in English
    answer_everything(client, url)
    thanks = client.get(url)
    assert 'data-state="submitted"' in thanks.text
    assert 'href="/officials"' in thanks.text
    again = client.get(url + "?lang=en")
    assert 'data-state="already-submitted"' in again.text
    assert "Your assessment of this agency has already been sent." in again.text

    (response,) = db.session.scalars(select(Response)).all()
    assert response.assignment_id == target.id
    assert response.status is ResponseStatus.SUBMITTED
    assert response.agency_id == target.agency_id
    assert response.invitation_id is None
    listing = client.get("/officials?lang=en")
    assert listing.text.count("Submitted") == 1
    assert listing.text.count("Not started") == len(mine) - 1


def test_in_progress_assignment_shows_in_progress(client: FlaskClient) -> None:
    survey, raters = _officials_survey()
    _assign(survey)
    target = db.session.scalars(
        select(RaterAssignment).where(RaterAssignment.rater_id == raters["stp"].id)
    ).first()
    assert target is not None
    factories.login(client, "stp@example.org")
    url = f"/officials/{target.id}"
    page = client.get(url)
    moved = client.post(url, data={**factories.form_fields(page.text), "action": "next"})
    assert moved.status_code == 303
    assert current_page(client.get(url).text) != "welcome"
    assert "In progress" in client.get("/officials?lang=en").text


def test_someone_elses_assignment_is_404(client: FlaskClient) -> None:
    survey, raters = _officials_survey()
    _assign(survey)
    other = db.session.scalars(
        select(RaterAssignment).where(RaterAssignment.rater_id != raters["stp"].id)
    ).first()
    assert other is not None
    factories.login(client, "stp@example.org")
    assert client.get(f"/officials/{other.id}").status_code == 404
    assert client.post(f"/officials/{other.id}", data={"action": "next"}).status_code in (400, 404)
    assert client.get("/officials/999999").status_code == 404
    assert db.session.scalar(select(func.count()).select_from(Response)) == 0


def test_one_response_per_assignment_is_enforced_by_the_database(app: Flask) -> None:
    survey, _ = _officials_survey()
    (first, *_) = _assign(survey)
    common: dict[str, Any] = {
        "survey_id": survey.id,
        "questionnaire_version_id": survey.questionnaire_version_id,
        "agency_id": first.agency_id,
        "assignment_id": first.id,
    }
    db.session.add(Response(**common, resume_hash="a" * 64))
    db.session.commit()
    db.session.add(Response(**common, resume_hash="b" * 64))
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
    else:
        raise AssertionError("a second response for one assignment was accepted")


def test_staff_page_runs_and_shows_the_assignment(client: FlaskClient) -> None:
    survey, _ = _officials_survey()
    factories.user()
    factories.login(client)
    page = client.get(f"/surveys/{survey.id}/officials?lang=en")
    assert "No officials are assigned yet." in page.text
    done = client.post(
        f"/surveys/{survey.id}/officials",
        data={"per_agency": "2", "seed": "3", "csrf_token": factories.csrf_from(page.text)},
    )
    assert done.status_code == 303
    shown = client.get(f"/surveys/{survey.id}/officials?lang=en")
    assert shown.text.count("<tr>") == 1 + 6  # header + one row per assignment
    assert len(_pairs()) == 6
    refused = client.post(
        f"/surveys/{survey.id}/officials",
        data={"per_agency": "5", "seed": "3", "csrf_token": factories.csrf_from(page.text)},
    )
    assert refused.status_code == 200
    assert "SXD: only 3 officials may rate it, 5 needed" in refused.text
    assert len(_pairs()) == 6


def test_staff_page_is_404_for_other_modes_and_out_of_scope_users(client: FlaskClient) -> None:
    survey, _ = _officials_survey()
    other = factories.survey(("SXD",))
    factories.user("field@example.org", "fieldwork", survey.agencies[0])  # scoped to one agency
    factories.login(client, "field@example.org")
    assert client.get(f"/surveys/{other.id}/officials").status_code == 404
    page = client.get(f"/surveys/{survey.id}/officials")
    assert page.status_code == 200
    assert 'name="per_agency"' not in page.text  # sees its agency's rows, can't redraw all


def test_assignment_with_answers_is_not_redone(client: FlaskClient) -> None:
    survey, raters = _officials_survey()
    made = _assign(survey)
    started = next(a for a in made if a.rater_id == raters["prov"].id)
    factories.login(client, "prov@example.org")
    page = client.get(f"/officials/{started.id}")
    client.post(
        f"/officials/{started.id}", data={**factories.form_fields(page.text), "action": "next"}
    )
    before = _pairs()
    staff = client.application.test_client()
    factories.user()
    factories.login(staff)
    form = staff.get(f"/surveys/{survey.id}/officials?lang=en")
    refused = staff.post(
        f"/surveys/{survey.id}/officials",
        data={"per_agency": "1", "seed": "8", "csrf_token": factories.csrf_from(form.text)},
    )
    assert "1 assignments already have answers" in refused.text
    assert _pairs() == before
