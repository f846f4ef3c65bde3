"""The ``survey`` sheet: groups become sections, rows become items (types, required, ranges)."""

from __future__ import annotations

import re
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from surveyapp.questionnaire.xlsform.expressions import SELF, ExpressionError, parse_expression
from surveyapp.questionnaire.xlsform.reading import Reading
from surveyapp.questionnaire.xlsform.sheets import Table, Where

SURVEY_COLUMNS = {"type", "name", "label", "hint", "required", "relevant", "constraint"}
SURVEY_COLUMNS |= {"appearance", "choice_filter"}
# Collected by the phone, not asked: nothing to store in our document.
IGNORED_TYPES = {"start", "end", "today", "deviceid", "subscriberid", "simserial", "audit"}
IGNORED_TYPES |= {"phonenumber", "username", "email", "hidden", "start-geopoint"}
GEO_MEDIA_TYPES = {"geopoint", "geotrace", "geoshape", "image", "audio", "video", "file"}
GEO_MEDIA_TYPES |= {"barcode", "background-audio", "signature"}
EXTERNAL_SELECT = re.compile(r"select[_ ](one|multiple)[_ ](from[_ ]file|external)\b.*")
USABLE_TYPES = "integer, decimal, text, date, select_one, select_multiple, note, begin_group"
PLAIN_TYPES = {"integer": "number", "int": "number", "decimal": "number", "text": "text"}
PLAIN_TYPES |= {"string": "text", "date": "date", "note": "info"}
SELECT_TYPE = re.compile(
    r"(select_one|select_multiple|select one from|select all that apply from|select one|"
    r"select multiple|select all that apply) (\S+)( or_other)?"
)
GROUP_ROWS = ("begin_group", "begin group", "end_group", "end group")
OTHER_LABEL = {"vi": "Khác", "en": "Other"}
OTHER_TEXT = {"vi": "Ghi rõ", "en": "Please specify"}
# our item key → survey column, to place validation problems
ITEM_FIELDS = {"id": "name", "type": "type", "scale": "type", "options": "type"}
ITEM_FIELDS |= {"label": "label", "hint": "hint", "required": "required"}
ITEM_FIELDS |= {"min": "constraint", "max": "constraint", "show_when": "relevant"}
SECTION_FIELDS = {"id": "name", "title": "label", "show_when": "relevant"}
RANGE_BOUNDS = {"ge": ("min", 0), "gt": ("min", 1), "le": ("max", 0), "lt": ("max", -1)}


def read_survey(reading: Reading, table: Table, doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Sections in sheet order; items outside any group go to a section of their own.

    A group inside a group joins the enclosing section: its label becomes a heading (an
    ``info`` item) and its ``relevant`` is added to each of its items' (see ``Reading.nested``).
    """
    default = doc["languages"][0]
    sections: list[dict[str, Any]] = []
    open_groups: list[dict[str, Any]] = []  # the section's group, then any groups inside it
    loose: dict[str, Any] | None = None  # the default section taking ungrouped items
    for row, values in table.rows:
        kind = re.sub(r"\s+", " ", table.get(values, "type").lower())
        name = table.get(values, "name")
        where = table.where(row, "type")
        if kind in GROUP_ROWS and kind.startswith("begin") and open_groups:
            inner = _inner_group(reading, table, row, values, open_groups, default)
            open_groups.append(inner)
            if "heading" in inner:
                _add(reading, table, row, sections, open_groups, [inner.pop("heading")])
            continue
        if kind in GROUP_ROWS and kind.startswith("begin"):
            open_groups.append(_group_row(reading, table, row, values, sections, default))
            loose = None
            continue
        if kind in GROUP_ROWS:
            if not open_groups:
                reading.error(where, _l("end_group without a begin_group"))
            else:
                open_groups.pop()
            continue
        if kind in ("begin_repeat", "begin repeat"):
            reading.error(
                where, _l("repeats are not supported: each question is asked once per respondent")
            )
            continue
        if kind in ("end_repeat", "end repeat") or kind in IGNORED_TYPES:
            if kind in IGNORED_TYPES:
                message = _l(
                    'type "%(type)s" is recorded by the phone, not asked; row ignored', type=kind
                )
                reading.warn(where, message)
            continue
        if not kind:
            if name or table.labels(values, "label", default):
                reading.error(where, _l("type is missing"))
            continue
        if not open_groups and loose is None:
            section_id = "main" if not sections else f"main_{len(sections) + 1}"
            loose = {"id": section_id, "title": dict(doc["title"]), "items": []}
            reading.places[f"sections[{len(sections)}]"] = table.where(row, "name")
            sections.append(loose)
        items = _items(reading, table, row, values, kind, name, default)
        _add(reading, table, row, sections, open_groups or ([loose] if loose else []), items)
    if open_groups:
        unclosed = open_groups[-1]
        where = (
            unclosed.get("where") or reading.places[f"sections[{sections.index(unclosed)}].items"]
        )
        reading.error(where, _l('group "%(id)s" has no end_group', id=unclosed["id"]))
    return sections


def _add(
    reading: Reading,
    table: Table,
    row: int,
    sections: list[dict[str, Any]],
    open_groups: list[dict[str, Any]],
    items: list[dict[str, Any]],
) -> None:
    """Items of a row into the open section, each under the rules of the groups inside it."""
    target = open_groups[0]
    for item in items:
        path = f"sections[{sections.index(target)}].items[{len(target['items'])}]"
        reading.place(path, table, row, ITEM_FIELDS)
        target["items"].append(item)
        if len(open_groups) > 1:
            reading.nested.append((item, open_groups[1:]))


def _group_row(
    reading: Reading,
    table: Table,
    row: int,
    values: tuple[Any, ...],
    sections: list[dict[str, Any]],
    default: str,
) -> dict[str, Any]:
    """The section a top-level begin_group row opens."""
    name = table.get(values, "name")
    where = table.where(row, "type")
    opened: dict[str, Any] = {"id": name, "title": table.labels(values, "label", default)}
    if not opened["title"]:
        opened["title"] = {default: name}
        reading.warn(table.where(row, "label"), _l("the group has no label; its name is the title"))
    path = f"sections[{len(sections)}]"
    reading.place(path, table, row, SECTION_FIELDS)
    reading.places[f"{path}.items"] = where
    reading.later(opened, "show_when", table, row, values)
    opened["items"] = []
    sections.append(opened)
    return opened


def _inner_group(
    reading: Reading,
    table: Table,
    row: int,
    values: tuple[Any, ...],
    open_groups: list[dict[str, Any]],
    default: str,
) -> dict[str, Any]:
    """A group inside a group: a heading from its label, and its rule for its items."""
    name = table.get(values, "name")
    outer = open_groups[0]["id"]
    reading.warn(
        table.where(row, "type"),
        _l(
            'group "%(name)s" is inside group "%(outer)s": its questions join section '
            '"%(outer)s", under its label as a heading, and keep its relevant',
            name=name,
            outer=outer,
        ),
    )
    inner: dict[str, Any] = {"id": name, "where": table.where(row, "type")}
    reading.later(inner, "show_when", table, row, values)
    label = table.labels(values, "label", default)
    if label:
        inner["heading"] = {"id": name, "type": "info", "label": label}
        reading.types[name] = "info"
    return inner


def _items(
    reading: Reading,
    table: Table,
    row: int,
    values: tuple[Any, ...],
    kind: str,
    name: str,
    default: str,
) -> list[dict[str, Any]]:
    """The item of a row, with the text follow-up of an ``or_other`` choice; [] if refused."""
    item: dict[str, Any] = {
        "id": name,
        "type": "text",
        "label": table.labels(values, "label", default),
    }
    hint = table.labels(values, "hint", default)
    if hint:
        item["hint"] = hint
    select = SELECT_TYPE.fullmatch(kind)
    follow_up: list[dict[str, Any]] = []
    if select:
        follow_up = _choice_item(reading, table, row, values, item, select)
    elif kind in PLAIN_TYPES:
        item["type"] = PLAIN_TYPES[kind]
    else:
        reading.error(table.where(row, "type"), _refused_type(kind))
        return []
    reading.types[name] = item["type"]
    required = table.get(values, "required").lower()
    if required in ("yes", "true", "1", "true()"):
        item["required"] = True
    elif required in ("no", "false", "0", "false()"):
        item["required"] = False
    elif required:
        reading.error(
            table.where(row, "required"),
            _l('required must be yes or no, not "%(value)s"', value=required),
        )
    if table.get(values, "choice_filter"):
        reading.error(
            table.where(row, "choice_filter"),
            _l(
                "choice_filter is not supported: every choice of the list would be shown; "
                "make a separate list for each case instead"
            ),
        )
    constraint = table.get(values, "constraint")
    if constraint:
        _constraint(reading, item, constraint, table.where(row, "constraint"))
    reading.later(item, "show_when", table, row, values)
    return [item, *follow_up]


def _choice_item(
    reading: Reading,
    table: Table,
    row: int,
    values: tuple[Any, ...],
    item: dict[str, Any],
    select: re.Match[str],
) -> list[dict[str, Any]]:
    """Fill in a select item; returns the follow-up asking for the "other" text, if any."""
    name, list_name = item["id"], select.group(2)
    multi = "multiple" in select.group(1) or "all" in select.group(1)
    likert = "likert" in table.get(values, "appearance").lower()
    item["type"] = "multi" if multi else "likert" if likert else "single"
    if list_name not in reading.lists:
        reading.error(
            table.where(row, "type"),
            _l('list "%(list)s" is not in the choices sheet', list=list_name),
        )
    codes = dict(reading.lists.get(list_name, {}))
    reading.codes[name] = codes
    if not (select.group(3) and list_name in reading.lists):
        item["scale"] = list_name
        return []
    other = max(codes.values(), default=0) + 1
    codes["other"] = other
    scale = reading.scales[list_name]["options"]
    item["options"] = [*scale, {"code": other, "label": reading.texts(OTHER_LABEL)}]
    return [
        {
            "id": f"{name}_other",
            "type": "text",
            "label": reading.texts(OTHER_TEXT),
            "show_when": {"eq": [name, other]},
        }
    ]


def _constraint(reading: Reading, item: dict[str, Any], text: str, where: Where) -> None:
    """A range constraint on a number item becomes min/max; anything else is ignored aloud."""
    try:
        rule = parse_expression(text, allow_self=True) if item["type"] == "number" else None
    except ExpressionError:
        rule = None
    parts = (rule or {}).get("and", [rule] if rule else [])
    bounds: dict[str, Any] = {}
    for part in parts:
        ((op, arg),) = part.items()
        if op not in RANGE_BOUNDS or arg[0] != SELF or not isinstance(arg[1], int | float):
            break
        key, step = RANGE_BOUNDS[op]
        if step and not isinstance(arg[1], int):
            break  # "> 0.5" has no smallest allowed value
        bounds[key] = arg[1] + step
    else:
        if bounds:
            item.update(bounds)
            return
    reading.warn(
        where,
        _l(
            'constraint "%(text)s" is not supported (only ranges: ". >= 1 and . <= 20"); ignored',
            text=text,
        ),
    )


def _refused_type(kind: str) -> LazyString:
    """Why a row type can't be honoured, in plain words."""
    if kind == "calculate":
        return _l(
            "calculate rows are not supported: surveyapp does not compute values while people "
            "answer; remove the row and every ${name} that uses it"
        )
    if kind in GEO_MEDIA_TYPES:
        return _l(
            'type "%(type)s" is not supported: surveyapp collects no locations, photos, sound, '
            "video, files, barcodes or signatures",
            type=kind,
        )
    if EXTERNAL_SELECT.fullmatch(kind):
        return _l(
            'type "%(type)s" is not supported: choices from another file are not read; '
            "put them in the choices sheet",
            type=kind,
        )
    return _l('type "%(type)s" is not supported (use: %(usable)s)', type=kind, usable=USABLE_TYPES)
