"""``surveyapp users …``: staff accounts and their API tokens."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from surveyapp.accounts.services import users
from surveyapp.cli._common import refusals
from surveyapp.extensions import db
from surveyapp.surveys.services import agencies


@click.group("users", cls=AppGroup)
def users_group() -> None:
    """Staff accounts."""


@users_group.command("create")
@click.argument("email")
@click.option("--role", required=True)
@click.option("--agency", "agency_code")
@click.option("--password-stdin", is_flag=True, help="Read the password from stdin's first line.")
@refusals
def users_create(email: str, role: str, agency_code: str | None, password_stdin: bool) -> None:
    """Create an account (scoped to --agency and everything under it)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True, err=True)
    agency = agencies.by_codes(db.session, [agency_code])[0] if agency_code else None
    user = users.create_user(db.session, email, role, password, agency)
    db.session.commit()
    click.echo(f"created {user.email} ({user.role.value})", err=True)


@users_group.command("disable")
@click.argument("email")
@refusals
def users_disable(email: str) -> None:
    """Refuse EMAIL every sign-in from now on and end its sessions."""
    user = users.disable(db.session, email)
    db.session.commit()
    click.echo(f"disabled {user.email}", err=True)


@users_group.command("token")
@click.argument("email")
def users_token(email: str) -> None:
    """Print a new API bearer token for EMAIL."""
    from surveyapp.security import issue_api_token

    user = users.find_user(db.session, email)
    if user is None:
        click.echo(f"error: no account {email}", err=True)
        sys.exit(1)
    token = issue_api_token(db.session, user)
    db.session.commit()
    click.echo(token)


COMMANDS = (users_group,)
