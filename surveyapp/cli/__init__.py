"""The ``surveyapp`` command line (a Flask group, so ``db``, ``run``, ``routes`` work too).

Results go to stdout, messages to stderr. Exit codes: 0 done, 1 input refused (every
problem printed, nothing written), 2 wrong usage.
"""

from __future__ import annotations

from typing import Any

from flask.cli import FlaskGroup

from surveyapp.cli import demo, fieldwork, responses, results, survey, syntax, users


def _create_app() -> Any:
    from surveyapp import create_app
    from surveyapp.config import INSTANCE_DIR, env

    # A demo instance keeps its key in instance/: its commands need no environment.
    key_file = INSTANCE_DIR / "secret_key"
    if not env("SECRET_KEY") and key_file.exists():
        return create_app({"SECRET_KEY": key_file.read_text().strip()})
    return create_app()


# FlaskGroup loads the app lazily: the groups and commands below push its context.
cli = FlaskGroup(create_app=_create_app, add_version_option=False, help=__doc__)
for module in (demo, survey, fieldwork, results, responses, syntax, users):
    for command in module.COMMANDS:
        cli.add_command(command)


def main() -> None:
    cli.main(prog_name="surveyapp")
