"""Synthetic paradata for the demo's responses, and the few careless respondents a real
survey has: speeders (about a second a question) and straight-liners (one answer for
every grid question), for the data-quality flags to find.

Drawn from a generator of its own, so that the answers stay what the seed makes them.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from surveyapp.models import Channel
from surveyapp.questionnaire.document import Questionnaire

# Web respondents answer mostly on phones; a counter tablet is a tablet.
WEB_DEVICES = ["phone", "desktop", "tablet"]
WEB_DEVICE_SHARES = [0.7, 0.25, 0.05]
SPEEDERS = 0.03  # share of a survey's responses, when it has careless respondents
STRAIGHT_LINERS = 0.03


def add_paradata(
    q: Questionnaire,
    rows: list[dict[str, Any]],
    given: list[dict[str, Any]],
    rng: np.random.Generator,
    *,
    with_careless: bool,
) -> None:
    """Add each response row its paradata (``given``: its answers, in the same order);
    ``with_careless`` makes some speeders and some straight-liners (changing answers)."""
    for row, answers in zip(rows, given, strict=True):
        kind = careless(rng) if with_careless else None
        if kind == "straight-liner":
            straight_line(q, answers, rng)
        timed = (row["channel"], row["submitted_at"], row["started_at"])
        row.update(paradata(q, answers, *timed, rng, speeder=kind == "speeder"))


def careless(rng: np.random.Generator) -> str | None:
    """Whether the next respondent is a "speeder", a "straight-liner" or neither (None)."""
    draw = rng.random()
    if draw < SPEEDERS:
        return "speeder"
    if draw < SPEEDERS + STRAIGHT_LINERS:
        return "straight-liner"
    return None


def straight_line(q: Questionnaire, answers: dict[str, Any], rng: np.random.Generator) -> None:
    """Give every likert question answered one and the same code (a non-missing one)."""
    likert = [i["id"] for i in q.answerable_items if i["type"] == "likert" and i["id"] in answers]
    if not likert:
        return
    codes = [int(o["code"]) for o in q.options(likert[0]) if not o.get("missing")]
    code = codes[int(rng.integers(len(codes) // 2, len(codes)))]  # mostly "satisfied"
    for item_id in likert:
        answers[item_id] = code


def paradata(
    q: Questionnaire,
    answers: dict[str, Any],
    channel: Channel,
    submitted: datetime,
    started: datetime,
    rng: np.random.Generator,
    *,
    speeder: bool = False,
) -> dict[str, Any]:
    """A response's paradata columns: seconds per page (summing to the time from start
    to sending, a speeder's well under 1.5 s an answered question), back presses, the
    device class and an IP hash (a random one: no address behind it)."""
    pages = q.shown_sections(answers)
    answered = [
        sum(1 for item in q.section(page)["items"] if item["id"] in answers) for page in pages
    ]
    if speeder:
        seconds = [n * float(rng.uniform(0.3, 1.0)) + 0.5 for n in answered]
        started = submitted - timedelta(seconds=sum(seconds))
    else:
        shares = np.array([(n + 1) * float(rng.uniform(0.6, 1.4)) for n in answered])
        total = (submitted - started).total_seconds()
        seconds = list(shares / shares.sum() * total)
    device = None
    if channel is Channel.KIOSK:
        device = "tablet"
    elif channel is Channel.WEB:
        device = WEB_DEVICES[int(rng.choice(len(WEB_DEVICES), p=WEB_DEVICE_SHARES))]
    return {
        "started_at": started,
        "page_seconds": {p: round(s, 1) for p, s in zip(pages, seconds, strict=True)},
        "back_navigations": int(rng.poisson(0.3)),
        "device": device,
        "ip_hash": None if channel is Channel.PAPER else hashlib.sha256(rng.bytes(8)).hexdigest(),
    }
