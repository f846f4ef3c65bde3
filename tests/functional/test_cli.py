"""The command line of spec/interfaces.md, driven through Click's runner."""

from __future__ import annotations

import contextvars
import csv
import json
from pathlib import Path

from click.testing import CliRunner
from flask import Flask

from surveyapp.cli import cli
from surveyapp.extensions import db
from tests import factories
from tests.functional.test_respond import _answer_everything


def run(app: Flask, *args: str, stdin: str | None = None) -> tuple[int, str, str]:
    """``surveyapp ARGS`` as a shell runs it: no app context of the test's is current (a
    fresh ``contextvars.Context``), so a command that needs one must push its own."""
    runner = CliRunner()
    result = contextvars.Context().run(
        runner.invoke, cli, list(args), input=stdin, obj=_script_info(app)
    )
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    db.session.expire_all()  # the test's own objects see what the command wrote
    return result.exit_code, result.stdout, result.stderr


def _script_info(app: Flask):  # type: ignore[no-untyped-def]
    from flask.cli import ScriptInfo

    return ScriptInfo(create_app=lambda: app)


def test_agencies_import_and_list(app: Flask, tmp_path: Path) -> None:
    source = tmp_path / "agencies.csv"
    source.write_text(
        "code,parent,name_vi,name_en\nHN,,Tỉnh,Province\nSXD,HN,Sở Xây dựng,Construction\n",
        encoding="utf-8",
    )
    code, _, _ = run(app, "agencies", "import", str(source))
    assert code == 0
    code, out, _ = run(app, "agencies", "list")
    assert out.splitlines() == ["HN\tTỉnh", "SXD\tSở Xây dựng"]


def test_agencies_import_refuses_unknown_parent_and_writes_nothing(
    app: Flask, tmp_path: Path
) -> None:
    source = tmp_path / "agencies.csv"
    source.write_text("code,parent,name_vi,name_en\nSXD,XX,Sở,Dept\n,,x,y\n", encoding="utf-8")
    code, _, err = run(app, "agencies", "import", str(source))
    assert code == 1
    assert 'row 2, column parent: unknown agency code "XX"' in err
    assert "row 3, column code" in err
    assert run(app, "agencies", "list")[1] == ""


def test_templates_lists_sipas_2017(app: Flask) -> None:
    code, out, _ = run(app, "templates")
    assert code == 0
    fields = [line.split("\t") for line in out.splitlines()]
    assert any(f[0] == "sipas-2017" and len(f) == 3 for f in fields)


def test_survey_create_prints_id_and_refuses_unknown_agencies(app: Flask) -> None:
    factories.province()
    code, out, _ = run(
        app,
        "survey",
        "create",
        "--questionnaire",
        "sipas-2017",
        "--title",
        "T",
        "--agencies",
        "SXD,STP",
    )
    assert code == 0 and out.strip().isdigit()
    code, out, err = run(
        app,
        "survey",
        "create",
        "--questionnaire",
        "sipas-2017",
        "--title",
        "T",
        "--agencies",
        "SXD,NOPE",
    )
    assert code == 1 and "NOPE" in err and out == ""


def test_invite_writes_links(app: Flask, tmp_path: Path) -> None:
    factories.province()
    survey = factories.survey(codes=("SXD",))
    target = tmp_path / "links.csv"
    code, _, _ = run(app, "invite", str(survey.id), "--count", "4", "-o", str(target))
    assert code == 0
    rows = list(csv.DictReader(target.open(encoding="utf-8")))
    assert len(rows) == 4 and rows[0]["url"].endswith("/s/" + rows[0]["token"])
    assert {r["agency"] for r in rows} == {"SXD"}


def test_score_json_and_export(app: Flask, tmp_path: Path) -> None:
    factories.province()
    survey = factories.survey()
    client = app.test_client()
    for token in factories.tokens(survey, "SXD", 2):
        _answer_everything(client, token)
    code, out, _ = run(app, "score", str(survey.id), "--format", "json", "--by", "agency")
    assert code == 0
    body = json.loads(out)
    assert set(body) >= {"survey", "n", "overall", "groups", "elements", "criteria", "indicators"}
    assert body["n"] == 2
    assert body["overall"]["value"] == 1.0  # every criterion answered 4 = satisfied
    assert set(body["agencies"]) == {"SXD", "STP"}
    target = tmp_path / "out.csv"
    code, _, _ = run(app, "export", str(survey.id), "--format", "csv", "-o", str(target))
    assert code == 0
    rows = list(csv.reader(target.open(encoding="utf-8-sig")))
    assert "acc_seats" in rows[0] and len(rows) == 3


def test_users_create_and_token(app: Flask) -> None:
    factories.province()
    code, _, _ = run(
        app,
        "users",
        "create",
        "a@example.org",
        "--role",
        "analyst",
        "--agency",
        "SXD",
        "--password-stdin",
        stdin="long enough password\n",
    )
    assert code == 0
    code, out, _ = run(app, "users", "token", "a@example.org")
    assert code == 0 and len(out.strip().splitlines()) == 1
    client = app.test_client()
    listing = client.get("/api/v1/surveys", headers={"Authorization": "Bearer " + out.strip()})
    assert listing.status_code == 200 and listing.json == {"surveys": []}


def test_users_create_refuses_bad_role(app: Flask) -> None:
    code, _, err = run(
        app,
        "users",
        "create",
        "a@example.org",
        "--role",
        "boss",
        "--password-stdin",
        stdin="long enough password\n",
    )
    assert code == 1 and "boss" in err
