"""Throttled sign-in: failures (never successes) are refused per account and address and,
far higher, per address; an account attacked from everywhere is only slowed down, so
nobody can lock a colleague out; an unknown e-mail costs a password hash like a known one."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from surveyapp import create_app
from surveyapp.accounts.services import users
from surveyapp.accounts.views import auth
from surveyapp.extensions import db, limiter
from tests import factories
from tests.conftest import REDIS_URL, IsolatedClient
from tests.functional.test_protection import _redis_missing

PER_ACCOUNT_AND_ADDRESS = 5
PER_ADDRESS = 12
SLOWED_AFTER = 8  # failures on one account, from any address


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
def throttled(request: pytest.FixtureRequest, app: Flask, database: str) -> Iterator[Flask]:
    """An app with sign-in limits on, on the tests' database (the session app's are off)."""
    throttled_app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret-key",
            "SQLALCHEMY_DATABASE_URI": database,
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_STORAGE_URI": request.param,
            "RATELIMIT_LOGIN": f"{PER_ACCOUNT_AND_ADDRESS} per hour",
            "RATELIMIT_LOGIN_IP": f"{PER_ADDRESS} per hour",
            "RATELIMIT_LOGIN_ACCOUNT": f"{SLOWED_AFTER} per hour",
        }
    )
    throttled_app.test_client_class = IsolatedClient
    try:
        with throttled_app.app_context():
            yield throttled_app
            db.session.remove()
            db.engine.dispose()
    finally:
        limiter.init_app(app)  # limits off again for every other test
        assert not limiter.enabled


@pytest.fixture()
def slept(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The slow-downs the sign-in page waited, instead of waiting them."""
    waits: list[float] = []
    monkeypatch.setattr(auth, "sleep", waits.append)
    return waits


# Fresh addresses and accounts each run: Redis keeps its counters between runs.
def _address() -> str:
    return f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250)}"


def _account() -> str:
    email = f"staff-{secrets.token_hex(4)}@example.org"
    factories.user(email, "analyst")
    return email


def _sign_in(app: Flask, email: str, password: str, address: str) -> Any:
    client = app.test_client()
    page = client.get("/login", environ_base={"REMOTE_ADDR": address})
    form = {"email": email, "password": password, "csrf_token": factories.csrf_from(page.text)}
    return client.post("/login", data=form, environ_base={"REMOTE_ADDR": address})


def test_colleague_on_the_same_address_signs_in_after_anothers_failures(
    throttled: Flask, slept: list[float]
) -> None:
    office, forgetful, colleague = _address(), _account(), _account()
    answers = [_sign_in(throttled, forgetful, "wrong", office).status_code for _ in range(7)]
    assert answers == [200] * PER_ACCOUNT_AND_ADDRESS + [429, 429]
    assert _sign_in(throttled, colleague, factories.PASSWORD, office).status_code == 303
    # The forgetful account, from this address, waits out its window.
    assert _sign_in(throttled, forgetful, factories.PASSWORD, office).status_code == 429
    assert not slept


def test_account_attacked_from_one_address_signs_in_from_another(
    throttled: Flask, slept: list[float]
) -> None:
    attacker, home, target = _address(), _address(), _account()
    for _ in range(PER_ACCOUNT_AND_ADDRESS):
        assert _sign_in(throttled, target, "guess", attacker).status_code == 200
    refused = _sign_in(throttled, target, "guess", attacker)
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "3600"
    assert _sign_in(throttled, target, factories.PASSWORD, home).status_code == 303


def test_account_attacked_from_many_addresses_is_slowed_never_refused(
    throttled: Flask, slept: list[float]
) -> None:
    target = _account()
    for _ in range(SLOWED_AFTER):
        assert _sign_in(throttled, target, "guess", _address()).status_code == 200
    assert not slept
    assert _sign_in(throttled, target, "guess", _address()).status_code == 200
    assert slept == [auth.SLOWDOWN_SECONDS]
    assert _sign_in(throttled, target, factories.PASSWORD, _address()).status_code == 303
    assert slept == [auth.SLOWDOWN_SECONDS] * 2


def test_an_address_with_many_failures_on_any_accounts_is_refused_with_the_login_form(
    throttled: Flask, slept: list[float]
) -> None:
    sprayer, account = _address(), _account()
    for n in range(PER_ADDRESS):
        unknown = f"guess-{n}-{secrets.token_hex(4)}@example.org"
        assert _sign_in(throttled, unknown, "Password1", sprayer).status_code == 200
    refused = _sign_in(throttled, account, factories.PASSWORD, sprayer)
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "3600"
    assert "60 phút" in refused.text  # the wait, in the page's language (vi by default)
    assert 'name="password"' in refused.text and account in refused.text
    assert _sign_in(throttled, account, factories.PASSWORD, _address()).status_code == 303


def test_successful_sign_ins_do_not_count_against_the_address(
    throttled: Flask, slept: list[float]
) -> None:
    office = _address()
    colleagues = [_account() for _ in range(3)]
    for _ in range(PER_ADDRESS // 3 + 2):
        for email in colleagues:
            assert _sign_in(throttled, email, factories.PASSWORD, office).status_code == 303


def test_unknown_and_known_accounts_both_run_the_password_hash(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Timing must not tell which e-mails have accounts: both cost one hash."""
    hashed: list[str] = []
    real = users.check_password_hash
    monkeypatch.setattr(users, "check_password_hash", lambda h, p: hashed.append(p) or real(h, p))
    factories.user()
    for email, password in [
        ("nobody@example.org", "first guess"),
        ("admin@example.org", "second guess"),
        ("", "third guess"),
        ("admin@example.org", factories.PASSWORD),
    ]:
        page = client.get("/login")
        form = {"email": email, "password": password, "csrf_token": factories.csrf_from(page.text)}
        client.post("/login", data=form)
    assert hashed == ["first guess", "second guess", "third guess", factories.PASSWORD]
