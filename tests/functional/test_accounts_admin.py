"""Accounts on the web: an admin creates, changes, disables accounts, sets temporary
passwords and revokes tokens; each takes effect at once and is audit-logged."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from surveyapp.extensions import db
from surveyapp.models import ApiToken, AuditEvent, Role, User
from tests import factories

NEW_PASSWORD = "a long new passphrase"


def _admin(client: FlaskClient) -> None:
    factories.province()
    factories.user()
    factories.login(client)


def _post(client: FlaskClient, page_url: str, url: str, **data: Any) -> Any:
    page = client.get(page_url)
    return client.post(url, data={"csrf_token": factories.csrf_from(page.text), **data})


def _actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def _sign_in(client: FlaskClient, email: str, password: str) -> Any:
    page = client.get("/login")
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": factories.csrf_from(page.text)},
    )


def test_an_admin_creates_an_analyst_who_must_choose_a_password(
    client: FlaskClient, app: Flask
) -> None:
    _admin(client)
    made = _post(
        client,
        "/admin/users/new",
        "/admin/users/new",
        email="Phan.Tich@Example.org",
        role="analyst",
        agency="SXD",
        password="tam thoi 2027",
    )
    assert made.status_code == 303
    user = db.session.scalars(select(User).where(User.email == "phan.tich@example.org")).one()
    assert (user.role, user.agency.code, user.must_change_password) == (Role.ANALYST, "SXD", True)
    assert "user.create" in _actions()

    other = app.test_client()
    signed_in = _sign_in(other, "phan.tich@example.org", "tam thoi 2027")
    assert signed_in.headers["Location"] == "/account/password"
    assert other.get("/").headers["Location"] == "/account/password"  # every page asks first
    form = other.get("/account/password")
    changed = other.post(
        "/account/password",
        data={
            "csrf_token": factories.csrf_from(form.text),
            "current_password": "tam thoi 2027",
            "new_password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
        },
    )
    assert changed.status_code == 303
    assert other.get("/").status_code == 200
    db.session.refresh(user)
    assert not user.must_change_password
    assert _actions()[-1] == "user.password_change"


def test_a_refused_new_account_says_why_beside_the_field(client: FlaskClient) -> None:
    _admin(client)
    refused = _post(
        client,
        "/admin/users/new",
        "/admin/users/new",
        email="x@example.org",
        role="analyst",
        agency="",
        password="password",
    )
    assert refused.status_code == 422
    assert 'id="err-password"' in refused.text
    assert db.session.scalar(select(User).where(User.email == "x@example.org")) is None


def test_disabling_ends_sessions_and_tokens_at_once(client: FlaskClient, app: Flask) -> None:
    _admin(client)
    analyst = factories.user("a@example.org", "analyst")
    other = app.test_client()
    factories.login(other, "a@example.org")
    assert other.get("/").status_code == 200
    token_page = _post(
        client, f"/admin/users/{analyst.id}", f"/admin/users/{analyst.id}/tokens", name="Power BI"
    )
    secret = re.search(r"<code class=\"token\" data-token>([^<]+)</code>", token_page.text)
    assert secret and token_page.headers["Cache-Control"] == "no-store"
    bearer = {"Authorization": f"Bearer {secret.group(1)}"}
    assert app.test_client().get("/api/v1/surveys", headers=bearer).status_code == 200

    disabled = _post(
        client, f"/admin/users/{analyst.id}", f"/admin/users/{analyst.id}/active", active="0"
    )
    assert disabled.status_code == 303
    assert other.get("/").status_code in (302, 303)  # back to the sign-in page
    assert app.test_client().get("/api/v1/surveys", headers=bearer).status_code == 401
    assert _sign_in(app.test_client(), "a@example.org", factories.PASSWORD).status_code == 200

    _post(client, f"/admin/users/{analyst.id}", f"/admin/users/{analyst.id}/active", active="1")
    assert _sign_in(app.test_client(), "a@example.org", factories.PASSWORD).status_code == 303
    assert _actions()[-5:] == [
        "token.create",
        "user.disable",
        "auth.login_failed",
        "user.enable",
        "auth.login",
    ]


def test_a_revoked_token_is_refused_and_listed_as_revoked(client: FlaskClient, app: Flask) -> None:
    _admin(client)
    analyst = factories.user("a@example.org", "analyst")
    page = _post(
        client, f"/admin/users/{analyst.id}", f"/admin/users/{analyst.id}/tokens", name="R script"
    )
    secret = re.search(r"data-token>([^<]+)<", page.text)
    assert secret
    token = db.session.scalars(select(ApiToken)).one()
    assert token.name == "R script" and secret.group(1) not in (token.token_hash,)
    revoked = _post(
        client, f"/admin/users/{analyst.id}", f"/admin/users/{analyst.id}/tokens/{token.id}/revoke"
    )
    assert revoked.status_code == 303
    bearer = {"Authorization": f"Bearer {secret.group(1)}"}
    assert app.test_client().get("/api/v1/surveys", headers=bearer).status_code == 401
    listing = client.get(f"/admin/users/{analyst.id}").text
    assert "R script" in listing and "đã thu hồi" in listing
    assert "token.revoke" in _actions()


def test_changing_role_or_agency_ends_the_accounts_sessions(
    client: FlaskClient, app: Flask
) -> None:
    _admin(client)
    analyst = factories.user("a@example.org", "analyst")
    other = app.test_client()
    factories.login(other, "a@example.org")
    saved = _post(
        client,
        f"/admin/users/{analyst.id}",
        f"/admin/users/{analyst.id}",
        role="analyst",
        agency="STP",
    )
    assert saved.status_code == 303
    db.session.refresh(analyst)
    assert analyst.agency.code == "STP"
    assert other.get("/").status_code in (302, 303)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user.update")).one()
    assert event.details["changed"] == ["agency"]


def test_an_admin_cannot_lock_themselves_out(client: FlaskClient) -> None:
    _admin(client)
    me = db.session.scalars(select(User)).one()
    _post(client, f"/admin/users/{me.id}", f"/admin/users/{me.id}/active", active="0")
    refused = _post(
        client, f"/admin/users/{me.id}", f"/admin/users/{me.id}", role="analyst", agency=""
    )
    assert refused.status_code == 422
    db.session.refresh(me)
    assert me.active and me.role is Role.ADMIN


def test_a_temporary_password_ends_sessions_and_must_be_changed(
    client: FlaskClient, app: Flask
) -> None:
    _admin(client)
    analyst = factories.user("a@example.org", "analyst")
    other = app.test_client()
    factories.login(other, "a@example.org")
    set_ = _post(
        client,
        f"/admin/users/{analyst.id}",
        f"/admin/users/{analyst.id}/password",
        password="tạm thời mới",
    )
    assert set_.status_code == 303
    assert other.get("/").status_code in (302, 303)
    assert (
        _sign_in(app.test_client(), "a@example.org", "tạm thời mới").headers["Location"]
        == "/account/password"
    )


def test_only_admins_reach_the_accounts(client: FlaskClient) -> None:
    factories.province()
    factories.user("d@example.org", "designer")
    factories.login(client, "d@example.org")
    assert client.get("/admin/users").status_code == 403
    assert "/admin/users" not in client.get("/").text


def test_sign_ins_and_refusals_are_audit_logged(client: FlaskClient) -> None:
    factories.province()
    factories.user()
    _sign_in(client, "admin@example.org", "wrong password")
    _sign_in(client, "nobody@example.org", "wrong password")
    factories.login(client)
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [e.action for e in events] == ["auth.login_failed", "auth.login_failed", "auth.login"]
    assert events[1].details["email"] == "nobody@example.org"
