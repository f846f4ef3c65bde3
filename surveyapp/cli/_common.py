"""What the command modules share: refused input as exit code 1, the survey argument.

Groups are ``AppGroup``s and top-level commands carry ``with_appcontext`` (both from
Flask), so every command that needs the app runs in a context of its own.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from typing import Any

import click

from surveyapp.extensions import db
from surveyapp.models import Survey
from surveyapp.problems import InputRefused
from surveyapp.surveys.services import surveys


def refusals(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn refused input into one stderr line per problem and exit code 1, nothing written."""

    @wraps(command)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except InputRefused as refused:
            db.session.rollback()
            for problem in refused.problems:
                click.echo(f"error: {problem}", err=True)
            sys.exit(1)

    return wrapped


def survey_or_exit(survey_id: int) -> Survey:
    """The survey SURVEY_ID names; exit code 1 when there is none."""
    survey = surveys.get_survey(db.session, survey_id)
    if survey is None:
        click.echo(f"error: no survey {survey_id}", err=True)
        sys.exit(1)
    return survey
