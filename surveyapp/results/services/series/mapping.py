"""Which figure of the previous round continues each figure of a survey.

A figure is ``"elements.<id>"``, ``"indicators.<id>"`` or ``"criteria.<item>"`` of the
questionnaire's framework; ``"overall"`` always continues ``"overall"``. Between two
versions or copies of a questionnaire the ids may differ (SIPAS 2017's ``access`` is
2023's ``svc_access``), so the pair of rounds has a mapping: suggested from the codes and
the wording (:func:`suggest`), edited and saved by the designer (:func:`save`). A figure
mapped to nothing is a break in the series.

Indicators are suggested only from the same question (same item code, or its wording
nearly the same): SIPAS 2023 asks about the local situation where 2017 asked about one
transaction, and the two are not one series (SIPAS.md §4).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

from sqlalchemy import delete, select

from surveyapp.extensions import DbSession
from surveyapp.models import SeriesMapping, Survey, audit
from surveyapp.problems import InputRefused, Problem
from surveyapp.questionnaire.document import Questionnaire

KINDS = ("elements", "indicators", "criteria")
MATCH_AT = {"elements": 0.6, "indicators": 0.85, "criteria": 0.8}
CODE_CONTAINED = 0.85  # one id's words all in the other's: "access" and "svc_access"


@dataclass(frozen=True)
class FigureInfo:
    """A figure of a questionnaire with the texts it is compared by."""

    figure: str
    label: str  # in the language asked for
    texts: tuple[str, ...]  # its label in every language
    wording: tuple[str, ...]  # its items' wording, every language (elements: each criterion)
    item: str | None = None  # indicators and criteria: the question they count

    @property
    def kind(self) -> str:
        return self.figure.partition(".")[0]

    @property
    def key(self) -> str:
        return self.figure.partition(".")[2]


@dataclass(frozen=True)
class Link:
    """A survey, its previous round and the mapping between them (``edited``: saved by a
    designer, else the suggestion)."""

    survey: Survey
    previous: Survey
    pairs: dict[str, str | None]  # figure of ``survey`` → figure of ``previous`` or None
    edited: bool
    figures: list[FigureInfo]
    previous_figures: list[FigureInfo]

    @property
    def breaks(self) -> list[str]:
        return [f for f, was in self.pairs.items() if was is None]


def figures(document: Mapping[str, Any], lang: str) -> list[FigureInfo]:
    """Every element, indicator and criterion of a questionnaire, in framework order."""
    q = Questionnaire(document)
    fw = q.framework
    out = []
    for element in fw.get("elements", []):
        items = [c["item"] for c in element.get("criteria", [])]
        out.append(
            FigureInfo(
                "elements." + element["id"],
                q.text(element.get("label"), lang) or element["id"],
                _all_texts(element.get("label")),
                tuple(" ".join(_item_texts(q, i)) for i in items),
            )
        )
    for indicator in fw.get("indicators", []):
        out.append(
            FigureInfo(
                "indicators." + indicator["id"],
                q.text(indicator.get("label"), lang) or indicator["id"],
                _all_texts(indicator.get("label")),
                _item_texts(q, indicator["item"]),
                indicator["item"],
            )
        )
    for element in fw.get("elements", []):
        for criterion in element.get("criteria", []):
            item = criterion["item"]
            texts = _item_texts(q, item)
            label = q.label(q.item(item), lang) if _known(q, item) else item
            out.append(FigureInfo("criteria." + item, label or item, texts, texts, item))
    return out


def _known(q: Questionnaire, item: str) -> bool:
    try:
        q.item(item)
    except KeyError:
        return False
    return True


def _all_texts(label: Any) -> tuple[str, ...]:
    if isinstance(label, Mapping):
        return tuple(str(v) for v in label.values() if v)
    return (str(label),) if label else ()


def _item_texts(q: Questionnaire, item: str) -> tuple[str, ...]:
    return _all_texts(q.item(item).get("label")) if _known(q, item) else ()


def _normal(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def text_similarity(a: tuple[str, ...], b: tuple[str, ...]) -> float:
    """The best ratio (difflib, 0–1) between any text of ``a`` and any of ``b``."""
    return max(
        (SequenceMatcher(None, _normal(x), _normal(y)).ratio() for x in a for y in b),
        default=0.0,
    )


def code_similarity(a: str, b: str) -> float:
    """1 for the same id, CODE_CONTAINED when one id's words (split on ``_``) are all in
    the other's, else 0."""
    if a == b:
        return 1.0
    wa, wb = set(a.split("_")) - {""}, set(b.split("_")) - {""}
    return CODE_CONTAINED if wa and wb and (wa <= wb or wb <= wa) else 0.0


def similarity(now: FigureInfo, then: FigureInfo) -> float:
    """How likely ``then`` continues ``now`` (0–1); 0 across kinds."""
    if now.kind != then.kind:
        return 0.0
    if now.kind == "elements":
        criteria = [text_similarity((w,), then.wording) for w in now.wording if w]
        wording = sum(criteria) / len(criteria) if criteria else 0.0
        return max(
            code_similarity(now.key, then.key), text_similarity(now.texts, then.texts), wording
        )
    if now.item is not None and now.item == then.item:
        return 1.0
    return text_similarity(now.wording, then.wording)


def suggest(now: list[FigureInfo], then: list[FigureInfo]) -> dict[str, str | None]:
    """Each figure of ``now`` paired with at most one of ``then``: the most similar pairs
    first, each above its kind's threshold (MATCH_AT), the rest breaks."""
    scored = sorted(
        (
            (similarity(a, b), i, j)
            for i, a in enumerate(now)
            for j, b in enumerate(then)
            if a.kind == b.kind
        ),
        key=lambda t: (-t[0], t[1], t[2]),
    )
    pairs: dict[str, str | None] = {f.figure: None for f in now}
    taken: set[int] = set()
    for value, i, j in scored:
        figure = now[i].figure
        if value < MATCH_AT[now[i].kind] or pairs[figure] is not None or j in taken:
            continue
        pairs[figure] = then[j].figure
        taken.add(j)
    return pairs


def link(session: DbSession, survey: Survey, lang: str = "en") -> Link | None:
    """The mapping of ``survey`` onto its previous round (None: no previous round)."""
    previous = survey.previous
    if previous is None:
        return None
    now = figures(survey.version.document, lang)
    then = figures(previous.version.document, lang)
    saved = {
        row.figure: row.previous_figure
        for row in session.scalars(
            select(SeriesMapping).where(
                SeriesMapping.survey_id == survey.id,
                SeriesMapping.previous_survey_id == previous.id,
            )
        )
    }
    if saved:
        known = {f.figure for f in then}
        pairs = {f.figure: _still(saved.get(f.figure), known) for f in now}
    else:
        pairs = suggest(now, then)
    return Link(survey, previous, pairs, bool(saved), now, then)


def _still(figure: str | None, known: set[str]) -> str | None:
    """A saved figure, or None when its questionnaire no longer has it."""
    return figure if figure in known else None


def save(
    session: DbSession,
    survey: Survey,
    chosen: Mapping[str, str | None],
    *,
    actor_id: int | None,
) -> None:
    """Store the designer's mapping of ``survey`` onto its previous round (every figure of
    ``survey``; a figure left out is a break). Every problem is refused at once, nothing
    is half-saved; audit-logged; the caller commits."""
    found = link(session, survey)
    if found is None:
        raise InputRefused([Problem("previous", "the survey has no previous round to map")])
    now = {f.figure: f for f in found.figures}
    then = {f.figure: f for f in found.previous_figures}
    problems: list[Problem] = []
    used: dict[str, str] = {}
    for figure, was in chosen.items():
        if figure not in now:
            problems.append(Problem(figure, f"survey {survey.id} has no such figure"))
        elif was is not None and was not in then:
            problems.append(Problem(figure, f"survey {found.previous.id} has no figure {was!r}"))
        elif was is not None and then[was].kind != now[figure].kind:
            problems.append(Problem(figure, f"{was!r} is not a figure of the same kind"))
        elif was is not None and was in used:
            problems.append(Problem(figure, f"{was!r} already continues {used[was]!r}"))
        if was is not None:
            used.setdefault(was, figure)
    if problems:
        raise InputRefused(problems)
    session.execute(
        delete(SeriesMapping).where(
            SeriesMapping.survey_id == survey.id,
            SeriesMapping.previous_survey_id == found.previous.id,
        )
    )
    pairs = {f: chosen.get(f) for f in now}
    session.add_all(
        SeriesMapping(
            survey_id=survey.id, previous_survey_id=found.previous.id, figure=f, previous_figure=p
        )
        for f, p in pairs.items()
    )
    audit.record(
        session,
        actor_id,
        "survey.series_mapped",
        survey,
        previous=found.previous.id,
        breaks=sorted(f for f, p in pairs.items() if p is None),
    )


def reset(session: DbSession, survey: Survey, *, actor_id: int | None) -> None:
    """Drop the saved mapping: the suggestion applies again. Audit-logged; caller commits."""
    session.execute(delete(SeriesMapping).where(SeriesMapping.survey_id == survey.id))
    audit.record(session, actor_id, "survey.series_reset", survey)
