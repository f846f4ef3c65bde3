"""Cleaning responses: their data-quality flags; void, restore, correct one answer (each
with a reason, audit-logged)."""

from __future__ import annotations

import csv
import json
import sys
from typing import Any

import click
from flask.cli import AppGroup
from flask_babel import force_locale

from surveyapp.cli._common import refusals, survey_or_exit
from surveyapp.extensions import db
from surveyapp.models import Response, ResponseFlag
from surveyapp.review.services import cleaning, quality

REASON = click.option(
    "--reason", required=True, help="Why (mandatory): kept in the audit log with the change."
)


@click.group("responses", cls=AppGroup)
def responses_group() -> None:
    """A survey's responses: their flags; void, restore or correct them."""


@responses_group.command("flags")
@click.argument("survey_id", type=int)
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table")
@click.option("--recompute", is_flag=True, help="Compute every flag again first.")
@click.option("--lang", type=click.Choice(["vi", "en"]), default="vi", help="Their wording.")
def flags(survey_id: int, fmt: str, recompute: bool, lang: str) -> None:
    """The flagged responses (speeding, straight-lining, item nonresponse, repeated
    dossier codes, bursts from one device), voided ones included; flags act on nothing.
    CSV: response_id, one column per kind (what was found, empty if not), agency,
    channel, status."""
    survey = survey_or_exit(survey_id)
    if recompute:
        done = quality.recompute(db.session, survey)
        db.session.commit()
        click.echo(f"{done} flags computed again", err=True)
    listed = quality.flags_for_survey(db.session, survey)
    with force_locale(lang):
        rows = [_flag_row(response, found) for response, found in listed]
    if fmt == "json":
        body = {"survey": survey.id, "counts": _counts(rows), "responses": rows}
        click.echo(json.dumps(body, ensure_ascii=False, indent=2, default=str))
    elif fmt == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(["response_id", *quality.KINDS, "agency", "channel", "status"])
        for row in rows:
            said = {flag["kind"]: flag["description"] for flag in row["flags"]}
            kinds = [said.get(kind, "") for kind in quality.KINDS]
            writer.writerow(
                [row["response_id"], *kinds, row["agency"], row["channel"], row["status"]]
            )
    else:
        for row in rows:
            names = ",".join(flag["kind"] for flag in row["flags"])
            text = " ".join(flag["description"] for flag in row["flags"])
            click.echo(f"{row['response_id']}\t{row['agency']}\t{row['status']}\t{names}\t{text}")
    click.echo(f"{len(rows)} flagged responses", err=True)


def _flag_row(response: Response, found: list[ResponseFlag]) -> dict[str, Any]:
    return {
        "response_id": response.id,
        "agency": response.agency.code,
        "channel": response.channel.value,
        "status": response.status.value,
        "submitted_at": response.submitted_at.isoformat() if response.submitted_at else None,
        "flags": [
            {
                "kind": flag.kind,
                "label": quality.label(flag.kind),
                "description": quality.describe(flag),
                "detail": flag.detail,
            }
            for flag in found
        ],
    }


def _counts(rows: list[dict[str, Any]]) -> dict[str, int]:
    counts = dict.fromkeys(quality.KINDS, 0)
    for row in rows:
        for flag in row["flags"]:
            counts[flag["kind"]] += 1
    return counts


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
