"""The ``surveyapp`` command line (a Flask group, so ``db``, ``run``, ``routes`` work too).

Results go to stdout, messages to stderr. Exit codes: 0 done, 1 input refused (every
problem printed, nothing written), 2 wrong usage.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import FlaskGroup

from surveyapp.accounts.services import users
from surveyapp.extensions import db
from surveyapp.fieldwork.services import invitations
from surveyapp.models import Survey, SurveyMode
from surveyapp.models._types import utcnow
from surveyapp.problems import InputRefused
from surveyapp.results.services import results
from surveyapp.security import Scope
from surveyapp.surveys.services import agencies, surveys


def _create_app() -> Any:
    from surveyapp import create_app
    from surveyapp.config import INSTANCE_DIR, env

    # A demo instance keeps its key in instance/: its commands need no environment.
    key_file = INSTANCE_DIR / "secret_key"
    if not env("SECRET_KEY") and key_file.exists():
        return create_app({"SECRET_KEY": key_file.read_text().strip()})
    return create_app()


# FlaskGroup runs every command inside an app context unless told otherwise.
cli = FlaskGroup(create_app=_create_app, add_version_option=False, help=__doc__)


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


def _survey(survey_id: int) -> Any:
    survey = surveys.get_survey(db.session, survey_id)
    if survey is None:
        click.echo(f"error: no survey {survey_id}", err=True)
        sys.exit(1)
    return survey


# --- demo ------------------------------------------------------------------------------


@cli.command(with_appcontext=False)
@click.option("--port", default=5000, show_default=True)
@click.option("--fresh", is_flag=True, help="Delete the demo database and seed it again.")
@click.option("--no-serve", is_flag=True, hidden=True, help="Seed only (tests, CI).")
def demo(port: int, fresh: bool, no_serve: bool) -> None:
    """Create or upgrade the SQLite database, seed the demo once, serve on 127.0.0.1."""
    from surveyapp.demo.seed import run_demo

    run_demo(port=port, fresh=fresh, serve=not no_serve)


# --- agencies --------------------------------------------------------------------------


@cli.group("agencies")
def agencies_group() -> None:
    """The province's agencies."""


@agencies_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@refusals
def agencies_import(file: Path) -> None:
    """Import agencies from a CSV with columns code,parent,name_vi,name_en."""
    rows = agencies.read_csv(file.read_text(encoding="utf-8-sig"))
    imported = agencies.import_agencies(db.session, rows)
    db.session.commit()
    click.echo(f"{len(imported)} agencies imported", err=True)


@agencies_group.command("list")
def agencies_list() -> None:
    """Print CODE<TAB>NAME lines."""
    for agency in agencies.all_agencies(db.session):
        click.echo(f"{agency.code}\t{agency.name_vi}")


# --- questionnaires and surveys ----------------------------------------------------------


@cli.command("templates", with_appcontext=False)
def templates_command() -> None:
    """One line per built-in questionnaire: ID<TAB>VERSION<TAB>TITLE."""
    from surveyapp.questionnaire.templates import list_templates

    for template in list_templates():
        title = template.title.get("vi") or next(iter(template.title.values()), "")
        click.echo(f"{template.id}\t{template.version}\t{title}")


@cli.group("questionnaire")
def questionnaire_group() -> None:
    """Questionnaire documents: JSON (our format) or XLSForm workbooks."""


@questionnaire_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--validate-only", is_flag=True, help="Check everything, write nothing.")
@refusals
def questionnaire_import(file: Path, validate_only: bool) -> None:
    """Import FILE (.json or .xlsx) as a questionnaire version; prints ID VERSION."""
    from surveyapp.design.services import questionnaires

    # Problems are the command's result (one per stdout line), not a message.
    document, problems = questionnaires.read_file(file)
    for problem in problems:
        click.echo(str(problem))
    if document is None:
        sys.exit(1)
    try:
        stored = questionnaires.import_questionnaire(db.session, document)
    except InputRefused as refused:
        db.session.rollback()
        for problem in refused.problems:
            click.echo(f"{file}:{problem}")
        sys.exit(1)
    # Read before a rollback: it takes a version it had just added away with it.
    key, version = stored.questionnaire.key, stored.version
    if validate_only:
        db.session.rollback()
        click.echo(f"ok {key} {version}")
        return
    db.session.commit()
    click.echo(f"{key} {version}")


@questionnaire_group.command("export")
@click.argument("questionnaire_id")
@click.option("--version", type=int)
@click.option("--format", "fmt", type=click.Choice(["json", "xlsform"]), required=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@refusals
def questionnaire_export(
    questionnaire_id: str, version: int | None, fmt: str, output: Path
) -> None:
    """Write a questionnaire version (the latest unless --version) as JSON or XLSForm."""
    from surveyapp.design.services import questionnaires
    from surveyapp.questionnaire import xlsform

    document = questionnaires.export_document(db.session, questionnaire_id, version)
    if fmt == "json":
        text = json.dumps(document, ensure_ascii=False, indent=2)
        output.write_text(text + "\n", encoding="utf-8")
    else:
        xlsform.to_xlsform(document).save(output)
    click.echo(f"written {output}", err=True)


@questionnaire_group.command("diff")
@click.argument("questionnaire_id")
@click.option("--from", "from_version", type=int, required=True)
@click.option("--to", "to_version", type=int, required=True)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@refusals
def questionnaire_diff(questionnaire_id: str, from_version: int, to_version: int, fmt: str) -> None:
    """What changed between two versions: items, sections, framework (one line each)."""
    from dataclasses import asdict

    from surveyapp.design.services import questionnaires

    result = questionnaires.diff_versions(db.session, questionnaire_id, from_version, to_version)
    if fmt == "json":
        click.echo(json.dumps(asdict(result), ensure_ascii=False, indent=2))
        return
    for line in _diff_lines(result):
        click.echo(line)
    if result.unchanged:
        click.echo("no changes", err=True)


def _diff_lines(result: Any) -> list[str]:
    lines = [f"added item {r.id} (section {r.section})" for r in result.added]
    lines += [f"removed item {r.id} (section {r.section})" for r in result.removed]
    for change in result.changed:
        kinds = []
        for kind in change.kinds:
            if kind == "reworded":
                kinds.append(f"reworded ({', '.join(change.reworded_languages)})")
            elif kind == "moved":
                kinds.append(f"moved ({change.before.section} -> {change.after.section})")
            else:
                kinds.append(str(kind))
        lines.append(f"changed item {change.id}: {', '.join(kinds)}")
    lines += [f"added section {s}" for s in result.sections_added]
    lines += [f"removed section {s}" for s in result.sections_removed]
    lines += [f"changed section {s.id}: {', '.join(s.kinds)}" for s in result.sections_changed]
    for fc in result.framework:
        where = f" (element {fc.element})" if fc.element else ""
        values = ""
        if fc.kind.endswith(("_weight", "_group", "target")):
            values = f": {fc.before} -> {fc.after}"
        lines.append(f"framework {fc.kind} {fc.subject}{where}{values}")
    lines += [f"changed {key}" for key in result.metadata]
    return lines


@cli.group("survey")
def survey_group() -> None:
    """Surveys."""


@survey_group.command("create")
@click.option("--questionnaire", "questionnaire_id", required=True)
@click.option("--version", type=int)
@click.option("--title", required=True)
@click.option("--agencies", "agency_codes", required=True, help="CODE,CODE,...")
@click.option("--mode", type=click.Choice([m.value for m in SurveyMode]), default="invited")
@click.option("--anonymous", is_flag=True)
@refusals
def survey_create(
    questionnaire_id: str,
    version: int | None,
    title: str,
    agency_codes: str,
    mode: str,
    anonymous: bool,
) -> None:
    """Create a survey and open it; prints the new survey id."""
    survey = surveys.create_survey(
        db.session,
        version=surveys.questionnaire_version(db.session, questionnaire_id, version),
        title=title,
        agencies=agencies.by_codes(db.session, agency_codes.split(",")),
        mode=SurveyMode(mode),
        anonymous=anonymous,
        now=utcnow(),
    )
    db.session.commit()
    click.echo(survey.id)


@cli.command("invite")
@click.argument("survey_id", type=int)
@click.option("--count", type=int, required=True)
@click.option("--agency", "agency_code")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@refusals
def invite(survey_id: int, count: int, agency_code: str | None, output: Path) -> None:
    """Make COUNT invitations; writes token,url,agency to a CSV."""
    survey = _survey(survey_id)
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


@cli.group("frame")
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

    survey = _survey(survey_id)
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


@cli.group("contacts")
def contacts_group() -> None:
    """Contact details of the frame (names, phones, e-mails), kept apart from answers."""


@contacts_group.command("purge")
@click.argument("survey_id", type=int)
def contacts_purge(survey_id: int) -> None:
    """Delete the survey's contact details after fieldwork (frame and sample stay)."""
    from surveyapp.fieldwork.services.frames import imports as frames

    survey = _survey(survey_id)
    removed = frames.purge_contacts(db.session, survey)
    db.session.commit()
    click.echo(f"{removed} contact rows removed from survey {survey.id}", err=True)


@cli.group("sample")
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
        _survey(survey_id),
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


# --- results ---------------------------------------------------------------------------


@cli.command("score")
@click.argument("survey_id", type=int)
@click.option("--by", type=click.Choice(["agency"]))
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table")
def score(survey_id: int, by: str | None, fmt: str) -> None:
    """Indices with SE and 95% CI (proportions)."""
    from surveyapp.cli.output import print_scores

    body = results.survey_json(db.session, _survey(survey_id), by_agency=by == "agency")
    if fmt == "json":
        click.echo(json.dumps(body, ensure_ascii=False, indent=2))
    else:
        print_scores(body, fmt)
    weighting = body["weighting"]
    if weighting["status"] == "not_applied":
        click.echo(f"warning: {_not_applied(weighting['setting'])}", err=True)
        for problem in weighting["problems"]:
            click.echo(f"warning: {problem}", err=True)


def _not_applied(setting: str) -> str:
    from surveyapp.results.services.weighting import SETTING_NAMES

    return (
        f"the saved weighting settings no longer fit the responses ({SETTING_NAMES[setting]} "
        "cannot be applied): scores use the base weights until they are changed"
    )


@cli.command("weights")
@click.argument("survey_id", type=int)
@click.option("--nonresponse/--no-nonresponse", default=None,
              help="Nonresponse adjustment within strata on or off.")  # fmt: skip
@click.option("--classes", type=click.Choice(["stratum", "agency"]),
              help="Adjustment classes for the nonresponse adjustment.")  # fmt: skip
@click.option("--rake", "rake_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Rake to the totals in this CSV (variable,category,total).")  # fmt: skip
@click.option("--no-rake", is_flag=True, help="Drop the raking targets.")
@refusals
def weights(
    survey_id: int,
    nonresponse: bool | None,
    classes: str | None,
    rake_file: Path | None,
    no_rake: bool,
) -> None:
    """Final weights: change the settings (if asked), print the summary before/after."""
    from flask_babel import force_locale

    with force_locale("en"):  # messages in English, like every other command
        _weights(_survey(survey_id), nonresponse, classes, rake_file, no_rake)


def _weights(
    survey: Survey,
    nonresponse: bool | None,
    classes: str | None,
    rake_file: Path | None,
    no_rake: bool,
) -> None:
    from dataclasses import replace

    from surveyapp.results.services import weighting, weighting_targets

    settings = weighting.Settings.from_json(survey.weighting)
    changes: dict[str, Any] = {}
    if nonresponse is not None:
        changes["nonresponse"] = nonresponse
    if classes is not None:
        changes["classes"] = classes
    if rake_file is not None:
        text = rake_file.read_text(encoding="utf-8-sig")
        changes["targets"] = tuple(weighting_targets.read_targets_csv(db.session, survey, text))
    elif no_rake:
        changes["targets"] = ()
    if changes:
        outcome = weighting.save_settings(
            db.session, survey, replace(settings, **changes), actor_id=None
        )
        db.session.commit()
    else:
        try:
            outcome = weighting.compute(db.session, survey, settings)
        except weighting.SettingsRefused as refused:
            click.echo(f"error: {_not_applied(refused.setting)}", err=True)
            raise  # @refusals prints each reason and exits 1
    stats = ("n", "min", "max", "mean", "cv", "deff", "n_eff")
    click.echo("\t".join(["stratum", *(f"{s}_{w}" for w in ("before", "after") for s in stats)]))
    for row in outcome.summary():
        cells = [getattr(part, s) for part in (row.before, row.after) for s in stats]
        label = "overall" if row.stratum is None else row.stratum or "-"
        click.echo("\t".join([label, *(_stat(c) for c in cells)]))


def _stat(value: float) -> str:
    return str(value) if isinstance(value, int) else f"{value:.6f}"


@cli.command("export")
@click.argument("survey_id", type=int)
@click.option("--format", "fmt", type=click.Choice(["xlsx", "csv", "sav", "dta"]), required=True)
@click.option("--labels", is_flag=True, help="Option labels instead of codes (xlsx, csv).")
@click.option("--lang", type=click.Choice(["vi", "en"]), default="vi", help="Label language.")
@click.option("--agency", "agency_code", help="Only this agency and the units under it.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@refusals
def export(
    survey_id: int, fmt: str, labels: bool, lang: str, agency_code: str | None, output: Path
) -> None:
    """Completed responses, one row each (sav/dta with variable and value labels)."""
    from surveyapp.exports.build import ExportError, ExportSpec
    from surveyapp.results.services.export_jobs import write_export

    survey = _survey(survey_id)
    scope = agencies.by_codes(db.session, [agency_code])[0] if agency_code else None
    spec = ExportSpec(fmt, labels=labels, lang=lang, scope=scope)
    try:
        written = write_export(db.session, survey, spec, output)
    except ExportError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)
    click.echo(f"written {output}: {written} responses", err=True)


@cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def worker(burst: bool) -> None:
    """Run background exports from the Redis queue (needs SURVEYAPP_REDIS_URL)."""
    from flask import current_app
    from redis import Redis
    from rq import Queue, SimpleWorker

    from surveyapp.results.services.export_jobs import QUEUE

    url = current_app.config.get("REDIS_URL")
    if not url:
        click.echo(
            "error: SURVEYAPP_REDIS_URL is not set; exports run in the web process", err=True
        )
        sys.exit(2)
    connection = Redis.from_url(url)
    # SimpleWorker runs jobs in this process, inside this command's app context.
    SimpleWorker([Queue(QUEUE, connection=connection)], connection=connection).work(burst=burst)


# --- users -----------------------------------------------------------------------------


@cli.group("users")
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


# --- officials (PAR cross-evaluation) ----------------------------------------------------


@cli.group("officials")
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

    survey = _survey(survey_id)
    made = assignments.assign(
        db.session, survey, per_agency, seed=seed, actor_id=None, now=utcnow()
    )
    db.session.commit()
    for row in assignments.survey_assignments(db.session, survey, Scope(None)):
        click.echo(f"{row.assignment.agency.code}\t{row.assignment.rater.email}")
    raters = {a.rater_id for a in made}
    click.echo(f"{len(made)} assignments over {len(raters)} officials", err=True)


# Registered last: the group's module uses the helpers above.
from surveyapp.cli.outreach import invitations_group  # noqa: E402

cli.add_command(invitations_group)


def main() -> None:
    cli.main(prog_name="surveyapp")
