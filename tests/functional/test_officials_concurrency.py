"""An official's rating under real concurrency: one response per assignment, sent once."""

from __future__ import annotations

from sqlalchemy import select

from surveyapp.extensions import db
from surveyapp.fieldwork.services import assignments
from surveyapp.models import RaterAssignment, Response, ResponseStatus, SurveyMode
from surveyapp.models._types import utcnow
from tests import factories
from tests.functional.test_concurrency import Browser, N, assert_sent_once, at_once, send
from tests.live import LiveServer
from tests.respondent import walk_to_last_page


def _signed_in_official(live: LiveServer) -> tuple[Browser, str]:
    """An official of STP signed in over HTTP, and the URL of one of their assignments."""
    province = factories.province()
    official = factories.user("stp@example.org", "official", province["STP"])
    factories.user("sxd@example.org", "official", province["SXD"])
    survey = factories.survey(("SXD", "STP"), "par-officials", mode=SurveyMode.OFFICIALS)
    assignments.assign(db.session, survey, 1, seed=1, actor_id=None, now=utcnow())
    db.session.commit()
    (mine,) = db.session.scalars(
        select(RaterAssignment).where(RaterAssignment.rater_id == official.id)
    ).all()
    browser = Browser(live.url)
    login = browser.get("/login")
    signed = browser.post(
        "/login",
        {
            "email": "stp@example.org",
            "password": factories.PASSWORD,
            "csrf_token": factories.csrf_from(login.text),
        },
    )
    assert signed.status_code == 303
    return browser, f"/officials/{mine.id}"


def test_simultaneous_sends_of_one_assignment_keep_one_response(live: LiveServer) -> None:
    first, url = _signed_in_official(live)
    last = walk_to_last_page(first, url)
    tabs = [first.clone() for _ in range(N)]

    pages = at_once([send(tab, url, last) for tab in tabs])

    db.session.rollback()
    assert_sent_once(pages, url, tabs)
    assert 'data-state="already-submitted"' in first.get(url).text


def test_simultaneous_first_pages_of_one_assignment_create_one_response(live: LiveServer) -> None:
    first, url = _signed_in_official(live)
    tabs = [first.clone() for _ in range(N)]
    welcomes = [t.get(url) for t in tabs]
    forms = [{**factories.form_fields(w.text), "action": "next"} for w in welcomes]

    pages = at_once([lambda t=t, f=f: t.post(url, f) for t, f in zip(tabs, forms, strict=True)])

    assert [p.status_code for p in pages] == [303] * N
    db.session.rollback()
    response = db.session.scalars(select(Response)).one()
    assert response.status is ResponseStatus.IN_PROGRESS
    assert response.assignment_id is not None
