"""Staff accounts: sessions that end (sign-out, new password, disabled account), the
password policy (NIST SP 800-63B: 8 characters, not a common password) and the page
where a signed-in user changes their password."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from surveyapp.accounts.services import users
from surveyapp.extensions import db
from surveyapp.problems import InputRefused
from tests import factories
from tests.functional.test_cli import run

SIGNED_IN_PAGE = "/surveys/new"


def _copy_of(client: FlaskClient, app: Flask) -> FlaskClient:
    """Another browser holding the same session cookie (copied, stolen or a second tab)."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    other = app.test_client()
    other.set_cookie("session", cookie.value)
    return other


def _signed_in(client: FlaskClient) -> bool:
    return client.get(SIGNED_IN_PAGE).status_code == 200


def _change_password(client: FlaskClient, current: str, new: str, again: str | None = None) -> str:
    page = client.get("/account/password")
    response = client.post(
        "/account/password",
        data={
            "csrf_token": factories.csrf_from(page.text),
            "current_password": current,
            "new_password": new,
            "confirm": new if again is None else again,
        },
        follow_redirects=True,
    )
    assert response.status_code == 200
    return response.text


# --- sessions --------------------------------------------------------------------------


def test_copied_session_cookie_stops_working_after_sign_out(
    app: Flask, client: FlaskClient
) -> None:
    factories.user()
    factories.login(client)
    copy = _copy_of(client, app)
    assert _signed_in(copy)
    page = client.get(SIGNED_IN_PAGE)
    client.post("/logout", data={"csrf_token": factories.csrf_from(page.text)})
    assert not _signed_in(client)
    assert not _signed_in(copy)


def test_new_password_ends_other_sessions_and_keeps_this_one(
    app: Flask, client: FlaskClient
) -> None:
    factories.user()
    factories.login(client)
    elsewhere = app.test_client()
    factories.login(elsewhere)
    copy = _copy_of(client, app)
    text = _change_password(client, factories.PASSWORD, "a brand new passphrase")
    assert "Your password is changed" in text or "Đã đổi mật khẩu" in text
    assert _signed_in(client)
    assert not _signed_in(elsewhere)
    assert not _signed_in(copy)


def test_password_set_from_the_command_line_ends_sessions(app: Flask, client: FlaskClient) -> None:
    user = factories.user()
    factories.login(client)
    user.set_password("a brand new passphrase")
    db.session.commit()
    assert not _signed_in(client)


def test_disabled_account_is_signed_out_everywhere(app: Flask, client: FlaskClient) -> None:
    factories.user()
    factories.login(client)
    code, _, err = run(app, "users", "disable", "ADMIN@example.org")
    assert code == 0, err
    assert not _signed_in(client)
    page = client.get("/login")
    refused = client.post(
        "/login",
        data={
            "email": "admin@example.org",
            "password": factories.PASSWORD,
            "csrf_token": factories.csrf_from(page.text),
        },
    )
    assert refused.status_code == 200 and 'id="login-error"' in refused.text


def test_disabling_an_unknown_account_says_so(app: Flask) -> None:
    code, _, err = run(app, "users", "disable", "nobody@example.org")
    assert code == 1 and "nobody@example.org" in err


def test_session_of_a_version_before_sign_out_tracking_is_signed_out(
    app: Flask, client: FlaskClient
) -> None:
    user = factories.user()
    with client.session_transaction() as session:
        session["_user_id"] = str(user.id)  # what sessions held before session versions
    assert not _signed_in(client)


# --- the password policy ---------------------------------------------------------------


@pytest.mark.parametrize("password", ["short1!", "password123", "PassWord123", "qwertyuiop"])
def test_short_or_common_passwords_are_refused(app: Flask, password: str) -> None:
    with pytest.raises(InputRefused) as refused:
        users.create_user(db.session, "a@example.org", "analyst", password)
    assert [str(p.where) for p in refused.value.problems] == ["password"]
    assert users.find_user(db.session, "a@example.org") is None


def test_cli_refuses_a_common_password_and_says_why(app: Flask) -> None:
    code, _, err = run(
        app, "users", "create", "a@example.org", "--role", "analyst", "--password-stdin",
        stdin="Iloveyou1\n",
    )  # fmt: skip
    assert code == 1
    assert "password" in err and "common" in err
    assert users.find_user(db.session, "a@example.org") is None


def test_a_long_uncommon_passphrase_is_accepted(app: Flask) -> None:
    user = users.create_user(db.session, "a@example.org", "analyst", "nhà tôi có ba cây cau")
    assert user.check_password("nhà tôi có ba cây cau")


# --- the change-password page ------------------------------------------------------------


def test_change_password_page_is_for_signed_in_users(client: FlaskClient) -> None:
    response = client.get("/account/password")
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/login?next=")


def test_change_password_page_is_linked_from_every_staff_page(client: FlaskClient) -> None:
    factories.user()
    factories.login(client)
    assert 'href="/account/password"' in client.get(SIGNED_IN_PAGE).text


@pytest.mark.parametrize(
    ("current", "new", "again", "message"),
    [
        ("not my password", "a brand new passphrase", None, "not your current password"),
        (factories.PASSWORD, "Abcd1234", None, "too common"),
        (factories.PASSWORD, "short", None, "at least 8 characters"),
        (factories.PASSWORD, "a brand new passphrase", "a brand new passfrase", "differ"),
    ],
)
def test_refused_password_change_says_why_beside_the_field_and_changes_nothing(
    client: FlaskClient, current: str, new: str, again: str | None, message: str
) -> None:
    factories.user()
    factories.login(client)
    with client.session_transaction() as session:
        session["lang"] = "en"
    text = _change_password(client, current, new, again)
    assert 'class="field-error" id="err-' in text
    assert message in text.lower()
    assert _signed_in(client)
    user = users.find_user(db.session, "admin@example.org")
    assert user is not None and user.check_password(factories.PASSWORD)


def test_changed_password_is_the_one_that_signs_in(client: FlaskClient, app: Flask) -> None:
    factories.user()
    factories.login(client)
    _change_password(client, factories.PASSWORD, "a brand new passphrase")
    user = users.find_user(db.session, "admin@example.org")
    assert user is not None
    assert user.check_password("a brand new passphrase")
    assert not user.check_password(factories.PASSWORD)
