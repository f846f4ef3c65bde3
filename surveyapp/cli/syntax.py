"""``surveyapp syntax``: an R, Stata or SPSS script that reads the survey's export and
declares its design, with the index definitions and the commands that compute them."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from surveyapp.cli._common import survey_or_exit
from surveyapp.exports.build import ExportSpec, download_name
from surveyapp.exports.syntax import LANGUAGES, script
from surveyapp.extensions import db
from surveyapp.questionnaire.document import Questionnaire
from surveyapp.results.services.sample_design import export_design


@click.command("syntax")
@with_appcontext
@click.argument("survey_id", type=int)
@click.option("--for", "language", type=click.Choice(list(LANGUAGES)), required=True,
              help="r (survey package, reads the .sav), stata (.dta) or spss (.sav).")  # fmt: skip
@click.option("--lang", type=click.Choice(["vi", "en"]), default="vi", help="Label language.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the script to this file instead of stdout.")  # fmt: skip
def syntax(survey_id: int, language: str, lang: str, output: Path | None) -> None:
    """A script that reads the export (surveyapp export) and declares the design."""
    survey = survey_or_exit(survey_id)
    data_file = download_name(survey, ExportSpec(LANGUAGES[language], lang=lang))
    text = script(
        language,
        Questionnaire(survey.version.document),
        export_design(db.session, survey),
        data_file,
        lang,
    )
    if output is None:
        click.echo(text, nl=False)
        return
    output.write_text(text, encoding="utf-8")
    click.echo(f"written {output}: reads {data_file} (surveyapp export --format "
               f"{LANGUAGES[language]} -o {data_file})", err=True)  # fmt: skip


COMMANDS = (syntax,)
