"""The blank questionnaire on paper: every question numbered, with its option codes and
boxes, and each skip rule as an instruction in words.

The order is the respondent pages' order, so a clerk keys a filled-in form at
``/surveys/<id>/paper`` from top to bottom. Consecutive likert items on one scale print
as a grid, as they show on screen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _

from surveyapp.questionnaire import wording
from surveyapp.questionnaire.document import Questionnaire


@dataclass(frozen=True)
class Option:
    code: int
    label: str
    missing: bool = False


@dataclass(frozen=True)
class Question:
    number: int
    item: dict[str, Any]
    label: str
    options: list[Option]
    only_if: str  # "" when always asked

    @property
    def type(self) -> str:
        return str(self.item["type"])


@dataclass
class Block:
    kind: str  # "info", "question" or "matrix"
    questions: list[Question] = field(default_factory=list)
    text: str = ""


@dataclass(frozen=True)
class Part:
    title: str
    only_if: str
    blocks: list[Block]


def layout(q: Questionnaire, lang: str) -> list[Part]:
    """The questionnaire's sections as printed parts, questions numbered 1, 2, … in order."""
    numbers = {item["id"]: n for n, item in enumerate(q.answerable_items, start=1)}

    def only_if(rule: Any) -> str:
        return wording.describe(
            q, rule, lang, name=lambda item_id: _("question %(n)s", n=numbers.get(item_id, "?"))
        )

    parts = []
    for section in q.sections:
        blocks: list[Block] = []
        for item in section["items"]:
            if item["type"] == "info":
                blocks.append(Block("info", text=q.label(item, lang)))
                continue
            question = Question(
                number=numbers[item["id"]],
                item=item,
                label=q.label(item, lang),
                options=[
                    Option(int(o["code"]), q.label(o, lang), bool(o.get("missing")))
                    for o in q.options(item["id"])
                ],
                only_if=only_if(item.get("show_when")),
            )
            previous = blocks[-1] if blocks else None
            if _joins(previous, question):
                assert previous is not None
                previous.kind = "matrix"
                previous.questions.append(question)
            else:
                blocks.append(Block("question", questions=[question]))
        parts.append(Part(q.label(section, lang), only_if(section.get("show_when")), blocks))
    return parts


def _joins(previous: Block | None, question: Question) -> bool:
    """A likert item asked unconditionally goes on the grid of the one before on its scale."""
    if previous is None or previous.kind == "info" or question.type != "likert":
        return False
    last = previous.questions[-1]
    return (
        last.type == "likert"
        and last.item.get("scale") == question.item.get("scale")
        and not last.only_if
        and not question.only_if
    )
