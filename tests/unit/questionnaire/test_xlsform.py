"""XLSForm: the relevant-expression parser, export, round trips and real-world workbooks."""

from __future__ import annotations

from io import BytesIO
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from surveyapp.questionnaire.templates import list_templates, load_template
from surveyapp.questionnaire.xlsform import (
    ExpressionError,
    from_xlsform,
    parse_expression,
    to_xlsform,
    write_expression,
)


def _reloaded(book: Workbook) -> Workbook:
    """Through bytes, as a user's file would be: what openpyxl really writes and reads."""
    buffer = BytesIO()
    book.save(buffer)
    buffer.seek(0)
    return load_workbook(buffer)


# --- the expression parser ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("${a} = 1", {"eq": ["a", 1]}),
        ("${a}='x'", {"eq": ["a", "x"]}),
        ('${a} = "it\'s"', {"eq": ["a", "it's"]}),
        ("${a} != 2", {"ne": ["a", 2]}),
        ("${a} < 2.5", {"lt": ["a", 2.5]}),
        ("${a} <= -1", {"le": ["a", -1]}),
        ("${a} > 2", {"gt": ["a", 2]}),
        ("${a} >= 2", {"ge": ["a", 2]}),
        ("2 < ${a}", {"gt": ["a", 2]}),
        ("${a} != ''", {"answered": "a"}),
        ("${a} = ''", {"not": {"answered": "a"}}),
        ("selected(${m}, 'x')", {"eq": ["m", "x"]}),
        ("selected( ${m} , 3 )", {"eq": ["m", 3]}),
        ("not(${a} = 1)", {"not": {"eq": ["a", 1]}}),
        ("${a} = true()", {"eq": ["a", True]}),
        (
            "${a} = 1 and ${b} = 2 or ${c} = 3",
            {"or": [{"and": [{"eq": ["a", 1]}, {"eq": ["b", 2]}]}, {"eq": ["c", 3]}]},
        ),
        (
            "${a} = 1 and (${b} = 2 or ${c} = 3)",
            {"and": [{"eq": ["a", 1]}, {"or": [{"eq": ["b", 2]}, {"eq": ["c", 3]}]}]},
        ),
        (
            "(${a} = 1 and ${b} = 2) and ${c} = 3",
            {"and": [{"and": [{"eq": ["a", 1]}, {"eq": ["b", 2]}]}, {"eq": ["c", 3]}]},
        ),
        ("((${a} = 1))", {"eq": ["a", 1]}),
    ],
)
def test_parse_expression(text: str, rule: dict[str, Any]) -> None:
    assert parse_expression(text) == rule


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("${a} = ", "expected a number or a quoted value, found the end (at character 8)"),
        ("${a} => 1", "expected a number or a quoted value, found '>' (at character 7)"),
        (
            "${a} = 1 and",
            "expected a question reference like ${name}, found the end (at character 13)",
        ),
        (
            "count-selected(${m}) > 1",
            'the function "count-selected()" is not supported (at character 1)',
        ),
        ("${a} = 1)", "expected the end, found ')' (at character 9)"),
        ("(${a} = 1", "expected ')', found the end (at character 10)"),
        ("${a} = 'x", 'unexpected "\'" (at character 8)'),
        ("${a} ~ 1", "unexpected '~' (at character 6)"),
        ("${a}", "expected a comparison (= != < <= > >=), found the end (at character 5)"),
        (". >= 1", "expected a question reference like ${name}, found '.' (at character 1)"),
        ("${a} = 1 xor ${b} = 2", "expected the end, found 'xor' (at character 10)"),
    ],
)
def test_parse_errors_say_where(text: str, message: str) -> None:
    with pytest.raises(ExpressionError) as raised:
        parse_expression(text)
    assert str(raised.value) == message


def test_constraints_may_name_the_item_itself() -> None:
    assert parse_expression(". >= 1 and . <= 20", allow_self=True) == {
        "and": [{"ge": [".", 1]}, {"le": [".", 20]}]
    }


def test_write_expression_round_trips_every_operator() -> None:
    rule = {
        "and": [
            {"not": {"eq": ["a", 1]}},
            {"or": [{"ne": ["b", "x"]}, {"answered": "c"}, {"lt": ["d", 0.5]}]},
            {"eq": ["m", 2]},
            {"and": [{"le": ["d", 3]}, {"gt": ["d", -1]}, {"ge": ["d", 1]}]},
        ]
    }
    text = write_expression(rule, {"m"})
    assert "selected(${m}, 2)" in text
    assert parse_expression(text) == rule


def test_in_is_written_as_alternatives() -> None:
    assert write_expression({"in": ["a", [1, 2]]}) == "${a} = 1 or ${a} = 2"
    assert write_expression({"not": {"in": ["a", [1, 2]]}}) == "not(${a} = 1 or ${a} = 2)"


# --- export --------------------------------------------------------------------------------


def test_export_layout_is_xlsform() -> None:
    book = _reloaded(to_xlsform(load_template("sipas-2017")))
    assert book.sheetnames == ["survey", "choices", "settings", "framework"]
    survey = [row for row in book["survey"].iter_rows(values_only=True)]
    assert survey[0][:4] == ("type", "name", "label::Vietnamese (vi)", "label::English (en)")
    rows = {row[1]: row for row in survey[1:] if row[1]}
    assert rows["trips"][0] == "integer" and rows["trips"][8] == ". >= 1 and . <= 20"
    assert rows["acc_seats"][0] == "select_one sat5" and rows["acc_seats"][9] == "likert"
    settings = list(book["settings"].iter_rows(values_only=True))
    assert dict(zip(settings[0], settings[1], strict=True))["form_id"] == "sipas-2017"
    missing = [r for r in book["choices"].iter_rows(values_only=True) if r[-2] == "yes"]
    assert ("sat5", 9) in {(r[0], r[1]) for r in missing}


@pytest.mark.parametrize("template", [t.id for t in list_templates()])
def test_every_template_round_trips_exactly(template: str) -> None:
    original = load_template(template)
    doc, problems = from_xlsform(_reloaded(to_xlsform(original)), filename="t.xlsx")
    assert problems == []
    assert doc == original


def test_inline_options_hints_decimals_and_every_rule_round_trip() -> None:
    original = load_template("sipas-2017")
    items = original["sections"][1]["items"]
    items[0]["hint"] = {"vi": "Gợi ý", "en": "Hint"}
    items[0]["required"] = False
    items.append(
        {
            "id": "share",
            "type": "number",
            "label": {"vi": "Tỉ lệ", "en": "Share"},
            "min": 0.5,
            "max": 1.5,
            "show_when": {
                "or": [{"answered": items[0]["id"]}, {"not": {"lt": [items[0]["id"], 2]}}]
            },
        }
    )
    doc, problems = from_xlsform(_reloaded(to_xlsform(original)), filename="t.xlsx")
    assert [p for p in problems if p.severity == "error"] == []
    assert doc == original
