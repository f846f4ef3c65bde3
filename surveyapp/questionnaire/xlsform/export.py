"""Our JSON document as an XLSForm workbook, plus a ``framework`` sheet."""

from __future__ import annotations

from typing import Any

from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from surveyapp.questionnaire.xlsform.expressions import literal, write_expression
from surveyapp.questionnaire.xlsform.layout import FRAMEWORK_COLUMNS, LANG_NAMES, PLAIN, SELECT


def lang_header(code: str) -> str:
    """``Vietnamese (vi)``; a private ``x-name`` key as the name it was made from."""
    name = LANG_NAMES.get(code) or (code[2:].capitalize() if code.startswith("x-") else code)
    return f"{name} ({code})"


def to_xlsform(doc: dict[str, Any]) -> Workbook:
    """The document as a workbook: ``survey``, ``choices``, ``settings``, ``framework``."""
    langs = list(doc["languages"])
    labels = [f"label::{lang_header(code)}" for code in langs]
    hints = [f"hint::{lang_header(code)}" for code in langs]
    items = [i for s in doc["sections"] for i in s["items"]]
    multi = {i["id"] for i in items if i["type"] == "multi"}
    lists = {name: scale["options"] for name, scale in doc.get("scales", {}).items()}
    book = Workbook()
    survey = book.active
    assert survey is not None
    survey.title = "survey"
    survey.append(
        ["type", "name", *labels, *hints, "required", "relevant", "constraint", "appearance"]
    )
    for section in doc["sections"]:
        relevant = write_expression(section["show_when"], multi) if "show_when" in section else None
        survey.append(
            ["begin_group", section["id"], *_texts(section["title"], langs)]
            + [None] * len(langs)
            + [None, relevant]
        )
        for item in section["items"]:
            survey.append(_item_row(item, langs, multi, lists))
        survey.append(["end_group"])
    choices = book.create_sheet("choices")
    choices.append(["list_name", "name", *labels, "missing", "points"])
    for name, options in lists.items():
        for option in options:
            missing = "yes" if option.get("missing") else None
            choices.append(
                [
                    name,
                    option["code"],
                    *_texts(option["label"], langs),
                    missing,
                    option.get("points"),
                ]
            )
    settings = book.create_sheet("settings")
    others = [f"form_title::{lang_header(code)}" for code in langs[1:]]
    settings.append(
        [
            "form_id",
            "version",
            "form_title",
            "default_language",
            "audience",
            "estimated_minutes",
            *others,
        ]
    )
    settings.append(
        [
            doc["id"],
            doc.get("form_version", doc["version"]),
            *_texts(doc["title"], langs[:1]),
            lang_header(langs[0]),
            doc.get("audience"),
            doc.get("estimated_minutes"),
            *_texts(doc["title"], langs[1:]),
        ]
    )
    if "framework" in doc:
        _write_framework(book.create_sheet("framework"), doc["framework"], langs, multi)
    return book


def _texts(label: dict[str, str] | None, langs: list[str]) -> list[str | None]:
    return [(label or {}).get(code) for code in langs]


def _item_row(
    item: dict[str, Any], langs: list[str], multi: set[str], lists: dict[str, Any]
) -> list[Any]:
    kind = item["type"]
    if kind in SELECT:
        list_name = item.get("scale")
        if list_name is None:  # inline options: a list of their own, named after the item
            list_name = item["id"] if item["id"] not in lists else f"{item['id']}_options"
            lists[list_name] = item["options"]
        type_text = f"{SELECT[kind]} {list_name}"
    elif kind == "number":
        bounds = [item.get("min"), item.get("max")]
        whole = all(b is None or float(b).is_integer() for b in bounds)
        type_text = "integer" if whole else "decimal"
    else:
        type_text = PLAIN[kind]
    required = None if "required" not in item else "yes" if item["required"] else "no"
    relevant = write_expression(item["show_when"], multi) if "show_when" in item else None
    bounds_text = [
        f". {op} {literal(item[key])}" for key, op in (("min", ">="), ("max", "<=")) if key in item
    ]
    return [
        type_text,
        item["id"],
        *_texts(item["label"], langs),
        *_texts(item.get("hint"), langs),
        required,
        relevant,
        " and ".join(bounds_text) or None,
        "likert" if kind == "likert" else None,
    ]


def _write_framework(
    sheet: Worksheet, framework: dict[str, Any], langs: list[str], multi: set[str]
) -> None:
    sheet.append([*FRAMEWORK_COLUMNS, "value", *(f"label::{lang_header(c)}" for c in langs)])

    def row(
        kind: str, label: dict[str, str] | None = None, value: Any = None, **cells: Any
    ) -> None:
        sheet.append(
            [kind, *(cells.get(c) for c in FRAMEWORK_COLUMNS[1:]), value, *_texts(label, langs)]
        )

    if "satisfied" in framework:
        row("setting", id="satisfied", value=_numbers_text(framework["satisfied"]))
    if "aggregate" in framework:
        row("setting", id="aggregate", value=framework["aggregate"])
    for group in framework.get("groups", []):
        row("group", group.get("label"), id=group["id"], weight=group.get("weight"))
    for element in framework["elements"]:
        row(
            "element",
            element.get("label"),
            id=element["id"],
            group=element.get("group"),
            weight=element.get("weight"),
        )
        for criterion in element["criteria"]:
            row("criterion", item=criterion["item"], weight=criterion.get("weight"))
    for indicator in framework.get("indicators", []):
        among = indicator.get("among")
        row(
            "indicator",
            indicator.get("label"),
            id=indicator["id"],
            item=indicator["item"],
            codes=_numbers_text(indicator["codes"]) if "codes" in indicator else None,
            min=indicator.get("min"),
            max=indicator.get("max"),
            among=write_expression(among, multi) if among else None,
        )
    for key, target in framework.get("targets", {}).items():
        row("target", id=key, value=target)
    points = framework.get("points")
    if points:
        for key in ("item_max", "max"):
            if key in points:
                row("setting", id=f"points_{key}", value=points[key])
        for item in points["items"]:
            row("points_item", item=item)
        for band in points["bands"]:
            row("band", band["label"], min=band["min"])


def _numbers_text(values: list[Any]) -> str:
    return " ".join(literal(v) for v in values)
