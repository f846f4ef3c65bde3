"""The checks a JSON Schema cannot express: ids, references, rule order, framework, labels.

Every function here tolerates a structurally broken document (the schema pass reports
that), so that one upload lists every problem. Findings carry message codes; the text is
chosen in ``validation.py`` in the user's language.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from surveyapp.questionnaire import rules
from surveyapp.questionnaire.document import CHOICE_TYPES
from surveyapp.scoring.framework import DEFAULT_ITEM_MAX, DEFAULT_SATISFIED

ITEM_ID = re.compile(r"[a-z][a-z0-9_]{0,31}")
CRITERION_TYPES = ("likert", "single")
INDICATOR_TYPES = (*CHOICE_TYPES, "number")
COMPARISON_OPS = ("eq", "ne", "lt", "le", "gt", "ge")


@dataclass(frozen=True)
class Finding:
    path: str
    code: str
    params: dict[str, Any] = field(default_factory=dict)
    severity: str = "error"


Items = dict[str, tuple[str, dict[str, Any]]]  # item id → (path, item), first occurrence


def check_meaning(doc: Mapping[str, Any]) -> list[Finding]:
    """Every meaning problem of ``doc`` (already known to be a JSON object)."""
    found: list[Finding] = []
    scales = _dict(doc.get("scales"))
    for name, scale in scales.items():
        found += _check_options(_dict(scale).get("options"), f"scales.{name}.options")
    items = _all_items(doc)
    found += _check_sections(doc, scales, items)
    found += _check_framework(_dict(doc.get("framework")), scales, items)
    found += _check_labels(doc)
    return found


def _all_items(doc: Mapping[str, Any]) -> Items:
    items: Items = {}
    for path, item in _items_with_paths(doc):
        if isinstance(item.get("id"), str):
            items.setdefault(item["id"], (path, item))
    return items


def _items_with_paths(doc: Mapping[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for s, section in enumerate(_list(doc.get("sections"))):
        for i, item in enumerate(_list(_dict(section).get("items"))):
            if isinstance(item, dict):
                yield f"sections[{s}].items[{i}]", item


def _check_sections(doc: Mapping[str, Any], scales: dict[str, Any], items: Items) -> list[Finding]:
    found: list[Finding] = []
    section_ids: dict[str, str] = {}
    earlier: dict[str, dict[str, Any]] = {}  # items before the current one, in order
    for s, section in enumerate(_list(doc.get("sections"))):
        path = f"sections[{s}]"
        section = _dict(section)
        sid = section.get("id")
        if isinstance(sid, str):
            if sid in section_ids:
                found.append(Finding(f"{path}.id", "duplicate_section", _dup(sid, section_ids)))
            section_ids.setdefault(sid, f"{path}.id")
        if "show_when" in section:
            found += _check_rule(section["show_when"], f"{path}.show_when", earlier, items, scales)
        for i, item in enumerate(_list(section.get("items"))):
            if isinstance(item, dict):
                found += _check_item(item, f"{path}.items[{i}]", scales, earlier, items)
                if isinstance(item.get("id"), str):
                    earlier.setdefault(item["id"], item)
    return found


def _check_item(
    item: dict[str, Any],
    path: str,
    scales: dict[str, Any],
    earlier: dict[str, dict[str, Any]],
    items: Items,
) -> list[Finding]:
    found: list[Finding] = []
    iid, kind = item.get("id"), item.get("type")
    if isinstance(iid, str):
        if not ITEM_ID.fullmatch(iid):
            found.append(Finding(f"{path}.id", "item_id_format", {"id": iid}))
        if iid in earlier:
            first = items[iid][0]
            found.append(Finding(f"{path}.id", "duplicate_item", {"id": iid, "first": first}))
    if kind in CHOICE_TYPES:
        if "scale" in item and "options" in item:
            found.append(Finding(path, "scale_and_options"))
        elif "options" in item:
            found += _check_options(item["options"], f"{path}.options")
        elif "scale" not in item:
            found.append(Finding(path, "choice_needs_options", {"type": kind}))
        elif isinstance(item["scale"], str) and item["scale"] not in scales:
            known = ", ".join(sorted(scales)) or "-"
            found.append(
                Finding(f"{path}.scale", "unknown_scale", {"scale": item["scale"], "known": known})
            )
    elif isinstance(kind, str) and ("scale" in item or "options" in item):
        key = "scale" if "scale" in item else "options"
        found.append(Finding(f"{path}.{key}", "options_on_non_choice", {"type": kind}))
    found += _check_range(item, path, kind)
    if "show_when" in item:
        found += _check_rule(item["show_when"], f"{path}.show_when", earlier, items, scales)
    own = {iid: item} if isinstance(iid, str) else {}
    for c, entry in enumerate(_list(item.get("checks"))):
        rule = _dict(entry).get("rule")
        if rule is not None:  # a check may read its own answer besides the earlier ones
            where = f"{path}.checks[{c}].rule"
            found += _check_rule(rule, where, {**earlier, **own}, items, scales)
    return found


def _check_range(item: dict[str, Any], path: str, kind: Any) -> list[Finding]:
    low, high = item.get("min"), item.get("max")
    if low is None and high is None:
        return []
    if kind != "number":
        return [Finding(f"{path}.{'min' if low is not None else 'max'}", "range_on_non_number")]
    if _above(low, high):
        return [Finding(f"{path}.min", "min_above_max", {"min": low, "max": high})]
    return []


def _check_options(options: Any, path: str) -> list[Finding]:
    found: list[Finding] = []
    seen: set[int] = set()
    for o, option in enumerate(_list(options)):
        code = _dict(option).get("code")
        if isinstance(code, int) and not isinstance(code, bool):
            if code in seen:
                found.append(Finding(f"{path}[{o}].code", "duplicate_code", {"code": code}))
            seen.add(code)
    return found


def _check_rule(
    rule: Any,
    path: str,
    earlier: Mapping[str, dict[str, Any]],
    items: Items,
    scales: dict[str, Any],
    *,
    ordered: bool = True,
    numeric: bool = False,
) -> list[Finding]:
    """The items a rule names must exist, take answers and (``ordered``) come earlier."""
    try:
        names = rules.referenced_items(rule)
    except rules.RuleError:
        return []  # the schema pass has already said what is wrong with its shape
    found: list[Finding] = []
    for name in sorted(names):
        known = earlier.get(name) if ordered else items.get(name, ("", None))[1]
        if known is None:
            code = "rule_later_item" if name in items else "rule_unknown_item"
            found.append(Finding(path, code, {"id": name}))
        elif known.get("type") == "info":
            found.append(Finding(path, "rule_info_item", {"id": name}))
    for name, values in _compared(rule):
        for value in values:
            if numeric and not _is_number(value):
                found.append(Finding(path, "rule_value_not_number", {"value": repr(value)}))
        codes = _codes(items.get(name, ("", {}))[1], scales)
        for value in values:
            if codes and _is_number(value) and value not in codes:
                params = {"code": value, "id": name}
                found.append(Finding(path, "rule_unknown_code", params, "warning"))
    return found


def _compared(rule: Any) -> Iterator[tuple[str, list[Any]]]:
    """(item, values) of every comparison in a rule (malformed parts are skipped)."""
    if not isinstance(rule, Mapping) or len(rule) != 1:
        return
    ((op, arg),) = rule.items()
    if op in ("and", "or") and isinstance(arg, list):
        for sub in arg:
            yield from _compared(sub)
    elif op == "not":
        yield from _compared(arg)
    elif op in COMPARISON_OPS and isinstance(arg, list) and len(arg) == 2:
        yield arg[0], [arg[1]]
    elif op == "in" and isinstance(arg, list) and len(arg) == 2 and isinstance(arg[1], list):
        yield arg[0], list(arg[1])


def _codes(
    item: Mapping[str, Any] | None, scales: dict[str, Any], *, answers_only: bool = False
) -> set[int]:
    """Option codes of a choice item for an equality test (empty when unknowable);
    ``answers_only`` leaves out the "missing" ones (no answer, not applicable)."""
    if item is None or item.get("type") not in CHOICE_TYPES:
        return set()
    scale = _dict(scales.get(str(item.get("scale"))))
    options = [_dict(o) for o in _list(item.get("options") or scale.get("options"))]
    return {
        o["code"]
        for o in options
        if isinstance(o.get("code"), int) and not (answers_only and o.get("missing"))
    }


def _check_framework(fw: dict[str, Any], scales: dict[str, Any], items: Items) -> list[Finding]:
    found: list[Finding] = []
    group_ids: dict[str, str] = {}
    for g, group in enumerate(_list(fw.get("groups"))):
        gid = _dict(group).get("id")
        if isinstance(gid, str):
            if gid in group_ids:
                found.append(
                    Finding(f"framework.groups[{g}].id", "duplicate_id", _dup(gid, group_ids))
                )
            group_ids.setdefault(gid, f"framework.groups[{g}].id")
    used_groups: set[str] = set()
    element_ids: dict[str, str] = {}
    criteria: set[str] = set()
    for e, element in enumerate(_list(fw.get("elements"))):
        path, element = f"framework.elements[{e}]", _dict(element)
        eid, group = element.get("id"), element.get("group")
        if isinstance(eid, str):
            if eid in element_ids:
                found.append(Finding(f"{path}.id", "duplicate_id", _dup(eid, element_ids)))
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
    for key in _dict(fw.get("targets")):
        if key not in known_targets:
            found.append(
                Finding(f"framework.targets.{key}", "unknown_target", {"key": key}, "warning")
            )
    found += _check_points(_dict(fw.get("points")), scales, items)
    return found


def _check_criteria(criteria: Any, path: str, items: Items, seen_all: set[str]) -> list[Finding]:
    found: list[Finding] = []
    seen: dict[str, str] = {}
    for c, criterion in enumerate(_list(criteria)):
        where, name = f"{path}[{c}].item", _dict(criterion).get("item")
        if not isinstance(name, str):
            continue
        seen_all.add(name)
        if name in seen:
            found.append(Finding(where, "duplicate_id", _dup(name, seen)))
        seen.setdefault(name, where)
        found += _item_of_type(name, where, items, CRITERION_TYPES, "criterion_type")
    return found


def _check_criterion_codes(
    criteria: Any, path: str, fw: dict[str, Any], scales: dict[str, Any], items: Items
) -> Iterator[Finding]:
    """A criterion scores the share of satisfied answers: its codes must run as those do."""
    satisfied = _list(fw.get("satisfied", DEFAULT_SATISFIED))
    if not satisfied or not all(_is_number(v) for v in satisfied):
        return  # the schema pass reports a malformed list
    for c, criterion in enumerate(_list(criteria)):
        name = _dict(criterion).get("item")
        item = items.get(name, ("", None))[1] if isinstance(name, str) else None
        if item is None or item.get("type") not in CRITERION_TYPES:
            continue  # reported by _check_criteria
        codes = sorted(_codes(item, scales, answers_only=True))
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
    for x, indicator in enumerate(_list(indicators)):
        path, indicator = f"framework.indicators[{x}]", _dict(indicator)
        iid, name = indicator.get("id"), indicator.get("item")
        if isinstance(iid, str):
            if iid in ids:
                found.append(Finding(f"{path}.id", "duplicate_id", _dup(iid, ids)))
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
        if _above(low, high):
            found.append(Finding(f"{path}.min", "min_above_max", {"min": low, "max": high}))
        if "among" in indicator:  # evaluated after the fact: any answered item will do
            among = indicator["among"]
            found += _check_rule(
                among, f"{path}.among", {}, items, scales, ordered=False, numeric=True
            )
    return found


def _check_points(points: dict[str, Any], scales: dict[str, Any], items: Items) -> list[Finding]:
    found: list[Finding] = []
    unfit: dict[str, Finding] = {}  # a scale used by several counted items: each option once
    item_max = points.get("item_max", DEFAULT_ITEM_MAX)
    for i, name in enumerate(_list(points.get("items"))):
        if isinstance(name, str):
            where = f"framework.points.items[{i}]"
            wrong = _item_of_type(name, where, items, CRITERION_TYPES, "points_item_type")
            found += wrong
            if not wrong:
                for finding in _unfit_option_points(name, *items[name], scales, item_max):
                    unfit.setdefault(finding.path, finding)
    found += unfit.values()
    mins = [_dict(b).get("min") for b in _list(points.get("bands"))]
    for b, (upper, lower) in enumerate(itertools.pairwise(mins), start=1):
        if not _above(upper, lower) and _is_number(upper) and _is_number(lower):
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
        options, where = _dict(scales.get(str(scale))).get("options"), f"scales.{scale}.options"
    for o, option in enumerate(_list(options)):
        option = _dict(option)
        if option.get("missing"):
            continue
        params = {"id": name, "code": option.get("code")}
        points = option.get("points")
        if points is None:
            yield Finding(f"{where}[{o}].points", "points_missing", params)
        elif _is_number(points) and _is_number(item_max) and points > item_max:
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


def _check_labels(doc: Mapping[str, Any]) -> list[Finding]:
    languages = [lang for lang in _list(doc.get("languages")) if isinstance(lang, str)]
    if not languages:
        return []  # the schema pass reports the empty list
    found: list[Finding] = []
    for path, label in _labels(doc):
        if not isinstance(label, dict) or not label:
            continue
        if not label.get(languages[0]):
            found.append(Finding(path, "missing_label", {"lang": languages[0]}))
        for lang in languages[1:]:
            if not label.get(lang):
                found.append(Finding(path, "missing_translation", {"lang": lang}, "warning"))
    return found


def _labels(doc: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    yield "title", doc.get("title")
    if "description" in doc:
        yield "description", doc["description"]
    for name, scale in _dict(doc.get("scales")).items():
        yield from _option_labels(_dict(scale).get("options"), f"scales.{name}.options")
    for s, section in enumerate(_list(doc.get("sections"))):
        yield f"sections[{s}].title", _dict(section).get("title")
    for path, item in _items_with_paths(doc):
        yield f"{path}.label", item.get("label")
        if "hint" in item:
            yield f"{path}.hint", item["hint"]
        yield from _option_labels(item.get("options"), f"{path}.options")
        for c, entry in enumerate(_list(item.get("checks"))):
            yield f"{path}.checks[{c}].message", _dict(entry).get("message")
    fw = _dict(doc.get("framework"))
    for key in ("groups", "elements", "indicators"):
        for n, entry in enumerate(_list(fw.get(key))):
            if "label" in _dict(entry):
                yield f"framework.{key}[{n}].label", entry["label"]
    for b, band in enumerate(_list(_dict(fw.get("points")).get("bands"))):
        yield f"framework.points.bands[{b}].label", _dict(band).get("label")


def _option_labels(options: Any, path: str) -> Iterator[tuple[str, Any]]:
    for o, option in enumerate(_list(options)):
        yield f"{path}[{o}].label", _dict(option).get("label")


def _dup(value: str, seen: dict[str, str]) -> dict[str, str]:
    return {"id": value, "first": seen[value]}


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _above(low: Any, high: Any) -> bool:
    """Both are numbers and ``low`` is greater than ``high``."""
    return _is_number(low) and _is_number(high) and bool(low > high)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
