"""What every edit of a draft document uses: reading typed fields, finding the parts.

The edits in this package are plain functions that change a document dict in place. Each
checks its input first and raises ``InputRefused`` naming the form field, so a refused
edit changes nothing; ``NotInDocument`` means the address named a part that is not there.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from surveyapp.problems import InputRefused, Problem

DIRECTIONS = ("up", "down")
TITLE_MAX = 200  # titles and names: one line in lists, headers and exports
TEXT_MAX = 2000  # a question's wording, a hint, a description, a message


class NotInDocument(LookupError):
    """The section, item, scale or element named in the address is not in the document."""


def label(
    vi: str,
    en: str,
    field: str = "label",
    problems: list[Problem] | None = None,
    *,
    limit: int = TEXT_MAX,
    at: str | None = None,
) -> dict[str, str]:
    """A ``{"vi": ..., "en": ...}`` label without empty languages.

    A text longer than ``limit`` is a problem at ``field_vi`` / ``field_en`` (or ``at``),
    added to ``problems`` when given, else raised at once.
    """
    texts = {lang: text.strip() for lang, text in (("vi", vi), ("en", en)) if text.strip()}
    too_long = [
        Problem(
            at or f"{field}_{lang}",
            _("At most %(max)s characters; this text has %(n)s.", max=limit, n=len(text)),
        )
        for lang, text in texts.items()
        if len(text) > limit
    ]
    if too_long and problems is None:
        raise InputRefused(too_long)
    (problems if problems is not None else []).extend(too_long)
    return texts


def refuse(where: str, message: str) -> InputRefused:
    return InputRefused([Problem(where, message)])


def number(text: str, where: str, problems: list[Problem], *, positive: bool = False) -> Any:
    """``text`` as an int or float (None when blank); a problem is added when it isn't one."""
    text = text.strip().replace(",", ".")
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        problems.append(Problem(where, _('"%(text)s" is not a number.', text=text)))
        return None
    if value != value or value in (float("inf"), float("-inf")):
        problems.append(Problem(where, _('"%(text)s" is not a number.', text=text)))
        return None
    if positive and value <= 0:
        problems.append(Problem(where, _("Must be greater than 0.")))
        return None
    return int(value) if value.is_integer() else value


def new_id(prefix: str, taken: set[str]) -> str:
    """``prefix`` followed by the first number not yet taken (``q1``, ``q2``…)."""
    n = 1
    while f"{prefix}{n}" in taken:
        n += 1
    return f"{prefix}{n}"


def item_ids(doc: dict[str, Any]) -> set[str]:
    return {i["id"] for s in doc.get("sections", []) for i in s.get("items", [])}


def section_ids(doc: dict[str, Any]) -> set[str]:
    return {s["id"] for s in doc.get("sections", [])}


def find_section(doc: dict[str, Any], section_id: str) -> tuple[int, dict[str, Any]]:
    for index, section in enumerate(doc.get("sections", [])):
        if section.get("id") == section_id:
            return index, section
    raise NotInDocument(section_id)


def find_item(doc: dict[str, Any], item_id: str) -> tuple[dict[str, Any], int, dict[str, Any]]:
    """The section holding the item, the item's index in it, and the item."""
    for section in doc.get("sections", []):
        for index, item in enumerate(section.get("items", [])):
            if item.get("id") == item_id:
                return section, index, item
    raise NotInDocument(item_id)
