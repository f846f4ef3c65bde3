"""Invitations: single-use links whose tokens are shown once and stored hashed."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from surveyapp.extensions import DbSession
from surveyapp.models import Agency, Invitation, Survey
from surveyapp.models.audit import record
from surveyapp.security import hash_token, new_token
from surveyapp.services.problems import InputRefused, Problem

MAX_BATCH = 100_000


@dataclass(frozen=True)
class IssuedLink:
    token: str
    url: str
    agency_code: str


def invitation_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/s/{token}"


def create_invitations(
    session: DbSession,
    survey: Survey,
    agency: Agency | None,
    count: int,
    *,
    base_url: str,
    stratum: str | None = None,
    base_weight: float = 1.0,
    actor_id: int | None = None,
) -> list[IssuedLink]:
    """``count`` fresh invitations for one of the survey's agencies."""
    problems: list[Problem] = []
    if agency is None:
        if len(survey.agencies) != 1:
            codes = ", ".join(a.code for a in survey.agencies)
            problems.append(
                Problem(
                    "--agency", _l("choose one of the survey's agencies: %(codes)s", codes=codes)
                )
            )
        else:
            agency = survey.agencies[0]
    elif agency not in survey.agencies:
        problems.append(
            Problem("--agency", _l('"%(code)s" is not an agency of this survey', code=agency.code))
        )
    if not 1 <= count <= MAX_BATCH:
        problems.append(Problem("--count", _l("between 1 and %(n)s", n=f"{MAX_BATCH:,}")))
    if problems or agency is None:
        raise InputRefused(problems)
    links = []
    for _ in range(count):
        token = new_token()
        session.add(
            Invitation(
                survey_id=survey.id,
                agency_id=agency.id,
                token_hash=hash_token(token),
                stratum=stratum or agency.code,
                base_weight=base_weight,
            )
        )
        links.append(IssuedLink(token, invitation_url(base_url, token), agency.code))
    session.flush()
    record(session, actor_id, "invitations.create", survey, agency=agency.code, count=count)
    return links
