"""Edits of a points questionnaire's scheme: which questions count, and the bands.

``framework.points = {"items": [...], "bands": [{"min": 16, "label": {...}}, ...]}`` gives
each respondent a total of the points of their answers and the first band, from the top,
whose ``min`` (inclusive) it reaches (TT01: excellent from 16 of 18). The points of each
answer are set on its scale (``structure.set_scale``). Plain functions over the
document, called by name through ``framework.OPERATIONS``.
"""

from __future__ import annotations

from itertools import zip_longest
from typing import Any

from flask_babel import gettext as _

from surveyapp.design.services.edits.common import find_item, label, number
from surveyapp.problems import InputRefused, Problem

POINTS_TYPES = ("likert", "single")  # one answer, so one number of points


def set_points(
    doc: dict[str, Any],
    *,
    points_items: list[str],
    band_min: list[str],
    band_vi: list[str],
    band_en: list[str],
    item_max: str = "",
    points_max: str = "",
) -> None:
    """Replace the scheme: the questions that count, the bands (rows, from the top) and
    the optional most points of one question and total the sum is scaled to."""
    problems: list[Problem] = []
    items = _items(doc, points_items, problems)
    bands = _bands(band_min, band_vi, band_en, problems)
    most = number(item_max, "item_max", problems, positive=True)
    total = number(points_max, "points_max", problems, positive=True)
    if problems:
        raise InputRefused(problems)
    framework: dict[str, Any] = doc.setdefault("framework", {"elements": []})
    scheme: dict[str, Any] = {"items": items}
    if most is not None:
        scheme["item_max"] = most
    if total is not None:
        scheme["max"] = total
    framework["points"] = {**scheme, "bands": bands}


def clear_points(doc: dict[str, Any]) -> None:
    """No points: the questionnaire is scored by its indices only."""
    doc.get("framework", {}).pop("points", None)


def _items(doc: dict[str, Any], ticked: list[str], problems: list[Problem]) -> list[str]:
    """The ticked questions in questionnaire order."""
    wanted = set(ticked)
    order = [i for s in doc.get("sections", []) for i in s.get("items", [])]
    found = [i["id"] for i in order if i["id"] in wanted]
    for missing in sorted(wanted - set(found)):
        problems.append(Problem("points_items", _("There is no question %(id)s.", id=missing)))
    for item_id in found:
        kind = find_item(doc, item_id)[2]["type"]
        if kind not in POINTS_TYPES:
            problems.append(
                Problem(
                    "points_items",
                    _("%(id)s is not a rating or single-choice question.", id=item_id),
                )
            )
    if not ticked:
        problems.append(Problem("points_items", _("Tick the questions whose points count.")))
    return found


def _bands(
    mins: list[str], vi: list[str], en: list[str], problems: list[Problem]
) -> list[dict[str, Any]]:
    """Band rows as the format's bands; blank rows are skipped, every problem is named."""
    bands: list[dict[str, Any]] = []
    above: tuple[int, Any] | None = None  # the row and lowest total of the band above
    for row, (low, name_vi, name_en) in enumerate(zip_longest(mins, vi, en, fillvalue=""), 1):
        if not (low.strip() or name_vi.strip() or name_en.strip()):
            continue
        where = "band"  # the message names the row
        if not low.strip():
            problems.append(Problem(where, _("Band %(n)s: give its lowest total.", n=row)))
        value = _band_min(low, row, problems)
        if not name_vi.strip():
            problems.append(
                Problem(where, _("Band %(n)s: the Vietnamese label is required.", n=row))
            )
        if not name_en.strip():
            problems.append(Problem(where, _("Band %(n)s: the English label is required.", n=row)))
        if value is not None and above is not None and value >= above[1]:
            problems.append(
                Problem(
                    where,
                    _(
                        "Band %(n)s: its lowest total (%(low)s) must be below that of band "
                        "%(m)s (%(high)s): bands go from the top.",
                        n=row,
                        low=value,
                        m=above[0],
                        high=above[1],
                    ),
                )
            )
        if value is not None:
            above = (row, value)
        bands.append({"min": value, "label": label(name_vi, name_en)})
    if not bands:
        problems.append(Problem("band", _("Give at least one band.")))
    return bands


def _band_min(text: str, row: int, problems: list[Problem]) -> Any:
    found: list[Problem] = []
    value = number(text, "band", found)
    if found:
        problems.append(
            Problem(
                "band",
                _('Band %(n)s: "%(text)s" is not a number.', n=row, text=text.strip()),
            )
        )
    return value
