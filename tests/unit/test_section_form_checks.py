"""``SectionForm.validate`` enforces ``checks`` on the respondent's path only."""

from __future__ import annotations

from typing import Any

from werkzeug.datastructures import MultiDict

from surveyapp.forms.builder import build_section_form
from surveyapp.questionnaire.document import Questionnaire

YESNO = [{"code": 1, "label": {"vi": "Có", "en": "Yes"}}, {"code": 2, "label": {"vi": "Không"}}]
TOO_MANY = {"vi": "Quá nhiều lần", "en": "Too many times"}


def _questionnaire() -> Questionnaire:
    """``visited`` shows ``visits``; ``delays`` may not exceed 3 once ``visits`` is known."""
    return Questionnaire(
        {
            "id": "t",
            "version": 1,
            "title": {"vi": "Thử"},
            "languages": ["vi", "en"],
            "sections": [
                {
                    "id": "p",
                    "title": {"vi": "Trang"},
                    "items": [
                        {"id": "visited", "type": "single", "options": YESNO, "label": {"vi": "?"}},
                        {
                            "id": "visits",
                            "type": "number",
                            "label": {"vi": "Số lần"},
                            "show_when": {"eq": ["visited", 1]},
                        },
                        {
                            "id": "delays",
                            "type": "number",
                            "label": {"vi": "Số lần trễ"},
                            "checks": [
                                {
                                    "rule": {
                                        "or": [
                                            {"not": {"answered": "visits"}},
                                            {"le": ["delays", 3]},
                                        ]
                                    },
                                    "message": TOO_MANY,
                                }
                            ],
                        },
                    ],
                }
            ],
        }
    )


def _validated(lang: str = "vi", **posted: str) -> Any:
    form = build_section_form(_questionnaire(), "p", {}, formdata=MultiDict(posted), lang=lang)
    form.ok = form.validate()
    return form


def test_failed_check_puts_its_message_on_its_own_item() -> None:
    form = _validated(visited="1", visits="2", delays="5")
    assert not form.ok
    assert form.delays.errors == [TOO_MANY["vi"]]
    assert form.visits.errors == [] and form.visited.errors == []


def test_message_falls_back_to_the_first_language() -> None:
    form = _validated("en", visited="1", visits="2", delays="5")
    assert form.delays.errors == [TOO_MANY["en"]]
    question = _questionnaire()
    question.doc["sections"][0]["items"][2]["checks"][0]["message"] = {"vi": TOO_MANY["vi"]}
    form = build_section_form(
        question,
        "p",
        {},
        formdata=MultiDict({"visits": "2", "visited": "1", "delays": "5"}),
        lang="en",
    )
    assert not form.validate()
    assert form.delays.errors == [TOO_MANY["vi"]]


def test_an_answer_hidden_on_the_same_page_does_not_count_for_a_check() -> None:
    """``visits`` is posted but hidden (visited = 2): the check sees it unanswered."""
    form = _validated(visited="2", visits="2", delays="5")
    assert form.ok
    assert form.answers() == {"visited": 2, "delays": 5}


def test_an_answer_from_an_earlier_page_counts_for_a_check() -> None:
    form = build_section_form(
        _questionnaire(), "p", {"visits": 1}, formdata=MultiDict({"delays": "5"}), lang="vi"
    )
    assert not form.validate()  # visits was answered earlier on the path
    assert form.delays.errors == [TOO_MANY["vi"]]


def test_a_malformed_answer_gets_its_own_message_not_the_check() -> None:
    form = _validated(visited="1", visits="2", delays="many")
    assert not form.ok
    assert len(form.delays.errors) == 1
    assert TOO_MANY["vi"] not in form.delays.errors
