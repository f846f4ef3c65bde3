"""The counter tablet twice in a row, an official rating agencies, and a clerk keying in
a paper questionnaire with the keyboard only: in chromium, in Vietnamese."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from surveyapp.extensions import db
from surveyapp.fieldwork.services import assignments
from surveyapp.models import (
    Answer,
    Channel,
    RaterAssignment,
    Response,
    ResponseStatus,
    SurveyMode,
)
from surveyapp.models._types import utcnow
from surveyapp.questionnaire.document import Questionnaire
from tests import factories

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser
expect = pytest.importorskip(
    "playwright.sync_api", reason="needs playwright", exc_type=ImportError
).expect

PHONE = {"width": 390, "height": 844}
TABLET = {"width": 800, "height": 1280}
DESKTOP = {"width": 1280, "height": 900}


def _responses() -> list[Response]:
    db.session.rollback()  # see what the server committed since
    return list(db.session.scalars(select(Response).order_by(Response.id)))


def _sign_in(page: Page, email: str) -> None:
    page.goto("/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(factories.PASSWORD)
    with page.expect_navigation():
        page.locator("#password").press("Enter")


# --- the counter tablet ---------------------------------------------------------------


def test_kiosk_twice_in_a_row_never_shows_the_previous_person(
    app: Flask, new_context: Any, respondent: Any, screenshot: Callable[..., Any]
) -> None:
    factories.province()
    survey = factories.survey(mode=SurveyMode.OPEN)
    q = Questionnaire(survey.version.document)
    url = f"/o/{survey.id}/SXD/kiosk"
    page = new_context(TABLET, locale="vi-VN").new_page()
    page.goto(url)
    person = respondent(page, q, "vi")

    # First citizen: a dossier code, one page answered, then they walk away.
    code = page.get_by_label("Mã hồ sơ (không bắt buộc)")
    expect(code).to_be_visible()
    start = page.locator('#answers button[name="action"][value="next"]')
    assert (start.bounding_box() or {"height": 0})["height"] >= 60  # a thumb, not a cursor
    code.fill("000.00.12.H56-240115-0001")
    person.next()
    option = page.locator(".option").first
    assert (option.bounding_box() or {"height": 0})["height"] >= 60
    person.answer_page({"result_received": 1, "applicant_type": 2})
    person.next()
    walked_away = person.page_id()

    # Second citizen opens the kiosk: a blank welcome, never the first one's page.
    page.goto(url)
    expect(page.locator('main[data-page="welcome"]')).to_be_visible()
    expect(page.get_by_label("Mã hồ sơ (không bắt buộc)")).to_have_value("")
    person.next()
    assert person.page_id() == "screen" != walked_away
    expect(page.locator("input:checked")).to_have_count(0)
    expect(person.field("service")).to_have_value("")
    person.walk_to_last_page({"result_received": 1, "applicant_type": 1})
    person.send()
    expect(page.locator('main[data-state="submitted"]')).to_be_visible()

    # The back button and a reload both land on the next person's blank welcome.
    page.go_back()
    expect(page.locator('main[data-page="welcome"]')).to_be_visible()
    expect(page.get_by_label("Mã hồ sơ (không bắt buộc)")).to_have_value("")

    first, second = _responses()
    assert first.status is ResponseStatus.IN_PROGRESS  # left, never sent, never shown
    assert second.status is ResponseStatus.SUBMITTED
    assert first.channel is second.channel is Channel.KIOSK
    assert first.dossier_code == "000.00.12.H56-240115-0001"
    assert second.dossier_code is None
    applicant = dict(
        db.session.execute(
            select(Answer.response_id, Answer.value_num).where(Answer.item_id == "applicant_type")
        ).all()
    )
    assert applicant == {first.id: 2, second.id: 1}


@pytest.fixture()
def short_idle(app: Flask) -> Iterator[int]:
    """A kiosk idle time of a few seconds (the served app is this app object); the warning
    comes a third of it before, time enough for a screenshot on a busy machine."""
    before = app.config["KIOSK_IDLE_SECONDS"]
    app.config["KIOSK_IDLE_SECONDS"] = 12
    yield 12
    app.config["KIOSK_IDLE_SECONDS"] = before


def test_an_idle_kiosk_asks_then_starts_over(
    app: Flask, new_context: Any, respondent: Any, screenshot: Callable[..., Any], short_idle: int
) -> None:
    factories.province()
    survey = factories.survey(mode=SurveyMode.OPEN)
    q = Questionnaire(survey.version.document)
    url = f"/o/{survey.id}/SXD/kiosk"
    page = new_context(PHONE, locale="vi-VN").new_page()
    page.goto(url)
    person = respondent(page, q, "vi")
    person.next()
    person.choose("applicant_type", 2)

    # Shortly before the timeout: "still there?"; the answer keeps the page as it is.
    dialog = page.get_by_role("dialog", name="Bạn còn đó không?")
    expect(dialog).to_be_visible(timeout=short_idle * 1000)
    screenshot(page, "kiosk-still-there-phone")
    with page.expect_navigation():
        dialog.get_by_role("button", name="Tôi vẫn đang trả lời").click()
    assert person.page_id() == "screen"
    expect(person.option("applicant_type", 2)).to_be_checked()

    # Nobody answers this time: back to the start, for the next person.
    expect(dialog).to_be_visible(timeout=short_idle * 1000)
    page.wait_for_url(f"**{url}", timeout=short_idle * 1000)
    expect(page.locator('main[data-page="welcome"]')).to_be_visible()
    page.goto(url + "/visit")
    expect(page.locator('main[data-page="welcome"]')).to_be_visible()  # nothing to resume
    (left,) = _responses()
    assert left.status is ResponseStatus.IN_PROGRESS


def test_without_script_an_idle_kiosk_visit_expires_on_the_server(
    app: Flask, new_context: Any, respondent: Any, screenshot: Callable[..., Any], short_idle: int
) -> None:
    factories.province()
    survey = factories.survey(mode=SurveyMode.OPEN)
    q = Questionnaire(survey.version.document)
    url = f"/o/{survey.id}/SXD/kiosk"
    page = new_context(PHONE, locale="vi-VN", java_script_enabled=False).new_page()
    page.goto(url)
    person = respondent(page, q, "vi")
    person.next()
    restart = page.get_by_role("button", name="Người tiếp theo")
    expect(restart).to_be_visible()
    screenshot(page, "kiosk-start-over-phone")
    person.choose("applicant_type", 2)
    page.wait_for_timeout((short_idle + 1) * 1000)
    # The next person presses "Next" on the page left on screen: nothing of it is kept.
    with page.expect_navigation():
        page.locator('#answers button[name="action"][value="next"]').click()
    expect(page.locator('main[data-page="welcome"]')).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("bỏ dở")
    screenshot(page, "kiosk-timed-out-phone")
    person.next()
    expect(page.locator("input:checked")).to_have_count(0)
    with page.expect_navigation():
        page.get_by_role("button", name="Người tiếp theo").click()
    expect(page.locator('main[data-page="welcome"]')).to_be_visible()
    assert [r.status for r in _responses()] == [ResponseStatus.IN_PROGRESS] * 2
    assert db.session.scalar(select(func.count()).select_from(Answer)) == 0


def test_kiosk_welcome_with_dossier_code_screenshots(
    app: Flask, new_context: Any, screenshot: Callable[..., Any]
) -> None:
    factories.province()
    survey = factories.survey(mode=SurveyMode.OPEN)
    for name, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        page = new_context(viewport, locale="vi-VN").new_page()
        page.goto(f"/o/{survey.id}/SXD/kiosk")
        page.get_by_label("Mã hồ sơ (không bắt buộc)").fill("số hồ sơ sai!")
        with page.expect_navigation():
            page.locator('#answers button[name="action"][value="next"]').click()
        expect(page.locator("#err-dossier_code")).to_be_visible()
        screenshot(page, f"kiosk-welcome-dossier-{name}")


# --- officials ------------------------------------------------------------------------


def test_official_rates_an_assigned_agency_from_the_list(
    app: Flask, new_context: Any, respondent: Any, screenshot: Callable[..., Any]
) -> None:
    province = factories.province()
    factories.user("sxd@example.org", "official", province["SXD"])
    factories.user("stp@example.org", "official", province["STP"])
    factories.user("prov@example.org", "official", None)
    survey = factories.survey(("SXD", "STP", "SXD_P1"), "par-officials", mode=SurveyMode.OFFICIALS)
    assignments.assign(db.session, survey, 2, seed=5, actor_id=None, now=utcnow())
    db.session.commit()
    mine = db.session.scalars(
        select(RaterAssignment)
        .join(RaterAssignment.rater)
        .where(RaterAssignment.rater.has(email="stp@example.org"))
    ).all()
    assert {a.agency.code for a in mine} == {"SXD", "SXD_P1"}  # never STP

    desktop = new_context(DESKTOP, locale="vi-VN").new_page()
    _sign_in(desktop, "stp@example.org")
    screenshot(desktop, "officials-list-desktop")
    page = new_context(PHONE, locale="vi-VN").new_page()
    _sign_in(page, "stp@example.org")
    expect(page).to_have_url(f"{page.url.split('/officials')[0]}/officials")
    items = page.locator("li.assignment")
    expect(items).to_have_count(2)
    expect(page.locator(".status-not_started")).to_have_count(2)
    screenshot(page, "officials-list-phone")

    with page.expect_navigation():
        items.first.get_by_role("link").click()
    person = respondent(page, Questionnaire(survey.version.document), "vi")
    assert person.page_id() == "welcome"
    person.walk_to_last_page({"contact_freq": 3})
    person.send()
    expect(page.locator('main[data-state="submitted"]')).to_be_visible()
    with page.expect_navigation():
        page.get_by_role("link", name="Quay lại danh sách đánh giá của tôi").click()
    expect(page.locator(".status-submitted")).to_have_count(1)
    expect(page.locator(".status-not_started")).to_have_count(1)
    (response,) = _responses()
    assert response.assignment_id in {a.id for a in mine}
    assert response.status is ResponseStatus.SUBMITTED


# --- paper entry ----------------------------------------------------------------------

# What the clerk reads off the paper, by item type (codes and numbers are typed).
TYPED = {"likert": "4", "single": "1", "number": "2", "text": "Cấp phép xây dựng"}


def _type_page(page: Page, q: Questionnaire) -> dict[str, str]:
    """Type every visible field of the page in tab order, starting from the autofocus."""
    typed: dict[str, str] = {}
    fields = page.locator("form.r-form").locator("input:visible, textarea:visible")
    count = fields.count()
    focused = page.evaluate("document.activeElement.id")
    assert focused == fields.first.get_attribute("id"), "the first field has the focus"
    for index in range(count):
        field = fields.nth(index)
        name = field.get_attribute("name") or ""
        if name in ("csrf_token", "page"):
            continue
        kind = q.item(name)["type"]
        if kind == "multi":
            if field.get_attribute("value") == "1":
                page.keyboard.press("Space")
                typed[name] = "1"
        elif name not in typed:
            page.keyboard.type(TYPED[kind])
            typed[name] = TYPED[kind]
        page.keyboard.press("Tab")
    return typed


def test_clerk_keys_in_a_paper_questionnaire_with_the_keyboard(
    app: Flask, new_context: Any, screenshot: Callable[..., Any]
) -> None:
    province = factories.province()
    factories.user("field@example.org", "fieldwork", province["SXD"])
    survey = factories.survey(("SXD", "STP"))
    q = Questionnaire(survey.version.document)

    page = new_context(DESKTOP, locale="vi-VN").new_page()
    _sign_in(page, "field@example.org")
    page.goto(f"/surveys/{survey.id}/paper")
    key_in = page.get_by_role("link").filter(has_text="Nhập một phiếu")
    expect(key_in).to_have_count(1)  # the clerk's own agency only, not Sở Tư pháp
    expect(key_in).to_contain_text("Sở Xây dựng")
    with page.expect_navigation():
        key_in.click()
    screenshot(page, "paper-entry-desktop")
    phone = new_context(PHONE, locale="vi-VN").new_page()
    _sign_in(phone, "field@example.org")
    phone.goto(page.url)
    screenshot(phone, "paper-entry-phone")
    phone.context.close()

    typed: dict[str, str] = {}
    for _ in range(15):
        last = page.get_by_role("button", name="Lưu và nhập phiếu tiếp theo").count() == 1
        typed.update(_type_page(page, q))
        # Enter presses the first button: "Next", or on the last page "Save and enter
        # the next questionnaire".
        with page.expect_navigation():
            page.keyboard.press("Enter")
        if last:
            break
        expect(page.locator(".error-summary")).to_have_count(0)
    else:
        raise AssertionError("never reached the last page")
    expect(page.locator("main[data-page='screen']")).to_be_visible()
    expect(page.locator(".flash-success")).to_be_visible()
    expect(page.locator("#applicant_type")).to_have_value("")

    (response,) = _responses()
    assert response.channel is Channel.PAPER
    assert response.status is ResponseStatus.SUBMITTED
    stored = {
        a.item_id: a
        for a in db.session.scalars(select(Answer).where(Answer.response_id == response.id))
    }
    assert stored["trips"].value_num == 2
    assert stored["service"].value_text == "Cấp phép xây dựng"
    assert stored["applicant_type"].value_num == 1
    likert = [i for i, v in typed.items() if q.item(i)["type"] == "likert"]
    assert likert and all(stored[i].value_num == 4 for i in likert)
