"""The tests hash passwords cheaply (tests/conftest.py); the product keeps scrypt."""

from __future__ import annotations

import pytest
from werkzeug import security

from surveyapp.models import User, org
from tests.conftest import TEST_PASSWORD_HASH


def test_the_tests_hash_cheaply() -> None:
    user = User(email="a@example.org")
    user.set_password("correct horse battery")
    assert user.password_hash.startswith(TEST_PASSWORD_HASH + "$")
    assert user.check_password("correct horse battery")


def test_the_product_hashes_with_scrypt(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(org, "generate_password_hash", security.generate_password_hash)
    user = User(email="a@example.org")
    user.set_password("correct horse battery")
    assert user.password_hash.startswith("scrypt:")
    assert user.check_password("correct horse battery")
    assert not user.check_password("correct horse battery!")
