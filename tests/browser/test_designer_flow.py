"""The questionnaire designer in a real browser, as a provincial reform office uses it:
copy a national questionnaire, add a section with a skip rule, preview it, publish it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import select

from surveyapp.extensions import db
from surveyapp.models import Questionnaire, QuestionnaireVersion, VersionStatus
from surveyapp.questionnaire.document import Questionnaire as Document
from tests import factories

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser
expect = pytest.importorskip(
    "playwright.sync_api", reason="needs playwright", exc_type=ImportError
).expect

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
KEY = "tt01-dossier-hn"


def stored_version() -> QuestionnaireVersion:
    db.session.rollback()  # see what the server committed
    found = db.session.scalar(
        select(QuestionnaireVersion).join(Questionnaire).where(Questionnaire.key == KEY)
    )
    assert found is not None
    return found


def sign_in(page: Page, email: str) -> None:
    page.goto("/login?lang=en")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()


def add_question(page: Page, data: dict[str, Any], *, another: bool) -> None:
    page.get_by_label("Type of question").select_option(data["type"])
    page.get_by_label("Wording (Vietnamese)").fill(data["vi"])
    page.get_by_label("Wording (English)").fill(data["en"])
    page.get_by_label("Variable name").fill(data["id"])
    if data.get("options"):
        page.get_by_label("The answers listed below").check()
        for row, (vi, en) in enumerate(data["options"], start=1):
            page.get_by_label(f"Answer in Vietnamese, row {row}").fill(vi)
            page.get_by_label(f"Answer in English, row {row}").fill(en)
    button = "Save and add another" if another else "Save question"
    with page.expect_navigation():
        page.get_by_role("button", name=button).click()
    expect(page.get_by_role("status")).to_contain_text("Question added.")


def test_designer_builds_previews_and_publishes_a_questionnaire(
    new_context: Any, respondent: Any, screenshot: Callable[[Page, str], Path]
) -> None:
    known = factories.province()
    factories.user("designer@hn.example", "designer", known["SXD"])
    page = new_context(DESKTOP).new_page()
    sign_in(page, "designer@hn.example")

    # a copy of the national per-dossier questionnaire for the province
    page.get_by_role("link", name="Questionnaires").click()
    page.get_by_label("Questionnaire", exact=True).select_option("tt01-dossier")
    with page.expect_navigation():
        page.get_by_role("button", name="Create a copy").click()
    assert page.url.endswith(f"/designer/{KEY}/1/")
    expect(page.get_by_text("No problems found.")).to_be_visible()

    # a new section with a yes/no question and a follow-up shown only after "Yes"
    page.get_by_label("Title (Vietnamese)").fill("Trễ hạn")
    page.get_by_label("Title (English)").fill("Lateness")
    with page.expect_navigation():
        page.get_by_role("button", name="Add section").click()
    late = {
        "type": "single",
        "vi": "Hồ sơ có bị trễ hạn không?",
        "en": "Was the file late?",
        "id": "late",
        "options": [("Có", "Yes"), ("Không", "No")],
    }
    add_question(page, late, another=True)
    why = {"type": "text", "vi": "Vì sao bị trễ?", "en": "Why was it late?", "id": "why"}
    add_question(page, why, another=False)

    page.get_by_role("link", name="When shown why").click()
    with page.expect_navigation():  # designer.js submits the choice of question at once
        page.get_by_label("1. The earlier question").select_option("late")
    page.get_by_label("2. Condition").select_option("eq")
    page.get_by_label("3. Value").select_option(label="Yes (1)")
    with page.expect_navigation():
        page.get_by_role("button", name="Add condition").click()
    expect(page.get_by_text("Shown only when: late is 1 “Yes”")).to_be_visible()
    document = stored_version().document
    section = document["sections"][-1]
    assert [i["id"] for i in section["items"]] == ["late", "why"]
    assert section["items"][1]["show_when"] == {"eq": ["late", 1]}

    # an answer check on "why", built with the same builder; the messages typed first
    # travel with the choice of question
    page.goto(f"/designer/{KEY}/1/items/why?lang=en")
    page.get_by_label("Message when not met (Vietnamese)").fill("Chỉ hỏi khi trễ hạn.")
    page.get_by_label("Message when not met (English)").fill("Only asked when late.")
    with page.expect_navigation():
        page.get_by_label("1. Accepted only when the answer to").select_option("late")
    page.get_by_label("2. Condition").select_option("eq")
    page.get_by_label("3. Value").select_option(label="Yes (1)")
    with page.expect_navigation():
        page.get_by_role("button", name="Add check").click()
    expect(page.get_by_text("Accepted only when: late is 1 “Yes”")).to_be_visible()
    document = stored_version().document
    section = document["sections"][-1]
    assert section["items"][1]["checks"] == [
        {
            "rule": {"eq": ["late", 1]},
            "message": {"vi": "Chỉ hỏi khi trễ hạn.", "en": "Only asked when late."},
        }
    ]

    # the preview: the respondent pages in a frame, at phone width by default
    page.get_by_role("link", name="Preview").first.click()
    frame = page.frame_locator("iframe[title='Preview of the questionnaire']")
    expect(frame.locator("main[data-page='welcome']")).to_be_visible()
    screenshot(page, "designer-preview-desktop")
    page.get_by_role("link", name="English").last.click()
    expect(frame.locator("html[lang='en']")).to_be_visible()

    # walk the preview on a phone up to the new page; the follow-up hides and shows
    phone = new_context(PHONE).new_page()
    sign_in(phone, "designer@hn.example")
    phone.goto(f"/designer/{KEY}/1/preview/en/?restart=1")
    person = respondent(phone, Document(document), "en")
    for _ in range(10):
        if person.page_id() == section["id"]:
            break
        if person.page_id() != "welcome":
            person.answer_page()
        person.next()
    assert person.page_id() == section["id"]
    expect(person.field("why")).to_be_hidden()
    person.choose("late", 1)
    expect(person.field("why")).to_be_visible()
    person.choose("late", 2)
    expect(person.field("why")).to_be_hidden()
    person.choose("late", 1)
    person.field("why").fill("Thiếu hồ sơ")
    screenshot(phone, "designer-preview-phone")
    assert person.is_last()
    person.press("submit")
    expect(phone.locator("main[data-state='preview-finished']")).to_be_visible()

    # publish, with the confirmation ticked; the version is frozen from then on
    page.goto(f"/designer/{KEY}/1/")
    page.get_by_role("link", name="Publish…").click()
    page.get_by_label("I have checked the questions and the preview").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Publish", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Version 1 is published.")
    screenshot(page, "designer-history")
    assert stored_version().status is VersionStatus.OPEN
    page.goto(f"/designer/{KEY}/1/")
    expect(page.get_by_text("This version is published and can no longer change.")).to_be_visible()
    expect(page.get_by_role("button", name="Add section")).to_have_count(0)


def test_designer_starts_a_blank_questionnaire_and_compares_its_versions(
    new_context: Any, screenshot: Callable[[Page, str], Path]
) -> None:
    known = factories.province()
    factories.user("designer@hn.example", "designer", known["SXD"])
    page = new_context(PHONE).new_page()
    sign_in(page, "designer@hn.example")

    # a blank questionnaire: a refused id is explained beside its field
    page.goto("/designer/?lang=en")
    page.get_by_label("Title (Vietnamese) *").fill("Khảo sát thử")
    page.get_by_label("Questionnaire id *").fill("Bad Id")
    with page.expect_navigation():
        page.get_by_role("button", name="Start a blank questionnaire").click()
    expect(page.locator("#err-key")).to_contain_text("lower-case letters")
    screenshot(page, "designer-blank-refused-phone")
    page.get_by_label("Questionnaire id *").fill("thu-nghiem")
    with page.expect_navigation():
        page.get_by_role("button", name="Start a blank questionnaire").click()
    expect(page.get_by_role("status")).to_contain_text("add its first question")
    add_question(
        page, {"type": "text", "vi": "Ý kiến", "en": "Comments", "id": "y_kien"}, another=False
    )

    # publish, then a new version: its note is required, and said so beside the field
    page.goto("/designer/thu-nghiem/1/publish?lang=en")
    page.get_by_label("I have checked the questions and the preview").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Publish", exact=True).click()
    page.locator("#f-note").evaluate("input => input.removeAttribute('required')")
    with page.expect_navigation():
        page.get_by_role("button", name="Make a new version").click()
    expect(page.locator("#err-note")).to_have_text("Say in a few words what this version changes.")
    screenshot(page, "designer-new-version-refused-phone")
    page.locator("#f-note").fill("Sửa câu chữ")
    with page.expect_navigation():
        page.get_by_role("button", name="Make a new version").click()

    # reword the Vietnamese only: the English diff shows the Vietnamese texts
    page.goto("/designer/thu-nghiem/2/items/y_kien?lang=en")
    page.get_by_label("Wording (Vietnamese)").fill("Ý kiến đóng góp")
    with page.expect_navigation():
        page.get_by_role("button", name="Save question").click()
    page.goto("/designer/thu-nghiem/diff?from=1&to=2&lang=en")
    expect(page.locator(".diff-counts")).to_contain_text("1 question reworded")
    changed = page.get_by_role("table", name="Questions changed")
    expect(changed).to_contain_text("Ý kiến đóng góp")
    expect(changed).not_to_contain_text("Comments")
    screenshot(page, "designer-diff-en-phone")
