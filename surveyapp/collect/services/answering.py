"""A respondent's way through a questionnaire, once a ``Visit`` is open (``visits``):
the pages on their path, saving page by page, and submitting exactly once.

Every write is a single statement (``answering_sql``), and the conditional updates on
the response and invitation rows are what make a submission happen once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from surveyapp.collect.services import answering_sql as sql
from surveyapp.collect.services import visit_sql
from surveyapp.collect.services.visits import (
    NOT_YET_OPENED,
    WELCOME,
    AlreadySubmitted,
    Progress,
    Visit,
    recorded_time,
)
from surveyapp.extensions import DbSession
from surveyapp.models import Disposition, Response, ResponseStatus
from surveyapp.models.audit import record
from surveyapp.review.services import quality
from surveyapp.review.services.checks import own_flags

# Dispositions an invitation moves on from when a page is answered: that is a partial
# interview even after a recorded refusal (AAPOR: the best outcome).
NOT_YET_STARTED = (*NOT_YET_OPENED, Disposition.OPENED, Disposition.REFUSED)
NOT_YET_COMPLETE = tuple(d for d in Disposition if d is not Disposition.COMPLETE)
DOSSIER_CODE = re.compile(r"[A-Z0-9][A-Z0-9./_-]{0,63}")


# --- reading and saving -------------------------------------------------------------------


def saved_answers(session: DbSession, visit: Visit) -> dict[str, Any]:
    """The answers saved so far, typed as the questionnaire declares them."""
    if visit.response is None:
        return {}
    rows = visit.saved
    if rows is None:  # not read with the visit
        rows = list(visit_sql.answer_rows(session, visit.response.id))
    answers: dict[str, Any] = {}
    for item_id, number, written, day in rows:
        item = visit.questionnaire.item(item_id)
        value = visit_sql.typed(item, number, written, day)
        if item["type"] == "multi":
            answers.setdefault(item_id, []).append(value)
        else:
            answers[item_id] = value
    return answers


def pages(visit: Visit, answers: Mapping[str, Any]) -> list[str]:
    """The respondent's path: welcome, then the sections shown given the answers.

    The last page's button sends: a page that only says "ready to send" would cost
    every respondent one more round trip on a slow phone, and say nothing.
    """
    shown = visit.questionnaire.shown_sections(answers)
    return [*([] if visit.skips_welcome else [WELCOME]), *shown]


def next_page(path: list[str], page: str, action: str) -> str | None:
    """Where ``action`` ("next", "back" or "submit") on ``page`` leads; None to send.

    The last page sends, whichever button it showed: its own answers may have ended the
    path (a screened-out respondent pressing "Next") or gone on (then "Send" goes on).
    """
    at = path.index(page)
    if action == "back":
        return path[max(at - 1, 0)]
    return None if at == len(path) - 1 else path[at + 1]


def save_page(
    session: DbSession,
    visit: Visit,
    now: datetime,
    to_page: str,
    answered: tuple[str, Mapping[str, Any]] | None = None,
    **changes: Any,
) -> None:
    """Move the respondent to ``to_page``, saving what they answered on the way.

    ``answered`` is a page and its answers (None = left blank), which replace that page's
    saved ones; ``changes`` are other columns of the response (the kiosk's dossier code).
    """
    if answered is None:
        _hold(session, visit, now, current_page=to_page, **changes)
        return
    page, page_answers = answered
    items = [i["id"] for i in visit.questionnaire.section(page)["items"]]
    _hold(session, visit, now, (items, page_answers), current_page=to_page, **changes)


def clean_dossier_code(raw: str) -> str | None:
    """The dossier code as stored (None when left blank); ``ValueError`` when malformed.

    One-stop dossier codes look like ``000.00.12.H56-240115-0001``: letters, digits and
    ``. - / _``, at most 64 characters.
    """
    code = raw.strip().upper()
    if not code:
        return None
    if not DOSSIER_CODE.fullmatch(code):
        raise ValueError(code)
    return code


def repeated_dossier(session: DbSession, visit: Visit, code: str | None) -> bool:
    """Whether the kiosk should refuse ``code``: the survey refuses a dossier code it
    has a sent response for (its setting), and has one. Else a repeat is taken, and
    flagged when sent."""
    if not code or not visit.survey.refuse_repeat_dossier:
        return False
    return visit_sql.dossier_answered(session, visit.survey.id, code)


def submit(
    session: DbSession,
    visit: Visit,
    now: datetime,
    answers: Mapping[str, Any],
    answered: tuple[str, Mapping[str, Any]] | None = None,
    **changes: Any,
) -> None:
    """Send the response, with the last page's answers (``answered``, as ``save_page``).

    ``answers`` are all the respondent's answers, the last page's included; those off
    their path are dropped. A concurrent or repeated submit raises ``AlreadySubmitted``.
    Conditional updates are the gate: of two transactions racing here, the second waits
    on the row lock and then matches no row. Rows are always locked in the same order
    (the response's, then the invitation's), so racing requests never deadlock.
    """
    # An anonymous invitation's response keeps nothing derived from its token once sent:
    # the invitation (now "complete") is what refuses a second submission.
    forget = visit.survey.anonymous and visit.invitation is not None
    values = {
        "status": ResponseStatus.SUBMITTED,
        "submitted_at": now,
        "current_page": None,
        **({"resume_hash": None} if forget else {}),
        **changes,
    }
    if visit.response is None:  # sent from its first page (paper): create it first
        _hold(session, visit, now)
    progress = visit.response
    assert progress is not None
    kept = visit.questionnaire.path_answers(answers)
    page_answers = {} if answered is None else answered[1]
    claim = None
    if visit.invitation is not None:
        completed = {
            "disposition": Disposition.COMPLETE,
            "completed_at": recorded_time(visit.survey, now),
        }
        claim = sql.Claim(visit.invitation.id, NOT_YET_COMPLETE, completed)
    own = own_flags(
        visit.questionnaire,
        kept,
        values.get("page_seconds", progress.page_seconds),
        visit.channel,
        visit.survey.thresholds,
    )
    held, claimed = sql.send(
        session,
        progress.id,
        # What is off the path and what the last page replaces goes.
        [i for i in kept if i not in page_answers],
        {k: v for k, v in page_answers.items() if k in kept},
        own,
        now,
        claim,
        updated_at=now,
        **values,
    )
    if not (held and claimed):
        raise AlreadySubmitted(progress.id)
    _keep_in_step(progress, now, values)
    if visit.entered_by_id is not None:
        sent = session.get(Response, progress.id)
        record(session, visit.entered_by_id, "response.paper_entry", sent)
    _flag_repeats(session, visit, now)


def _flag_repeats(session: DbSession, visit: Visit, now: datetime) -> None:
    """The duplicate flags of the response just sent, and of those it repeats (its own
    flags were stored as it was sent)."""
    progress = visit.response
    assert progress is not None
    # Bursts from one device mean something on open links and counter tablets only.
    open_link = visit.invitation is None and visit.assignment_id is None
    if progress.dossier_code is None and not open_link:
        return
    quality.flag_repeats(
        session,
        survey_id=visit.survey.id,
        response_id=progress.id,
        channel=visit.channel,
        thresholds=visit.survey.thresholds,
        now=now,
        dossier_code=progress.dossier_code,
        device=(progress.ip_hash, progress.device) if open_link else None,
    )


def _hold(
    session: DbSession,
    visit: Visit,
    now: datetime,
    replacing: tuple[list[str], Mapping[str, Any]] | None = None,
    **values: Any,
) -> None:
    """Update the response only while it is in progress, locking its row until commit,
    and then replace the answers to some items (``replacing``: their ids, the answers).

    The first save creates the response with ``values``. A page saved in a request that
    raced a submit finds the response sent and raises ``AlreadySubmitted``, so nothing
    is changed under a submitted response.
    """
    if visit.response is None and _create_response(session, visit, now, values):
        if replacing is not None:  # a new response: no answers to drop
            sql.add_answers(session, _response_id(visit), replacing[1])
        return
    progress = visit.response
    assert progress is not None
    if replacing is None:
        held = sql.hold_response(session, progress.id, updated_at=now, **values)
    else:
        held = sql.hold_and_replace(session, progress.id, *replacing, updated_at=now, **values)
    if not held:
        raise AlreadySubmitted(progress.id)
    _keep_in_step(progress, now, values)


def _keep_in_step(progress: Progress, now: datetime, values: Mapping[str, Any]) -> None:
    """``progress`` as the response now stands, after an update setting ``values``."""
    progress.updated_at = now
    for name in ("status", "current_page", "dossier_code", "page_seconds", "back_navigations"):
        if name in values:
            setattr(progress, name, values[name])


def _create_response(
    session: DbSession, visit: Visit, now: datetime, values: Mapping[str, Any]
) -> bool:
    """Insert the visit's response with ``values``; False if another request of the same
    respondent created it a moment ago (``visit.response`` is then that one, to update)."""
    survey, invitation = visit.survey, visit.invitation
    row = {
        "survey_id": survey.id,
        "questionnaire_version_id": survey.version_id,
        "agency_id": visit.agency.id,
        "invitation_id": None if survey.anonymous or invitation is None else invitation.id,
        "resume_hash": visit.resume_hash,
        "channel": visit.channel,
        "status": ResponseStatus.IN_PROGRESS,
        "current_page": None,
        "dossier_code": None,
        "assignment_id": visit.assignment_id,
        "entered_by_id": visit.entered_by_id,
        "stratum": None if invitation is None else invitation.stratum,
        "weight": 1.0 if invitation is None else invitation.base_weight,
        "started_at": now,
        "updated_at": now,
        "back_navigations": 0,
        "device": visit.device,
        "ip_hash": visit.ip_hash,
        **values,
    }
    # The invitation goes on to "partial" with its response (AAPOR: an interview begun).
    claim = None
    if invitation is not None:
        claim = sql.Claim(invitation.id, NOT_YET_STARTED, {"disposition": Disposition.PARTIAL})
    response_id = sql.create_response(session, row, claim)
    if response_id is None:
        found = visit_sql.find_progress(session, visit.resume_hash)
        assert found is not None, "another request's response, committed before ours"
        visit.response = Progress(*found)
    else:
        visit.response = Progress(
            response_id,
            survey.id,
            visit.agency.id,
            visit.channel,
            row["status"],
            row["current_page"],
            row["dossier_code"],
            now,
            row.get("page_seconds"),
            row["back_navigations"],
            row["ip_hash"],
            row["device"],
        )
    return response_id is not None


def _response_id(visit: Visit) -> int:
    assert visit.response is not None, "saved after _hold, which creates the response"
    return visit.response.id
