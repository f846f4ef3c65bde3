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

from surveyapp.extensions import DbSession
from surveyapp.models import Agency, Response, Survey, counted
from surveyapp.questionnaire.document import Questionnaire
from surveyapp.review.services.answers import questionnaires, typed_answers

Outcome = Literal["answered", "missing", "skipped"]
# Above this share of no substantive answer, a question is worth a look (the summary
# marks it): a common rule of thumb for item nonresponse in public-opinion surveys.
HIGH_NONRESPONSE = 0.10
# Text questions (comments) are optional by nature: a blank one is no nonresponse, for the
# summary's mark as for the flag (``checks``).
NOT_COUNTED_FOR_NONRESPONSE = ("info", "text")


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

    @property
    def high(self) -> bool:
        """Whether the rate passes ``HIGH_NONRESPONSE`` (never for an open text question)."""
        rate = self.rate
        return (
            self.type not in NOT_COUNTED_FOR_NONRESPONSE
            and rate is not None
            and rate > HIGH_NONRESPONSE
        )


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
    where = counted(survey.id)
    if under is not None:
        where = where & Response.agency_id.in_(under.subtree_ids())
    by_version = questionnaires(
        session, session.scalars(select(Response.questionnaire_version_id).where(where).distinct())
    )
    shown: dict[str, int] = defaultdict(int)
    skipped: dict[str, int] = defaultdict(int)
    missing: dict[str, int] = defaultdict(int)
    for version_id, answers in typed_answers(session, where, by_version).values():
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
