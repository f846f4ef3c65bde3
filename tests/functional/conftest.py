"""Fixtures for the tests that talk to the app over real HTTP (the concurrency tests)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from tests.live import LiveServer, serve


@pytest.fixture(scope="module")
def server(_app: Flask) -> Iterator[LiveServer]:
    """The session app on 127.0.0.1, one thread per request, as in production."""
    with serve(_app) as live:
        yield live


@pytest.fixture()
def live(server: LiveServer, app: Flask) -> Iterator[LiveServer]:
    """The server, failing the test if any request raised inside the app."""
    server.errors.clear()
    yield server
    assert not server.errors, "the app raised:\n" + "\n".join(server.errors)
