"""The read-only Questionnaire wrapper: lookups, labels, visibility and the respondent's path."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from surveyapp.questionnaire.document import Questionnaire, label_text
from surveyapp.questionnaire.templates import load_template

YESNO = {
    "options": [
        {"code": 1, "label": {"vi": "Có", "en": "Yes"}},
        {"code": 2, "label": {"vi": "Không", "en": "No"}},
        {"code": 9, "label": {"vi": "Không trả lời"}, "missing": True},
    ]
}
DOC: dict[str, Any] = {
    "id": "fixture",
    "version": 2,
    "title": {"vi": "Phiếu thử", "en": "Test form"},
    "languages": ["vi", "en"],
    "audience": "citizen",
    "scales": {"yesno": YESNO},
    "sections": [
        {
            "id": "screen",
            "title": {"vi": "Sàng lọc"},
            "items": [
                {"id": "intro", "type": "info", "label": {"vi": "Xin chào", "en": "Hello"}},
                {"id": "received", "type": "single", "scale": "yesno", "label": {"vi": "Nhận?"}},
                {
                    "id": "late",
                    "type": "single",
                    "label": {"vi": "Trễ?"},
                    "options": [
                        {"code": 1, "label": {"vi": "Trễ"}},
                        {"code": 3, "label": {"vi": "Sớm"}},
                    ],
                },
                {
                    "id": "apology",
                    "type": "single",
                    "scale": "yesno",
                    "label": {"vi": "Xin lỗi?"},
                    "show_when": {"eq": ["late", 1]},
                },
            ],
        },
        {
            "id": "rating",
            "title": {"vi": "Đánh giá", "en": "Rating"},
            "show_when": {"ne": ["received", 2]},
            "items": [
                {"id": "q1", "type": "number", "label": {"vi": "Số lần"}},
                {
                    "id": "q2",
                    "type": "text",
                    "label": {"vi": "Ghi chú"},
                    "show_when": {"gt": ["q1", 1]},
                },
            ],
        },
    ],
    "framework": {"elements": [{"id": "e", "criteria": [{"item": "received"}]}]},
}


@pytest.fixture
def q() -> Questionnaire:
    return Questionnaire(copy.deepcopy(DOC))


def test_identity_and_lookups(q: Questionnaire) -> None:
    assert (q.id, q.version, q.languages) == ("fixture", 2, ["vi", "en"])
    assert q.title("en") == "Test form"
    assert [s["id"] for s in q.sections] == ["screen", "rating"]
    assert q.section("rating")["title"]["en"] == "Rating"
    assert [i["id"] for i in q.items] == ["intro", "received", "late", "apology", "q1", "q2"]
    assert [i["id"] for i in q.answerable_items] == ["received", "late", "apology", "q1", "q2"]
    assert q.item("late")["type"] == "single"
    assert q.framework["elements"][0]["id"] == "e"
    with pytest.raises(KeyError):
        q.item("nope")


def test_options_come_from_the_scale_or_inline(q: Questionnaire) -> None:
    assert [o["code"] for o in q.options("received")] == [1, 2, 9]
    assert [o["code"] for o in q.options("late")] == [1, 3]
    assert q.options("q1") == []
    assert q.option_label("received", 1, "en") == "Yes"
    assert q.option_label("late", 3, "en") == "Sớm"  # falls back to the first language
    assert q.option_label("received", 7, "vi") == "7"
    assert q.missing_codes("received") == {9}
    assert q.missing_codes("late") == set()


def test_labels_fall_back_to_the_first_language_then_any() -> None:
    assert label_text({"vi": "Có", "en": "Yes"}, "en", ["vi"]) == "Yes"
    assert label_text({"vi": "Có"}, "en", ["vi"]) == "Có"
    assert label_text({"fr": "Oui"}, "en", ["vi"]) == "Oui"
    assert label_text("plain", "en", ["vi"]) == "plain"
    assert label_text(None, "en", ["vi"]) == ""


def test_label_of_items_options_and_sections(q: Questionnaire) -> None:
    assert q.label(q.item("intro"), "en") == "Hello"
    assert q.label(q.item("received"), "en") == "Nhận?"
    assert q.label(q.section("screen"), "en") == "Sàng lọc"


def test_visible_items_follow_show_when(q: Questionnaire) -> None:
    shown = [i["id"] for i in q.visible_items("screen", {"late": 3})]
    assert shown == ["intro", "received", "late"]
    shown = [i["id"] for i in q.visible_items("screen", {"late": 1})]
    assert shown == ["intro", "received", "late", "apology"]


def test_section_show_when(q: Questionnaire) -> None:
    assert q.section_visible("screen", {}) is True
    assert q.section_visible("rating", {"received": 1}) is True
    assert q.section_visible("rating", {"received": 2}) is False
    assert q.section_visible("rating", {}) is False  # ne on an unanswered item is false


def test_path_answers_drops_answers_to_questions_that_became_hidden(q: Questionnaire) -> None:
    """The respondent said "late", answered the apology, then went back and said "early"."""
    answers = {"received": 1, "late": 3, "apology": 1, "q1": 1, "q2": "stale"}
    assert q.path_answers(answers) == {"received": 1, "late": 3, "q1": 1}


def test_path_answers_drops_hidden_sections_and_unknown_items(q: Questionnaire) -> None:
    answers = {"received": 2, "late": 1, "apology": 2, "q1": 4, "q2": "x", "ghost": 1}
    assert q.path_answers(answers) == {"received": 2, "late": 1, "apology": 2}


def test_path_answers_keeps_chains_that_hold(q: Questionnaire) -> None:
    answers = {"received": 1, "late": 1, "apology": 2, "q1": 3, "q2": "ok"}
    assert q.path_answers(answers) == answers


def test_document_is_not_modified(q: Questionnaire) -> None:
    q.path_answers({"received": 1})
    q.options("received")
    assert q.doc == DOC


SIPAS_SCREEN = {"applicant_type": 1, "submit_channel": 1, "trips": 2, "gave_feedback": 2}


def test_sipas_2017_result_not_received_ends_the_interview() -> None:
    q = Questionnaire(load_template("sipas-2017"))
    answers = {**SIPAS_SCREEN, "result_received": 2, "acc_seats": 4, "harassed": 1, "gender": 2}
    assert [s["id"] for s in q.sections if q.section_visible(s["id"], answers)] == ["screen"]
    # the rest of the screening page hides too, once "no" is known
    assert q.path_answers(answers) == {"applicant_type": 1, "result_received": 2}


def test_sipas_2017_result_received_keeps_everything_on_the_path() -> None:
    q = Questionnaire(load_template("sipas-2017"))
    answers = {**SIPAS_SCREEN, "result_received": 1, "acc_seats": 4, "result_timing": 2}
    assert all(q.section_visible(s["id"], answers) for s in q.sections)
    assert q.path_answers({**answers, "late_apology": 1}) == answers  # not late: dropped


def test_sipas_2017_late_questions_show_only_when_late() -> None:
    q = Questionnaire(load_template("sipas-2017"))
    late = {"result_received": 1, "result_timing": 3}
    shown = {i["id"] for i in q.visible_items("negative", late)}
    assert {"late_notified", "late_apology", "late_reschedules"} <= shown
    on_time = {i["id"] for i in q.visible_items("negative", {**late, "result_timing": 2})}
    assert not on_time & {"late_notified", "late_apology", "late_reschedules"}
