"""The checks a JSON Schema cannot express: ids, references, rule order, framework, labels.

Every function here tolerates a structurally broken document (the schema pass reports
that), so that one upload lists every problem. Findings carry message codes; the text is
chosen in ``validation.py`` in the user's language. The framework's checks are in
``_semantics_framework``, what both use in ``_semantics_base``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from surveyapp.questionnaire._semantics_base import (
    Finding,
    Items,
    above,
    all_items,
    as_dict,
    as_list,
    check_rule,
    duplicate,
    items_with_paths,
)
from surveyapp.questionnaire._semantics_framework import check_framework
from surveyapp.questionnaire.document import CHOICE_TYPES

ITEM_ID = re.compile(r"[a-z][a-z0-9_]{0,31}")


def check_meaning(doc: Mapping[str, Any]) -> list[Finding]:
    """Every meaning problem of ``doc`` (already known to be a JSON object)."""
    found: list[Finding] = []
    scales = as_dict(doc.get("scales"))
    for name, scale in scales.items():
        found += _check_options(as_dict(scale).get("options"), f"scales.{name}.options")
    items = all_items(doc)
    found += _check_sections(doc, scales, items)
    found += check_framework(as_dict(doc.get("framework")), scales, items)
    found += _check_labels(doc)
    return found


def _check_sections(doc: Mapping[str, Any], scales: dict[str, Any], items: Items) -> list[Finding]:
    found: list[Finding] = []
    section_ids: dict[str, str] = {}
    earlier: dict[str, dict[str, Any]] = {}  # items before the current one, in order
    for s, section in enumerate(as_list(doc.get("sections"))):
        path = f"sections[{s}]"
        section = as_dict(section)
        sid = section.get("id")
        if isinstance(sid, str):
            if sid in section_ids:
                found.append(
                    Finding(f"{path}.id", "duplicate_section", duplicate(sid, section_ids))
                )
            section_ids.setdefault(sid, f"{path}.id")
        if "show_when" in section:
            found += check_rule(section["show_when"], f"{path}.show_when", earlier, items, scales)
        for i, item in enumerate(as_list(section.get("items"))):
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
        found += check_rule(item["show_when"], f"{path}.show_when", earlier, items, scales)
    own = {iid: item} if isinstance(iid, str) else {}
    for c, entry in enumerate(as_list(item.get("checks"))):
        rule = as_dict(entry).get("rule")
        if rule is not None:  # a check may read its own answer besides the earlier ones
            where = f"{path}.checks[{c}].rule"
            found += check_rule(rule, where, {**earlier, **own}, items, scales)
    return found


def _check_range(item: dict[str, Any], path: str, kind: Any) -> list[Finding]:
    low, high = item.get("min"), item.get("max")
    if low is None and high is None:
        return []
    if kind != "number":
        return [Finding(f"{path}.{'min' if low is not None else 'max'}", "range_on_non_number")]
    if above(low, high):
        return [Finding(f"{path}.min", "min_above_max", {"min": low, "max": high})]
    return []


def _check_options(options: Any, path: str) -> list[Finding]:
    found: list[Finding] = []
    seen: set[int] = set()
    for o, option in enumerate(as_list(options)):
        code = as_dict(option).get("code")
        if isinstance(code, int) and not isinstance(code, bool):
            if code in seen:
                found.append(Finding(f"{path}[{o}].code", "duplicate_code", {"code": code}))
            seen.add(code)
    return found


def _check_labels(doc: Mapping[str, Any]) -> list[Finding]:
    languages = [lang for lang in as_list(doc.get("languages")) if isinstance(lang, str)]
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
    for name, scale in as_dict(doc.get("scales")).items():
        yield from _option_labels(as_dict(scale).get("options"), f"scales.{name}.options")
    for s, section in enumerate(as_list(doc.get("sections"))):
        yield f"sections[{s}].title", as_dict(section).get("title")
    for path, item in items_with_paths(doc):
        yield f"{path}.label", item.get("label")
        if "hint" in item:
            yield f"{path}.hint", item["hint"]
        yield from _option_labels(item.get("options"), f"{path}.options")
        for c, entry in enumerate(as_list(item.get("checks"))):
            yield f"{path}.checks[{c}].message", as_dict(entry).get("message")
    fw = as_dict(doc.get("framework"))
    for key in ("groups", "elements", "indicators"):
        for n, entry in enumerate(as_list(fw.get(key))):
            if "label" in as_dict(entry):
                yield f"framework.{key}[{n}].label", entry["label"]
    for b, band in enumerate(as_list(as_dict(fw.get("points")).get("bands"))):
        yield f"framework.points.bands[{b}].label", as_dict(band).get("label")


def _option_labels(options: Any, path: str) -> Iterator[tuple[str, Any]]:
    for o, option in enumerate(as_list(options)):
        yield f"{path}[{o}].label", as_dict(option).get("label")
