"""The designer's preview: walk a draft's pages as a respondent would, storing nothing.

The answers live in the designer's session only; the pages, forms and skip logic are the
respondent's own (``forms.builder``, ``Questionnaire.path_answers``), so what the preview
shows is what people will see.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from surveyapp.collect.services.answering import next_page
from surveyapp.collect.services.visits import WELCOME
from surveyapp.forms.builder import SectionForm, build_section_form
from surveyapp.questionnaire.document import Questionnaire


@dataclass
class Step:
    """Where a preview POST leads: a page (re-shown with ``form`` when it was refused)."""

    page: str
    answers: dict[str, Any]
    form: SectionForm | None = None
    finished: bool = False  # sent: the preview starts again


def pages(q: Questionnaire, answers: Mapping[str, Any]) -> list[str]:
    """Welcome, then the sections shown given the answers (as ``answering.pages``)."""
    return [WELCOME, *q.shown_sections(answers)]


def post(q: Questionnaire, answers: dict[str, Any], page: str, formdata: Any, *, lang: str) -> Step:
    """Apply a preview page's POST (``action`` next/back/submit) like the respondent pages."""
    path = pages(q, answers)
    if page not in path:
        page = path[0]
    action = formdata.get("action")
    if page != WELCOME:
        earlier = q.answers_before(answers, page)
        form = build_section_form(q, page, earlier, formdata=formdata, lang=lang)
        valid = form.validate()
        if action != "back" and not valid:
            return Step(page, answers, form=form)
        on_page = {item["id"] for item in q.section(page)["items"]}
        kept = {k: v for k, v in answers.items() if k not in on_page}
        answers = {**kept, **_storable(form.answers())}
        path = pages(q, answers)
    target = next_page(path, page, action)
    if target is None:
        return Step(page, answers, finished=True)
    return Step(target, answers)


def _storable(answers: Mapping[str, Any]) -> dict[str, Any]:
    # the session is JSON: dates as ISO text, blanks dropped
    return {
        key: value.isoformat() if isinstance(value, date) else value
        for key, value in answers.items()
        if value is not None
    }
