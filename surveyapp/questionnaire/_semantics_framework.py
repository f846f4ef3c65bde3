"""The meaning checks of a document's scoring framework: groups, elements, criteria,
indicators, targets and a points questionnaire's scheme."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

from surveyapp.questionnaire._semantics_base import (
    Finding,
    Items,
    above,
    as_dict,
    as_list,
    check_rule,
    duplicate,
    is_number,
    option_codes,
)
from surveyapp.questionnaire.document import CHOICE_TYPES
from surveyapp.scoring.framework import DEFAULT_ITEM_MAX, DEFAULT_SATISFIED

CRITERION_TYPES = ("likert", "single")
INDICATOR_TYPES = (*CHOICE_TYPES, "number")


def check_framework(fw: dict[str, Any], scales: dict[str, Any], items: Items) -> list[Finding]:
    found: list[Finding] = []
    group_ids: dict[str, str] = {}
    for g, group in enumerate(as_list(fw.get("groups"))):
        gid = as_dict(group).get("id")
        if isinstance(gid, str):
            if gid in group_ids:
                found.append(
                    Finding(f"framework.groups[{g}].id", "duplicate_id", duplicate(gid, group_ids))
                )
            group_ids.setdefault(gid, f"framework.groups[{g}].id")
    used_groups: set[str] = set()
    element_ids: dict[str, str] = {}
    criteria: set[str] = set()
    for e, element in enumerate(as_list(fw.get("elements"))):
        path, element = f"framework.elements[{e}]", as_dict(element)
        eid, group = element.get("id"), element.get("group")
        if isinstance(eid, str):
            if eid in element_ids:
                found.append(Finding(f"{path}.id", "duplicate_id", duplicate(eid, element_ids)))
            element_ids.setdefault(eid, f"{path}.id")
        if isinstance(group, str):
            used_groups.add(group)
            if group not in group_ids:
                found.append(Finding(f"{path}.group", "unknown_group", {"group": group}))
        elif group_ids:
            found.append(Finding(path, "missing_group"))
        found += _check_criteria(element.get("criteria"), f"{path}.criteria", items, criteria)
        found += _check_criterion_codes(
            element.get("criteria"), f"{path}.criteria", fw, scales, items
        )
    for gid, where in group_ids.items():
        if gid not in used_groups:
            found.append(Finding(where.removesuffix(".id"), "empty_group", {"group": gid}))
    found += _check_indicators(fw.get("indicators"), scales, items)
    known_targets = {"overall", *group_ids, *element_ids, *criteria}
    for key in as_dict(fw.get("targets")):
        if key not in known_targets:
            found.append(
                Finding(f"framework.targets.{key}", "unknown_target", {"key": key}, "warning")
            )
    found += _check_points(as_dict(fw.get("points")), scales, items)
    return found


def _check_criteria(criteria: Any, path: str, items: Items, seen_all: set[str]) -> list[Finding]:
    found: list[Finding] = []
    seen: dict[str, str] = {}
    for c, criterion in enumerate(as_list(criteria)):
        where, name = f"{path}[{c}].item", as_dict(criterion).get("item")
        if not isinstance(name, str):
            continue
        seen_all.add(name)
        if name in seen:
            found.append(Finding(where, "duplicate_id", duplicate(name, seen)))
        seen.setdefault(name, where)
        found += _item_of_type(name, where, items, CRITERION_TYPES, "criterion_type")
    return found


def _check_criterion_codes(
    criteria: Any, path: str, fw: dict[str, Any], scales: dict[str, Any], items: Items
) -> Iterator[Finding]:
    """A criterion scores the share of satisfied answers: its codes must run as those do."""
    satisfied = as_list(fw.get("satisfied", DEFAULT_SATISFIED))
    if not satisfied or not all(is_number(v) for v in satisfied):
        return  # the schema pass reports a malformed list
    for c, criterion in enumerate(as_list(criteria)):
        name = as_dict(criterion).get("item")
        item = items.get(name, ("", None))[1] if isinstance(name, str) else None
        if item is None or item.get("type") not in CRITERION_TYPES:
            continue  # reported by _check_criteria
        codes = sorted(option_codes(item, scales, answers_only=True))
        if not codes:
            continue
        params = {"id": name, "codes": _listed(codes), "satisfied": _listed(satisfied)}
        where = f"{path}[{c}].item"
        lacking = [v for v in satisfied if v not in codes]
        above = [code for code in codes if code > max(satisfied)]
        if len(lacking) == len(satisfied):
            yield Finding(where, "criterion_never_satisfied", params, "warning")
        elif lacking or above:
            params["odd"] = _listed(lacking or above)
            code = "criterion_lacks_satisfied" if lacking else "criterion_above_satisfied"
            yield Finding(where, code, params, "warning")


def _listed(values: list[Any]) -> str:
    return ", ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in values)


def _check_indicators(indicators: Any, scales: dict[str, Any], items: Items) -> list[Finding]:
    found: list[Finding] = []
    ids: dict[str, str] = {}
    for x, indicator in enumerate(as_list(indicators)):
        path, indicator = f"framework.indicators[{x}]", as_dict(indicator)
        iid, name = indicator.get("id"), indicator.get("item")
        if isinstance(iid, str):
            if iid in ids:
                found.append(Finding(f"{path}.id", "duplicate_id", duplicate(iid, ids)))
            ids.setdefault(iid, f"{path}.id")
        if isinstance(name, str):
            found += _item_of_type(
                name, f"{path}.item", items, INDICATOR_TYPES, "indicator_item_type"
            )
        has_codes = "codes" in indicator
        has_range = "min" in indicator or "max" in indicator
        if has_codes == has_range:
            found.append(Finding(path, "indicator_codes_or_range"))
        low, high = indicator.get("min"), indicator.get("max")
        if above(low, high):
            found.append(Finding(f"{path}.min", "min_above_max", {"min": low, "max": high}))
        if "among" in indicator:  # evaluated after the fact: any answered item will do
            among = indicator["among"]
            found += check_rule(
                among, f"{path}.among", {}, items, scales, ordered=False, numeric=True
            )
    return found


def _check_points(points: dict[str, Any], scales: dict[str, Any], items: Items) -> list[Finding]:
    found: list[Finding] = []
    unfit: dict[str, Finding] = {}  # a scale used by several counted items: each option once
    item_max = points.get("item_max", DEFAULT_ITEM_MAX)
    for i, name in enumerate(as_list(points.get("items"))):
        if isinstance(name, str):
            where = f"framework.points.items[{i}]"
            wrong = _item_of_type(name, where, items, CRITERION_TYPES, "points_item_type")
            found += wrong
            if not wrong:
                for finding in _unfit_option_points(name, *items[name], scales, item_max):
                    unfit.setdefault(finding.path, finding)
    found += unfit.values()
    mins = [as_dict(b).get("min") for b in as_list(points.get("bands"))]
    for b, (upper, lower) in enumerate(itertools.pairwise(mins), start=1):
        if not above(upper, lower) and is_number(upper) and is_number(lower):
            found.append(Finding(f"framework.points.bands[{b}].min", "bands_order"))
    return found


def _unfit_option_points(
    name: str, path: str, item: dict[str, Any], scales: dict[str, Any], item_max: Any
) -> Iterator[Finding]:
    """A counted item's answers score their option's points: no code stands in for them,
    and none gives more than ``item_max``, which scales a dossier's total to the bands."""
    if "options" in item:
        options, where = item["options"], f"{path}.options"
    else:
        scale = item.get("scale")
        options, where = as_dict(scales.get(str(scale))).get("options"), f"scales.{scale}.options"
    for o, option in enumerate(as_list(options)):
        option = as_dict(option)
        if option.get("missing"):
            continue
        params = {"id": name, "code": option.get("code")}
        points = option.get("points")
        if points is None:
            yield Finding(f"{where}[{o}].points", "points_missing", params)
        elif is_number(points) and is_number(item_max) and points > item_max:
            params |= {"points": f"{points:g}", "item_max": f"{item_max:g}"}
            yield Finding(f"{where}[{o}].points", "points_over_max", params)


def _item_of_type(
    name: str, path: str, items: Items, types: tuple[str, ...], code: str
) -> list[Finding]:
    if name not in items:
        return [Finding(path, "unknown_item", {"id": name})]
    kind = items[name][1].get("type")
    if kind not in types:
        return [Finding(path, code, {"id": name, "type": kind})]
    return []
