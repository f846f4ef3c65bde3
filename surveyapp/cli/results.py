"""Results: scores, final weights, exports, and the worker that runs background exports."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
from flask.cli import with_appcontext

from surveyapp.cli._common import refusals, survey_or_exit
from surveyapp.cli.output import print_scores, print_trend
from surveyapp.extensions import db
from surveyapp.models import Survey
from surveyapp.results.services import results
from surveyapp.surveys.services import agencies


@click.command("score")
@with_appcontext
@click.argument("survey_id", type=int)
@click.option("--by", type=click.Choice(["agency"]))
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table")
def score(survey_id: int, by: str | None, fmt: str) -> None:
    """Indices with SE and 95% CI (proportions)."""
    body = results.survey_json(db.session, survey_or_exit(survey_id), by_agency=by == "agency")
    if fmt == "json":
        click.echo(json.dumps(body, ensure_ascii=False, indent=2))
    else:
        print_scores(body, fmt)
    weighting = body["weighting"]
    if weighting["status"] == "not_applied":
        click.echo(f"warning: {_not_applied(weighting['setting'])}", err=True)
        for problem in weighting["problems"]:
            click.echo(f"warning: {problem}", err=True)


@click.command("trend")
@with_appcontext
@click.argument("survey_id", type=int)
@click.option("--agency", "agency_code", help="Only this agency and the units under it.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table")
@refusals
def trend(survey_id: int, agency_code: str | None, fmt: str) -> None:
    """Every round of the series, oldest first: value, 95% CI, change from the round before."""
    from surveyapp.results.services.series import trend as series_trend

    survey = survey_or_exit(survey_id)
    focus = agencies.by_codes(db.session, [agency_code])[0] if agency_code else None
    body = series_trend.build(db.session, survey, focus=focus, viewer=None, lang="en").as_dict()
    if fmt == "json":
        click.echo(json.dumps(body, ensure_ascii=False, indent=2))
    else:
        print_trend(body, fmt)


def _not_applied(setting: str) -> str:
    from surveyapp.results.services.weighting import SETTING_NAMES

    return (
        f"the saved weighting settings no longer fit the responses ({SETTING_NAMES[setting]} "
        "cannot be applied): scores use the base weights until they are changed"
    )


@click.command("weights")
@with_appcontext
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
        _weights(survey_or_exit(survey_id), nonresponse, classes, rake_file, no_rake)


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


@click.command("export")
@with_appcontext
@click.argument("survey_id", type=int)
@click.option("--format", "fmt", type=click.Choice(["xlsx", "csv", "sav", "dta"]), required=True)
@click.option("--labels", is_flag=True, help="Option labels instead of codes (xlsx, csv).")
@click.option("--lang", type=click.Choice(["vi", "en"]), default="vi", help="Label language.")
@click.option("--agency", "agency_code", help="Only this agency and the units under it.")
@click.option("--include-voided", is_flag=True,
              help="Voided responses too, with a status column (submitted or voided).")  # fmt: skip
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@refusals
def export(
    survey_id: int,
    fmt: str,
    labels: bool,
    lang: str,
    agency_code: str | None,
    include_voided: bool,
    output: Path,
) -> None:
    """Completed responses, one row each (sav/dta with variable and value labels)."""
    from surveyapp.exports.build import ExportError, ExportSpec
    from surveyapp.results.services.export_jobs import write_export

    survey = survey_or_exit(survey_id)
    scope = agencies.by_codes(db.session, [agency_code])[0] if agency_code else None
    spec = ExportSpec(fmt, labels=labels, lang=lang, scope=scope, include_voided=include_voided)
    try:
        written = write_export(db.session, survey, spec, output)
    except ExportError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)
    click.echo(f"written {output}: {written} responses", err=True)


@click.command("worker")
@with_appcontext
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


COMMANDS = (score, trend, weights, export, worker)
