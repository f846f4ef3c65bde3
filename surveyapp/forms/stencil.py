"""A page's questions as HTML: rendered by Jinja once, then filled in for each respondent.

Rendering a matrix of thirty questions costs several milliseconds of Jinja on every view,
and nearly all of that markup is the same for everyone. So it is rendered once per
questionnaire, page, language and set of items shown, with markers where a respondent's
answer goes (a radio's ``checked``, a typed value), and each request fills in its own
answers: a page view fills them from the saved answers, without building the page's
form (``saved_questions_html``). A page showing errors is rare, and rendered whole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

from flask import render_template
from markupsafe import Markup, escape

from surveyapp.forms.builder import SectionForm, build_section_form, visible_now
from surveyapp.forms.fields import MARK, MARK_END, as_raw

if TYPE_CHECKING:
    from surveyapp.questionnaire.document import Questionnaire

TEMPLATE = "respond/_questions.html"
# Skip logic within a section multiplies the item sets shown; past this many per
# questionnaire, further sets are rendered whole rather than remembered.
MAX_PER_QUESTIONNAIRE = 256
_SLOT = re.compile(r"(checked|value) ([a-z][a-z0-9_]*)(?: (-?\d+))?")

# Keyed by the questionnaire object itself: a new version (or a designer's preview
# draft) is a new object, and its stencils go when it does.
_stencils: WeakKeyDictionary[Questionnaire, dict[tuple[str, ...], Stencil | None]] = (
    WeakKeyDictionary()
)


@dataclass(frozen=True)
class Slot:
    kind: str  # "checked" | "value"
    item: str
    code: str | None
    after: str  # the markup up to the next slot


@dataclass(frozen=True)
class Stencil:
    head: str
    slots: tuple[Slot, ...]

    @classmethod
    def parse(cls, marked: str) -> Stencil | None:
        """The stencil of markup rendered with markers; None if a marker is not ours."""
        head, *pieces = marked.split(MARK)
        slots = []
        for piece in pieces:
            spec, end, after = piece.partition(MARK_END)
            found = _SLOT.fullmatch(spec)
            if not end or found is None:
                return None  # a label holding our private-use characters: render whole
            slots.append(Slot(found[1], found[2], found[3], after))
        return cls(head, tuple(slots))

    def fill(self, raw: dict[str, list[str]]) -> Markup:
        out = [self.head]
        for slot in self.slots:
            given = raw.get(slot.item, ())
            if slot.kind == "checked":
                out.append("checked" if slot.code in given else "")
            elif given:
                out.append(escape(given[0]))
            out.append(slot.after)
        return Markup("".join(out))


def saved_questions_html(
    q: Questionnaire, section_id: str, earlier: dict[str, Any], saved: dict[str, Any], lang: str
) -> Markup:
    """The questions of a page showing the ``saved`` answers, as ``questions_html`` shows
    them on the page's form (``earlier``: the path's answers before it), which is built
    only when the stencil is not known yet."""
    items = [item for item in q.section(section_id)["items"] if item["type"] != "info"]
    on_page = {item["id"] for item in items}
    shown = tuple(item["id"] for item in items if visible_now(item, on_page, earlier))
    stencil = _stencils.get(q, {}).get((section_id, lang, *shown))
    if stencil is None:
        form = build_section_form(q, section_id, earlier, saved=saved, lang=lang)
        return questions_html(form)
    return stencil.fill({item["id"]: as_raw(saved.get(item["id"])) for item in items})


def questions_html(form: SectionForm) -> Markup:
    """The questions of ``form``'s page, showing the answers it holds."""
    if form.errors:
        return _render(form)
    shown = tuple(field.name for field in form.item_fields() if form.visible_now(field))
    key = (form.section_id, form.lang, *shown)
    known = _stencils.setdefault(form.questionnaire, {})
    if key in known:
        stencil = known[key]
    else:
        stencil = Stencil.parse(_render(form, marks=True))
        if len(known) < MAX_PER_QUESTIONNAIRE:
            known[key] = stencil
    if stencil is None:
        return _render(form)
    return stencil.fill({field.name: field.raw for field in form.item_fields()})


def _render(form: SectionForm, marks: bool = False) -> Markup:
    fields = form.item_fields()
    for field in fields:
        field.marks = marks
    try:
        return Markup(render_template(TEMPLATE, q=form.questionnaire, form=form))
    finally:
        for field in fields:
            field.marks = False
