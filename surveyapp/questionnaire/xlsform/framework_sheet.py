"""The ``framework`` sheet (ours, not XLSForm's): one row per setting, group, element,
criterion, indicator, target, points item or band, in the order export writes them."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from surveyapp.questionnaire.xlsform.layout import FRAMEWORK_COLUMNS
from surveyapp.questionnaire.xlsform.reading import Reading
from surveyapp.questionnaire.xlsform.relevance import read_expression
from surveyapp.questionnaire.xlsform.sheets import Table

FRAMEWORK_SHEET_COLUMNS = {*FRAMEWORK_COLUMNS, "value", "label"}
KINDS = "setting, group, element, criterion, indicator, target, points_item, band"
# our key → framework column, to place validation problems
FIELDS = {key: key for key in (*FRAMEWORK_COLUMNS[1:], "label")}


def read_framework(reading: Reading, table: Table, default: str) -> dict[str, Any]:
    framework: dict[str, Any] = {"elements": []}
    points: dict[str, Any] = {}
    reading.places["framework"] = (table.name, 1, 0)
    for row, values in table.rows:
        kind = table.get(values, "kind").lower()
        node: dict[str, Any] = {}
        label = table.labels(values, "label", default)
        for key in ("id", "item", "group"):
            if table.get(values, key):
                node[key] = table.get(values, key)
        for key in ("weight", "min", "max"):
            if table.get(values, key):
                node[key] = reading.number(table, row, values, key)
        if kind == "setting":
            _setting(reading, table, row, values, node.get("id", ""), framework, points)
        elif kind == "criterion":
            if not framework["elements"]:
                reading.error(
                    table.where(row, "kind"), _l("a criterion needs an element row above it")
                )
                continue
            element = framework["elements"][-1]
            path = f"framework.elements[{len(framework['elements']) - 1}].criteria"
            reading.place(f"{path}[{len(element['criteria'])}]", table, row, FIELDS, "item")
            element["criteria"].append({k: v for k, v in node.items() if k in ("item", "weight")})
        elif kind in ("group", "element", "indicator"):
            plural = f"{kind}s"
            entries = framework.setdefault(plural, [])
            reading.place(f"framework.{plural}[{len(entries)}]", table, row, FIELDS, "id")
            if label:
                node["label"] = label
            if kind == "element":
                node["criteria"] = []
            if kind == "indicator" and table.get(values, "codes"):
                node["codes"] = reading.numbers(table, row, values, "codes")
            if kind == "indicator" and table.get(values, "among"):
                text, where = table.get(values, "among"), table.where(row, "among")
                read_expression(reading, node, "among", text, where)
            entries.append(node)
        elif kind == "target":
            key = node.get("id", "")
            reading.places[f"framework.targets.{key}"] = table.where(row, "value")
            framework.setdefault("targets", {})[key] = reading.number(table, row, values, "value")
        elif kind == "points_item":
            items = points.setdefault("items", [])
            reading.places[f"framework.points.items[{len(items)}]"] = table.where(row, "item")
            items.append(node.get("item", ""))
        elif kind == "band":
            bands = points.setdefault("bands", [])
            reading.place(f"framework.points.bands[{len(bands)}]", table, row, FIELDS, "min")
            bands.append({"min": node.get("min"), "label": label})
        else:
            reading.error(
                table.where(row, "kind"),
                _l('kind "%(kind)s" is not one of: %(kinds)s', kind=kind, kinds=KINDS),
            )
    if points:
        framework["points"] = points
    return framework


def _setting(
    reading: Reading,
    table: Table,
    row: int,
    values: tuple[Any, ...],
    key: str,
    framework: dict[str, Any],
    points: dict[str, Any],
) -> None:
    where = table.where(row, "value")
    if key == "satisfied":
        framework["satisfied"] = reading.numbers(table, row, values, "value")
        reading.places["framework.satisfied"] = where
    elif key == "aggregate":
        framework["aggregate"] = table.get(values, "value")
        reading.places["framework.aggregate"] = where
    elif key in ("points_item_max", "points_max"):
        points[key.removeprefix("points_")] = reading.number(table, row, values, "value")
        reading.places[f"framework.points.{key.removeprefix('points_')}"] = where
    else:
        reading.error(table.where(row, "id"), _l('unknown setting "%(key)s"', key=key))
