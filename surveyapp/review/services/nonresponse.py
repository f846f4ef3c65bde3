"""Item nonresponse: of the respondents a question was shown to, how many left it blank
and how many chose a missing-coded option ("don't know", "no answer").

Only the respondent's own path counts (``Questionnaire.path_answers``): a question the
routing hid is not a nonresponse. Submitted responses only, voided ones left out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import select

from surveyapp.collect.services.answering_sql import typed
from surveyapp.extensions import DbSession
from surveyapp.models import Agency, Answer, QuestionnaireVersion, Response, Survey, counted
from surveyapp.questionnaire.document import Questionnaire

Outcome = Literal["answered", "missing", "skipped"]


@dataclass(frozen=True)
class ItemNonresponse:
    """One question's nonresponse over the responses it was shown to."""

    item_id: str
    label: str
    type: str
    shown: int
    skipped: int  # shown, left blank
    missing: int  # answered with a missing-coded option

    @property
    def rate(self) -> float | None:
        """Share (0–1) of those shown the question who gave no substantive answer."""
        return (self.skipped + self.missing) / self.shown if self.shown else None


def item_outcomes(questionnaire: Questionnaire, answers: Mapping[str, Any]) -> dict[str, Outcome]:
    """Each answerable question on the respondent's path: answered, missing-coded or skipped."""
    kept = questionnaire.path_answers(answers)
    outcomes: dict[str, Outcome] = {}
    for section in questionnaire.sections:
        if not questionnaire.section_visible(section["id"], kept):
            continue
        for item in questionnaire.visible_items(section["id"], kept):
            if item["type"] == "info":
                continue
            value = kept.get(item["id"])
            if value is None or value == "" or value == []:
                outcomes[item["id"]] = "skipped"
            elif item["type"] != "multi" and value in questionnaire.missing_codes(item["id"]):
                outcomes[item["id"]] = "missing"
            else:
                outcomes[item["id"]] = "answered"
    return outcomes


def item_nonresponse(
    session: DbSession, survey: Survey, under: Agency | None, lang: str
) -> list[ItemNonresponse]:
    """Every question of the survey's questionnaire, in questionnaire order, counted over the
    submitted responses about ``under`` (None: all of them)."""
    questionnaire = Questionnaire(survey.version.document)
    by_version = _questionnaires(session, survey)
    shown: dict[str, int] = defaultdict(int)
    skipped: dict[str, int] = defaultdict(int)
    missing: dict[str, int] = defaultdict(int)
    for version_id, answers in _answers(session, survey, under, by_version):
        for item_id, outcome in item_outcomes(by_version[version_id], answers).items():
            shown[item_id] += 1
            if outcome == "skipped":
                skipped[item_id] += 1
            elif outcome == "missing":
                missing[item_id] += 1
    return [
        ItemNonresponse(
            item["id"],
            questionnaire.label(item, lang),
            item["type"],
            shown[item["id"]],
            skipped[item["id"]],
            missing[item["id"]],
        )
        for item in questionnaire.answerable_items
    ]


def _questionnaires(session: DbSession, survey: Survey) -> dict[int, Questionnaire]:
    versions = session.scalars(
        select(QuestionnaireVersion).where(
            QuestionnaireVersion.id.in_(
                select(Response.questionnaire_version_id).where(counted(survey.id)).distinct()
            )
        )
    )
    return {v.id: Questionnaire(v.document) for v in versions}


def _answers(
    session: DbSession,
    survey: Survey,
    under: Agency | None,
    by_version: Mapping[int, Questionnaire],
) -> list[tuple[int, dict[str, Any]]]:
    """(version id, typed answers) of each counted response in scope, in one query."""
    query = (
        select(
            Response.id,
            Response.questionnaire_version_id,
            Answer.item_id,
            Answer.value_num,
            Answer.value_text,
            Answer.value_date,
        )
        .outerjoin(Answer, Answer.response_id == Response.id)
        .where(counted(survey.id))
        .order_by(Response.id, Answer.item_id, Answer.position)
    )
    if under is not None:
        query = query.where(Response.agency_id.in_(under.subtree_ids()))
    items = {v: {i["id"]: i for i in q.answerable_items} for v, q in by_version.items()}
    found: dict[int, tuple[int, dict[str, Any]]] = {}
    for rid, version_id, item_id, number, written, day in session.execute(query):
        _version, answers = found.setdefault(rid, (version_id, {}))
        item = items[version_id].get(item_id)
        if item is None:  # no answer at all, or one to an item the version lost
            continue
        value = typed(item, number, written, day)
        if item["type"] == "multi":
            answers.setdefault(item_id, []).append(value)
        else:
            answers[item_id] = value
    return list(found.values())
