"""``surveyapp invitations …``: gateway files, e-mail, marking sent, dispositions.

Letters themselves are printed from the web page (a browser prints them best); the
``links-csv`` format feeds a mail merge instead. Nothing is marked sent by an export:
``invitations mark`` does that, for the invitations up to the number the export printed.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from surveyapp.cli import _survey, refusals
from surveyapp.extensions import db
from surveyapp.fieldwork.services import invitations, letters, mailer, outreach
from surveyapp.fieldwork.services.invitations import Batch
from surveyapp.models import Disposition, Survey
from surveyapp.models._types import utcnow

FORMATS = ("sms-csv", "links-csv")
LINK_COLUMNS = ["invitation", "token", "url", "agency", "dossier_code", "name"]


# An AppGroup, as the groups made on ``cli`` are: each command runs in an app context.
@click.group("invitations", cls=AppGroup)
def invitations_group() -> None:
    """Letters, gateway files, e-mail and reminders of a survey's invitations."""


def _selection(survey: Survey, agency_code: str | None, reminder: int, include_all: bool) -> Batch:
    agency_ids = None
    if agency_code:
        agency = next((a for a in survey.agencies if a.code == agency_code), None)
        if agency is None:
            codes = ", ".join(a.code for a in survey.agencies)
            click.echo(f'error: --agency: "{agency_code}" is not one of {codes}', err=True)
            sys.exit(1)
        agency_ids = [agency.id]
    return Batch(survey.id, agency_ids, reminder, include_all)


def _options(command: click.decorators.FC) -> click.decorators.FC:
    command = click.option("--agency", "agency_code", help="Only this agency's invitations.")(
        command
    )
    command = click.option(
        "--reminder",
        type=click.IntRange(0, 20),
        default=0,
        help="K: the K-th reminder, to non-respondents reminded fewer than K times.",
    )(command)
    return click.option(
        "--all", "include_all", is_flag=True, help="Invitations already sent too (again)."
    )(command)


@invitations_group.command("export")
@click.argument("survey_id", type=int)
@click.option("--format", "fmt", type=click.Choice(FORMATS), required=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@_options
@refusals
def export(
    survey_id: int,
    fmt: str,
    output: Path,
    agency_code: str | None,
    reminder: int,
    include_all: bool,
) -> None:
    """Write the selection as a gateway CSV (sms-csv) or a mail-merge CSV (links-csv)."""
    survey = _survey(survey_id)
    batch = _selection(survey, agency_code, reminder, include_all)
    run = letters.letter_run(
        db.session,
        survey,
        batch,
        links=invitations.Links.of(current_app.config),
        limit=invitations.MAX_BATCH,
    )
    if fmt == "sms-csv":
        if run.letters and run.without_contact == len(run.letters):
            click.echo(
                "error: none of these invitations has a phone or e-mail: the contacts were "
                "purged after fieldwork, or the frame had none (print letters instead)",
                err=True,
            )
            sys.exit(1)
        minutes = int(survey.version.document.get("estimated_minutes", 10))
        output.write_text(letters.gateway_csv(run.letters, minutes), encoding="utf-8")
        rows = len(run.letters) - run.without_contact
    else:
        with output.open("w", newline="", encoding="utf-8-sig") as handle:
            writer = csv.writer(handle, lineterminator="\r\n")
            writer.writerow(LINK_COLUMNS)
            for letter in run.letters:
                row = [letter.number, letter.token, letter.url, letter.agency.code]
                writer.writerow([*row, letter.dossier_code or "", letter.name or ""])
        rows = len(run.letters)
    click.echo(f"{rows} rows written to {output}", err=True)
    if run.not_derivable:
        click.echo(f"warning: {run.not_derivable} invitations have no re-derivable link", err=True)
    if run.letters:
        reminder_option = f" --reminder {reminder}" if reminder else ""
        agency_option = f" --agency {agency_code}" if agency_code else ""
        click.echo(
            "once they went out: surveyapp invitations mark "
            f"{survey.id} --upto {run.last}{agency_option}{reminder_option}",
            err=True,
        )


@invitations_group.command("mark")
@click.argument("survey_id", type=int)
@click.option("--upto", type=int, required=True, help="The last invitation number sent.")
@_options
@refusals
def mark(
    survey_id: int, upto: int, agency_code: str | None, reminder: int, include_all: bool
) -> None:
    """Record that the selection's letters or messages went out (sent, or reminded)."""
    survey = _survey(survey_id)
    batch = _selection(survey, agency_code, reminder, include_all)
    batch = Batch(batch.survey_id, batch.agency_ids, reminder, include_all, upto)
    moved = invitations.mark_done(db.session, survey, batch, after=0, now=utcnow(), actor_id=None)
    db.session.commit()
    click.echo(moved)


@invitations_group.command("email")
@click.argument("survey_id", type=int)
@_options
@refusals
def email(survey_id: int, agency_code: str | None, reminder: int, include_all: bool) -> None:
    """E-mail the selection through SURVEYAPP_SMTP_URL; each one sent is marked at once."""
    survey = _survey(survey_id)
    batch = _selection(survey, agency_code, reminder, include_all)
    try:
        rounds = outreach.email_rounds(
            db.session, survey, batch, current_app.config, actor_id=None, most=letters.PRINT_BATCH
        )
    except mailer.SmtpNotConfigured as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)
    sent = failed = 0
    for done in rounds:
        db.session.commit()
        sent += len(done.delivery.sent)
        failed += len(done.delivery.failed)
        for number, reason in done.delivery.failed:
            click.echo(f"invitation #{number}: {reason}", err=True)
    click.echo(f"{sent} sent, {failed} failed")
    if failed:
        sys.exit(1)


@invitations_group.command("disposition")
@click.argument("survey_id", type=int)
@click.argument("reference")
@click.option(
    "--set",
    "disposition",
    type=click.Choice([d.value for d in invitations.STAFF_DISPOSITIONS]),
    required=True,
)
@click.option("--note", default="")
@refusals
def disposition(survey_id: int, reference: str, disposition: str, note: str) -> None:
    """Record refused, ineligible or unreachable on the invitation with REFERENCE
    (a dossier code, or an invitation number written #N)."""
    survey = _survey(survey_id)
    invitation = invitations.find_invitation(db.session, survey, reference)
    before = invitations.record_disposition(
        db.session, invitation, Disposition(disposition), actor_id=None, note=note
    )
    db.session.commit()
    click.echo(f"#{invitation.id}\t{before.value}\t{disposition}")
