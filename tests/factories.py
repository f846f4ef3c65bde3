"""Test data built through the same services the product uses."""

from __future__ import annotations

import re
from typing import Any

from flask import current_app
from flask.testing import FlaskClient

from surveyapp.accounts.services import users
from surveyapp.extensions import db
from surveyapp.fieldwork.services import invitations
from surveyapp.models import Agency, Survey, SurveyMode, User
from surveyapp.models._types import utcnow
from surveyapp.surveys.services import agencies, surveys

PASSWORD = "correct horse battery"
AGENCY_ROWS = [
    {"code": "HN", "parent": "", "name_vi": "UBND tỉnh Thử nghiệm", "name_en": "Test Province"},
    {"code": "SXD", "parent": "HN", "name_vi": "Sở Xây dựng", "name_en": "Construction"},
    {"code": "STP", "parent": "HN", "name_vi": "Sở Tư pháp", "name_en": "Justice"},
    {"code": "SXD_P1", "parent": "SXD", "name_vi": "Phòng Cấp phép", "name_en": "Permits"},
]


def province() -> dict[str, Agency]:
    agencies.import_agencies(db.session, AGENCY_ROWS)
    db.session.commit()
    return {a.code: a for a in agencies.all_agencies(db.session)}


def user(
    email: str = "admin@example.org", role: str = "admin", agency: Agency | None = None
) -> User:
    created = users.create_user(db.session, email, role, PASSWORD, agency)
    db.session.commit()
    return created


def survey(
    codes: tuple[str, ...] = ("SXD", "STP"),
    template: str = "sipas-2017",
    anonymous: bool = False,
    mode: SurveyMode = SurveyMode.INVITED,
) -> Survey:
    created = surveys.create_survey(
        db.session,
        version=surveys.questionnaire_version(db.session, template),
        title="Khảo sát thử",
        agencies=agencies.by_codes(db.session, codes),
        mode=mode,
        anonymous=anonymous,
        now=utcnow(),
    )
    db.session.commit()
    return created


def links() -> invitations.Links:
    """The test app's invitation links, as its pages and commands make them."""
    return invitations.Links.of(current_app.config)


def tokens(target: Survey, code: str, count: int = 1, weight: float = 1.0) -> list[str]:
    agency = agencies.by_codes(db.session, [code])[0]
    issued = invitations.create_invitations(
        db.session, target, agency, count, links=links(), base_weight=weight
    )
    db.session.commit()
    return [link.token for link in issued]


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "page has no csrf_token field"
    return match.group(1)


def login(client: FlaskClient, email: str = "admin@example.org") -> None:
    page = client.get("/login")
    response = client.post(
        "/login",
        data={"email": email, "password": PASSWORD, "csrf_token": csrf_from(page.text)},
    )
    assert response.status_code == 303, response.text


def form_fields(html: str) -> dict[str, Any]:
    """Hidden fields of a respondent page (csrf_token, page)."""
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))
