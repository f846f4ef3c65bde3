"""Fixtures shared by every test: an app on SQLite or, when
``SURVEYAPP_TEST_DATABASE_URL`` is set, on that (PostgreSQL) database."""

from __future__ import annotations

import contextvars
import functools
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, has_app_context
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import create_engine, delete, event, make_url, text
from sqlalchemy.pool import NullPool
from werkzeug.security import generate_password_hash

from surveyapp import MIGRATIONS_DIR, create_app
from surveyapp.config import database_url
from surveyapp.extensions import db

# pytest -n N runs N workers at once; each works on its own database and Redis number.
# Two runs at once (CI runs SQLite and PostgreSQL side by side) set apart their numbers
# with SURVEYAPP_TEST_REDIS_BASE.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")  # "gw0", "gw1", … or "" when serial
_REDIS_DB = int(os.environ.get("SURVEYAPP_TEST_REDIS_BASE", "1")) + int(WORKER[2:] or 0)
REDIS_URL = f"redis://127.0.0.1:6379/{_REDIS_DB % 16}"


# Werkzeug's default password hash (scrypt, N=2**15, 32 MiB) is meant to be slow: about
# 0.1 s a hash on an idle core, several times that on a busy CI machine, and almost every
# test creates an account and signs in. The tests hash with one cheap PBKDF2 round instead;
# the product's code is unchanged (checking reads the method from the stored hash, so it
# follows), and test_password_hash.py checks that the product's own method stays scrypt.
TEST_PASSWORD_HASH = "pbkdf2:sha256:1"


# Tests that take many times longer than the rest (this one seeds the whole demo in a real
# process) start first: under xdist a worker then never ends the run alone on one of them.
SLOW_FIRST = {
    "tests/functional/test_cli_shell.py::test_the_demo_survey_exports_its_letters_from_a_shell",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: item.nodeid not in SLOW_FIRST)  # stable: the rest keep order


@pytest.fixture(scope="session", autouse=True)
def _cheap_password_hashes() -> Iterator[None]:
    from surveyapp.accounts.services import users
    from surveyapp.models import org

    cheap = functools.partial(generate_password_hash, method=TEST_PASSWORD_HASH)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(org, "generate_password_hash", cheap)
        patch.setattr(users, "generate_password_hash", cheap)
        yield


@pytest.fixture(scope="session")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = os.environ.get("SURVEYAPP_TEST_DATABASE_URL")
    if not url:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"
        return
    url = database_url(url)
    if not WORKER:
        yield url
        return
    given = make_url(url)
    own = f"{given.database}_{WORKER}"
    server = create_engine(given, isolation_level="AUTOCOMMIT", poolclass=NullPool)

    def run(statement: str) -> None:
        with server.connect() as conn:
            conn.execute(text(statement))

    run(f'DROP DATABASE IF EXISTS "{own}" WITH (FORCE)')  # left by an interrupted run
    run(f'CREATE DATABASE "{own}"')
    yield given.set(database=own).render_as_string(hide_password=False)
    run(f'DROP DATABASE IF EXISTS "{own}" WITH (FORCE)')


class IsolatedClient(FlaskClient):
    """Each request gets its own app context, ``g`` and session, as in production.

    Without this, a request would reuse the test's app context and see what the previous
    request cached on ``g`` (the signed-in user, the chosen language). Bodies are read
    inside that context too (``buffered``): a streamed download would otherwise run its
    generator, and pop its request context, from the test's context.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("buffered", True)
        response = contextvars.Context().run(super().open, *args, **kwargs)
        if has_app_context():
            db.session.expire_all()  # the test's own objects see what the request wrote
        return response


@pytest.fixture(scope="session")
def _app(database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret-key",
            "SQLALCHEMY_DATABASE_URI": database,
            "RATELIMIT_ENABLED": False,
            "BASE_URL": "http://localhost",
            # Files of this run's own, apart from other runs and workers.
            "EXPORT_DIR": str(tmp_path_factory.mktemp("exports")),
            "FRAME_UPLOAD_DIR": str(tmp_path_factory.mktemp("uploads")),
        }
    )
    app.test_client_class = IsolatedClient
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            event.listen(db.engine, "connect", _commit_without_fsync)
            db.engine.dispose()  # connections from now on get the pragma
        _reset_schema()
        upgrade(directory=str(MIGRATIONS_DIR))  # the schema the product really runs on
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _commit_without_fsync(connection: Any, _record: Any) -> None:
    """SQLite's ``synchronous=OFF``: a commit no longer waits for the disk (2-3 ms each
    here, hundreds a second in tests). Only durability across a power cut is given up,
    which a test database never needs; locking and isolation are unchanged."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA synchronous=OFF")
    cursor.close()


def _reset_schema() -> None:
    """Start from nothing: earlier runs may have left tables in a shared PostgreSQL."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    else:
        db.drop_all()
        with db.engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))


@pytest.fixture()
def app(_app: Flask) -> Iterator[Flask]:
    """The app inside an app context; every table is emptied after the test."""
    with _app.app_context():
        yield _app
        db.session.rollback()
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(delete(table))
        db.session.commit()


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture()
def tmp_dir(tmp_path: Path) -> Path:
    return tmp_path
