"""A questionnaire page as respondents see it: the WTForms form of one section in the page
template, its questions from the stencil. Every way of answering renders through here, and
so does the designer's preview, so that a preview shows exactly what respondents will get."""

from __future__ import annotations

from typing import Any

from flask import render_template

from surveyapp.forms.builder import build_section_form
from surveyapp.forms.stencil import page_html, questions_html, saved_questions_html
from surveyapp.i18n import current_language
from surveyapp.questionnaire.document import WELCOME, Questionnaire

# The page template that shows only ``questions`` of the form (paper entry's lays the
# form out itself): on a page view, it needs no form.
STENCILLED = "respond/page.html"


def render_page(
    q: Questionnaire,
    page: str,
    answers: dict[str, Any],
    path: list[str],
    here: str,
    form: Any = None,
    template: str = STENCILLED,
    **context: Any,
) -> str:
    """``page`` of ``path`` (else the path's first) as respondents see it; the designer's
    preview shows its drafts through this too. ``form`` is a posted form with errors; a
    page view needs none (the template's error summary is then empty)."""
    if page not in path:
        page = path[0]
    lang = current_language()
    section, questions = None, None
    if form is not None:
        section, questions = q.section(page), questions_html(form)
    elif page != WELCOME and template == STENCILLED:  # a page view: no form to build
        section = q.section(page)
        earlier = q.answers_before(answers, page)
        questions = saved_questions_html(q, page, earlier, answers, lang)
    elif page != WELCOME:
        form = page_form(q, answers, page)
        section, questions = q.section(page), questions_html(form)
    sections = [s["id"] for s in q.sections]
    variables = dict(
        q=q,
        here=here,
        page=page,
        section=section,
        form=form,
        questions=questions,
        # Progress over every page, so that it never shrinks when a rule skips one.
        step=0 if page == WELCOME else sections.index(page) + 1,
        steps=len(sections),
        first=page == WELCOME,
        last=page != WELCOME and q.ends_with(page, answers),
        **context,
    )
    if form is None and template == STENCILLED:  # a page view: its stencil, filled in
        return page_html(template, q, variables)
    return render_template(template, **variables)


def page_form(q: Questionnaire, answers: dict[str, Any], page: str, **kwargs: Any) -> Any:
    earlier = q.answers_before(answers, page)
    return build_section_form(q, page, earlier, saved=answers, lang=current_language(), **kwargs)
