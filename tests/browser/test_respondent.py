"""Respondent pages in a real browser on a phone: skip logic with and without script,
resuming a closed tab, double submits, and screenshots of each kind of page."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
from flask import Flask
from sqlalchemy import select

from surveyapp.extensions import db
from surveyapp.models import Answer, Response, ResponseStatus, Survey
from surveyapp.questionnaire.document import Questionnaire
from tests import factories

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser
expect = pytest.importorskip(
    "playwright.sync_api", reason="needs playwright", exc_type=ImportError
).expect

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
LATE_ITEMS = ("late_notified", "late_apology", "late_reschedules")


class Invitation:
    def __init__(self, survey: Survey, token: str) -> None:
        self.survey_id = survey.id
        self.path = f"/s/{token}"
        self.questionnaire = Questionnaire(survey.version.document)


@pytest.fixture()
def anonymous() -> bool:
    return False


@pytest.fixture()
def invitation(app: Flask, anonymous: bool) -> Invitation:
    """One invitation to a SIPAS survey of Sở Xây dựng (anonymous when parametrized so)."""
    factories.province()
    survey = factories.survey(anonymous=anonymous)
    return Invitation(survey, factories.tokens(survey, "SXD")[0])


def responses(survey_id: int) -> list[Response]:
    db.session.rollback()  # see what the server committed since
    return list(db.session.scalars(select(Response).where(Response.survey_id == survey_id)))


def reach(person: Any, target: str, answers: dict[str, Any] | None = None) -> None:
    """Answer page after page until ``target`` is shown."""
    for _ in range(20):
        if person.page_id() == target:
            return
        if person.page_id() != "welcome":
            person.answer_page(answers)
        person.next()
    raise AssertionError(f"never reached {target}")


def open_on_phone(new_context: Any, respondent: Any, invitation: Invitation, **options: Any) -> Any:
    page = new_context(PHONE, **options).new_page()
    page.goto(invitation.path)
    person = respondent(page, invitation.questionnaire, "en")
    expect(page.locator("main[data-state]")).to_be_visible()
    return person


def hidden_late_items(page: Page) -> None:
    for item in LATE_ITEMS:
        expect(page.locator(f'[name="{item}"]').first).to_be_hidden()


def test_late_result_shows_the_apology_question_on_the_same_page(
    invitation: Invitation, new_context: Any, respondent: Any
) -> None:
    person = open_on_phone(new_context, respondent, invitation)
    reach(person, "negative", {"result_received": 1})
    page = person.page
    hidden_late_items(page)  # nothing chosen yet

    person.choose("result_timing", 3)  # late
    expect(person.option("result_timing", 3)).to_be_checked()
    for item in LATE_ITEMS:
        expect(page.locator(f'[name="{item}"]').first).to_be_visible()
    expect(person.group("late_apology")).to_be_visible()
    expect(person.group("late_apology").get_by_role("radio")).to_have_count(3)

    person.choose("result_timing", 2)  # on time
    hidden_late_items(page)
    person.choose("result_timing", 3)
    expect(person.group("late_apology")).to_be_visible()
    person.choose("result_timing", 1)  # early
    hidden_late_items(page)

    # An answer given while the question showed is dropped once it hides again.
    person.choose("result_timing", 3)
    person.choose("late_apology", 1)
    person.choose("result_timing", 2)
    person.choose("harassed", 2)
    person.choose("asked_extra_pay", 2)
    person.next()
    assert person.page_id() == "background"
    [response] = responses(invitation.survey_id)
    stored = {a.item_id: a.value_num for a in response.answers}
    assert stored.get("result_timing") == 2
    assert stored.get("late_apology") is None, stored


def test_questionnaire_completes_without_javascript(
    invitation: Invitation, new_context: Any, respondent: Any
) -> None:
    person = open_on_phone(new_context, respondent, invitation, java_script_enabled=False)
    page = person.page
    reach(person, "negative", {"result_received": 1})
    # Without script every question that hangs on this page is shown; the server decides.
    for item in LATE_ITEMS:
        expect(page.locator(f'[name="{item}"]').first).to_be_visible()
    person.answer_page({"result_timing": 3, "late_apology": 1, "late_reschedules": "2"})
    person.next()
    reach(person, "closing")
    person.answer_page()
    with page.expect_navigation():
        page.get_by_role("button", name="Send answers").click()
    expect(page.locator('main[data-state="submitted"]')).to_be_visible()

    [response] = responses(invitation.survey_id)
    assert response.status == ResponseStatus.SUBMITTED
    stored = {a.item_id: a.value_num for a in response.answers}
    assert stored["result_timing"] == 3
    assert stored["late_apology"] == 1
    assert stored["late_reschedules"] == 2
    assert stored["acc_seats"] == 4


def test_no_result_yet_ends_the_questionnaire_after_the_screening_page(
    invitation: Invitation, new_context: Any, respondent: Any
) -> None:
    person = open_on_phone(new_context, respondent, invitation)
    person.next()
    assert not person.is_last()  # what follows hangs on this page's answers
    person.answer_page({"result_received": 2})
    person.next()
    expect(person.page.locator('main[data-state="submitted"]')).to_be_visible()
    [response] = responses(invitation.survey_id)
    assert response.status == ResponseStatus.SUBMITTED
    assert not {a.item_id for a in response.answers} & {"acc_seats", "harassed"}


@pytest.mark.parametrize("script", [True, False], ids=["script", "no-script"])
def test_switching_language_keeps_the_page_and_the_answers(
    invitation: Invitation, new_context: Any, respondent: Any, script: bool
) -> None:
    page = new_context(PHONE, locale="vi-VN", java_script_enabled=script).new_page()
    page.goto(invitation.path)
    person = respondent(page, invitation.questionnaire, "vi")
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    person.next()
    person.answer_page({"result_received": 1, "trips": 4})
    person.next()
    assert person.page_id() == "s_access"
    person.choose("acc_seats", 5)

    with page.expect_navigation():
        page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    person.lang = "en"
    assert person.page_id() == "s_access"
    expect(person.group("acc_seats")).to_be_visible()  # the English legend
    expect(person.option("acc_seats", 5)).to_be_checked()  # ticked before the switch
    person.press("back")
    assert person.page_id() == "screen"
    expect(page.locator("html")).to_have_attribute("lang", "en")  # the choice is remembered
    expect(person.field("trips")).to_have_value("4")
    expect(person.option("result_received", 1)).to_be_checked()


@pytest.mark.parametrize("anonymous", [False, True], ids=["named", "anonymous"])
def test_closed_tab_resumes_on_the_same_page_with_earlier_answers(
    invitation: Invitation, new_context: Any, respondent: Any
) -> None:
    person = open_on_phone(new_context, respondent, invitation)
    reach(person, "s_procedures", {"result_received": 1, "trips": 3, "applicant_type": 2})
    person.choose("proc_posted_full", 5)  # typed on this page but never sent: not kept
    person.page.context.close()  # the tab (and its cookies) are gone

    again = open_on_phone(new_context, respondent, invitation)
    page = again.page
    assert again.page_id() == "s_procedures"
    expect(page.get_by_role("progressbar")).to_be_visible()
    again.press("back")
    assert again.page_id() == "s_access"
    for item in ("acc_seats", "acc_equip_enough", "acc_equip_modern", "acc_equip_easy"):
        expect(again.option(item, 4)).to_be_checked()
    again.press("back")
    assert again.page_id() == "screen"
    expect(again.option("applicant_type", 2)).to_be_checked()
    expect(again.option("result_received", 1)).to_be_checked()
    expect(again.field("trips")).to_have_value("3")
    expect(again.field("service")).to_have_value(re.compile("nhiệt tình"))


def test_submit_from_two_tabs_keeps_one_response(
    invitation: Invitation, new_context: Any, respondent: Any
) -> None:
    first = open_on_phone(new_context, respondent, invitation)
    reach(first, "closing", {"result_received": 1})
    second_page = first.page.context.new_page()
    second_page.goto(invitation.path)
    second = respondent(second_page, invitation.questionnaire, "en")
    assert second.page_id() == "closing"

    first.send()
    expect(first.page.locator('main[data-state="submitted"]')).to_be_visible()
    second.send()
    expect(second_page.locator('main[data-state="already-submitted"]')).to_be_visible()
    second_page.reload()
    expect(second_page.locator('main[data-state="already-submitted"]')).to_be_visible()

    [response] = responses(invitation.survey_id)
    assert response.status == ResponseStatus.SUBMITTED


def test_submit_from_two_phones_keeps_one_response(
    invitation: Invitation, new_context: Any, respondent: Any
) -> None:
    first = open_on_phone(new_context, respondent, invitation)
    reach(first, "closing", {"result_received": 1})
    second = open_on_phone(new_context, respondent, invitation)  # own cookies
    assert second.page_id() == "closing"
    first.send()
    expect(first.page.locator('main[data-state="submitted"]')).to_be_visible()
    second.send()
    expect(second.page.locator('main[data-state="already-submitted"]')).to_be_visible()
    assert len(responses(invitation.survey_id)) == 1


@pytest.mark.parametrize("anonymous", [False, True], ids=["named", "anonymous"])
def test_send_pressed_on_two_phones_at_once_keeps_one_response(
    invitation: Invitation, new_context: Any, respondent: Any
) -> None:
    """Both requests reach the server together: one wins, the other is told it was sent."""
    first = open_on_phone(new_context, respondent, invitation)
    reach(first, "closing", {"result_received": 1})
    second = open_on_phone(new_context, respondent, invitation)
    assert second.page_id() == "closing"
    for person in (first, second):
        person.answer_page()
    buttons = [p.page.get_by_role("button", name="Send answers") for p in (first, second)]
    for button in buttons:
        button.click()  # no waiting in between
    states = []
    for person in (first, second):
        done = person.page.locator("main[data-state]")
        expect(done).to_have_attribute(
            "data-state", re.compile(r"^(submitted|already-submitted)$"), timeout=15_000
        )
        states.append(done.get_attribute("data-state"))
    assert sorted(states) == ["already-submitted", "submitted"], states
    [response] = responses(invitation.survey_id)
    assert response.status == ResponseStatus.SUBMITTED


def test_double_click_on_send_keeps_one_response(
    invitation: Invitation, new_context: Any, respondent: Any
) -> None:
    person = open_on_phone(new_context, respondent, invitation)
    reach(person, "closing", {"result_received": 1})
    person.answer_page()
    page = person.page
    page.get_by_role("button", name="Send answers").dblclick()
    expect(page.locator("main[data-state]")).to_have_attribute(
        "data-state", re.compile(r"^(submitted|already-submitted)$")
    )
    page.wait_for_load_state("networkidle")
    [response] = responses(invitation.survey_id)
    assert response.status == ResponseStatus.SUBMITTED
    db.session.rollback()
    answers = db.session.scalars(select(Answer).where(Answer.response_id == response.id))
    assert len({a.item_id for a in answers}) > 30
    page.goto(invitation.path)
    expect(page.locator('main[data-state="already-submitted"]')).to_be_visible()


@pytest.mark.parametrize("width", ["phone", "desktop"])
def test_screenshots_of_each_page_type(
    width: str,
    invitation: Invitation,
    new_context: Any,
    respondent: Any,
    screenshot: Callable[[Page, str], Any],
) -> None:
    """Welcome, a matrix page, the negative-experiences page with errors, thank-you;
    in Vietnamese, the language respondents read. Look at tests/browser/artifacts/."""
    viewport = PHONE if width == "phone" else DESKTOP
    page = new_context(viewport, locale="vi-VN").new_page()
    page.goto(invitation.path)
    person = respondent(page, invitation.questionnaire, "vi")
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    assert person.page_id() == "welcome"
    screenshot(page, f"welcome-{width}")
    person.next()
    assert person.page_id() == "screen"
    person.answer_page({"result_received": 1})
    screenshot(page, f"screen-{width}")
    person.next()
    assert person.page_id() == "s_access"
    screenshot(page, f"matrix-empty-{width}")
    person.choose("acc_seats", 2)
    person.press("next")  # three rows left blank
    assert person.page_id() == "s_access"
    expect(page.get_by_role("alert").get_by_role("link")).to_have_count(3)
    expect(person.option("acc_seats", 2)).to_be_checked()  # what was chosen is kept
    screenshot(page, f"matrix-errors-{width}")
    person.answer_page()
    screenshot(page, f"matrix-answered-{width}")
    person.next()
    reach(person, "negative")
    person.choose("result_timing", 3)
    person.press("next")  # harassed and asked_extra_pay left blank
    assert person.page_id() == "negative"
    expect(page.get_by_role("alert")).to_be_visible()
    for item in ("harassed", "asked_extra_pay"):
        first_option = person.group(item).get_by_role("radio").first
        expect(first_option).to_have_attribute("aria-invalid", "true")
        expect(first_option).to_have_accessible_description(re.compile(r"\w"))
    screenshot(page, f"negative-errors-{width}")
    reach(person, "closing")
    person.answer_page()
    screenshot(page, f"last-page-{width}")
    person.press("submit")
    expect(page.locator('main[data-state="submitted"]')).to_be_visible()
    screenshot(page, f"thank-you-{width}")
