"""``surveyapp questionnaire import|export`` as spec/interfaces.md describes them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from surveyapp.extensions import db
from surveyapp.models import QuestionnaireVersion
from surveyapp.models.audit import AuditEvent
from surveyapp.questionnaire.templates import load_template
from tests import factories
from tests.functional.test_cli import run


def _versions() -> int:
    return db.session.scalar(select(func.count()).select_from(QuestionnaireVersion)) or 0


def _write(tmp_path: Path, doc: dict, name: str = "q.json") -> Path:  # type: ignore[type-arg]
    path = tmp_path / name
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def _custom(version: int = 1) -> dict:  # type: ignore[type-arg]
    doc = load_template("sipas-2017")
    doc["id"], doc["version"] = "my-survey", version
    return doc


def test_import_json_prints_id_and_version_and_stores_it(app: Flask, tmp_path: Path) -> None:
    code, out, _ = run(app, "questionnaire", "import", str(_write(tmp_path, _custom())))
    assert (code, out) == (0, "my-survey 1\n")
    assert _versions() == 1
    assert db.session.scalar(
        select(AuditEvent.action).where(AuditEvent.action.like("questionnaire.%"))
    )


def test_import_twice_is_idempotent(app: Flask, tmp_path: Path) -> None:
    path = _write(tmp_path, _custom())
    assert run(app, "questionnaire", "import", str(path))[:2] == (0, "my-survey 1\n")
    assert run(app, "questionnaire", "import", str(path))[:2] == (0, "my-survey 1\n")
    assert _versions() == 1


def test_validate_only_writes_nothing(app: Flask, tmp_path: Path) -> None:
    path = _write(tmp_path, _custom())
    code, out, _ = run(app, "questionnaire", "import", str(path), "--validate-only")
    assert (code, out) == (0, "ok my-survey 1\n")
    assert _versions() == 0


def test_invalid_json_document_lists_every_problem_with_its_path(
    app: Flask, tmp_path: Path
) -> None:
    doc = _custom()
    doc["sections"][0]["items"][0]["type"] = "slider"
    doc["sections"][1]["items"][0]["id"] = "Bad Id"
    path = _write(tmp_path, doc)
    for extra in ((), ("--validate-only",)):
        code, out, _ = run(app, "questionnaire", "import", str(path), *extra)
        assert code == 1
        lines = out.splitlines()
        assert f"{path}:sections[0].items[0].type: must be one of: " in lines[0]
        assert any(line.startswith(f"{path}:sections[1].items[0].id: ") for line in lines)
    assert _versions() == 0


def test_broken_json_is_refused(app: Flask, tmp_path: Path) -> None:
    path = tmp_path / "q.json"
    path.write_text("{", encoding="utf-8")
    code, out, _ = run(app, "questionnaire", "import", str(path))
    assert code == 1 and out.startswith(f"{path}:$: not valid JSON")


def test_frozen_version_refuses_a_changed_document_and_drafts_are_replaced(
    app: Flask, tmp_path: Path
) -> None:
    factories.province()
    doc = load_template("sipas-2017")
    doc["title"]["en"] = "Changed while still a draft"
    code, out, _ = run(app, "questionnaire", "import", str(_write(tmp_path, doc)))
    assert (code, out) == (0, "sipas-2017 1\n")  # the unused built-in draft is replaced
    factories.survey(template="sipas-2017")  # fielding freezes version 1
    doc["title"]["en"] = "Changed after fielding"
    path = _write(tmp_path, doc)
    code, out, _ = run(app, "questionnaire", "import", str(path))
    assert code == 1
    assert out == (
        f"{path}:version: version 1 of sipas-2017 is open and frozen; give the document version 2\n"
    )
    doc["version"] = 2
    assert run(app, "questionnaire", "import", str(_write(tmp_path, doc)))[:2] == (
        0,
        "sipas-2017 2\n",
    )


def test_export_builtin_json_before_first_use_writes_no_row(app: Flask, tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    code, _, err = run(
        app, "questionnaire", "export", "sipas-2023", "--format", "json", "-o", str(target)
    )
    assert code == 0 and "written" in err
    assert json.loads(target.read_text(encoding="utf-8")) == load_template("sipas-2023")
    assert _versions() == 0


def test_export_json_round_trips_through_import(app: Flask, tmp_path: Path) -> None:
    run(app, "questionnaire", "import", str(_write(tmp_path, _custom(3))))
    target = tmp_path / "out.json"
    args = ("questionnaire", "export", "my-survey", "--format", "json", "-o", str(target))
    assert run(app, *args)[0] == 0
    assert json.loads(target.read_text(encoding="utf-8")) == _custom(3)
    assert run(app, *args, "--version", "2")[0] == 1
    assert run(app, "questionnaire", "import", str(target))[:2] == (0, "my-survey 3\n")


def test_export_unknown_questionnaire_exits_1(app: Flask, tmp_path: Path) -> None:
    code, out, err = run(
        app, "questionnaire", "export", "nope", "--format", "json", "-o", str(tmp_path / "x")
    )
    assert code == 1 and out == "" and 'unknown questionnaire "nope"' in err
    assert not (tmp_path / "x").exists()


def test_export_needs_a_format(app: Flask, tmp_path: Path) -> None:
    assert run(app, "questionnaire", "export", "sipas-2017", "-o", str(tmp_path / "x"))[0] == 2


def test_export_xlsform_writes_a_workbook(app: Flask, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    target = tmp_path / "sipas.xlsx"
    code, out, _ = run(
        app, "questionnaire", "export", "sipas-2017", "--format", "xlsform", "-o", str(target)
    )
    assert (code, out) == (0, "")
    assert load_workbook(target).sheetnames == ["survey", "choices", "settings", "framework"]


def test_import_xlsform_prints_warnings_and_keeps_exit_0(app: Flask, tmp_path: Path) -> None:
    from tests.unit.questionnaire.test_xlsform import messy_workbook

    path = tmp_path / "messy.xlsx"
    messy_workbook().save(path)
    code, out, _ = run(app, "questionnaire", "import", str(path), "--validate-only")
    lines = out.splitlines()
    assert code == 0 and lines[-1] == "ok messy 3" and _versions() == 0
    assert lines[1] == f'{path}:survey:1:I: warning: column "calculation" is not supported; ignored'
    code, out, _ = run(app, "questionnaire", "import", str(path))
    assert code == 0 and out.splitlines()[-1] == "messy 3" and _versions() == 1


def test_import_broken_xlsform_exits_1_and_writes_nothing(app: Flask, tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "survey"
    sheet.append(["type", "name", "label"])
    sheet.append(["select_one nolist", "q1", "Q1"])
    path = tmp_path / "broken.xlsx"
    book.save(path)
    code, out, _ = run(app, "questionnaire", "import", str(path))
    assert code == 1
    assert f'{path}:survey:2:A: list "nolist" is not in the choices sheet' in out.splitlines()
    assert _versions() == 0


def test_xlsform_export_imports_back_as_the_same_version(app: Flask, tmp_path: Path) -> None:
    target = tmp_path / "sipas.xlsx"
    args = ("questionnaire", "export", "sipas-2023", "--format", "xlsform", "-o", str(target))
    assert run(app, *args)[0] == 0
    assert run(app, "questionnaire", "import", str(target))[:2] == (0, "sipas-2023 1\n")
    assert _versions() == 1  # identical to the built-in: nothing new stored


def test_import_refuses_other_file_types(app: Flask, tmp_path: Path) -> None:
    path = tmp_path / "q.csv"
    path.write_text("x", encoding="utf-8")
    code, out, _ = run(app, "questionnaire", "import", str(path))
    assert (code, out) == (1, f"{path}: expected a .json or .xlsx file\n")


def test_diff_lists_changes_between_two_stored_versions(app: Flask, tmp_path: Path) -> None:
    assert run(app, "questionnaire", "import", str(_write(tmp_path, _custom(1))))[0] == 0
    second = _custom(2)
    access = next(s for s in second["sections"] if s["id"] == "s_access")
    reworded = access["items"][0]
    reworded["label"] = {**reworded["label"], "vi": reworded["label"]["vi"] + " (sửa)"}
    removed = access["items"].pop()
    second["framework"]["elements"][0]["weight"] = 2
    for element in second["framework"]["elements"]:
        element["criteria"] = [c for c in element["criteria"] if c["item"] != removed["id"]]
    assert run(app, "questionnaire", "import", str(_write(tmp_path, second, "v2.json")))[0] == 0

    code, out, _ = run(app, "questionnaire", "diff", "my-survey", "--from", "1", "--to", "2")

    element = second["framework"]["elements"][0]["id"]
    assert code == 0
    assert f"removed item {removed['id']} (section s_access)" in out.splitlines()
    assert f"changed item {reworded['id']}: reworded (vi)" in out.splitlines()
    assert f"framework element_weight {element}: 1 -> 2" in out.splitlines()

    code, out, _ = run(
        app, "questionnaire", "diff", "my-survey", "--from", "1", "--to", "2", "--format", "json"
    )
    result = json.loads(out)
    assert [r["id"] for r in result["removed"]] == [removed["id"]]
    assert result["changed"][0]["kinds"] == ["reworded"]
    assert result["changed"][0]["reworded_languages"] == ["vi"]


def test_diff_of_a_missing_version_is_refused(app: Flask, tmp_path: Path) -> None:
    assert run(app, "questionnaire", "import", str(_write(tmp_path, _custom(1))))[0] == 0
    code, out, err = run(app, "questionnaire", "diff", "my-survey", "--from", "1", "--to", "7")
    assert (code, out) == (1, "")
    assert "questionnaire my-survey has no version 7" in err


@pytest.mark.parametrize("depth", [200_000, 500])
def test_json_nested_absurdly_deep_is_refused_in_one_line(
    app: Flask, tmp_path: Path, depth: int
) -> None:
    """200,000 levels break the JSON decoder, 500 would break validation: both refused."""
    path = tmp_path / "deep.json"
    path.write_text('{"id": "deep", "x_deep": ' + "[" * depth + "]" * depth + "}", encoding="utf-8")
    code, out, err = run(app, "questionnaire", "import", str(path))
    assert (code, out) == (1, f"{path}:$: nested more than 64 levels deep: not a questionnaire\n")
    assert "Traceback" not in err
