"""Edits of a draft's outline: its details, sections, questions and the answer scales.

Plain functions over the document dict (see ``edits.common``); ``services.draft`` applies
one to a copy of the stored document, validates the result and saves it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _

from surveyapp.design.services.edits.common import (
    DIRECTIONS,
    TITLE_MAX,
    NotInDocument,
    find_item,
    find_section,
    item_ids,
    label,
    new_id,
    number,
    refuse,
    section_ids,
)
from surveyapp.problems import InputRefused, Problem
from surveyapp.questionnaire.document import CHOICE_TYPES

ITEM_TYPES = ("likert", "single", "multi", "text", "number", "date", "info")
ITEM_ID = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


@dataclass
class OptionInput:
    code: str
    label_vi: str
    label_en: str = ""
    missing: bool = False
    points: str = ""  # points questionnaires only; blank: none


@dataclass
class ItemInput:
    """An item as the designer's form sends it: every value still a string."""

    id: str
    type: str
    label_vi: str
    label_en: str = ""
    hint_vi: str = ""
    hint_en: str = ""
    required: bool = False
    scale: str = ""
    options: list[OptionInput] = field(default_factory=list)
    min: str = ""
    max: str = ""


def _swap(entries: list[Any], index: int, direction: str) -> bool:
    """Move ``entries[index]`` one place; False when it is already at that end."""
    if direction not in DIRECTIONS:
        raise refuse("direction", _("Unknown direction."))
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(entries):
        return False
    entries[index], entries[other] = entries[other], entries[index]
    return True


# --- metadata ----------------------------------------------------------------------------


def set_metadata(
    doc: dict[str, Any],
    *,
    title_vi: str,
    title_en: str,
    description_vi: str,
    description_en: str,
    estimated_minutes: str,
) -> None:
    problems: list[Problem] = []
    if not title_vi.strip():
        problems.append(Problem("title_vi", _("The Vietnamese title is required.")))
    minutes = number(estimated_minutes, "estimated_minutes", problems, positive=True)
    if problems:
        raise InputRefused(problems)
    doc["title"] = label(title_vi, title_en, "title", limit=TITLE_MAX)
    description = label(description_vi, description_en, "description")
    if description:
        doc["description"] = description
    else:
        doc.pop("description", None)
    if minutes is None:
        doc.pop("estimated_minutes", None)
    else:
        doc["estimated_minutes"] = minutes


# --- sections ----------------------------------------------------------------------------


def add_section(doc: dict[str, Any], *, title_vi: str, title_en: str) -> str:
    """Append an empty section; its first item is added next (the panel says so until then)."""
    if not title_vi.strip():
        raise refuse("title_vi", _("The Vietnamese title is required."))
    section_id = new_id("s", section_ids(doc))
    doc.setdefault("sections", []).append(
        {
            "id": section_id,
            "title": label(title_vi, title_en, "title", limit=TITLE_MAX),
            "items": [],
        }
    )
    return section_id


def update_section(doc: dict[str, Any], section_id: str, *, title_vi: str, title_en: str) -> None:
    _index, section = find_section(doc, section_id)
    if not title_vi.strip():
        raise refuse("title_vi", _("The Vietnamese title is required."))
    section["title"] = label(title_vi, title_en, "title", limit=TITLE_MAX)


def move_section(doc: dict[str, Any], section_id: str, direction: str) -> None:
    index, _section = find_section(doc, section_id)
    _swap(doc["sections"], index, direction)


def delete_section(doc: dict[str, Any], section_id: str) -> None:
    index, _section = find_section(doc, section_id)
    if len(doc["sections"]) == 1:
        raise refuse("section", _("A questionnaire keeps at least one section."))
    del doc["sections"][index]


# --- items -------------------------------------------------------------------------------


def add_item(doc: dict[str, Any], section_id: str, data: ItemInput) -> str:
    _index, section = find_section(doc, section_id)
    taken = item_ids(doc)
    if not data.id.strip():
        data.id = new_id("q", taken)
    item = _build_item(doc, data, taken)
    section["items"].append(item)
    return str(item["id"])


def update_item(doc: dict[str, Any], item_id: str, data: ItemInput) -> str:
    section, index, old = find_item(doc, item_id)
    item = _build_item(doc, data, item_ids(doc) - {item_id})
    for kept in ("show_when", "checks"):  # edited on their own pages
        if kept in old:
            item[kept] = old[kept]
    section["items"][index] = item
    return str(item["id"])


def move_item(doc: dict[str, Any], item_id: str, direction: str) -> None:
    """One place up or down; past the end of its section it moves into the next one."""
    section, index, item = find_item(doc, item_id)
    if _swap(section["items"], index, direction):
        return
    sections = doc["sections"]
    position = next(i for i, s in enumerate(sections) if s is section)
    target = position - 1 if direction == "up" else position + 1
    if not 0 <= target < len(sections):
        return
    del section["items"][index]
    if direction == "up":
        sections[target]["items"].append(item)
    else:
        sections[target]["items"].insert(0, item)


def delete_item(doc: dict[str, Any], item_id: str) -> None:
    section, index, _item = find_item(doc, item_id)
    del section["items"][index]


def _build_item(doc: dict[str, Any], data: ItemInput, taken: set[str]) -> dict[str, Any]:
    """The item dict for ``data``, or ``InputRefused`` with every problem of the form."""
    problems: list[Problem] = []
    item_id = data.id.strip()
    if not ITEM_ID.match(item_id):
        problems.append(
            Problem(
                "id",
                _(
                    "The variable name must start with a letter and use only a-z, 0-9 and _ "
                    "(at most 32 characters)."
                ),
            )
        )
    elif item_id in taken:
        problems.append(Problem("id", _('The variable name "%(id)s" is already used.', id=item_id)))
    if data.type not in ITEM_TYPES:
        problems.append(Problem("type", _("Choose a question type.")))
    if not data.label_vi.strip():
        problems.append(Problem("label_vi", _("The Vietnamese wording is required.")))
    item: dict[str, Any] = {
        "id": item_id,
        "type": data.type,
        "label": label(data.label_vi, data.label_en, "label", problems),
    }
    hint = label(data.hint_vi, data.hint_en, "hint", problems)
    if hint:
        item["hint"] = hint
    if data.required and data.type != "info":
        item["required"] = True
    if data.type in CHOICE_TYPES:
        _choices(doc, data, item, problems)
    if data.type == "number":
        low = number(data.min, "min", problems)
        high = number(data.max, "max", problems)
        if low is not None and high is not None and low > high:
            problems.append(Problem("max", _("The largest value is below the smallest.")))
        if low is not None:
            item["min"] = low
        if high is not None:
            item["max"] = high
    if problems:
        raise InputRefused(problems)
    return item


def _choices(
    doc: dict[str, Any], data: ItemInput, item: dict[str, Any], problems: list[Problem]
) -> None:
    scales = doc.get("scales", {})
    if data.scale:
        if data.scale not in scales:
            problems.append(Problem("scale", _("Choose one of the answer scales.")))
        item["scale"] = data.scale
        return
    if data.type == "likert":
        problems.append(Problem("scale", _("A rating question needs an answer scale.")))
        return
    options = parse_options(data.options, problems)
    if not options:
        problems.append(Problem("options", _("Give at least one answer option or choose a scale.")))
    item["options"] = options


def parse_options(rows: list[OptionInput], problems: list[Problem]) -> list[dict[str, Any]]:
    """Option rows as the format's options; blank rows are skipped, blank codes numbered."""
    options: list[dict[str, Any]] = []
    used: set[int] = set()
    pending: list[dict[str, Any]] = []
    for row, entry in enumerate(rows, start=1):
        if not any(t.strip() for t in (entry.code, entry.label_vi, entry.label_en, entry.points)):
            continue
        where = f"options.{row}"
        if not entry.label_vi.strip():
            problems.append(
                Problem(where, _("Row %(row)s: the Vietnamese label is required.", row=row))
            )
        option: dict[str, Any] = {
            "label": label(entry.label_vi, entry.label_en, problems=problems, at=where)
        }
        if entry.missing:
            option["missing"] = True
        points = _points(entry.points, where, row, problems)
        if points is not None:
            option["points"] = points
        code = entry.code.strip()
        if not code:
            pending.append(option)
        elif not re.fullmatch(r"-?\d+", code):
            problems.append(
                Problem(where, _("Row %(row)s: the code must be a whole number.", row=row))
            )
        elif int(code) in used:
            problems.append(
                Problem(where, _("Row %(row)s: code %(code)s is used twice.", row=row, code=code))
            )
        else:
            used.add(int(code))
            option["code"] = int(code)
        options.append(option)
    for option in pending:  # numbered after the typed codes, so none clashes
        option["code"] = max(used | {0}) + 1
        used.add(option["code"])
    return [
        {"code": o["code"], **{k: v for k, v in o.items() if k != "code"}}
        for o in options
        if "code" in o
    ]


def _points(text: str, where: str, row: int, problems: list[Problem]) -> Any:
    """An option's points: a number of at least 0, or None when blank."""
    found: list[Problem] = []
    value = number(text, where, found)
    if found or (value is not None and value < 0):
        problems.append(
            Problem(where, _("Row %(row)s: points are a number of at least 0.", row=row))
        )
        return None
    return value


# --- scales ------------------------------------------------------------------------------


def set_scale(
    doc: dict[str, Any],
    scale_id: str | None,
    *,
    name_vi: str,
    name_en: str,
    options: list[OptionInput],
) -> str:
    """Create (``scale_id`` None) or replace an answer scale shared by rating questions."""
    problems: list[Problem] = []
    parsed = parse_options(options, problems)
    if not parsed:
        problems.append(Problem("options", _("Give at least one answer option.")))
    scales = doc.setdefault("scales", {})
    if scale_id is not None and scale_id not in scales:
        raise NotInDocument(scale_id)
    if problems:
        raise InputRefused(problems)
    key = scale_id or new_id("scale", set(scales))
    scale: dict[str, Any] = {"options": parsed}
    name = label(name_vi, name_en, "name", limit=TITLE_MAX)
    if name:
        scale = {"label": name, **scale}
    scales[key] = scale
    return key


def delete_scale(doc: dict[str, Any], scale_id: str) -> None:
    scales = doc.get("scales", {})
    if scale_id not in scales:
        raise NotInDocument(scale_id)
    users = [i["id"] for s in doc["sections"] for i in s["items"] if i.get("scale") == scale_id]
    if users:
        raise refuse(
            "scale",
            _(
                "The scale is used by %(items)s; change those questions first.",
                items=", ".join(users),
            ),
        )
    del scales[scale_id]
