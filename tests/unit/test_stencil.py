"""A cached stencil filled with a respondent's answers is exactly the page Jinja renders."""

from __future__ import annotations

import random
from typing import Any

import pytest
from flask import Flask
from werkzeug.datastructures import MultiDict

from surveyapp.forms import stencil
from surveyapp.forms.builder import SectionForm, build_section_form
from surveyapp.forms.fields import MARK
from surveyapp.forms.stencil import questions_html
from surveyapp.questionnaire.document import Questionnaire
from surveyapp.questionnaire.templates import load_template


def _whole(form: SectionForm) -> str:
    """The page as Jinja renders it with the form's own answers: what the stencil must equal."""
    return str(stencil._render(form))


def _random_answers(q: Questionnaire, rng: random.Random) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for item in q.answerable_items:
        if rng.random() < 0.25:
            continue  # left blank
        codes = [int(o["code"]) for o in q.options(item["id"])]
        kind = item["type"]
        if kind in ("single", "likert"):
            answers[item["id"]] = rng.choice(codes)
        elif kind == "multi":
            answers[item["id"]] = sorted(rng.sample(codes, rng.randint(1, len(codes))))
        elif kind == "number":
            answers[item["id"]] = rng.randint(0, 9)
        elif kind == "text":
            answers[item["id"]] = rng.choice(["ổn", 'a <b> & "c"', "tốt lắm"])
    return answers


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_filled_stencil_equals_the_whole_render_on_every_sipas_page(app: Flask, lang: str) -> None:
    q = Questionnaire(load_template("sipas-2017"))
    rng = random.Random(7)
    with app.test_request_context(f"/?lang={lang}"):
        for _ in range(12):
            answers = _random_answers(q, rng)
            for section in q.sections:
                earlier = q.answers_before(answers, section["id"])
                form = build_section_form(q, section["id"], earlier, saved=answers, lang=lang)
                assert str(questions_html(form)) == _whole(form), section["id"]
    # One stencil per page and language and set of items shown, whatever the answers.
    assert 0 < len(stencil._stencils[q]) <= 2 * len(q.sections) + 6


def test_a_typed_answer_is_escaped_when_filled_in(app: Flask) -> None:
    q = Questionnaire(load_template("sipas-2017"))
    text_item = next(i for i in q.answerable_items if i["type"] == "text")
    page = next(s["id"] for s in q.sections if text_item in s["items"])
    typed = '<script>alert("x")</script> & more'
    with app.test_request_context("/"):
        form = build_section_form(q, page, {}, saved={text_item["id"]: typed}, lang="vi")
        questions_html(form)  # the stencil is now cached
        html = str(questions_html(form))
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; more" in html


def test_a_label_holding_the_marker_character_is_rendered_whole(app: Flask) -> None:
    doc = load_template("sipas-2017")
    doc["sections"][1]["items"][0]["label"] = {"vi": f"Câu {MARK} lạ", "en": f"Odd {MARK}"}
    q = Questionnaire(doc)
    page = doc["sections"][1]["id"]
    answers = {doc["sections"][1]["items"][0]["id"]: 3}
    with app.test_request_context("/"):
        form = build_section_form(q, page, {}, saved=answers, lang="vi")
        assert str(questions_html(form)) == _whole(form)
        assert str(questions_html(form)) == _whole(form)
    assert list(stencil._stencils[q].values()) == [None]


def test_a_page_with_errors_shows_them_beside_the_fields(app: Flask) -> None:
    q = Questionnaire(load_template("sipas-2017"))
    page = q.sections[1]["id"]
    with app.test_request_context("/"):
        form = build_section_form(q, page, {}, formdata=MultiDict({"x": "1"}), lang="en")
        assert not form.validate()
        html = str(questions_html(form))
    assert html.count('class="field-error"') == len(form.errors) > 0
    assert 'aria-invalid="true"' in html
