"""Synthetic respondents for the demo: answers that differ by agency, skip logic honoured."""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import insert

from surveyapp.collect.services.visits import resume_hash
from surveyapp.demo.paradata import add_paradata
from surveyapp.extensions import Base, DbSession
from surveyapp.fieldwork.services.invitations import issue_token
from surveyapp.models import (
    Allocation,
    Answer,
    Channel,
    Disposition,
    FrameChannel,
    FrameUnit,
    Invitation,
    Response,
    ResponseStatus,
    Sample,
    SampleStratum,
    Survey,
)
from surveyapp.questionnaire import rules
from surveyapp.questionnaire.document import Questionnaire
from surveyapp.security import hash_token


@dataclass(frozen=True)
class AgencyProfile:
    """How an agency serves people, as rates the generator draws from."""

    satisfaction: float  # mean latent satisfaction, roughly 0 (poor) to 1 (excellent)
    harassment: float
    extra_payment: float
    late: float
    apology_when_late: float
    extra_trips: float  # mean number of trips beyond the first


NEGATIVE_ITEMS = {
    "harassed": "harassment",
    "asked_extra_pay": "extra_payment",
}
CHANNELS = [Channel.WEB, Channel.KIOSK, Channel.PAPER]
COMMENTS = [
    "Cần bố trí thêm chỗ ngồi chờ.",
    "Công chức hướng dẫn rất nhiệt tình.",
    "Thời gian chờ còn lâu.",
    "- Nên niêm yết thủ tục rõ hơn",
    "Rất hài lòng.",
]


def generate(
    session: DbSession,
    survey: Survey,
    profiles: dict[str, AgencyProfile],
    population: dict[str, int],
    responses_per_agency: dict[str, int],
    element_shift: dict[str, float],
    *,
    now: datetime,
    seed: int = 2026,
    service_fields: Mapping[str, Sequence[str]] | None = None,
    secret: str | None = None,
    with_careless: bool = False,
) -> int:
    """Insert invitations and submitted responses; returns the number of responses.

    Every response has its paradata (``demo.paradata``); ``with_careless`` makes a few
    respondents speeders and straight-liners, for the data-quality flags to find.

    With ``service_fields`` (agency code → fields) each response gets a dossier code and
    a one-stop record (frame unit) of one of its agency's fields, as if drawn from them.
    With the server ``secret`` the invitations' tokens can be derived again (letters,
    reminders) and their partial responses resumed from the link.
    """
    rng = np.random.default_rng(seed)
    para = np.random.default_rng(seed + 1)  # paradata apart: the answers stay as seeded
    questionnaire = Questionnaire(survey.version.document)
    shift = {
        criterion["item"]: element_shift.get(element["id"], 0.0)
        for element in questionnaire.framework.get("elements", [])
        for criterion in element["criteria"]
    }
    total = 0
    drawn = {a.code: int(responses_per_agency[a.code] * 1.25) for a in survey.agencies}
    _record_draw(session, survey, population, drawn, now, seed)
    for agency in survey.agencies:
        n = responses_per_agency[agency.code]
        invited = drawn[agency.code]  # a quarter of the sample does not (fully) answer
        weight = population[agency.code] / invited  # base weight N_h / n_h of the draw
        invitation_ids = _invite(
            session, survey, agency.id, agency.code, invited, rng, n, weight, now, secret
        )
        rows: list[dict[str, Any]] = []
        answer_rows: list[dict[str, Any]] = []
        for invitation_id in invitation_ids[:n]:
            submitted = now - timedelta(minutes=int(rng.integers(60, 60 * 24 * 60)))
            rows.append(
                {
                    "survey_id": survey.id,
                    "questionnaire_version_id": survey.questionnaire_version_id,
                    "agency_id": agency.id,
                    "invitation_id": invitation_id,
                    "channel": CHANNELS[rng.choice(len(CHANNELS), p=[0.6, 0.3, 0.1])],
                    "status": ResponseStatus.SUBMITTED,
                    "stratum": agency.code,
                    "weight": weight,
                    "started_at": submitted - timedelta(minutes=int(rng.integers(4, 15))),
                    "updated_at": submitted,
                    "submitted_at": submitted,
                }
            )
        fields = (service_fields or {}).get(agency.code)
        if fields:
            units = []
            for k, row in enumerate(rows):
                row["dossier_code"] = f"{survey.id}-{agency.code}-{k + 1:05d}"
                units.append(
                    {
                        "survey_id": survey.id,
                        "dossier_code": row["dossier_code"],
                        "agency_id": agency.id,
                        "service_field": fields[int(rng.integers(len(fields)))],
                        "received_at": (row["submitted_at"] - timedelta(days=20)).date(),
                    }
                )
            session.execute(insert(FrameUnit), units)
        profile = profiles[agency.code]
        given = [respondent_answers(questionnaire, profile, shift, rng) for _ in rows]
        add_paradata(questionnaire, rows, given, para, with_careless=with_careless)
        # On the table, not the model: the ORM would split the rows at every NULL.
        responses = Base.metadata.tables[Response.__tablename__]
        added = insert(responses).returning(responses.c.id, sort_by_parameter_order=True)
        ids = session.scalars(added, rows).all()
        for response_id, answers in zip(ids, given, strict=True):
            for item_id, value in answers.items():
                values = value if isinstance(value, list) else [value]
                for position, single in enumerate(values):
                    answer_rows.append(
                        {
                            "response_id": response_id,
                            "item_id": item_id,
                            "position": position,
                            "value_num": None if isinstance(single, str) else float(single),
                            "value_text": single if isinstance(single, str) else None,
                        }
                    )
        session.execute(insert(Answer), answer_rows)
        total += len(ids)
    return total


def _record_draw(
    session: DbSession,
    survey: Survey,
    population: Mapping[str, int],
    drawn: Mapping[str, int],
    now: datetime,
    seed: int,
) -> None:
    """The draw the invitations came from, one stratum per agency: N_h dossiers in the
    period, n_h invited. Its sizes give the estimates their finite-population correction.

    The demo's sample sizes are set by hand per agency, not by an allocation method;
    "equal" is the nearest of the stored methods.
    """
    sample = Sample(
        survey_id=survey.id,
        seed=seed,
        allocation=Allocation.EQUAL,
        size=sum(drawn.values()),
        reserve_fraction=0.0,
        strata_columns=["agency"],
        created_at=now,
    )
    session.add(sample)
    session.flush()
    session.add_all(
        SampleStratum(sample_id=sample.id, label=code, population=population[code], size=n)
        for code, n in drawn.items()
    )


# How the quarter that did not complete ended up, as fieldwork often goes.
OTHER_OUTCOMES = {
    Disposition.SENT: 0.35,
    Disposition.OPENED: 0.12,
    Disposition.PARTIAL: 0.15,
    Disposition.REFUSED: 0.13,
    Disposition.UNREACHABLE: 0.10,
    Disposition.INELIGIBLE: 0.05,
    Disposition.NOT_SENT: 0.10,
}


DISTRICTS = ["Thành phố An Hòa", "Huyện Tân Phú", "Huyện Bình Sơn", "Huyện Long Mỹ"]


def generate_frame(
    session: DbSession,
    survey: Survey,
    population: dict[str, int],
    late: dict[str, float],
    service_fields: Mapping[str, Sequence[str]],
    *,
    today: date,
    seed: int = 2027,
) -> int:
    """One-stop records: N dossiers per agency, a share ``late`` returned after the due date.

    Dossiers were received 20-200 days ago with 3-15 days to the due date, so all are
    due by ``today``; one late dossier in ten is still unreturned.
    """
    rng = np.random.default_rng(seed)
    end = np.datetime64(today, "D")
    total = 0
    for agency in survey.agencies:
        size = population[agency.code]
        received = end - rng.integers(20, 200, size).astype("timedelta64[D]")
        allowed = rng.integers(3, 16, size)
        due = received + allowed.astype("timedelta64[D]")
        is_late = rng.random(size) < late[agency.code]
        early = rng.integers(0, allowed + 1)
        delay = rng.integers(1, 15, size)
        returned = np.where(is_late, due + delay, received + early.astype("timedelta64[D]"))
        pending = is_late & (rng.random(size) < 0.1)
        online = rng.random(size) < 0.4
        names = service_fields[agency.code]
        fields = rng.integers(len(names), size=size)
        districts = rng.integers(len(DISTRICTS), size=size)
        rows = [
            {
                "survey_id": survey.id,
                "dossier_code": f"{agency.code}.{i + 1:06d}",
                "agency_id": agency.id,
                "service_field": names[fields[i]],
                "received_at": received[i].item(),
                "due_at": due[i].item(),
                "returned_at": None if pending[i] else returned[i].item(),
                "channel": FrameChannel.ONLINE if online[i] else FrameChannel.COUNTER,
                "district": DISTRICTS[districts[i]],
            }
            for i in range(size)
        ]
        session.execute(insert(FrameUnit), rows)
        total += size
    return total


def _invite(
    session: DbSession,
    survey: Survey,
    agency_id: int,
    stratum: str,
    count: int,
    rng: np.random.Generator,
    completed: int,
    weight: float,
    now: datetime,
    secret: str | None,
) -> list[int]:
    """Invitations with dispositions: ``completed`` complete, the rest as fieldwork ends."""
    outcomes = list(OTHER_OUTCOMES)
    weights = np.array(list(OTHER_OUTCOMES.values()))
    rows = []
    partial: list[tuple[int, str]] = []
    for i in range(count):
        salt, token = issue_token(secret)
        if i < completed:
            disposition = Disposition.COMPLETE
        else:
            disposition = outcomes[rng.choice(len(outcomes), p=weights / weights.sum())]
        sent = now - timedelta(days=int(rng.integers(20, 70)))
        rows.append(
            {
                "survey_id": survey.id,
                "agency_id": agency_id,
                "token_hash": hash_token(token),
                "token_salt": salt,
                "stratum": stratum,
                "base_weight": weight,
                "disposition": disposition,
                "sent_at": None if disposition is Disposition.NOT_SENT else sent,
                "opened_at": sent + timedelta(days=2) if disposition in OPENED else None,
            }
        )
        if disposition is Disposition.PARTIAL:
            partial.append((i, token))
    ids = list(session.scalars(insert(Invitation).returning(Invitation.id), rows).all())
    if secret is not None and partial:
        # Started and left: an unsent response that its link resumes on the first section.
        first = Questionnaire(survey.version.document).sections[0]["id"]
        session.execute(
            insert(Response),
            [
                {
                    "survey_id": survey.id,
                    "questionnaire_version_id": survey.questionnaire_version_id,
                    "agency_id": agency_id,
                    "invitation_id": None if survey.anonymous else ids[i],
                    "resume_hash": resume_hash(secret, token),
                    "status": ResponseStatus.IN_PROGRESS,
                    "current_page": first,
                    "stratum": stratum,
                    "weight": weight,
                    "started_at": rows[i]["opened_at"],
                    "updated_at": rows[i]["opened_at"],
                    # Only the welcome page was saved: nothing timed yet.
                    "device": "phone",
                    "ip_hash": secrets.token_hex(32),  # no address behind it
                }
                for i, token in partial
            ],
        )
    return ids


OPENED = (Disposition.OPENED, Disposition.PARTIAL, Disposition.COMPLETE)


def respondent_answers(
    q: Questionnaire, profile: AgencyProfile, shift: dict[str, float], rng: np.random.Generator
) -> dict[str, Any]:
    """One respondent's answers, item by item, each only if its rules show it."""
    mood = float(np.clip(rng.normal(profile.satisfaction, 0.18), 0.02, 0.98))
    answers: dict[str, Any] = {}
    for section in q.sections:
        if not rules.evaluate(section.get("show_when"), answers):
            continue
        for item in section["items"]:
            if item["type"] == "info" or not rules.evaluate(item.get("show_when"), answers):
                continue
            value = _answer(q, item, profile, mood + shift.get(item["id"], 0.0), rng)
            if value is not None:
                answers[item["id"]] = value
    return answers


def _answer(
    q: Questionnaire,
    item: dict[str, Any],
    profile: AgencyProfile,
    mood: float,
    rng: np.random.Generator,
) -> Any:
    item_id, kind = item["id"], item["type"]
    if item_id == "result_received":
        return 1 if rng.random() < 0.97 else 2
    if item_id in NEGATIVE_ITEMS:
        return 1 if rng.random() < getattr(profile, NEGATIVE_ITEMS[item_id]) else 2
    if item_id == "result_timing":
        return 3 if rng.random() < profile.late else int(rng.choice([1, 2], p=[0.3, 0.7]))
    if item_id in ("late_notified", "late_apology"):
        return 1 if rng.random() < profile.apology_when_late else 2
    if item_id == "trips":
        return int(min(1 + rng.poisson(profile.extra_trips), 20))
    if item_id == "late_reschedules":
        return int(rng.choice([0, 1, 2], p=[0.3, 0.55, 0.15]))
    codes = [int(o["code"]) for o in q.options(item_id) if not o.get("missing")]
    missing = [int(o["code"]) for o in q.options(item_id) if o.get("missing")]
    if kind == "likert":
        if missing and rng.random() < 0.04:
            return missing[0]
        # Satisfaction on the scale follows the respondent's mood, with noise.
        position = np.clip(rng.normal(mood * (len(codes) - 1), 0.7), 0, len(codes) - 1)
        return codes[round(float(position))]
    if kind == "single":
        return int(rng.choice(codes)) if codes else None
    if kind == "multi":
        size = int(rng.integers(1, min(3, len(codes)) + 1))
        return sorted(int(c) for c in rng.choice(codes, size=size, replace=False))
    if kind == "text":
        return str(rng.choice(COMMENTS)) if rng.random() < 0.15 else None
    if kind == "number":
        low, high = item.get("min", 0), item.get("max", 10)
        return int(rng.integers(low, high + 1))
    return None
