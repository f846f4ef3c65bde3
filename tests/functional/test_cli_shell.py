"""Every ``surveyapp`` command runs from a plain shell: none relies on an app context that
only a test had pushed. ``run`` (tests/functional/test_cli.py) invokes a command with no
context current, and each command below is taken far enough to touch the database."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from flask import Flask

from surveyapp.cli import cli
from surveyapp.questionnaire.templates import load_template
from tests.functional.test_cli import run

NO_SURVEY = "error: no survey 999999"
# Each command with arguments that reach its first use of the app or the database:
# (arguments, exit code, what the output then says). {tmp} is a folder of the test's.
SHELL_RUNS: dict[str, tuple[list[str], int, str]] = {
    "agencies import": (["{tmp}/agencies.csv"], 1, 'unknown agency code "XX"'),
    "agencies list": ([], 0, ""),
    "audit": (["--survey", "999999", "--format", "json"], 0, "[]"),
    "contacts purge": (["999999"], 1, NO_SURVEY),
    "export": (["999999", "--format", "csv", "-o", "{tmp}/out.csv"], 1, NO_SURVEY),
    "frame import": (["999999", "{tmp}/agencies.csv"], 1, NO_SURVEY),
    "invitations disposition": (["999999", "HS1", "--set", "refused"], 1, NO_SURVEY),
    "invitations email": (["999999"], 1, NO_SURVEY),
    "invitations export": (["999999", "--format", "sms-csv", "-o", "{tmp}/sms.csv"], 1, NO_SURVEY),
    "invitations mark": (["999999", "--upto", "1"], 1, NO_SURVEY),
    "invite": (["999999", "--count", "1", "-o", "{tmp}/links.csv"], 1, NO_SURVEY),
    "officials assign": (["999999", "--per-agency", "1"], 1, NO_SURVEY),
    "questionnaire diff": (["nothing", "--from", "1", "--to", "2"], 1, "nothing"),
    "questionnaire export": (["nothing", "--format", "json", "-o", "{tmp}/out.json"], 1, "nothing"),
    "questionnaire import": (["{tmp}/sipas.json", "--validate-only"], 0, "ok sipas-2017 1"),
    "responses correct": (["999999", "1", "q1", "1", "--reason", "r"], 1, NO_SURVEY),
    "responses flags": (["999999", "--format", "csv"], 1, NO_SURVEY),
    "responses restore": (["999999", "1", "--reason", "r"], 1, NO_SURVEY),
    "responses void": (["999999", "1", "--reason", "r"], 1, NO_SURVEY),
    "sample draw": (["999999", "--seed", "1", "--size", "1"], 1, NO_SURVEY),
    "score": (["999999"], 1, NO_SURVEY),
    "syntax": (["999999", "--for", "r"], 1, NO_SURVEY),
    "survey create": (
        ["--questionnaire", "nothing", "--title", "T", "--agencies", "SXD"],
        1,
        "nothing",
    ),
    "survey close": (["999999"], 1, NO_SURVEY),
    "survey list": ([], 0, ""),
    "survey open": (["999999"], 1, NO_SURVEY),
    "survey schedule": (["999999", "--closes", "2027-01-31"], 1, NO_SURVEY),
    "templates": ([], 0, "sipas-2017"),
    "trend": (["999999"], 1, NO_SURVEY),
    "users create": (["a@example.org", "--role", "nobody", "--password-stdin"], 1, "nobody"),
    "users disable": (["nobody@example.org"], 1, "no account nobody@example.org"),
    "users enable": (["nobody@example.org"], 1, "no account nobody@example.org"),
    "users list": ([], 0, ""),
    "users tokens revoke": (["nobody@example.org"], 1, "no account nobody@example.org"),
    "users token": (["nobody@example.org"], 1, "error: no account nobody@example.org"),
    "weights": (["999999"], 1, NO_SURVEY),
    "worker": (["--burst"], 2, "SURVEYAPP_REDIS_URL is not set"),
}
# Builds and serves its own app from the instance folder: run as a real process below.
OWN_APP = {"demo"}


def project_commands(group: click.Group = cli, prefix: str = "") -> Iterator[str]:
    """The names of the project's own commands (not Flask's run, shell and routes)."""
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from project_commands(command, f"{prefix}{name} ")
        elif getattr(command.callback, "__module__", "").startswith("surveyapp"):
            yield prefix + name


def test_every_command_is_run_from_a_plain_shell_here() -> None:
    assert set(project_commands()) == set(SHELL_RUNS) | OWN_APP


@pytest.mark.parametrize("command", sorted(SHELL_RUNS))
def test_command_runs_without_a_pushed_app_context(
    app: Flask, command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "REDIS_URL", None)
    (tmp_path / "agencies.csv").write_text("code,parent,name_vi,name_en\nSXD,XX,Sở,Dept\n")
    (tmp_path / "sipas.json").write_text(json.dumps(load_template("sipas-2017")))
    arguments, exit_code, said = SHELL_RUNS[command]
    argv = [*command.split(), *(a.replace("{tmp}", str(tmp_path)) for a in arguments)]
    code, out, err = run(app, *argv, stdin="secret password\n")
    assert code == exit_code, out + err
    assert said in out + err


def test_the_demo_survey_exports_its_letters_from_a_shell(tmp_path: Path) -> None:
    """The command lines of issue #15 in real processes, as a person types them."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SURVEYAPP_")}
    environment["SURVEYAPP_INSTANCE_DIR"] = str(tmp_path / "instance")
    surveyapp = str(Path(sys.executable).with_name("surveyapp"))

    def shell(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [surveyapp, *args], env=environment, cwd=tmp_path, capture_output=True, text=True
        )

    seeded = shell("demo", "--no-serve")
    assert seeded.returncode == 0, seeded.stderr
    assert "fieldwork@example.org" in seeded.stdout + seeded.stderr
    links = tmp_path / "links.csv"
    # The demo's rounds are 2024 (1), 2025 (2) and this year's (3), the one with letters.
    exported = shell("invitations", "export", "3", "--format", "links-csv", "-o", str(links))
    assert exported.returncode == 0, exported.stderr
    assert "Traceback" not in exported.stderr
    rows = list(csv.DictReader(links.open(encoding="utf-8-sig")))
    assert rows and all(r["url"].endswith("/s/" + r["token"]) for r in rows)
