"""``surveyapp users …``: staff accounts and their API tokens."""

from __future__ import annotations

import csv
import json
import sys
from datetime import datetime
from typing import Any

import click
from flask.cli import AppGroup, with_appcontext

from surveyapp.accounts.services import admin, audit, users
from surveyapp.cli._common import refusals
from surveyapp.extensions import db
from surveyapp.models._types import utcnow
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


@users_group.command("list")
def users_list() -> None:
    """Print EMAIL<TAB>ROLE<TAB>AGENCY<TAB>STATUS lines (AGENCY "-": every agency)."""
    for user in admin.list_users(db.session):
        status = "disabled" if not user.active else "active"
        agency = user.agency.code if user.agency else "-"
        click.echo(f"{user.email}\t{user.role.value}\t{agency}\t{status}")


@users_group.command("disable")
@click.argument("email")
@refusals
def users_disable(email: str) -> None:
    """Refuse EMAIL every sign-in and token from now on, and end its sessions."""
    user = admin.account(db.session, email)
    admin.set_active(db.session, user, None, False)
    db.session.commit()
    click.echo(f"disabled {user.email}", err=True)


@users_group.command("enable")
@click.argument("email")
@refusals
def users_enable(email: str) -> None:
    """Let EMAIL sign in again."""
    user = admin.account(db.session, email)
    admin.set_active(db.session, user, None, True)
    db.session.commit()
    click.echo(f"enabled {user.email}", err=True)


@users_group.group("tokens")
def tokens_group() -> None:
    """A user's API tokens."""


@tokens_group.command("revoke")
@click.argument("email")
@refusals
def tokens_revoke(email: str) -> None:
    """Revoke every API token of EMAIL: the API refuses them at once."""
    user = admin.account(db.session, email)
    count = admin.revoke_all_tokens(db.session, user, None, utcnow())
    db.session.commit()
    click.echo(f"{count} tokens of {user.email} revoked", err=True)


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


@click.command("audit")
@click.option("--survey", "survey_id", type=int, help="Only events about this survey.")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="From this day (Vietnam time).")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table")
@with_appcontext
def audit_command(survey_id: int | None, since: datetime | None, fmt: str) -> None:
    """The audit log, oldest first: when, who, kind, survey, what, reason."""
    filters = audit.Filters(survey_id=survey_id, since=since.date() if since else None)
    rows: list[dict[str, Any]] = [
        {
            "when": row["at"],
            "who": row["actor"],
            "kind": audit.kind_of(row["action"]) or "",
            "survey": row["survey_id"],
            "what": row["action"],
            "reason": json.loads(row["details"]).get("reason", ""),
            "details": row["details"],
        }
        for row in audit.all_rows(db.session, None, filters)
    ]
    rows.reverse()  # oldest first, as a log reads
    if fmt == "json":
        for row in rows:
            row["details"] = json.loads(row["details"])
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    elif fmt == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=AUDIT_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    else:
        for row in rows:
            click.echo("\t".join(str(row[c]) for c in AUDIT_COLUMNS[:-1]))


AUDIT_COLUMNS = ("when", "who", "kind", "survey", "what", "reason", "details")
COMMANDS = (users_group, audit_command)
