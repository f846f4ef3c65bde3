"""A questionnaire page as respondents see it: the WTForms form of one section in the page
template, its questions from the stencil. Every way of answering renders through here, and
so does the designer's preview, so that a preview shows exactly what respondents will get."""

from __future__ import annotations

from typing import Any

from flask import render_template

from surveyapp.forms.builder import build_section_form
from surveyapp.forms.stencil import questions_html
from surveyapp.i18n import current_language
from surveyapp.questionnaire.document import WELCOME, Questionnaire


def render_page(
    q: Questionnaire,
    page: str,
    answers: dict[str, Any],
    path: list[str],
    here: str,
    form: Any = None,
    template: str = "respond/page.html",
    **context: Any,
) -> str:
    """``page`` of ``path`` (else the path's first) as respondents see it; the designer's
    preview shows its drafts through this too. ``form`` is a posted form with errors."""
    if page not in path:
        page = path[0]
    if page != WELCOME and form is None:
        form = page_form(q, answers, page)
    sections = [s["id"] for s in q.sections]
    return render_template(
        template,
        q=q,
        here=here,
        page=page,
        section=None if form is None else q.section(page),
        form=form,
        questions=None if form is None else questions_html(form),
        # Progress over every page, so that it never shrinks when a rule skips one.
        step=0 if page == WELCOME else sections.index(page) + 1,
        steps=len(sections),
        first=page == WELCOME,
        last=page != WELCOME and q.ends_with(page, answers),
        **context,
    )


def page_form(q: Questionnaire, answers: dict[str, Any], page: str, **kwargs: Any) -> Any:
    earlier = q.answers_before(answers, page)
    return build_section_form(q, page, earlier, saved=answers, lang=current_language(), **kwargs)
