"""Build a WTForms form for one questionnaire section, with server-side skip logic."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from functools import cached_property
from typing import Any
from weakref import WeakKeyDictionary

from werkzeug.datastructures import MultiDict
from wtforms import Form

from surveyapp.forms.fields import FIELD_TYPES, Answer, ItemField
from surveyapp.questionnaire import rules
from surveyapp.questionnaire.document import Questionnaire


@dataclass
class Block:
    """A unit of page layout: an info text, one question, or a matrix of likert rows."""

    kind: str  # "info" | "question" | "matrix"
    item: dict[str, Any] | None = None
    fields: list[ItemField] = dataclass_field(default_factory=list)


class SectionForm(Form):
    """The fields of one page; ``validate`` honours ``show_when`` and ``checks`` in page order."""

    questionnaire: Questionnaire
    section_id: str
    earlier: dict[str, Any]  # answers from earlier pages, on the respondent's path
    lang: str  # of the checks' messages

    def item_fields(self) -> list[ItemField]:
        return [field for field in self if isinstance(field, ItemField)]

    def validate(self, extra_validators: Mapping[str, Any] | None = None) -> bool:
        known = dict(self.earlier)
        ok = True
        for field in self.item_fields():
            field.errors = []
            if not rules.evaluate(field.item.get("show_when"), known):
                field.answer = None  # hidden: neither validated nor stored
                continue
            field.pre_validate(self)
            if not field.errors and field.answer is not None:
                known[field.name] = field.answer
                field.errors.extend(self.failed_checks(field, known))
            if field.errors:
                ok = False
        return ok

    def failed_checks(self, field: ItemField, known: Mapping[str, Any]) -> list[str]:
        """The messages of the item's ``checks`` whose rule does not hold.

        As ODK does with constraints, a check only judges an answer: a blank item is left
        to ``required``. ``known`` holds the path answers up to and including this item.
        """
        return [
            self.questionnaire.text(check["message"], self.lang)
            for check in field.item.get("checks", [])
            if not rules.evaluate(check["rule"], known)
        ]

    def answers(self) -> dict[str, Answer]:
        """The typed answers of the shown items (None where left blank)."""
        known = dict(self.earlier)
        result: dict[str, Answer] = {}
        for field in self.item_fields():
            if rules.evaluate(field.item.get("show_when"), known):
                result[field.name] = field.answer
                if field.answer is not None:
                    known[field.name] = field.answer
        return result

    def blocks(self) -> list[Block]:
        """Consecutive likert items on one scale form a matrix; everything else stands alone."""
        fields = {f.name: f for f in self.item_fields()}
        blocks: list[Block] = []
        for item in self.questionnaire.section(self.section_id)["items"]:
            if item["type"] == "info":
                blocks.append(Block("info", item=item))
                continue
            current = fields[item["id"]]
            if not self.visible_now(current):
                continue
            previous = blocks[-1] if blocks else None
            if (
                item["type"] == "likert"
                and not self.depends_on_page(current)
                and previous is not None
                and previous.kind in ("question", "matrix")
                and previous.fields[-1].item["type"] == "likert"
                and previous.fields[-1].item.get("scale") == item.get("scale")
                and not self.depends_on_page(previous.fields[-1])
            ):
                previous.kind = "matrix"
                previous.fields.append(current)
            else:
                blocks.append(Block("question", item=item, fields=[current]))
        return blocks

    def depends_on_page(self, field: ItemField) -> bool:
        """Whether this item's visibility is decided by answers on the same page."""
        return bool(rules.referenced_items(field.item.get("show_when")) & self._names)

    @cached_property
    def _names(self) -> set[str]:
        return {f.name for f in self.item_fields()}

    def visible_now(self, field: ItemField) -> bool:
        return visible_now(field.item, self._names, self.earlier)


def visible_now(item: dict[str, Any], on_page: set[str], earlier: Mapping[str, Any]) -> bool:
    """Shown without script: its rule holds, or it hangs on answers on the same page
    (``on_page``: the ids of the page's questions)."""
    rule = item.get("show_when")
    return bool(rules.referenced_items(rule) & on_page) or rules.evaluate(rule, earlier)


def build_section_form(
    questionnaire: Questionnaire,
    section_id: str,
    earlier: Mapping[str, Any],
    *,
    formdata: MultiDict[str, str] | None = None,
    saved: Mapping[str, Any] | None = None,
    lang: str = "vi",
) -> SectionForm:
    """A form for ``section_id``; ``formdata`` from a POST, else ``saved`` answers shown."""
    form_class = _form_class(questionnaire, section_id, lang)
    form = form_class(formdata=formdata, data=dict(saved or {}) if formdata is None else None)
    form.questionnaire = questionnaire
    form.section_id = section_id
    form.earlier = dict(earlier)
    form.lang = lang
    return form


# Form classes per questionnaire object (a new version or preview draft is a new one),
# page and language: WTForms sorts and binds a class's fields on each new class.
_classes: WeakKeyDictionary[Questionnaire, dict[tuple[str, str], type[SectionForm]]] = (
    WeakKeyDictionary()
)


def _form_class(questionnaire: Questionnaire, section_id: str, lang: str) -> type[SectionForm]:
    known = _classes.setdefault(questionnaire, {})
    found = known.get((section_id, lang))
    if found is not None:
        return found

    class PageForm(SectionForm):
        pass

    for item in questionnaire.section(section_id)["items"]:
        if item["type"] == "info":
            continue
        codes = [int(o["code"]) for o in questionnaire.options(item["id"])]
        unbound = FIELD_TYPES[item["type"]](item, codes, bool(item.get("required")))
        unbound.kwargs["label"] = questionnaire.label(item, lang)
        setattr(PageForm, item["id"], unbound)
    known[(section_id, lang)] = PageForm
    return PageForm
