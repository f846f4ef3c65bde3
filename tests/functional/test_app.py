"""App-wide behaviour: configuration, error pages, audit trail."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from surveyapp import create_app
from surveyapp.config import ConfigError, database_url
from surveyapp.extensions import db
from surveyapp.models import AuditEvent
from surveyapp.surveys.services import surveys
from tests import factories


def test_production_refuses_to_start_without_a_secret_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SURVEYAPP_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="SURVEYAPP_SECRET_KEY"):
        create_app()


def test_plain_postgresql_urls_mean_psycopg_3() -> None:
    assert database_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert database_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert database_url(None).startswith("sqlite:///")


def test_unexpected_error_is_a_friendly_500_without_traceback(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    factories.user()
    factories.login(client)

    def broken(session: object) -> list[object]:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(surveys, "list_surveys", broken)
    page = client.get("/?lang=vi")
    assert page.status_code == 500
    assert "<html" in page.text
    assert "database on fire" not in page.text and "Traceback" not in page.text


def test_error_pages_follow_the_language(client: FlaskClient) -> None:
    english = client.get("/nowhere?lang=en")
    vietnamese = client.get("/nowhere?lang=vi")
    assert english.status_code == vietnamese.status_code == 404
    assert '<html lang="en">' in english.text and '<html lang="vi">' in vietnamese.text
    assert english.text != vietnamese.text


def test_forbidden_role_gets_403(client: FlaskClient) -> None:
    factories.user("official@example.org", "official")
    factories.login(client, "official@example.org")
    assert client.get("/surveys/new").status_code == 403


def test_creating_a_survey_is_audit_logged(app: Flask) -> None:
    factories.province()
    created = factories.survey()
    event = db.session.scalars(select(AuditEvent)).one()
    assert (event.action, event.object_type, event.object_id) == (
        "survey.create",
        "surveys",
        str(created.id),
    )


def test_behind_one_proxy_the_client_address_comes_from_x_forwarded_for(_app: Flask) -> None:
    app = create_app({**_app.config, "PROXY_HOPS": 1})
    seen = {}

    @app.get("/_whoami")
    def whoami() -> str:
        from flask import request

        seen["ip"] = request.remote_addr
        return "ok"

    app.test_client().get("/_whoami", headers={"X-Forwarded-For": "203.0.113.7"})
    assert seen["ip"] == "203.0.113.7"


def test_language_switch_keeps_the_query_string(client: FlaskClient) -> None:
    factories.user()
    factories.login(client)
    page = client.get("/?channel=web&lang=vi")
    assert 'href="?channel=web&amp;lang=en"' in page.text
