"""Data-quality flags on a survey's responses, listed for review and never acted on by
themselves: a flag voids nothing, and scores count a flagged response as any other.

A response's own flags (speeding, straight-lining, item nonresponse: ``checks``) are set
when it is sent (by ``collect``, with the response), and the duplicates then too
(``flag_repeats``), on it and on the responses it repeats: the same dossier code in the
survey, or a burst of ``burst_count`` responses from one device (the keyed hash of its IP and its
device class) within ``burst_minutes`` on an open link or counter tablet. ``recompute``
redoes them all for a survey, after its thresholds change or responses are voided (a
voided response keeps its own flags but repeats nothing). The caller commits.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select

from surveyapp.extensions import DbSession
from surveyapp.models import (
    Agency,
    Channel,
    Response,
    ResponseFlag,
    ResponseStatus,
    Survey,
    SurveyMode,
    counted,
)
from surveyapp.review.services.answers import questionnaires, typed_answers
from surveyapp.review.services.checks import (
    DUPLICATE_DEVICE,
    DUPLICATE_DOSSIER,
    ITEM_NONRESPONSE,
    KINDS,
    SPEEDING,
    STRAIGHTLINING,
    Thresholds,
    own_flags,
)

__all__ = ["KINDS", "LABELS", "Thresholds", "describe", "flag_repeats", "flags_for_survey"]

LABELS = {
    SPEEDING: _l("Speeding"),
    STRAIGHTLINING: _l("Straight-lining"),
    ITEM_NONRESPONSE: _l("High item nonresponse"),
    DUPLICATE_DOSSIER: _l("Dossier code answered twice"),
    DUPLICATE_DEVICE: _l("Burst from one device"),
}
# The channels of open links and counter tablets, where one device may answer often.
OPEN_CHANNELS = (Channel.WEB, Channel.KIOSK)
Flags = dict[int, dict[str, dict[str, Any]]]  # response id → kind → detail
SENT = Response.status.in_([ResponseStatus.SUBMITTED, ResponseStatus.VOIDED])


def label(kind: str) -> str:
    """A kind's name for people (``LABELS``), in the current language."""
    return str(LABELS[kind])


def describe(flag: ResponseFlag) -> str:
    """What the flag found, in a sentence of the current language."""
    d = flag.detail
    if flag.kind == SPEEDING:
        return _(
            "%(median)s s per answered question (median), under %(threshold)s s.",
            median=d["median_seconds"],
            threshold=d["threshold"],
        )
    if flag.kind == STRAIGHTLINING:
        return "; ".join(
            _(
                "all %(n)s questions of the grid from %(item)s answered %(code)s",
                n=m["items"],
                item=m["first"],
                code=m["code"],
            )
            for m in d["matrices"]
        )
    if flag.kind == ITEM_NONRESPONSE:
        return _(
            '%(missing)s of %(asked)s questions blank or "don\'t know", over %(share)s%%.',
            missing=d["missing"],
            asked=d["asked"],
            share=round(d["threshold"] * 100),
        )
    if flag.kind == DUPLICATE_DOSSIER:
        return _(
            "Dossier code %(code)s is also in response %(others)s.",
            code=d["code"],
            others=", ".join(map(str, d["others"])),
        )
    return _(
        "%(n)s responses from one device within %(minutes)s minutes (with %(others)s).",
        n=len(d["others"]) + 1,
        minutes=d["minutes"],
        others=", ".join(map(str, d["others"])),
    )


# --- on submit ----------------------------------------------------------------------------


def flag_repeats(
    session: DbSession,
    *,
    survey_id: int,
    response_id: int,
    channel: Channel,
    thresholds: Thresholds,
    now: datetime,
    dossier_code: str | None = None,
    device: tuple[str | None, str | None] | None = None,
) -> None:
    """Flag the response just sent as a duplicate, and the ones it repeats. Its own
    flags (``checks.own_flags``) are stored as it is sent, by ``collect``.

    ``device`` is the (IP hash, device class) of an open link or counter tablet's
    response, None elsewhere.
    """
    found: Flags = {response_id: {}}
    if dossier_code:
        same = session.scalars(
            select(Response.id).where(
                Response.survey_id == survey_id,
                Response.dossier_code == dossier_code,
                Response.status == ResponseStatus.SUBMITTED,
                Response.id != response_id,
            )
        ).all()
        if same:
            _group(found, [*same, response_id], DUPLICATE_DOSSIER, {"code": dossier_code})
    if device is not None and device[0] and channel in OPEN_CHANNELS:
        window = timedelta(minutes=thresholds.burst_minutes)
        recent = session.scalars(
            select(Response.id).where(
                Response.survey_id == survey_id,
                Response.ip_hash == device[0],
                Response.device == device[1],
                Response.status == ResponseStatus.SUBMITTED,
                Response.channel.in_(OPEN_CHANNELS),
                Response.submitted_at >= now - window,
                Response.id != response_id,
            )
        ).all()
        if len(recent) + 1 >= thresholds.burst_count:
            burst = {"minutes": thresholds.burst_minutes}
            _group(found, [*recent, response_id], DUPLICATE_DEVICE, burst)
    _merge(session, found, sent=response_id)


def _group(found: Flags, ids: Sequence[int], kind: str, detail: Mapping[str, Any]) -> None:
    """Flag every response of ``ids`` with ``kind``, each naming the others."""
    for one in ids:
        others = sorted(set(found.get(one, {}).get(kind, {}).get("others", [])) | set(ids) - {one})
        found.setdefault(one, {})[kind] = {**detail, "others": others}


def _merge(session: DbSession, found: Flags, sent: int | None = None) -> None:
    """Store ``found``: a flag a response has already gains the new responses it names.
    ``sent``, the response just sent, has none yet: only the others' are read."""
    flagged = {rid for rid, kinds in found.items() if kinds}
    if not flagged:
        return
    earlier = flagged - {sent}
    held: Iterable[ResponseFlag] = (
        session.scalars(select(ResponseFlag).where(ResponseFlag.response_id.in_(earlier)))
        if earlier
        else ()
    )
    for flag in held:
        detail = found[flag.response_id].pop(flag.kind, None)
        if detail is None:
            continue
        if "others" in detail:
            detail["others"] = sorted(set(detail["others"]) | set(flag.detail.get("others", [])))
        flag.detail = detail
    for rid, kinds in found.items():
        for kind, detail in kinds.items():
            session.add(ResponseFlag(response_id=rid, kind=kind, detail=detail))
    session.flush()


# --- a whole survey -----------------------------------------------------------------------


def recompute(session: DbSession, survey: Survey) -> int:
    """Drop the survey's flags and compute them again; the number of flags set."""
    thresholds = Thresholds.of(survey)
    rows = session.execute(
        select(
            Response.id,
            Response.status,
            Response.channel,
            Response.questionnaire_version_id,
            Response.page_seconds,
            Response.dossier_code,
            Response.ip_hash,
            Response.device,
            Response.submitted_at,
        )
        .where(Response.survey_id == survey.id, SENT)
        .order_by(Response.id)
    ).all()
    documents = questionnaires(session, {row.questionnaire_version_id for row in rows})
    answers = typed_answers(session, (Response.survey_id == survey.id) & SENT, documents)
    found: Flags = {}
    for row in rows:
        own = own_flags(
            documents[row.questionnaire_version_id],
            answers[row.id][1],
            row.page_seconds,
            row.channel,
            thresholds,
        )
        if own:
            found[row.id] = own
    counted = [row for row in rows if row.status is ResponseStatus.SUBMITTED]
    _repeated_dossiers(found, counted)
    if survey.mode is SurveyMode.OPEN:
        _bursts(found, counted, thresholds)
    ids = [row.id for row in rows]
    session.execute(delete(ResponseFlag).where(ResponseFlag.response_id.in_(ids or [0])))
    session.add_all(
        ResponseFlag(response_id=rid, kind=kind, detail=detail)
        for rid, kinds in found.items()
        for kind, detail in kinds.items()
    )
    session.flush()
    return sum(len(kinds) for kinds in found.values())


def _repeated_dossiers(found: Flags, rows: Iterable[Any]) -> None:
    by_code: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        if row.dossier_code:
            by_code[row.dossier_code].append(row.id)
    for code, ids in by_code.items():
        if len(ids) > 1:
            _group(found, ids, DUPLICATE_DOSSIER, {"code": code})


def _bursts(found: Flags, rows: Iterable[Any], thresholds: Thresholds) -> None:
    """Every response in a window of ``burst_minutes`` holding ``burst_count`` or more
    responses of one device: the same windows ``flag_repeats`` sees, one submit at a time."""
    by_device: dict[tuple[str, str | None], list[Any]] = defaultdict(list)
    for row in rows:
        if row.ip_hash and row.channel in OPEN_CHANNELS and row.submitted_at is not None:
            by_device[(row.ip_hash, row.device)].append(row)
    window = timedelta(minutes=thresholds.burst_minutes)
    for sent in by_device.values():
        sent.sort(key=lambda r: (r.submitted_at, r.id))
        start = 0
        for end, last in enumerate(sent):
            while last.submitted_at - sent[start].submitted_at > window:
                start += 1
            if end - start + 1 >= thresholds.burst_count:
                ids = [r.id for r in sent[start : end + 1]]
                _group(found, ids, DUPLICATE_DEVICE, {"minutes": thresholds.burst_minutes})


# --- listing ------------------------------------------------------------------------------


def flags_for_survey(
    session: DbSession,
    survey: Survey,
    agency_ids: Iterable[int] | None = None,
    *,
    kinds: Iterable[str] | None = None,
    include_voided: bool = True,
) -> list[tuple[Response, list[ResponseFlag]]]:
    """The survey's flagged responses in id order, each with its flags in ``KINDS``
    order. ``agency_ids`` limits them to a user's scope (None: all); ``kinds`` to some
    kinds; voided responses are listed too (their ``status`` says so) unless left out."""
    statuses = [ResponseStatus.SUBMITTED]
    if include_voided:
        statuses.append(ResponseStatus.VOIDED)
    query = (
        select(Response, ResponseFlag)
        .join(ResponseFlag, ResponseFlag.response_id == Response.id)
        .where(Response.survey_id == survey.id, Response.status.in_(statuses))
        .order_by(Response.id)
    )
    if agency_ids is not None:
        query = query.where(Response.agency_id.in_(list(agency_ids)))
    if kinds is not None:
        query = query.where(ResponseFlag.kind.in_(list(kinds)))
    listed: dict[int, tuple[Response, list[ResponseFlag]]] = {}
    for response, flag in session.execute(query).all():
        listed.setdefault(response.id, (response, []))[1].append(flag)
    for _response, flags in listed.values():
        flags.sort(key=lambda f: KINDS.index(f.kind))
    return list(listed.values())


@dataclass(frozen=True)
class FlagCount:
    """Counted responses of one agency and channel, per flag kind (``KINDS``)."""

    agency: str  # its code
    channel: str
    kinds: dict[str, int]


def flag_counts(session: DbSession, survey: Survey, under: Agency | None) -> list[FlagCount]:
    """Counted responses flagged, by agency and channel, about ``under`` (None: all)."""
    query = (
        select(Agency.code, Response.channel, ResponseFlag.kind, func.count())
        .join(Response, Response.id == ResponseFlag.response_id)
        .join(Agency, Agency.id == Response.agency_id)
        .where(counted(survey.id))
        .group_by(Agency.code, Response.channel, ResponseFlag.kind)
        .order_by(Agency.code, Response.channel)
    )
    if under is not None:
        query = query.where(Response.agency_id.in_(under.subtree_ids()))
    found: dict[tuple[str, str], dict[str, int]] = {}
    for code, channel, kind, n in session.execute(query):
        found.setdefault((code, channel.value), dict.fromkeys(KINDS, 0))[kind] = n
    return [FlagCount(code, channel, kinds) for (code, channel), kinds in found.items()]


def totals(counts: Sequence[FlagCount]) -> dict[str, int]:
    """Kind → flagged responses over ``counts`` (every kind, 0 too)."""
    return {kind: sum(c.kinds[kind] for c in counts) for kind in KINDS}


def counts_by_kind(session: DbSession, survey: Survey) -> dict[str, int]:
    """Kind → number of the survey's counted responses flagged so (every kind, 0 too)."""
    return totals(flag_counts(session, survey, None))
