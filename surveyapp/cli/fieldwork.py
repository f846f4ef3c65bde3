"""Fieldwork: invitation links, sampling frames and samples, officials' assignments, and
the ``invitations`` group (gateway files, e-mail, marking sent, dispositions).

Letters themselves are printed from the web page (a browser prints them best); the
``links-csv`` format feeds a mail merge instead. Nothing is marked sent by an export:
``invitations mark`` does that, for the invitations up to the number the export printed.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from surveyapp.cli._common import refusals, survey_or_exit
from surveyapp.extensions import db
from surveyapp.fieldwork.services import invitations, letters, mailer, outreach
from surveyapp.fieldwork.services.invitations import Batch
from surveyapp.models import Disposition, Survey
from surveyapp.models._types import utcnow
from surveyapp.problems import InputRefused
from surveyapp.security import Scope
from surveyapp.surveys.services import agencies


@click.command("invite")
@with_appcontext
@click.argument("survey_id", type=int)
@click.option("--count", type=int, required=True)
@click.option("--agency", "agency_code")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@refusals
def invite(survey_id: int, count: int, agency_code: str | None, output: Path) -> None:
    """Make COUNT invitations; writes token,url,agency to a CSV."""
    survey = survey_or_exit(survey_id)
    agency = agencies.by_codes(db.session, [agency_code])[0] if agency_code else None
    links = invitations.create_invitations(
        db.session,
        survey,
        agency,
        count,
        links=invitations.Links.of(current_app.config),
    )
    with output.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["token", "url", "agency"])
        writer.writerows([link.token, link.url, link.agency_code] for link in links)
    db.session.commit()
    click.echo(f"{len(links)} invitations written to {output}", err=True)


# --- sampling frames and samples ---------------------------------------------------------


@click.group("frame", cls=AppGroup)
def frame_group() -> None:
    """Sampling frames: one-stop records (hồ sơ) a sample is drawn from."""


@frame_group.command("import")
@click.argument("survey_id", type=int)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--skip-invalid", is_flag=True, help="Import the good rows, report the bad ones.")
@refusals
def frame_import(survey_id: int, file: Path, skip_invalid: bool) -> None:
    """Import one-stop records (CSV or XLSX); problems print as row,column,value,message."""
    from surveyapp.fieldwork.services.frames import imports as frames

    survey = survey_or_exit(survey_id)
    report = csv.writer(sys.stdout, lineterminator="\n")
    try:
        # Every problem is printed, so every problem is kept (memory grows with bad rows only).
        summary = frames.import_frame(
            db.session, survey, file, skip_invalid=skip_invalid, keep_problems=None
        )
    except InputRefused as refused:
        db.session.rollback()
        report.writerows(_problem_row(problem) for problem in refused.problems)
        click.echo(f"error: {len(refused.problems)} problem(s); nothing imported", err=True)
        sys.exit(1)
    report.writerows(_problem_row(problem) for problem in summary.problems)
    db.session.commit()
    click.echo(
        f"{summary.rows_read} rows read, {summary.imported} imported, "
        f"{summary.skipped} skipped, {summary.duplicates} duplicates",
        err=True,
    )


def _problem_row(problem: Any) -> list[Any]:
    return [getattr(problem, "row", ""), getattr(problem, "column", ""),
            getattr(problem, "value", ""), problem.message]  # fmt: skip


@click.group("contacts", cls=AppGroup)
def contacts_group() -> None:
    """Contact details of the frame (names, phones, e-mails), kept apart from answers."""


def _purged(survey_id: int, contacts: int, ip_hashes: int) -> None:
    click.echo(f"{contacts} contact rows removed from survey {survey_id}", err=True)
    if ip_hashes:
        click.echo(f"{ip_hashes} IP hashes removed from survey {survey_id}", err=True)


@contacts_group.command("purge")
@click.argument("survey_id", type=int, required=False)
@click.option("--due", is_flag=True, help="Every survey past its retention period (for cron).")
def contacts_purge(survey_id: int | None, due: bool) -> None:
    """Delete a survey's contact details (and respondents' IP hashes) after fieldwork
    (frame, sample and answers stay), or with --due those of every survey whose retention
    period after closing has run out."""
    from surveyapp.fieldwork.services import retention
    from surveyapp.fieldwork.services.frames import imports as frames

    if due and survey_id is None:
        purged = retention.purge_due(db.session, utcnow())
        db.session.commit()
        for done in purged:
            _purged(done.survey.id, done.removed, done.ip_hashes)
        click.echo(f"{len(purged)} surveys past their retention period purged", err=True)
    elif survey_id is not None and not due:
        survey = survey_or_exit(survey_id)
        removed = frames.purge_contacts(db.session, survey)
        hashes = retention.forget_ip_hashes(db.session, survey)
        db.session.commit()
        _purged(survey.id, removed, hashes)
    else:
        click.echo("error: give a SURVEY_ID or --due, not both", err=True)
        sys.exit(2)


@click.group("sample", cls=AppGroup)
def sample_group() -> None:
    """Stratified samples drawn from a survey's frame."""


@sample_group.command("draw")
@click.argument("survey_id", type=int)
@click.option("--size", type=int, help="Total sample size n.")
@click.option("--margin", type=float, help="Margin e: n = Slovin(N, e) over the whole frame.")
@click.option(
    "--allocation", type=click.Choice(["proportional", "equal", "neyman"]), default="proportional"
)
@click.option("--min", "minimum", type=int, default=0, help="At least K per stratum.")
@click.option("--seed", type=int, required=True)
@click.option("--strata", default="agency,service_field", show_default=True)
@click.option("--reserve", type=float, default=0.2, show_default=True, help="Reserve / n_h.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the invitations' token,url,agency,stratum here.")  # fmt: skip
@refusals
def sample_draw(
    survey_id: int,
    size: int | None,
    margin: float | None,
    allocation: str,
    minimum: int,
    seed: int,
    strata: str,
    reserve: float,
    output: Path | None,
) -> None:
    """Draw a seeded stratified sample; prints stratum, N_h, n_h, weight per line."""
    from surveyapp.fieldwork.services import sampling

    draw = sampling.draw_sample(
        db.session,
        survey_or_exit(survey_id),
        size=size,
        margin=margin,
        allocation=allocation,
        minimum=minimum,
        strata_columns=[c.strip() for c in strata.split(",") if c.strip()],
        seed=seed,
        reserve_fraction=reserve,
        links=invitations.Links.of(current_app.config),
    )
    if output is not None:
        with output.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["token", "url", "agency", "stratum"])
            writer.writerows([ln.token, ln.url, ln.agency_code, ln.stratum] for ln in draw.links)
    else:
        click.echo("no -o FILE: print letters later (surveyapp invitations export)", err=True)
    db.session.commit()
    for row in draw.strata:
        click.echo(f"{row.label}\t{row.population}\t{row.size}\t{_weight(row.weight)}")
    total = draw.population / draw.size if draw.size else None
    click.echo(f"total\t{draw.population}\t{draw.size}\t{_weight(total)}")
    click.echo(f"sample {draw.sample.id}: seed {seed}, {len(draw.links)} invitations", err=True)


def _weight(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


# --- officials (PAR cross-evaluation) ----------------------------------------------------


@click.group("officials", cls=AppGroup)
def officials_group() -> None:
    """Officials rating agencies."""


@officials_group.command("assign")
@click.argument("survey_id", type=int)
@click.option("--per-agency", type=click.IntRange(min=1), required=True, help="Raters per agency.")
@click.option("--seed", type=int, default=1, show_default=True)
@refusals
def officials_assign(survey_id: int, per_agency: int, seed: int) -> None:
    """Assign officials to rate the survey's agencies; prints AGENCY<TAB>EMAIL lines."""
    from surveyapp.fieldwork.services import assignments

    survey = survey_or_exit(survey_id)
    made = assignments.assign(
        db.session, survey, per_agency, seed=seed, actor_id=None, now=utcnow()
    )
    db.session.commit()
    for row in assignments.survey_assignments(db.session, survey, Scope(None)):
        click.echo(f"{row.assignment.agency.code}\t{row.assignment.rater.email}")
    raters = {a.rater_id for a in made}
    click.echo(f"{len(made)} assignments over {len(raters)} officials", err=True)


# --- invitations: gateway files, e-mail, marking sent, dispositions ---------------------

FORMATS = ("sms-csv", "links-csv")
LINK_COLUMNS = ["invitation", "token", "url", "agency", "dossier_code", "name"]


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
def invitations_export(
    survey_id: int,
    fmt: str,
    output: Path,
    agency_code: str | None,
    reminder: int,
    include_all: bool,
) -> None:
    """Write the selection as a gateway CSV (sms-csv) or a mail-merge CSV (links-csv)."""
    survey = survey_or_exit(survey_id)
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
def invitations_mark(
    survey_id: int, upto: int, agency_code: str | None, reminder: int, include_all: bool
) -> None:
    """Record that the selection's letters or messages went out (sent, or reminded)."""
    survey = survey_or_exit(survey_id)
    batch = _selection(survey, agency_code, reminder, include_all)
    batch = Batch(batch.survey_id, batch.agency_ids, reminder, include_all, upto)
    moved = invitations.mark_done(db.session, survey, batch, after=0, now=utcnow(), actor_id=None)
    db.session.commit()
    click.echo(moved)


@invitations_group.command("email")
@click.argument("survey_id", type=int)
@_options
@refusals
def invitations_email(
    survey_id: int, agency_code: str | None, reminder: int, include_all: bool
) -> None:
    """E-mail the selection through SURVEYAPP_SMTP_URL; each one sent is marked at once."""
    survey = survey_or_exit(survey_id)
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
def invitations_disposition(survey_id: int, reference: str, disposition: str, note: str) -> None:
    """Record refused, ineligible or unreachable on the invitation with REFERENCE
    (a dossier code, or an invitation number written #N)."""
    survey = survey_or_exit(survey_id)
    invitation = invitations.find_invitation(db.session, survey, reference)
    before = invitations.record_disposition(
        db.session, invitation, Disposition(disposition), actor_id=None, note=note
    )
    db.session.commit()
    click.echo(f"#{invitation.id}\t{before.value}\t{disposition}")


COMMANDS = (
    invite,
    frame_group,
    contacts_group,
    sample_group,
    officials_group,
    invitations_group,
)
