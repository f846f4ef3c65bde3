"""Protection of the respondent pages: rate limits (posts per token and failed look-ups
per IP on ``/s/``, per IP on ``/o/``; memory or Redis), a CSP with nothing inline, no
caching, 413 and CSRF 400."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from surveyapp import create_app
from surveyapp.config import Config
from surveyapp.extensions import db, limiter
from surveyapp.models import Answer, Response, SurveyMode, SurveyStatus
from tests import factories
from tests.conftest import REDIS_URL, IsolatedClient
from tests.respondent import answer_everything, form_action


def _redis_missing() -> str | None:
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except Exception as error:  # any failure means "no Redis here"
        return f"Redis at {REDIS_URL} is not reachable: {error}"
    return None


@pytest.fixture(
    params=[
        "memory://",
        pytest.param(
            REDIS_URL,
            marks=pytest.mark.skipif(bool(_redis_missing()), reason=str(_redis_missing())),
        ),
    ],
    ids=["memory", "redis"],
)
def limited(request: pytest.FixtureRequest, app: Flask, database: str) -> Iterator[Flask]:
    """A second app with rate limits on (tight ones), on the tests' database.

    Flask-Limiter keeps its state on the one ``limiter`` object, so the session app's
    setting (limits off) is put back afterwards.
    """
    limited_app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret-key",
            "SQLALCHEMY_DATABASE_URI": database,
            "BASE_URL": "http://localhost",
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_STORAGE_URI": request.param,
            "RATELIMIT_TOKEN": "3 per minute",
            "RATELIMIT_TOKEN_MISSES": "3 per hour",
            "RATELIMIT_OPEN_LINK": "3 per minute",
            "RATELIMIT_LOGIN": "2 per hour",
        }
    )
    limited_app.test_client_class = IsolatedClient
    try:
        with limited_app.app_context():
            yield limited_app
            db.session.remove()
            db.engine.dispose()
    finally:
        limiter.init_app(app)  # limits off again for every other test
        assert not limiter.enabled


def assert_clean_respondent_page(response: Any) -> None:
    """No inline script, style or handler (the CSP forbids them), and nothing cached."""
    html = response.get_data(as_text=True)
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert re.search(r'\ssrc="[^"]+"', tag), f"inline script: {tag}"
    assert not re.search(r"<style\b", html), "inline <style>"
    assert not re.search(r"""\sstyle\s*=\s*["']""", html), "style= attribute"
    assert not re.search(r"""\son[a-z]+\s*=\s*["']""", html), "inline event handler"
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "style-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["Cache-Control"] == "no-store"


# --- rate limits ----------------------------------------------------------------------


def test_token_posts_are_limited_per_token_with_a_friendly_page(limited: Flask) -> None:
    factories.province()
    survey = factories.survey()
    first, second = factories.tokens(survey, "SXD", count=2)
    client = limited.test_client()
    form = {**factories.form_fields(client.get(f"/s/{first}").text), "action": "next"}
    for _ in range(3):
        assert client.post(f"/s/{first}", data=form).status_code in (200, 303)
    blocked = client.post(f"/s/{first}", data=form)
    assert blocked.status_code == 429
    assert 'data-state="busy"' in blocked.text
    assert "Please wait a minute" in blocked.text or "vui lòng" in blocked.text.lower()
    assert "Traceback" not in blocked.text
    assert blocked.headers["Retry-After"] == "60"  # the limit's window: "per minute"
    assert "X-RateLimit-Remaining" not in blocked.headers  # not sent: two Redis calls each
    assert_clean_respondent_page(blocked)
    # Same office network, another respondent: not limited.
    assert client.post(f"/s/{second}", data=form).status_code in (200, 303)
    other_browser = limited.test_client()
    its_form = {**factories.form_fields(other_browser.get(f"/s/{first}").text), "action": "next"}
    assert other_browser.post(f"/s/{first}", data=its_form).status_code == 429  # the token's


def test_reading_a_valid_link_is_not_limited_per_token(limited: Flask) -> None:
    """Reloads of one's own page are not look-ups to count: only posts are, per token."""
    factories.province()
    survey = factories.survey()
    (token,) = factories.tokens(survey, "SXD", count=1)
    client = limited.test_client()
    for _ in range(6):
        assert client.get(f"/s/{token}").status_code == 200


def test_failed_token_look_ups_are_limited_per_ip(limited: Flask) -> None:
    factories.province()
    survey = factories.survey()
    (token,) = factories.tokens(survey, "SXD", count=1)
    # Fresh addresses each run: Redis keeps its counters between runs (and test sessions).
    guesser, other = (f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{n}" for n in (3, 4))
    client = limited.test_client()
    for n in range(3):
        wrong = client.get(f"/s/nosuchtoken{n}", environ_base={"REMOTE_ADDR": guesser})
        assert wrong.status_code == 404
    # Then every look-up from there waits, a good link's too: a 200 among the 429s would
    # tell a guesser which token exists.
    assert client.get(f"/s/{token}", environ_base={"REMOTE_ADDR": guesser}).status_code == 429
    blocked = client.get("/s/nosuchtoken9", environ_base={"REMOTE_ADDR": guesser})
    assert blocked.status_code == 429
    assert blocked.headers["Retry-After"] == "3600"  # the limit's window: "per hour"
    assert_clean_respondent_page(blocked)
    elsewhere = limited.test_client()
    for _ in range(4):
        assert elsewhere.get(f"/s/{token}", environ_base={"REMOTE_ADDR": other}).status_code == 200
    assert elsewhere.get("/s/nosuch", environ_base={"REMOTE_ADDR": other}).status_code == 404
    assert elsewhere.get(f"/s/{token}", environ_base={"REMOTE_ADDR": other}).status_code == 200


def test_open_links_are_limited_per_ip(limited: Flask) -> None:
    factories.province()
    survey = factories.survey(mode=SurveyMode.OPEN)
    url = f"/o/{survey.id}/SXD"
    # Fresh addresses each run: Redis keeps its counters between runs (and test sessions).
    crowded, other = (f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{n}" for n in (1, 2))
    here = limited.test_client()
    for _ in range(3):
        assert here.get(url, environ_base={"REMOTE_ADDR": crowded}).status_code == 200
    blocked = here.get(url, environ_base={"REMOTE_ADDR": crowded})
    assert blocked.status_code == 429
    assert 'data-state="busy"' in blocked.text
    assert_clean_respondent_page(blocked)
    elsewhere = limited.test_client()
    assert elsewhere.get(url, environ_base={"REMOTE_ADDR": other}).status_code == 200


def test_sign_in_attempts_are_limited_with_a_retry_after(limited: Flask) -> None:
    client = limited.test_client()
    address = {"REMOTE_ADDR": f"10.9.{secrets.randbelow(250)}.{secrets.randbelow(250)}"}
    email = f"nobody{secrets.randbelow(10**6)}@example.org"
    for _ in range(2):
        page = client.get("/login", environ_base=address)
        form = {**factories.form_fields(page.text), "email": email, "password": "wrong"}
        assert client.post("/login", data=form, environ_base=address).status_code == 200
    blocked = client.post("/login", data=form, environ_base=address)
    assert blocked.status_code == 429
    assert blocked.headers["Retry-After"] == "3600"
    assert "Too many requests" in blocked.text or "Quá nhiều" in blocked.text


def test_redis_url_makes_redis_the_rate_limit_storage(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SURVEYAPP_REDIS_URL", "redis://127.0.0.1:6379/3")
    assert Config.from_env()["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/3"
    monkeypatch.delenv("SURVEYAPP_REDIS_URL")
    assert Config.from_env()["RATELIMIT_STORAGE_URI"] == "memory://"


@pytest.mark.skipif(bool(_redis_missing()), reason=str(_redis_missing()))
def test_token_counts_live_in_redis(limited: Flask) -> None:
    if limited.config["RATELIMIT_STORAGE_URI"] == "memory://":
        pytest.skip("the Redis run checks Redis")
    import redis

    factories.province()
    token = factories.tokens(factories.survey(), "SXD")[0]
    client = limited.test_client()
    form = {**factories.form_fields(client.get(f"/s/{token}").text), "action": "next"}
    assert client.post(f"/s/{token}", data=form).status_code == 303
    keys = redis.Redis.from_url(REDIS_URL).keys(f"*token:{token}*")
    assert keys, "no rate-limit counter for the token in Redis"


# --- pages: nothing inline, nothing cached ----------------------------------------------


def _walk_collecting(client: FlaskClient, url: str) -> list[Any]:
    """Every page of a questionnaire, an invalid page and the thank-you page."""
    seen = []
    page = client.get(url)
    seen.append(page)
    moved = client.post(
        form_action(page.text), data={**factories.form_fields(page.text), "action": "next"}
    )
    url = moved.headers["Location"]  # a kiosk's start page hands its visit on
    screen = client.get(url)
    seen.append(screen)
    seen.append(client.post(url, data={**factories.form_fields(screen.text), "action": "next"}))
    assert seen[-1].status_code == 200  # the screen page with its messages
    answer_everything(client, url)
    seen.append(client.get(url))  # thank-you
    return seen


def test_respondent_pages_have_no_inline_script_or_style_and_are_not_cached(
    client: FlaskClient,
) -> None:
    factories.province()
    invited = factories.survey()
    open_survey = factories.survey(mode=SurveyMode.OPEN)
    token = factories.tokens(invited, "SXD")[0]
    pages = _walk_collecting(client, f"/s/{token}")
    pages += _walk_collecting(client, f"/o/{open_survey.id}/SXD/kiosk")
    pages.append(client.get(f"/s/{token}"))  # already submitted
    pages.append(client.get("/s/no-such-token"))  # 404
    pages.append(client.get(f"/o/{open_survey.id}/NOPE"))  # 404
    open_survey.status = SurveyStatus.CLOSED
    db.session.commit()
    pages.append(client.get(f"/o/{open_survey.id}/SXD"))  # closed
    states = [re.search(r'data-(?:state|status)="([^"]+)"', p.text) for p in pages]
    assert {"answering", "submitted", "already-submitted", "closed", "404"} <= {
        s.group(1) for s in states if s
    }
    for page in pages:
        assert_clean_respondent_page(page)


# --- body cap and CSRF ------------------------------------------------------------------


def test_open_link_body_over_64_kib_is_413(client: FlaskClient) -> None:
    factories.province()
    survey = factories.survey(mode=SurveyMode.OPEN)
    response = client.post(f"/o/{survey.id}/SXD", data={"comments": "x" * 70_000})
    assert response.status_code == 413
    assert db.session.scalar(select(func.count()).select_from(Response)) == 0


@pytest.mark.parametrize("csrf", [None, "forged-4f1c2a9e"], ids=["missing", "forged"])
def test_open_link_without_valid_csrf_is_400_and_saves_nothing(
    client: FlaskClient, csrf: str | None
) -> None:
    factories.province()
    survey = factories.survey(mode=SurveyMode.OPEN)
    url = f"/o/{survey.id}/SXD"
    client.get(url)  # a real visitor with a session and a resume cookie
    data = {"action": "next", "page": "welcome"}
    if csrf:
        data["csrf_token"] = csrf
    response = client.post(url, data=data)
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Response)) == 0


def test_token_without_csrf_on_a_later_page_saves_nothing(client: FlaskClient) -> None:
    factories.province()
    token = factories.tokens(factories.survey(), "SXD")[0]
    welcome = client.get(f"/s/{token}")
    client.post(f"/s/{token}", data={**factories.form_fields(welcome.text), "action": "next"})
    before = db.session.scalar(select(func.count()).select_from(Response))
    refused = client.post(
        f"/s/{token}", data={"page": "screen", "action": "next", "applicant_type": "1"}
    )
    assert refused.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Response)) == before
    assert db.session.scalar(select(func.count()).select_from(Answer)) == 0
