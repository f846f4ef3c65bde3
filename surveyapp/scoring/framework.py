"""The scoring framework of a questionnaire (``questionnaire["framework"]``).

See ``spec/questionnaire-format.md``. Weights are normalised when used, never here.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from surveyapp.scoring._rules import rule_items, validate_rule

Label = Mapping[str, str]
AGGREGATES = ("mean", "pooled")

DEFAULT_SATISFIED = (4, 5)  # the satisfied answers of a 1–5 scale unless a framework says
DEFAULT_ITEM_MAX = 2.0  # the most points one item gives unless a scheme says: TT01's 0–2


@dataclass(frozen=True)
class Criterion:
    item: str
    weight: float = 1.0


@dataclass(frozen=True)
class Element:
    id: str
    criteria: tuple[Criterion, ...]
    weight: float = 1.0
    group: str | None = None
    label: Label | None = None

    @property
    def items(self) -> tuple[str, ...]:
        return tuple(c.item for c in self.criteria)


@dataclass(frozen=True)
class Group:
    id: str
    weight: float = 1.0
    label: Label | None = None


@dataclass(frozen=True)
class Indicator:
    """Share of respondents whose ``item`` answer is in ``codes`` (or within [min, max]).

    The denominator is the valid answers to ``item`` among rows matching ``among``.
    """

    id: str
    item: str
    codes: tuple[float, ...] | None = None
    min: float | None = None
    max: float | None = None
    among: Mapping[str, Any] | None = None
    label: Label | None = None


@dataclass(frozen=True)
class Band:
    min: float
    label: Label


@dataclass(frozen=True)
class PointsScheme:
    """Per-respondent points (TT01): a total over ``items`` and ``bands`` from the top.

    ``item_max`` is the most points one item gives (2 in TT01); ``max_total`` the scale
    totals are rescaled to when some items are not applicable (18 in TT01).
    """

    items: tuple[str, ...]
    bands: tuple[Band, ...]
    item_max: float = DEFAULT_ITEM_MAX
    max_total: float = 18.0


@dataclass(frozen=True)
class Framework:
    """Elements of criteria (optionally in groups), indicators, targets, points."""

    satisfied: tuple[float, ...]
    elements: tuple[Element, ...]
    aggregate: str = "mean"
    groups: tuple[Group, ...] = ()
    indicators: tuple[Indicator, ...] = ()
    targets: Mapping[str, float] | None = None
    points: PointsScheme | None = None

    @property
    def criteria_items(self) -> tuple[str, ...]:
        """Every criterion item once, in framework order."""
        seen: dict[str, None] = {}
        for e in self.elements:
            for c in e.criteria:
                seen.setdefault(c.item, None)
        return tuple(seen)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Framework:
        """Parse and validate a ``framework`` object; ValueError names the JSON path."""
        if not isinstance(data, Mapping):
            raise ValueError("framework: expected an object")
        satisfied = tuple(
            _number(v, f"framework.satisfied[{i}]")
            for i, v in enumerate(
                _list(data.get("satisfied", list(DEFAULT_SATISFIED)), "framework.satisfied")
            )
        )
        aggregate = data.get("aggregate", "mean")
        if aggregate not in AGGREGATES:
            raise ValueError(
                f"framework.aggregate: expected one of {AGGREGATES}, got {aggregate!r}"
            )
        groups = tuple(
            Group(
                _id(g, f"framework.groups[{i}]"),
                _weight(g.get("weight", 1), f"framework.groups[{i}].weight"),
                g.get("label"),
            )
            for i, g in enumerate(_list(data.get("groups", []), "framework.groups"))
        )
        group_ids = {g.id for g in groups}
        _unique([g.id for g in groups], "framework.groups")
        elements = tuple(
            _element(e, f"framework.elements[{i}]", group_ids)
            for i, e in enumerate(_list(data.get("elements", []), "framework.elements"))
        )
        if not elements:
            raise ValueError("framework.elements: at least one element is needed")
        _unique([e.id for e in elements], "framework.elements")
        if groups:
            used = {e.group for e in elements}
            for i, g in enumerate(groups):
                if g.id not in used:
                    raise ValueError(f"framework.groups[{i}]: group {g.id!r} has no elements")
        indicators = tuple(
            _indicator(x, f"framework.indicators[{i}]")
            for i, x in enumerate(_list(data.get("indicators", []), "framework.indicators"))
        )
        _unique([x.id for x in indicators], "framework.indicators")
        targets = data.get("targets")
        if targets is not None:
            if not isinstance(targets, Mapping):
                raise ValueError("framework.targets: expected an object")
            targets = {str(k): _proportion(v, f"framework.targets.{k}") for k, v in targets.items()}
        points = data.get("points")
        return cls(
            satisfied=satisfied,
            elements=elements,
            aggregate=str(aggregate),
            groups=groups,
            indicators=indicators,
            targets=targets,
            points=None if points is None else _points(points, "framework.points"),
        )


def _element(data: Any, path: str, group_ids: set[str]) -> Element:
    eid = _id(data, path)
    criteria = []
    for j, c in enumerate(_list(data.get("criteria"), f"{path}.criteria")):
        if not isinstance(c, Mapping) or not isinstance(c.get("item"), str):
            raise ValueError(f"{path}.criteria[{j}].item: expected an item id")
        criteria.append(
            Criterion(c["item"], _weight(c.get("weight", 1), f"{path}.criteria[{j}].weight"))
        )
    if not criteria:
        raise ValueError(f"{path}.criteria: at least one criterion is needed")
    _unique([c.item for c in criteria], f"{path}.criteria")
    group = data.get("group")
    if group_ids and group not in group_ids:
        raise ValueError(f"{path}.group: {group!r} is not one of the framework's groups")
    if not group_ids and group is not None:
        raise ValueError(f"{path}.group: the framework declares no groups")
    return Element(
        eid,
        tuple(criteria),
        _weight(data.get("weight", 1), f"{path}.weight"),
        group,
        data.get("label"),
    )


def _indicator(data: Any, path: str) -> Indicator:
    iid = _id(data, path)
    item = data.get("item")
    if not isinstance(item, str):
        raise ValueError(f"{path}.item: expected an item id")
    codes = data.get("codes")
    low, high = data.get("min"), data.get("max")
    if codes is None and low is None and high is None:
        raise ValueError(f"{path}: give 'codes' or 'min'/'max'")
    if codes is not None and (low is not None or high is not None):
        raise ValueError(f"{path}: give either 'codes' or 'min'/'max', not both")
    parsed_codes = None
    if codes is not None:
        parsed_codes = tuple(
            _number(v, f"{path}.codes[{i}]") for i, v in enumerate(_list(codes, f"{path}.codes"))
        )
        if not parsed_codes:
            raise ValueError(f"{path}.codes: at least one code is needed")
    among = data.get("among")
    if among is not None:
        validate_rule(among, f"{path}.among")
        rule_items(among)
    return Indicator(
        iid,
        item,
        parsed_codes,
        None if low is None else _number(low, f"{path}.min"),
        None if high is None else _number(high, f"{path}.max"),
        among,
        data.get("label"),
    )


def _points(data: Any, path: str) -> PointsScheme:
    if not isinstance(data, Mapping):
        raise ValueError(f"{path}: expected an object")
    items = _list(data.get("items"), f"{path}.items")
    if not items or not all(isinstance(i, str) for i in items):
        raise ValueError(f"{path}.items: expected a non-empty list of item ids")
    bands = []
    for i, b in enumerate(_list(data.get("bands", []), f"{path}.bands")):
        if not isinstance(b, Mapping):
            raise ValueError(f"{path}.bands[{i}]: expected an object")
        bands.append(Band(_number(b.get("min"), f"{path}.bands[{i}].min"), b.get("label") or {}))
    if any(a.min <= b.min for a, b in itertools.pairwise(bands)):
        raise ValueError(f"{path}.bands: bands go from the top, with decreasing 'min'")
    item_max = _weight(data.get("item_max", DEFAULT_ITEM_MAX), f"{path}.item_max")
    max_total = _weight(data.get("max", item_max * len(items)), f"{path}.max")
    return PointsScheme(tuple(items), tuple(bands), item_max, max_total)


def _list(value: Any, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise ValueError(f"{path}: expected a list")
    return value


def _id(data: Any, path: str) -> str:
    if not isinstance(data, Mapping):
        raise ValueError(f"{path}: expected an object")
    value = data.get("id")
    if not isinstance(value, str) or not value:
        raise ValueError(f"{path}.id: expected a non-empty string")
    return value


def _number(value: Any, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise ValueError(f"{path}: expected a number, got {value!r}")
    return float(value)


def _weight(value: Any, path: str) -> float:
    number = _number(value, path)
    if not (number > 0 and math.isfinite(number)):
        raise ValueError(f"{path}: expected a positive number, got {value!r}")
    return number


def _proportion(value: Any, path: str) -> float:
    number = _number(value, path)
    if not 0 <= number <= 1:
        raise ValueError(f"{path}: targets are proportions in [0, 1], got {value!r}")
    return number


def _unique(ids: list[str], path: str) -> None:
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            raise ValueError(f"{path}: duplicate id {i!r}")
        seen.add(i)
