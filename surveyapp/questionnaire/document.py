"""A read-only view of a questionnaire document for forms, scoring and exports."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import Any

from surveyapp.questionnaire import rules

CHOICE_TYPES = ("likert", "single", "multi")
# The page before a questionnaire's first section: its title, introduction and consent.
WELCOME = "welcome"


def label_text(label: Mapping[str, str] | str | None, lang: str, fallback_langs: list[str]) -> str:
    """The label in ``lang``, else the first language that has one."""
    if label is None:
        return ""
    if isinstance(label, str):
        return label
    for candidate in (lang, *fallback_langs, *label):
        if label.get(candidate):
            return label[candidate]
    return ""


class Questionnaire:
    """Wraps the JSON document; the document itself is never modified."""

    def __init__(self, doc: Mapping[str, Any]):
        self.doc = doc

    @property
    def id(self) -> str:
        return str(self.doc["id"])

    @property
    def version(self) -> int:
        return int(self.doc.get("version", 1))

    @property
    def languages(self) -> list[str]:
        return list(self.doc.get("languages") or ["vi"])

    @property
    def framework(self) -> Mapping[str, Any]:
        return self.doc.get("framework") or {}

    @property
    def sections(self) -> list[dict[str, Any]]:
        return list(self.doc["sections"])

    def title(self, lang: str) -> str:
        return self.text(self.doc.get("title"), lang)

    def text(self, label: Mapping[str, str] | str | None, lang: str) -> str:
        return label_text(label, lang, self.languages)

    def label(self, obj: Mapping[str, Any], lang: str) -> str:
        """The ``label`` (or, for sections, ``title``) of an item, option or element."""
        return self.text(obj.get("label", obj.get("title")), lang)

    @cached_property
    def _sections_by_id(self) -> dict[str, dict[str, Any]]:
        return {s["id"]: s for s in self.doc["sections"]}

    @cached_property
    def _items_by_id(self) -> dict[str, dict[str, Any]]:
        return {i["id"]: i for s in self.doc["sections"] for i in s["items"]}

    def section(self, section_id: str) -> dict[str, Any]:
        return self._sections_by_id[section_id]

    @property
    def items(self) -> list[dict[str, Any]]:
        return list(self._items_by_id.values())

    @property
    def answerable_items(self) -> list[dict[str, Any]]:
        return [i for i in self.items if i["type"] != "info"]

    def item(self, item_id: str) -> dict[str, Any]:
        return self._items_by_id[item_id]

    def options(self, item_id: str) -> list[dict[str, Any]]:
        """The options of a choice item: inline ``options`` or those of its ``scale``."""
        item = self.item(item_id)
        if item["type"] not in CHOICE_TYPES:
            return []
        if "options" in item:
            return list(item["options"])
        scale = self.doc.get("scales", {}).get(item.get("scale"), {})
        return list(scale.get("options", []))

    def option_label(self, item_id: str, code: int, lang: str) -> str:
        for option in self.options(item_id):
            if option["code"] == code:
                return self.label(option, lang)
        return str(code)

    def missing_codes(self, item_id: str) -> set[int]:
        return {int(o["code"]) for o in self.options(item_id) if o.get("missing")}

    def option_points(self, item_id: str) -> dict[int, float]:
        """Code → points of the options that carry points (never a missing-value one);
        empty for an item this version does not have."""
        if item_id not in self._items_by_id:
            return {}
        return {
            int(o["code"]): float(o["points"])
            for o in self.options(item_id)
            if "points" in o and not o.get("missing")
        }

    def section_visible(self, section_id: str, answers: Mapping[str, Any]) -> bool:
        return rules.evaluate(self.section(section_id).get("show_when"), answers)

    def visible_items(self, section_id: str, answers: Mapping[str, Any]) -> list[dict[str, Any]]:
        return [
            item
            for item in self.section(section_id)["items"]
            if rules.evaluate(item.get("show_when"), answers)
        ]

    def shown_sections(self, answers: Mapping[str, Any]) -> list[str]:
        """The ids of the sections on the respondent's path given ``answers``."""
        return [s["id"] for s in self.sections if self.section_visible(s["id"], answers)]

    def ends_with(self, section_id: str, answers: Mapping[str, Any]) -> bool:
        """Whether no later section can still be shown: each is hidden given ``answers``,
        and none hangs on a question of this section still unanswered."""
        ids = [s["id"] for s in self.sections]
        open_here = {
            item["id"] for item in self.section(section_id)["items"] if item["id"] not in answers
        }
        for later in self.sections[ids.index(section_id) + 1 :]:
            rule = later.get("show_when")
            if rules.evaluate(rule, answers) or rules.referenced_items(rule) & open_here:
                return False
        return True

    def answers_before(self, answers: Mapping[str, Any], page: str) -> dict[str, Any]:
        """Answers on the path from the sections before ``page`` (what its rules may use)."""
        earlier: dict[str, Any] = {}
        for section in self.sections:
            if section["id"] == page:
                break
            for item in section["items"]:
                if item["id"] in answers:
                    earlier[item["id"]] = answers[item["id"]]
        return self.path_answers(earlier)

    def path_answers(self, answers: Mapping[str, Any]) -> dict[str, Any]:
        """Only the answers on the respondent's current path, evaluated in order.

        An answer given before an earlier answer changed and hid its question is dropped.
        """
        kept: dict[str, Any] = {}
        for section in self.sections:
            if not rules.evaluate(section.get("show_when"), kept):
                continue
            for item in section["items"]:
                if item["id"] in answers and rules.evaluate(item.get("show_when"), kept):
                    kept[item["id"]] = answers[item["id"]]
        return kept
