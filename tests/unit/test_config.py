"""The configuration a newcomer gets without setting anything."""

from pathlib import Path

import pytest

from surveyapp import config


def test_default_database_creates_the_instance_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "not" / "yet" / "there"
    monkeypatch.setattr(config, "INSTANCE_DIR", folder)
    assert config.database_url(None) == f"sqlite:///{folder / 'surveyapp.sqlite'}"
    assert folder.is_dir()


def test_plain_postgresql_url_means_psycopg_3() -> None:
    assert config.database_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
