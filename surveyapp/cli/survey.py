"""Setting a survey up: agencies, questionnaires (templates, import, export, diff), surveys."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import click
from flask.cli import AppGroup

from surveyapp.cli._common import refusals, survey_or_exit
from surveyapp.extensions import db
from surveyapp.models import SurveyMode
from surveyapp.models._types import utcnow
from surveyapp.problems import InputRefused
from surveyapp.security import Scope
from surveyapp.surveys.services import agencies, rounds, surveys


@click.group("agencies", cls=AppGroup)
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


@click.command("templates")
def templates_command() -> None:
    """One line per built-in questionnaire: ID<TAB>VERSION<TAB>TITLE."""
    from surveyapp.questionnaire.templates import list_templates

    for template in list_templates():
        title = template.title.get("vi") or next(iter(template.title.values()), "")
        click.echo(f"{template.id}\t{template.version}\t{title}")


@click.group("questionnaire", cls=AppGroup)
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


@click.group("survey", cls=AppGroup)
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


@survey_group.command("list")
def survey_list() -> None:
    """Print ID<TAB>STATUS<TAB>MODE<TAB>TITLE lines, newest first (STATUS now, dates read)."""
    now = utcnow()
    for survey in surveys.list_surveys(db.session, Scope(None)):
        status = rounds.state(survey, now).status
        click.echo(f"{survey.id}\t{status}\t{survey.mode.value}\t{survey.title}")


@survey_group.command("open")
@click.argument("survey_id", type=int)
@refusals
def survey_open(survey_id: int) -> None:
    """Open (or reopen) SURVEY_ID for answers now."""
    survey = survey_or_exit(survey_id)
    rounds.open_now(db.session, survey, None, utcnow())
    db.session.commit()
    click.echo(f"survey {survey.id} is open", err=True)


@survey_group.command("close")
@click.argument("survey_id", type=int)
@refusals
def survey_close(survey_id: int) -> None:
    """Close SURVEY_ID now: no channel takes another answer."""
    survey = survey_or_exit(survey_id)
    rounds.close_now(db.session, survey, None, utcnow())
    db.session.commit()
    click.echo(f"survey {survey.id} is closed", err=True)


@survey_group.command("schedule")
@click.argument("survey_id", type=int)
@click.option("--opens", type=click.DateTime(["%Y-%m-%d"]), help="First day (Vietnam time).")
@click.option("--closes", type=click.DateTime(["%Y-%m-%d"]), help="Last day (Vietnam time).")
@refusals
def survey_schedule(survey_id: int, opens: datetime | None, closes: datetime | None) -> None:
    """Set SURVEY_ID's opening and closing days; a closing day already past closes it."""
    survey = survey_or_exit(survey_id)
    now = utcnow()
    rounds.schedule(
        db.session,
        survey,
        None,
        now,
        opens=opens.date() if opens else None,
        closes=closes.date() if closes else None,
    )
    db.session.commit()
    click.echo(f"survey {survey.id} is {rounds.state(survey, now).value}", err=True)


COMMANDS = (agencies_group, templates_command, questionnaire_group, survey_group)
