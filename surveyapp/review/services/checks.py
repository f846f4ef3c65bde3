"""The data-quality checks of one response, from its answers and paradata alone (no
database): speeding, straight-lining and item nonresponse. ``quality`` stores what they
find and adds the checks across responses (duplicates).

Speeding. A respondent is a speeder when the median time per answered item is under the
survey's threshold, 1.5 s unless it sets another. Zhang & Conrad (2014, "Speeding in Web
Surveys: The tendency to answer very fast and its association with straightlining",
*Survey Research Methods* 8(2), 127–135) call an answer too fast to have been read at
under 300 ms per word of the question, the fastest reading speed (Carver 1992); 1.5 s is
that rule for a matrix row of about five words, the shortest question a SIPAS page asks
(our reading, not their number: a survey with longer items may raise it). Greszki, Meyer
& Schoen (2015, "Exploring the effects of removing 'too fast' responses and respondents
from web surveys", *Public Opinion Quarterly* 79(2), 471–503) find dropping speeders
changes few estimates but advise looking at them: hence a flag, never a silent drop.
An item's time is its page's time shared among the page's answered items; the median
keeps one long pause (a phone call, a page left open) from hiding a hurried rest.

Straight-lining. Every item of one matrix (consecutive likert items of a page sharing a
scale, as the page draws them) given the same answer, judged grid by grid as Zhang &
Conrad (2014) do. The minimum of 5 items is our choice, not theirs: a shorter grid is
often answered alike in earnest, and even 5 alike can be (a satisfied citizen), hence
a flag to look at.

Item nonresponse. The share of the questions on the respondent's path left blank or
answered with a "missing" option ("don't know", "no answer"); open text questions are
left out, being optional by nature.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from surveyapp.models import Channel, Survey
from surveyapp.questionnaire.document import Questionnaire
from surveyapp.review.services.nonresponse import NOT_COUNTED_FOR_NONRESPONSE, item_outcomes

SPEEDING = "speeding"
STRAIGHTLINING = "straightlining"
ITEM_NONRESPONSE = "item_nonresponse"
DUPLICATE_DOSSIER = "duplicate_dossier"
DUPLICATE_DEVICE = "duplicate_device"
KINDS = (SPEEDING, STRAIGHTLINING, ITEM_NONRESPONSE, DUPLICATE_DOSSIER, DUPLICATE_DEVICE)
MATRIX_MIN = 5  # items in a matrix for straight-lining to mean anything
SPEEDING_MIN_ITEMS = 5  # timed answers below which a median says nothing


@dataclass(frozen=True)
class Thresholds:
    """A survey's data-quality settings, as the checks take them."""

    speeding_seconds: float = 1.5
    nonresponse_share: float = 0.5
    burst_minutes: int = 10
    burst_count: int = 3

    @classmethod
    def of(cls, survey: Survey) -> Thresholds:
        return cls(
            survey.speeding_seconds,
            survey.nonresponse_share,
            survey.burst_minutes,
            survey.burst_count,
        )


def own_flags(
    questionnaire: Questionnaire,
    answers: Mapping[str, Any],
    page_seconds: Mapping[str, float] | None,
    channel: Channel,
    thresholds: Thresholds,
) -> dict[str, dict[str, Any]]:
    """Kind → detail of the flags one response raises by itself (not the duplicates).

    ``answers`` are the response's answers on its path (a multi item's a list);
    ``page_seconds`` its paradata. A paper questionnaire is never a speeder: its times
    are the clerk's typing.
    """
    found: dict[str, dict[str, Any]] = {}
    median = (
        None
        if channel is Channel.PAPER
        else seconds_per_item(questionnaire, answers, page_seconds or {})
    )
    if median is not None and median < thresholds.speeding_seconds:
        found[SPEEDING] = {
            "median_seconds": round(median, 2),
            "threshold": thresholds.speeding_seconds,
        }
    lines = straight_lines(questionnaire, answers)
    if lines:
        found[STRAIGHTLINING] = {"matrices": lines}
    missing, asked = nonresponse(questionnaire, answers)
    if asked and missing / asked > thresholds.nonresponse_share:
        found[ITEM_NONRESPONSE] = {
            "missing": missing,
            "asked": asked,
            "threshold": thresholds.nonresponse_share,
        }
    return found


def seconds_per_item(
    questionnaire: Questionnaire, answers: Mapping[str, Any], page_seconds: Mapping[str, float]
) -> float | None:
    """The median seconds per answered item, each item taking an equal share of its
    page's time; None with fewer than ``SPEEDING_MIN_ITEMS`` timed answers."""
    times: list[float] = []
    for section in questionnaire.sections:
        seconds = page_seconds.get(section["id"])
        if seconds is None:
            continue
        answered = sum(1 for item in section["items"] if _answered(answers.get(item["id"])))
        if answered:
            times += [seconds / answered] * answered
    if len(times) < SPEEDING_MIN_ITEMS:
        return None
    return float(statistics.median(times))


def matrices(questionnaire: Questionnaire, answers: Mapping[str, Any]) -> Iterator[list[str]]:
    """The item ids of each matrix on the respondent's path: runs of likert items of one
    page sharing a scale (an item not shown is skipped, a text to read ends the run)."""
    for section_id in questionnaire.shown_sections(answers):
        run: list[dict[str, Any]] = []
        for item in questionnaire.visible_items(section_id, answers):
            if item["type"] == "likert" and run and run[-1].get("scale") == item.get("scale"):
                run.append(item)
                continue
            if len(run) > 1:
                yield [i["id"] for i in run]
            run = [item] if item["type"] == "likert" else []
        if len(run) > 1:
            yield [i["id"] for i in run]


def straight_lines(
    questionnaire: Questionnaire, answers: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """The matrices of ``MATRIX_MIN`` items or more whose items all got the same
    (non-missing) answer: their first item, size and the code given."""
    lines = []
    for items in matrices(questionnaire, answers):
        if len(items) < MATRIX_MIN:
            continue
        given = {answers.get(i) for i in items}
        if len(given) != 1:
            continue
        code = given.pop()
        if code is None or code in questionnaire.missing_codes(items[0]):
            continue
        lines.append({"first": items[0], "items": len(items), "code": code})
    return lines


def nonresponse(questionnaire: Questionnaire, answers: Mapping[str, Any]) -> tuple[int, int]:
    """(missing, asked): the questions on the path (text ones left out), and those left
    blank or answered with a missing option."""
    outcomes = [
        outcome
        for item_id, outcome in item_outcomes(questionnaire, answers).items()
        if questionnaire.item(item_id)["type"] not in NOT_COUNTED_FOR_NONRESPONSE
    ]
    return sum(outcome != "answered" for outcome in outcomes), len(outcomes)


def _answered(value: Any) -> bool:
    return value is not None and value != [] and value != ""
