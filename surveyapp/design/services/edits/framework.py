"""Edits of a draft's scoring framework: groups, elements, criteria, indicators, targets
(and, from ``points``, a points questionnaire's scheme).

Plain functions over the document dict, as ``structure``; ``services.draft`` calls
them by name through ``OPERATIONS``. Weights left blank are 1; targets are typed as
percentages (85) and stored as proportions (0.85), as the format keeps them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask_babel import gettext as _

from surveyapp.design.services.edits.common import (
    DIRECTIONS,
    TITLE_MAX,
    NotInDocument,
    find_item,
    label,
    new_id,
    number,
    refuse,
)
from surveyapp.design.services.edits.points import clear_points, set_points
from surveyapp.problems import InputRefused, Problem


def _framework(doc: dict[str, Any]) -> dict[str, Any]:
    framework: dict[str, Any] = doc.setdefault("framework", {"elements": []})
    framework.setdefault("elements", [])
    return framework


def _weight(text: str, problems: list[Problem]) -> Any:
    value = number(text, "weight", problems, positive=True)
    return 1 if value is None else value


def _find(entries: list[dict[str, Any]], entry_id: str) -> tuple[int, dict[str, Any]]:
    for index, entry in enumerate(entries):
        if entry.get("id") == entry_id:
            return index, entry
    raise NotInDocument(entry_id)


def _named(label_vi: str, label_en: str, problems: list[Problem]) -> dict[str, str]:
    if not label_vi.strip():
        problems.append(Problem("label_vi", _("The Vietnamese name is required.")))
    return label(label_vi, label_en, "label", problems, limit=TITLE_MAX)


def settings(doc: dict[str, Any], *, satisfied: str, aggregate: str) -> None:
    """Which codes count as satisfied, and how elements combine."""
    problems: list[Problem] = []
    codes = []
    for part in re.split(r"[,;\s]+", satisfied.strip()):
        if not part:
            continue
        if re.fullmatch(r"-?\d+", part):
            codes.append(int(part))
        else:
            problems.append(Problem("satisfied", _('"%(text)s" is not a whole number.', text=part)))
    if not codes and not problems:
        problems.append(Problem("satisfied", _("Give at least one code, e.g. 4, 5.")))
    if aggregate not in ("mean", "pooled"):
        problems.append(Problem("aggregate", _("Choose how the elements are combined.")))
    if problems:
        raise InputRefused(problems)
    framework = _framework(doc)
    framework["satisfied"] = sorted(set(codes))
    framework["aggregate"] = aggregate


# --- groups ------------------------------------------------------------------------------


def add_group(doc: dict[str, Any], *, label_vi: str, label_en: str, weight: str) -> str:
    problems: list[Problem] = []
    name = _named(label_vi, label_en, problems)
    value = _weight(weight, problems)
    if problems:
        raise InputRefused(problems)
    groups = _framework(doc).setdefault("groups", [])
    group_id = new_id("group", {g["id"] for g in groups})
    groups.append({"id": group_id, "label": name, "weight": value})
    # with groups every element needs one: the first group takes them all to start with
    for element in _framework(doc)["elements"]:
        element.setdefault("group", group_id)
    return group_id


def update_group(
    doc: dict[str, Any], group_id: str, *, label_vi: str, label_en: str, weight: str
) -> None:
    _index, group = _find(_framework(doc).get("groups", []), group_id)
    problems: list[Problem] = []
    group["label"] = _named(label_vi, label_en, problems)
    group["weight"] = _weight(weight, problems)
    if problems:
        raise InputRefused(problems)


def delete_group(doc: dict[str, Any], group_id: str) -> None:
    framework = _framework(doc)
    index, _group = _find(framework.get("groups", []), group_id)
    members = [e["id"] for e in framework["elements"] if e.get("group") == group_id]
    if members:
        raise refuse(
            "group",
            _("Elements %(ids)s belong to this group; move them first.", ids=", ".join(members)),
        )
    del framework["groups"][index]
    if not framework["groups"]:
        del framework["groups"]


# --- elements and their criteria ---------------------------------------------------------


def _element_fields(
    doc: dict[str, Any],
    label_vi: str,
    label_en: str,
    weight: str,
    group: str,
    problems: list[Problem],
) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "label": _named(label_vi, label_en, problems),
        "weight": _weight(weight, problems),
    }
    groups = {g["id"] for g in _framework(doc).get("groups", [])}
    if group:
        if group not in groups:
            problems.append(Problem("group", _("Choose one of the groups.")))
        fields["group"] = group
    elif groups:
        problems.append(Problem("group", _("Choose the group this element belongs to.")))
    return fields


def add_element(
    doc: dict[str, Any], *, label_vi: str, label_en: str, weight: str, group: str = ""
) -> str:
    problems: list[Problem] = []
    fields = _element_fields(doc, label_vi, label_en, weight, group, problems)
    if problems:
        raise InputRefused(problems)
    elements = _framework(doc)["elements"]
    element_id = new_id("element", {e["id"] for e in elements})
    elements.append({"id": element_id, **fields, "criteria": []})
    return element_id


def update_element(
    doc: dict[str, Any],
    element_id: str,
    *,
    label_vi: str,
    label_en: str,
    weight: str,
    group: str = "",
) -> None:
    _index, element = _find(_framework(doc)["elements"], element_id)
    problems: list[Problem] = []
    fields = _element_fields(doc, label_vi, label_en, weight, group, problems)
    if problems:
        raise InputRefused(problems)
    element.pop("group", None)
    element.update(fields)


def move_element(doc: dict[str, Any], element_id: str, *, direction: str) -> None:
    elements = _framework(doc)["elements"]
    index, _element = _find(elements, element_id)
    other = index - 1 if direction == "up" else index + 1
    if direction in DIRECTIONS and 0 <= other < len(elements):
        elements[index], elements[other] = elements[other], elements[index]


def delete_element(doc: dict[str, Any], element_id: str) -> None:
    framework = _framework(doc)
    index, _element = _find(framework["elements"], element_id)
    del framework["elements"][index]
    framework.get("targets", {}).pop(element_id, None)


def add_criterion(doc: dict[str, Any], element_id: str, *, item: str, weight: str) -> None:
    framework = _framework(doc)
    _index, element = _find(framework["elements"], element_id)
    try:
        found = find_item(doc, item)[2]
    except NotInDocument:
        raise refuse("item", _("Choose a question.")) from None
    if found["type"] not in ("likert", "single"):
        raise refuse("item", _("A criterion must be a rating or single-choice question."))
    used = {c["item"] for e in framework["elements"] for c in e["criteria"]}
    if item in used:
        raise refuse("item", _("This question is already a criterion."))
    problems: list[Problem] = []
    value = number(weight, "weight", problems, positive=True)
    if problems:
        raise InputRefused(problems)
    element["criteria"].append(
        {"item": item} if value in (None, 1) else {"item": item, "weight": value}
    )


def remove_criterion(doc: dict[str, Any], element_id: str, *, item: str) -> None:
    _index, element = _find(_framework(doc)["elements"], element_id)
    kept = [c for c in element["criteria"] if c["item"] != item]
    if len(kept) == len(element["criteria"]):
        raise NotInDocument(item)
    element["criteria"] = kept


# --- indicators and targets --------------------------------------------------------------


def add_indicator(
    doc: dict[str, Any],
    *,
    label_vi: str,
    label_en: str,
    item: str,
    codes: list[str],
    min: str,
    max: str,
) -> str:
    """A share of respondents: those who chose ``codes``, or whose number is within min–max."""
    problems: list[Problem] = []
    name = _named(label_vi, label_en, problems)
    try:
        found = find_item(doc, item)[2]
    except NotInDocument:
        raise refuse("item", _("Choose a question.")) from None
    indicator: dict[str, Any] = {"item": item, "label": name}
    if found["type"] == "number":
        low = number(min, "min", problems)
        high = number(max, "max", problems)
        if low is None and high is None:
            problems.append(Problem("min", _("Give the smallest or the largest value counted.")))
        if low is not None:
            indicator["min"] = low
        if high is not None:
            indicator["max"] = high
    else:
        picked = sorted({int(c) for c in codes if re.fullmatch(r"-?\d+", c.strip())})
        if not picked:
            problems.append(Problem("codes", _("Tick the answers that count.")))
        indicator["codes"] = picked
    if problems:
        raise InputRefused(problems)
    indicators = _framework(doc).setdefault("indicators", [])
    indicator_id = new_id("indicator", {i["id"] for i in indicators})
    indicators.append({"id": indicator_id, **indicator})
    return indicator_id


def delete_indicator(doc: dict[str, Any], indicator_id: str) -> None:
    framework = _framework(doc)
    index, _indicator = _find(framework.get("indicators", []), indicator_id)
    del framework["indicators"][index]
    if not framework["indicators"]:
        del framework["indicators"]


def set_targets(doc: dict[str, Any], *, targets: dict[str, str]) -> None:
    """Targets in percent by key (``overall``, a group or an element); blank removes one."""
    framework = _framework(doc)
    known = {
        "overall",
        *(g["id"] for g in framework.get("groups", [])),
        *(e["id"] for e in framework["elements"]),
    }
    problems: list[Problem] = []
    stored: dict[str, float] = {}
    for key, text in targets.items():
        if key not in known:
            continue
        value = number(text, f"target_{key}", problems)
        if value is None:
            continue
        if not 0 < value <= 100:
            problems.append(
                Problem(f"target_{key}", _("A target is a percentage above 0 and at most 100."))
            )
            continue
        stored[key] = round(value / 100, 6)
    if problems:
        raise InputRefused(problems)
    kept = {k: v for k, v in framework.get("targets", {}).items() if k not in known}
    if stored or kept:
        framework["targets"] = {**kept, **stored}
    else:
        framework.pop("targets", None)


OPERATIONS: dict[str, Callable[..., Any]] = {
    f.__name__: f
    for f in (
        settings,
        add_group,
        update_group,
        delete_group,
        add_element,
        update_element,
        move_element,
        delete_element,
        add_criterion,
        remove_criterion,
        add_indicator,
        delete_indicator,
        set_targets,
        set_points,
        clear_points,
    )
}
