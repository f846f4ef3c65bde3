"""Respondent pages as HTML: rendered by Jinja once, then filled in for each respondent.

Rendering a matrix of thirty questions costs several milliseconds of Jinja on every view,
and nearly all of that markup is the same for everyone. So it is rendered once per
questionnaire, page, language and set of items shown, with markers where a respondent's
answer goes (a radio's ``checked``, a typed value), and each request fills in its own
answers: a page view fills them from the saved answers, without building the page's
form (``saved_questions_html``). A page showing errors is rare, and rendered whole.

The page around the questions is stencilled the same way (``page_html``): everything in
it but the respondent's own values (``PAGE_SLOTS``: the page's URL, which holds their
token, the CSRF token, the questions, a typed dossier code) follows from the template's
other variables and the language, which are the stencil's key.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

from flask import render_template, request
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from surveyapp.forms.builder import SectionForm, build_section_form, visible_now
from surveyapp.forms.fields import MARK, MARK_END, as_raw
from surveyapp.i18n import current_language

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
    if not isinstance(stencil, PageStencil):
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


# --- the page around the questions ----------------------------------------------------------

# A page's own values, filled in as the template would write them (escaped, but for the
# questions' markup); ``csrf_token`` is the template's function of that name.
PAGE_SLOTS = ("here", "questions", "dossier_code", "csrf_token")
# Pages remembered per questionnaire: its pages × languages × agencies × ways of answering
# (a province's survey of 60 agencies has some 1,500); past this, the least recently
# used one goes.
MAX_PAGES_PER_QUESTIONNAIRE = 2048
_pages: WeakKeyDictionary[Questionnaire, dict[Hashable, PageStencil | None]] = WeakKeyDictionary()
_UNKNOWN: Any = object()


@dataclass(frozen=True)
class PageStencil:
    head: str
    slots: tuple[tuple[str, str], ...]  # (slot, the markup up to the next one)

    @classmethod
    def parse(cls, marked: str) -> PageStencil | None:
        """The stencil of a page rendered with markers; None if a marker is not ours."""
        head, *pieces = marked.split(MARK)
        slots = []
        for piece in pieces:
            name, end, after = piece.partition(MARK_END)
            if not end or name not in PAGE_SLOTS:
                return None  # a text holding our private-use characters: render whole
            slots.append((name, after))
        return cls(head, tuple(slots))

    def fill(self, values: Mapping[str, str]) -> str:
        return self.head + "".join(values[name] + after for name, after in self.slots)


def page_html(template: str, q: Questionnaire, variables: Mapping[str, Any]) -> str:
    """``template`` rendered with ``variables`` (``q``'s page), from its stencil.

    Any variable that is not a slot is part of the key, so a value that cannot be
    hashed renders the page whole; so does a page whose markup holds a marker.
    """
    own = {name: variables.get(name, "") for name in PAGE_SLOTS if name != "csrf_token"}
    rest = {k: v for k, v in variables.items() if k not in own and k not in ("q", "section")}
    # ``section`` follows from the page; the language, the app's URL prefix and the
    # query string (a language switch's link keeps it) are read by the templates too.
    key: tuple[Any, ...] = (template, current_language(), request.script_root)
    key += (request.query_string, *sorted(rest.items()))
    try:
        hash(key)
    except TypeError:
        return render_template(template, **variables)
    known = _pages.setdefault(q, {})
    stencil = known.pop(key, _UNKNOWN)  # and put back last: the most recently used
    if stencil is _UNKNOWN:
        markers = {name: Markup(f"{MARK}{name}{MARK_END}") for name in PAGE_SLOTS}
        csrf_marker = markers.pop("csrf_token")
        stencil = PageStencil.parse(
            render_template(template, **{**variables, **markers}, csrf_token=lambda: csrf_marker)
        )
        while len(known) >= MAX_PAGES_PER_QUESTIONNAIRE:
            known.pop(next(iter(known)), None)
    known[key] = stencil
    if not isinstance(stencil, PageStencil):
        return render_template(template, **variables)
    filled = {name: str(escape(value)) for name, value in own.items()}
    filled["csrf_token"] = str(escape(generate_csrf()))
    return stencil.fill(filled)
