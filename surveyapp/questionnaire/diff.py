"""What changed between two versions of a questionnaire: items, sections and framework.

Items are matched by id (the export variable name), as scoring across versions matches
them, so a renamed id reads as one item removed and another added. Options are compared
as the respondent sees them (inline or through the scale), so editing a scale shows on
every item that uses it. Pure: two documents in, a ``QuestionnaireDiff`` out.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from flask_babel import lazy_gettext as _l

from surveyapp.questionnaire.document import CHOICE_TYPES


class ItemChangeKind(StrEnum):
    REWORDED = "reworded"  # the label, in at least one language
    HINT = "hint"
    TYPE = "type"
    SCALE = "scale"  # another named scale (its options may still be the same)
    OPTIONS = "options"  # codes, labels, missing flags or points as the respondent sees them
    REQUIRED = "required"
    RANGE = "range"  # min/max of a number item
    SHOW_WHEN = "show_when"
    CHECKS = "checks"
    MOVED = "moved"  # to another section


@dataclass(frozen=True)
class ItemRef:
    """An item as it stands in one version: where it is and what it says."""

    id: str
    section: str
    type: str
    label: Mapping[str, str]


@dataclass(frozen=True)
class ItemChange:
    """One item present in both versions that differs between them."""

    id: str
    kinds: tuple[ItemChangeKind, ...]  # in the order of ItemChangeKind
    before: ItemRef
    after: ItemRef
    reworded_languages: tuple[str, ...] = ()  # languages whose label text changed


@dataclass(frozen=True)
class SectionChange:
    """A section present in both versions whose title or ``show_when`` changed."""

    id: str
    kinds: tuple[str, ...]  # "title", "show_when"


class FrameworkChangeKind(StrEnum):
    GROUP_ADDED = "group_added"
    GROUP_REMOVED = "group_removed"
    GROUP_WEIGHT = "group_weight"
    ELEMENT_ADDED = "element_added"
    ELEMENT_REMOVED = "element_removed"
    ELEMENT_WEIGHT = "element_weight"
    ELEMENT_GROUP = "element_group"
    ELEMENT_LABEL = "element_label"
    CRITERION_ADDED = "criterion_added"
    CRITERION_REMOVED = "criterion_removed"
    CRITERION_WEIGHT = "criterion_weight"
    INDICATOR_ADDED = "indicator_added"
    INDICATOR_REMOVED = "indicator_removed"
    INDICATOR_CHANGED = "indicator_changed"
    TARGET = "target"
    SETTING = "setting"  # satisfied codes, aggregate, points


@dataclass(frozen=True)
class FrameworkChange:
    """One change to the scoring framework.

    ``subject`` is the group, element, indicator or target id; for criteria it is the
    item id and ``element`` the element it is (or was) counted under. ``before`` and
    ``after`` are the old and new value (a weight, a group id, a label...), None when
    the thing did not exist on that side. Missing weights count as 1.
    """

    kind: FrameworkChangeKind
    subject: str
    element: str | None = None
    before: Any = None
    after: Any = None


@dataclass(frozen=True)
class QuestionnaireDiff:
    """Everything that changed from ``before`` to ``after``, each list in document order."""

    added: tuple[ItemRef, ...] = ()
    removed: tuple[ItemRef, ...] = ()
    changed: tuple[ItemChange, ...] = ()
    sections_added: tuple[str, ...] = ()
    sections_removed: tuple[str, ...] = ()
    sections_changed: tuple[SectionChange, ...] = ()
    framework: tuple[FrameworkChange, ...] = ()
    metadata: tuple[str, ...] = ()  # top-level keys that changed: title, languages...

    @property
    def reworded(self) -> tuple[ItemChange, ...]:
        return self._having(ItemChangeKind.REWORDED)

    @property
    def moved(self) -> tuple[ItemChange, ...]:
        return self._having(ItemChangeKind.MOVED)

    @property
    def unchanged(self) -> bool:
        """Nothing a respondent or an analyst would notice differs."""
        return not (
            self.added
            or self.removed
            or self.changed
            or self.sections_added
            or self.sections_removed
            or self.sections_changed
            or self.framework
            or self.metadata
        )

    def _having(self, kind: ItemChangeKind) -> tuple[ItemChange, ...]:
        return tuple(change for change in self.changed if kind in change.kinds)


# What a diff page shows for each kind of change, in the reader's language.
ITEM_CHANGE_LABELS = {
    ItemChangeKind.REWORDED: _l("reworded"),
    ItemChangeKind.HINT: _l("hint changed"),
    ItemChangeKind.TYPE: _l("question type changed"),
    ItemChangeKind.SCALE: _l("another scale"),
    ItemChangeKind.OPTIONS: _l("answer options changed"),
    ItemChangeKind.REQUIRED: _l("required or not changed"),
    ItemChangeKind.RANGE: _l("allowed range changed"),
    ItemChangeKind.SHOW_WHEN: _l("display condition changed"),
    ItemChangeKind.CHECKS: _l("checks changed"),
    ItemChangeKind.MOVED: _l("moved to another section"),
}
SECTION_CHANGE_LABELS = {"title": _l("title changed"), "show_when": _l("display condition changed")}
FRAMEWORK_CHANGE_LABELS = {
    FrameworkChangeKind.GROUP_ADDED: _l("group added"),
    FrameworkChangeKind.GROUP_REMOVED: _l("group removed"),
    FrameworkChangeKind.GROUP_WEIGHT: _l("group weight changed"),
    FrameworkChangeKind.ELEMENT_ADDED: _l("element added"),
    FrameworkChangeKind.ELEMENT_REMOVED: _l("element removed"),
    FrameworkChangeKind.ELEMENT_WEIGHT: _l("element weight changed"),
    FrameworkChangeKind.ELEMENT_GROUP: _l("element moved to another group"),
    FrameworkChangeKind.ELEMENT_LABEL: _l("element renamed"),
    FrameworkChangeKind.CRITERION_ADDED: _l("criterion added"),
    FrameworkChangeKind.CRITERION_REMOVED: _l("criterion removed"),
    FrameworkChangeKind.CRITERION_WEIGHT: _l("criterion weight changed"),
    FrameworkChangeKind.INDICATOR_ADDED: _l("indicator added"),
    FrameworkChangeKind.INDICATOR_REMOVED: _l("indicator removed"),
    FrameworkChangeKind.INDICATOR_CHANGED: _l("indicator changed"),
    FrameworkChangeKind.TARGET: _l("target changed"),
    FrameworkChangeKind.SETTING: _l("scoring setting changed"),
}

ITEM_FIELDS_COMPARED_AS_IS: dict[str, ItemChangeKind] = {
    "type": ItemChangeKind.TYPE,
    "scale": ItemChangeKind.SCALE,
    "hint": ItemChangeKind.HINT,
    "show_when": ItemChangeKind.SHOW_WHEN,
    "checks": ItemChangeKind.CHECKS,
}
METADATA_KEYS = (
    "title",
    "description",
    "languages",
    "audience",
    "estimated_minutes",
    "form_version",
)
FRAMEWORK_SETTINGS = ("satisfied", "aggregate", "points")


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> QuestionnaireDiff:
    """Compare two valid questionnaire documents (``before`` the older one)."""
    old_items, new_items = dict(_items(before)), dict(_items(after))
    old_sections = {s["id"]: s for s in before["sections"]}
    new_sections = {s["id"]: s for s in after["sections"]}
    changed = []
    for item_id, (new_ref, new_item) in new_items.items():
        if item_id in old_items:
            old_ref, old_item = old_items[item_id]
            change = _item_change(before, after, old_ref, old_item, new_ref, new_item)
            if change is not None:
                changed.append(change)
    return QuestionnaireDiff(
        added=tuple(ref for key, (ref, _) in new_items.items() if key not in old_items),
        removed=tuple(ref for key, (ref, _) in old_items.items() if key not in new_items),
        changed=tuple(changed),
        sections_added=tuple(s for s in new_sections if s not in old_sections),
        sections_removed=tuple(s for s in old_sections if s not in new_sections),
        sections_changed=tuple(_section_changes(old_sections, new_sections)),
        framework=tuple(
            _framework_changes(before.get("framework") or {}, after.get("framework") or {})
        ),
        metadata=tuple(k for k in METADATA_KEYS if before.get(k) != after.get(k)),
    )


def _items(doc: Mapping[str, Any]) -> Iterator[tuple[str, tuple[ItemRef, dict[str, Any]]]]:
    for section in doc["sections"]:
        for item in section["items"]:
            ref = ItemRef(item["id"], section["id"], item["type"], dict(item.get("label") or {}))
            yield item["id"], (ref, item)


def _item_change(
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    old_ref: ItemRef,
    old: Mapping[str, Any],
    new_ref: ItemRef,
    new: Mapping[str, Any],
) -> ItemChange | None:
    kinds = {
        kind for key, kind in ITEM_FIELDS_COMPARED_AS_IS.items() if old.get(key) != new.get(key)
    }
    languages = tuple(
        lang
        for lang in _union_keys(old_ref.label, new_ref.label)
        if old_ref.label.get(lang) != new_ref.label.get(lang)
    )
    if languages:
        kinds.add(ItemChangeKind.REWORDED)
    if _options(before, old) != _options(after, new):
        kinds.add(ItemChangeKind.OPTIONS)
    if bool(old.get("required")) != bool(new.get("required")):
        kinds.add(ItemChangeKind.REQUIRED)
    if (old.get("min"), old.get("max")) != (new.get("min"), new.get("max")):
        kinds.add(ItemChangeKind.RANGE)
    if old_ref.section != new_ref.section:
        kinds.add(ItemChangeKind.MOVED)
    if not kinds:
        return None
    ordered = tuple(kind for kind in ItemChangeKind if kind in kinds)
    return ItemChange(new_ref.id, ordered, old_ref, new_ref, languages)


def _options(doc: Mapping[str, Any], item: Mapping[str, Any]) -> list[Any]:
    if item.get("type") not in CHOICE_TYPES:
        return []
    if "options" in item:
        return list(item["options"])
    return list((doc.get("scales") or {}).get(item.get("scale"), {}).get("options", []))


def _section_changes(
    old: Mapping[str, Mapping[str, Any]], new: Mapping[str, Mapping[str, Any]]
) -> Iterator[SectionChange]:
    for section_id, section in new.items():
        if section_id not in old:
            continue
        kinds = tuple(
            key for key in ("title", "show_when") if old[section_id].get(key) != section.get(key)
        )
        if kinds:
            yield SectionChange(section_id, kinds)


def _framework_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> Iterator[FrameworkChange]:
    kind = FrameworkChangeKind
    old_groups, new_groups = _by_id(old.get("groups")), _by_id(new.get("groups"))
    yield from _membership(old_groups, new_groups, kind.GROUP_ADDED, kind.GROUP_REMOVED)
    for gid in _common(old_groups, new_groups):
        yield from _weight(kind.GROUP_WEIGHT, gid, None, old_groups[gid], new_groups[gid])

    old_elements, new_elements = _by_id(old.get("elements")), _by_id(new.get("elements"))
    yield from _membership(old_elements, new_elements, kind.ELEMENT_ADDED, kind.ELEMENT_REMOVED)
    for eid in _common(old_elements, new_elements):
        was, now = old_elements[eid], new_elements[eid]
        yield from _weight(kind.ELEMENT_WEIGHT, eid, None, was, now)
        if was.get("group") != now.get("group"):
            yield FrameworkChange(kind.ELEMENT_GROUP, eid, None, was.get("group"), now.get("group"))
        if was.get("label") != now.get("label"):
            yield FrameworkChange(kind.ELEMENT_LABEL, eid, None, was.get("label"), now.get("label"))
    yield from _criteria_changes(old_elements, new_elements)

    old_indicators, new_indicators = _by_id(old.get("indicators")), _by_id(new.get("indicators"))
    yield from _membership(
        old_indicators, new_indicators, kind.INDICATOR_ADDED, kind.INDICATOR_REMOVED
    )
    for xid in _common(old_indicators, new_indicators):
        if old_indicators[xid] != new_indicators[xid]:
            yield FrameworkChange(
                kind.INDICATOR_CHANGED, xid, None, old_indicators[xid], new_indicators[xid]
            )

    old_targets, new_targets = old.get("targets") or {}, new.get("targets") or {}
    for key in _union_keys(old_targets, new_targets):
        if old_targets.get(key) != new_targets.get(key):
            yield FrameworkChange(
                kind.TARGET, key, None, old_targets.get(key), new_targets.get(key)
            )
    for key in FRAMEWORK_SETTINGS:
        if old.get(key) != new.get(key):
            yield FrameworkChange(kind.SETTING, key, None, old.get(key), new.get(key))


def _criteria_changes(
    old_elements: Mapping[str, Mapping[str, Any]], new_elements: Mapping[str, Mapping[str, Any]]
) -> Iterator[FrameworkChange]:
    """Criteria leaving or joining an element, and reweighted ones (a criterion moved
    from one element to another is removed from the first and added to the second)."""
    kind = FrameworkChangeKind
    old_criteria = _criteria(old_elements)
    new_criteria = _criteria(new_elements)
    for key, criterion in old_criteria.items():
        if key not in new_criteria:
            yield FrameworkChange(kind.CRITERION_REMOVED, key[1], key[0], _w(criterion), None)
    for key, criterion in new_criteria.items():
        if key not in old_criteria:
            yield FrameworkChange(kind.CRITERION_ADDED, key[1], key[0], None, _w(criterion))
        else:
            yield from _weight(kind.CRITERION_WEIGHT, key[1], key[0], old_criteria[key], criterion)


def _criteria(
    elements: Mapping[str, Mapping[str, Any]],
) -> dict[tuple[str, str], Mapping[str, Any]]:
    return {
        (eid, criterion["item"]): criterion
        for eid, element in elements.items()
        for criterion in element.get("criteria") or []
    }


def _membership(
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    added: FrameworkChangeKind,
    removed: FrameworkChangeKind,
) -> Iterator[FrameworkChange]:
    for key in old:
        if key not in new:
            yield FrameworkChange(removed, key, before=old[key])
    for key in new:
        if key not in old:
            yield FrameworkChange(added, key, after=new[key])


def _weight(
    kind: FrameworkChangeKind,
    subject: str,
    element: str | None,
    old: Mapping[str, Any],
    new: Mapping[str, Any],
) -> Iterator[FrameworkChange]:
    if _w(old) != _w(new):
        yield FrameworkChange(kind, subject, element, _w(old), _w(new))


def _w(entry: Mapping[str, Any]) -> float:
    weight: float = entry.get("weight", 1)
    return weight


def _by_id(entries: Any) -> dict[str, Mapping[str, Any]]:
    return {entry["id"]: entry for entry in entries or []}


def _common(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    return [key for key in new if key in old]


def _union_keys(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    return [*old, *(key for key in new if key not in old)]
