"""The generated fields take only what the page offered: option codes exactly as written,
ASCII numbers, and text a database and a spreadsheet can keep."""

from __future__ import annotations

from typing import Any

import pytest
from werkzeug.datastructures import MultiDict

from surveyapp.forms.builder import build_section_form
from surveyapp.questionnaire.document import Questionnaire

OPTIONS = [{"code": c, "label": {"vi": f"Mục {c}"}} for c in (1, 2, 10)]
SCALE = [{"code": c, "label": {"vi": str(c)}} for c in (1, 2, 3)]


def _questionnaire() -> Questionnaire:
    """One page with every kind of choice (a single, a multi, two likert rows), a number
    and a free text."""
    return Questionnaire(
        {
            "id": "t",
            "version": 1,
            "title": {"vi": "Thử"},
            "languages": ["vi", "en"],
            "scales": {"s": {"options": SCALE}},
            "sections": [
                {
                    "id": "p",
                    "title": {"vi": "Trang"},
                    "items": [
                        {"id": "one", "type": "single", "options": OPTIONS, "label": {"vi": "?"}},
                        {"id": "many", "type": "multi", "options": OPTIONS, "label": {"vi": "?"}},
                        {"id": "row1", "type": "likert", "scale": "s", "label": {"vi": "?"}},
                        {"id": "row2", "type": "likert", "scale": "s", "label": {"vi": "?"}},
                        {"id": "count", "type": "number", "label": {"vi": "?"}},
                        {"id": "note", "type": "text", "label": {"vi": "?"}},
                    ],
                }
            ],
        }
    )


def _validated(**posted: Any) -> Any:
    form = build_section_form(_questionnaire(), "p", {}, formdata=MultiDict(posted), lang="en")
    form.ok = form.validate()
    return form


@pytest.mark.parametrize(
    "posted",
    [
        "١",  # ARABIC-INDIC DIGIT ONE: int() reads it as 1
        "１",  # FULLWIDTH DIGIT ONE
        "01",
        "+1",
        "1_0",  # int() reads it as 10
        "1.0",
    ],
)
def test_a_choice_is_only_an_option_code_as_written(posted: str) -> None:
    form = _validated(one=posted, many=[posted, "2"], row1=posted, row2="2")
    assert not form.ok
    for name in ("one", "many", "row1"):
        assert form[name].errors == ["This is not one of the options."], name
        assert form[name].answer is None
    assert form.row2.errors == [] and form.row2.answer == 2


def test_exact_codes_are_taken() -> None:
    form = _validated(one="10", many=["10", "1", "1"], row1="3", row2="1")
    assert form.ok, form.errors
    assert form.answers()["one"] == 10
    assert form.answers()["many"] == [1, 10]
    assert (form.row1.answer, form.row2.answer) == (3, 1)


def test_a_number_is_written_in_ascii_digits() -> None:
    assert _validated(count="١٢").count.errors == ["Enter a number, for example 3."]
    assert _validated(count="2,5").count.answer == 2.5


@pytest.mark.parametrize("control", ["\x00", "\x07", "\x1b"])
def test_text_with_a_control_character_is_refused_beside_the_field(control: str) -> None:
    form = _validated(note=f"tốt{control}lắm")
    assert not form.ok
    assert form.note.errors == [
        "This answer contains an invisible control character; please retype it."
    ]
    assert form.note.answer is None
    assert form.note.shown_value() == "tốtlắm"  # shown again without the character


def test_text_keeps_line_breaks_and_tabs() -> None:
    form = _validated(note="dòng 1\r\ndòng\t2")
    assert form.ok
    assert form.note.answer == "dòng 1\r\ndòng\t2"
