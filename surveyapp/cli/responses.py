"""Cleaning responses: void, restore, correct one answer (each with a reason, audit-logged)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from surveyapp.cli._common import refusals, survey_or_exit
from surveyapp.extensions import db
from surveyapp.review.services import cleaning

REASON = click.option(
    "--reason", required=True, help="Why (mandatory): kept in the audit log with the change."
)


@click.group("responses", cls=AppGroup)
def responses_group() -> None:
    """A survey's responses: void, restore or correct them."""


@responses_group.command("void")
@click.argument("survey_id", type=int)
@click.argument("response_id", type=int)
@REASON
@refusals
def void(survey_id: int, response_id: int, reason: str) -> None:
    """Set a response aside: it leaves scores, the API and exports, its answers kept."""
    cleaning.void(db.session, survey_or_exit(survey_id), response_id, reason, actor_id=None)
    db.session.commit()
    click.echo(f"response {response_id} voided", err=True)


@responses_group.command("restore")
@click.argument("survey_id", type=int)
@click.argument("response_id", type=int)
@REASON
@refusals
def restore(survey_id: int, response_id: int, reason: str) -> None:
    """Count a voided response again."""
    cleaning.restore(db.session, survey_or_exit(survey_id), response_id, reason, actor_id=None)
    db.session.commit()
    click.echo(f"response {response_id} restored", err=True)


@responses_group.command("correct")
@click.argument("survey_id", type=int)
@click.argument("response_id", type=int)
@click.argument("item")
@click.argument("value")
@REASON
@refusals
def correct(survey_id: int, response_id: int, item: str, value: str, reason: str) -> None:
    """Replace one answer (an option code, codes as "1;3", a number, a date, text; "" to
    clear it); the old value is kept."""
    survey = survey_or_exit(survey_id)
    done = cleaning.correct(db.session, survey, response_id, item, value, reason, actor_id=None)
    db.session.commit()
    old, new = done.old_value or "(none)", done.new_value or "(none)"
    click.echo(f"response {response_id}, {item}: {old} -> {new}", err=True)


COMMANDS = (responses_group,)
