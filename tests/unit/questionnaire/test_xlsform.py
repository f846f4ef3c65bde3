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


# --- workbooks as people write them ---------------------------------------------------------


def _book(
    survey: list[list[Any]], choices: list[list[Any]], settings: list[list[Any]] | None = None
) -> Workbook:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "survey"
    for row in survey:
        sheet.append(row)
    for name, rows in (("Choices", choices), ("settings", settings)):
        if rows:
            extra = book.create_sheet(name)
            for row in rows:
                extra.append(row)
    return _reloaded(book)


def messy_workbook() -> Workbook:
    survey = [
        [
            "Type",
            "Name",
            "Label::English (en)",
            "label::Tiếng Việt",
            "HINT",
            "Required",
            "bind::relevant",
            "Constraint",
            "calculation",
        ],
        ["start", "start"],
        ["integer", "age", "Age", "Tuổi", None, "TRUE", None, ".>=18 and .<=99"],
        ["select one from yesno", "has_id", "Has ID?", "Có CMND?", None, "yes"],
        [
            "select_one yesno",
            "follow",
            "Follow?",
            "Tiếp?",
            None,
            None,
            "${has_id} = 'yes' and ${age} > 30",
        ],
        ["begin group", "grp", "Group", "Nhóm"],
        ["select_multiple fruit or_other", "fruit", "Fruit", "Quả"],
        [
            "text",
            "why",
            "Why?",
            "Tại sao?",
            "Say why",
            None,
            "selected(${fruit}, 'other') or not(${follow} = 'no')",
        ],
        ["note", "bye", "Bye", "Tạm biệt"],
        ["end group"],
    ]
    choices = [
        ["List Name", "Name", "Label::English (en)", "label::Tiếng Việt"],
        ["yesno", "yes", "Yes", "Có"],
        ["yesno", "no", "No", "Không"],
        ["fruit", 1, "Apple", "Táo"],
        ["fruit", "2", "Pear", "Lê"],
    ]
    settings = [
        ["form_id", "version", "Form Title", "default_language"],
        ["messy", "3", "Messy", "English (en)"],
    ]
    return _book(survey, choices, settings)


def test_a_messy_real_world_workbook_imports_with_warnings() -> None:
    doc, problems = from_xlsform(messy_workbook(), filename="messy.xlsx")
    assert [str(p) for p in problems] == [
        'messy.xlsx:survey:1:D: warning: language "Tiếng Việt" has no code; read as "vi" '
        '(write it "Tiếng Việt (vi)")',
        'messy.xlsx:survey:1:I: warning: column "calculation" is not supported; ignored',
        'messy.xlsx:Choices:1:D: warning: language "Tiếng Việt" has no code; read as "vi" '
        '(write it "Tiếng Việt (vi)")',
        'messy.xlsx:Choices:2:B: warning: choice names in list "yesno" are not numbers; '
        "coded yes=1, no=2",
        'messy.xlsx:survey:2:A: warning: type "start" is recorded by the phone, not asked; '
        "row ignored",
        'messy.xlsx:settings:2:C: warning: no "vi" translation',
        'messy.xlsx:survey:3:B: warning: no "vi" translation',
        'messy.xlsx:survey:8:E: warning: no "vi" translation',  # the hint
    ]
    assert doc is not None
    assert (doc["id"], doc["version"], doc["languages"]) == ("messy", 3, ["en", "vi"])
    main, group = doc["sections"]
    assert main["id"] == "main" and main["title"] == {"en": "Messy"}
    age, has_id, follow = main["items"]
    assert age == {
        "id": "age",
        "type": "number",
        "label": {"en": "Age", "vi": "Tuổi"},
        "required": True,
        "min": 18,
        "max": 99,
    }
    assert has_id["scale"] == "yesno" and has_id["type"] == "single"
    assert doc["scales"]["yesno"]["options"][0] == {"code": 1, "label": {"en": "Yes", "vi": "Có"}}
    assert follow["show_when"] == {"and": [{"eq": ["has_id", 1]}, {"gt": ["age", 30]}]}
    fruit, other, why, bye = group["items"]
    assert fruit["type"] == "multi" and fruit["options"][-1] == {
        "code": 3,
        "label": {"en": "Other", "vi": "Khác"},
    }
    assert other["id"] == "fruit_other" and other["show_when"] == {"eq": ["fruit", 3]}
    assert why["hint"] == {"en": "Say why"}
    assert why["show_when"] == {"or": [{"eq": ["fruit", 3]}, {"not": {"eq": ["follow", 2]}}]}
    assert bye["type"] == "info"


def test_surveycto_relevance_and_value_columns_without_settings() -> None:
    survey = [
        ["type", "name", "label", "relevance", "required"],
        ["select_one yn", "q1", "Q1", None, "1"],
        ["decimal", "q2", "Q2", "${q1} = 'y'", "false"],
    ]
    doc, problems = from_xlsform(
        _book(survey, [["list_name", "value", "label"], ["yn", "y", "Có"], ["yn", "n", "Không"]]),
        filename="cto.xlsx",
    )
    assert [str(p) for p in problems] == [
        "cto.xlsx:survey:1:C: warning: no language given; texts taken as Vietnamese (vi)",
        'cto.xlsx:survey:1:A: warning: no form_id in settings; using "cto"',
        "cto.xlsx:survey:1:A: warning: no version in settings; using 1",
        "cto.xlsx:survey:1:A: warning: no form_title in settings; using the form id",
        'cto.xlsx:Choices:2:B: warning: choice names in list "yn" are not numbers; coded y=1, n=2',
    ]
    assert doc is not None and doc["languages"] == ["vi"]
    q1, q2 = doc["sections"][0]["items"]
    assert q1["required"] is True and q2["required"] is False
    assert q2["show_when"] == {"eq": ["q1", 1]}


def test_every_problem_is_located_at_its_cell() -> None:
    survey = [
        ["type", "name", "label::Vietnamese (vi)", "relevant", "constraint"],
        ["select_one yn", "q1", "Q1"],
        ["integer", "q2", "Q2", "${q1} = 'y' and ${q1} =", "regex(., '[0-9]+')"],
        ["select_one nolist", "q3", "Q3"],
        [None, "q4", "Q4"],
        ["geopoint", "q5", "Where"],
        ["text", "q6", "Q6", "${q1} = 'maybe'"],
        ["text", "q7", "Q7", "${later} = 1"],
        ["text", "later", "L"],
        ["end_group"],
        ["text", "Bad Name", "B"],
    ]
    choices = [["list_name", "name", "label::Vietnamese (vi)"], ["yn", 1, "Có"], ["yn", 2, "Không"]]
    settings = [["form_id", "version"], ["bad", "v2"]]
    doc, problems = from_xlsform(_book(survey, choices, settings), filename="bad.xlsx")
    assert doc is None
    assert [str(p) for p in problems] == [
        "bad.xlsx:settings:1:A: warning: no form_title in settings; using the form id",
        "bad.xlsx:survey:3:E: warning: constraint \"regex(., '[0-9]+')\" is not supported "
        '(only ranges: ". >= 1 and . <= 20"); ignored',
        'bad.xlsx:survey:4:A: list "nolist" is not in the choices sheet',
        "bad.xlsx:survey:5:A: type is missing",
        'bad.xlsx:survey:6:A: type "geopoint" is not supported: surveyapp collects no '
        "locations, photos, sound, video, files, barcodes or signatures",
        "bad.xlsx:survey:10:A: end_group without a begin_group",
        "bad.xlsx:survey:3:D: cannot read \"${q1} = 'y' and ${q1} =\": expected a number or a "
        "quoted value, found the end (at character 24)",
        'bad.xlsx:survey:7:D: cannot read "${q1} = \'maybe\'": "maybe" is not a choice of q1',
        'bad.xlsx:survey:8:D: a rule may only name earlier items; "later" comes later',
        'bad.xlsx:survey:11:B: item id "Bad Name" must be lower-case ASCII starting with a '
        "letter, only a-z, 0-9 and _, at most 32 characters",
    ]


def test_no_survey_sheet_is_one_problem() -> None:
    book = Workbook()
    doc, problems = from_xlsform(book, filename="empty.xlsx")
    assert doc is None
    assert [str(p) for p in problems] == [
        'empty.xlsx:survey:1:A: the workbook has no "survey" sheet'
    ]


# --- the list of messy inputs, one by one -------------------------------------------

YN = [["list_name", "name", "label"], ["yn", 1, "Có"], ["yn", 2, "Không"]]


def _errors(problems: list[Any]) -> list[str]:
    return [str(p) for p in problems if p.severity == "error"]


def test_label_headers_in_every_spelling_people_use() -> None:
    survey = [
        ["TYPE ", "name\n", "label:English", " LABEL::Vietnamese (vi)\n", "Hint::English(en)"],
        ["integer", "age", "Age", "Tuổi", "In years"],
    ]
    choices = [["List Name", "Name", "Label::English", "label:Tiếng Việt"], ["yn", 1, "Yes", "Có"]]
    doc, problems = from_xlsform(_book(survey, choices), filename="h.xlsx")
    assert doc is not None, problems
    assert doc["languages"] == ["en", "vi"]
    (age,) = doc["sections"][0]["items"]
    assert age["label"] == {"en": "Age", "vi": "Tuổi"}
    assert age["hint"] == {"en": "In years"}
    assert doc["scales"]["yn"]["options"] == [{"code": 1, "label": {"en": "Yes", "vi": "Có"}}]
    assert not any("column" in str(p) for p in problems)


def test_choice_names_typed_as_excel_numbers_or_with_trailing_spaces() -> None:
    survey = [
        ["type", "name", "label", "relevant"],
        ["select_one yn ", " q1 ", "Q1"],
        ["text", "q2", "Q2", "${q1} = '1'"],
    ]
    choices = [["list_name", "name", "label"], ["yn", 1.0, "Có"], ["yn ", "2 ", "Không"]]
    doc, problems = from_xlsform(_book(survey, choices), filename="n.xlsx")
    assert doc is not None, problems
    assert [o["code"] for o in doc["scales"]["yn"]["options"]] == [1, 2]
    q1, q2 = doc["sections"][0]["items"]
    assert q1["id"] == "q1" and q1["scale"] == "yn"
    assert q2["show_when"] == {"eq": ["q1", 1]}
    assert not any("not numbers" in str(p) for p in problems)  # 1.0 is the number 1


def test_blank_rows_and_extra_sheets_are_passed_over() -> None:
    survey = [
        ["type", "name", "label"],
        [None, None, None],
        ["text", "q1", "Q1"],
        ["", "  ", None],
        ["text", "q2", "Q2"],
    ]
    choices = [["list_name", "name", "label"], [None], ["yn", 1, "Có"]]
    book = _book(survey, choices)
    notes = book.create_sheet("Hướng dẫn")
    notes.append(["Điền câu hỏi vào sheet survey"])
    doc, problems = from_xlsform(_reloaded(book), filename="b.xlsx")
    assert doc is not None
    assert [i["id"] for i in doc["sections"][0]["items"]] == ["q1", "q2"]
    assert [str(p) for p in problems] == [
        "b.xlsx:survey:1:C: warning: no language given; texts taken as Vietnamese (vi)",
        'b.xlsx:survey:1:A: warning: no form_id in settings; using "b"',
        "b.xlsx:survey:1:A: warning: no version in settings; using 1",
        "b.xlsx:survey:1:A: warning: no form_title in settings; using the form id",
    ]


@pytest.mark.parametrize(
    "relevant",
    [
        "${q1} = ‘2’",  # Excel's single smart quotes
        "${q1} = “2”",  # and double ones
        "${q1}\u00a0=\u00a0'2'",  # non-breaking spaces
        "${q1}\n  =\n  '2'",  # over several lines
    ],
)
def test_curly_quotes_and_line_breaks_in_expressions(relevant: str) -> None:
    survey = [
        ["type", "name", "label", "relevant"],
        ["select_one yn", "q1", "Q1"],
        ["text", "q2", "Q2", relevant],
    ]
    doc, problems = from_xlsform(_book(survey, YN), filename="q.xlsx")
    assert _errors(problems) == []
    assert doc is not None
    assert doc["sections"][0]["items"][1]["show_when"] == {"eq": ["q1", 2]}


@pytest.mark.parametrize(
    "kind", ["start", "end", "today", "deviceid", "username", "audit", "phonenumber"]
)
def test_metadata_rows_are_skipped_with_a_warning_at_their_cell(kind: str) -> None:
    survey = [["type", "name", "label"], ["text", "q1", "Q1"], [kind, kind]]
    doc, problems = from_xlsform(_book(survey, YN), filename="m.xlsx")
    assert doc is not None
    assert [i["id"] for i in doc["sections"][0]["items"]] == ["q1"]
    assert (
        f'm.xlsx:survey:3:A: warning: type "{kind}" is recorded by the phone, not asked; '
        "row ignored"
    ) in [str(p) for p in problems]


def test_what_cannot_be_honoured_is_refused_in_one_pass_naming_each_cell() -> None:
    survey = [
        ["type", "name", "label", "relevant", "choice_filter", "calculation"],
        ["select_one yn", "q1", "Q1"],
        ["calculate", "total", None, None, None, "${q1} * 2"],
        ["begin_repeat", "people", "People"],
        ["text", "person", "Person"],
        ["end_repeat"],
        ["select_one yn", "q2", "Q2", None, "filter = ${q1}"],
        ["text", "q3", "Q3", "pulldata('fruits', 'name', 'key', ${q1}) = 'x'"],
        ["select_one_from_file cities.csv", "city", "City"],
        ["select_one_external district", "district", "District"],
        ["image", "photo", "Photo"],
        ["range", "slider", "Slider"],
    ]
    doc, problems = from_xlsform(_book(survey, YN), filename="r.xlsx")
    assert doc is None
    assert _errors(problems) == [
        "r.xlsx:survey:3:A: calculate rows are not supported: surveyapp does not compute values "
        "while people answer; remove the row and every ${name} that uses it",
        "r.xlsx:survey:4:A: repeats are not supported: each question is asked once per respondent",
        "r.xlsx:survey:7:E: choice_filter is not supported: every choice of the list would be "
        "shown; make a separate list for each case instead",
        'r.xlsx:survey:9:A: type "select_one_from_file cities.csv" is not supported: choices '
        "from another file are not read; put them in the choices sheet",
        'r.xlsx:survey:10:A: type "select_one_external district" is not supported: choices '
        "from another file are not read; put them in the choices sheet",
        'r.xlsx:survey:11:A: type "image" is not supported: surveyapp collects no locations, '
        "photos, sound, video, files, barcodes or signatures",
        'r.xlsx:survey:12:A: type "range" is not supported (use: integer, decimal, text, date, '
        "select_one, select_multiple, note, begin_group)",
        "r.xlsx:survey:8:D: cannot read \"pulldata('fruits', 'name', 'key', ${q1}) = 'x'\": "
        'the function "pulldata()" is not supported (at character 1)',
    ]
    assert 'r.xlsx:survey:1:F: warning: column "calculation" is not supported; ignored' in [
        str(p) for p in problems
    ]


def _with_cached_values(book: Workbook, cached: dict[tuple[int, str], Any]) -> bytes:
    """The workbook as Excel saves it: each formula cell also carries its last result.

    ``cached`` maps (sheet number from 1, cell) to that result; openpyxl itself never
    computes formulas, so the XML is patched the way Excel writes it.
    """
    import re
    import zipfile

    buffer = BytesIO()
    book.save(buffer)
    source = zipfile.ZipFile(buffer)
    out = BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for entry in source.infolist():
            data = source.read(entry)
            for (sheet, ref), value in cached.items():
                if entry.filename == f"xl/worksheets/sheet{sheet}.xml":
                    kind = ' t="str"' if isinstance(value, str) else ""
                    data = re.sub(
                        rf'<c r="{ref}"><f>(.*?)</f><v\s*/>'.encode(),
                        lambda m, k=kind, r=ref, v=value: (
                            f'<c r="{r}"{k}><f>'.encode() + m.group(1) + f"</f><v>{v}</v>".encode()
                        ),
                        data,
                    )
            target.writestr(entry, data)
    return out.getvalue()


def test_formulas_are_read_as_the_values_excel_last_computed(tmp_path: Any) -> None:
    from surveyapp.questionnaire.xlsform import read_workbook

    book = Workbook()
    survey = book.active
    assert survey is not None
    survey.title = "survey"
    survey.append(["type", "name", "label::Vietnamese (vi)"])
    survey.append(["select_one yn", "q1", '=CONCATENATE("Câu ", "một")'])
    choices = book.create_sheet("choices")
    choices.append(["list_name", "name", "label::Vietnamese (vi)"])
    choices.append(["yn", "=ROW()-1", "Có"])
    choices.append(["yn", "=ROW()-1", "Không"])
    path = tmp_path / "formulas.xlsx"
    path.write_bytes(_with_cached_values(book, {(1, "C2"): "Câu một", (2, "B2"): 1, (2, "B3"): 2}))

    doc, problems = read_workbook(path, filename="formulas.xlsx")

    assert _errors(problems) == []
    assert doc is not None
    assert doc["sections"][0]["items"][0]["label"] == {"vi": "Câu một"}
    assert [o["code"] for o in doc["scales"]["yn"]["options"]] == [1, 2]


# --- tolerance: what pyxform accepts, we read too --------------------------------------------


def test_languages_named_without_a_code_are_kept_by_name_with_a_warning() -> None:
    survey = [
        ["type", "name", "label::English (en)", "label::Swahili", "label::Tetun", "label::Klingon"],
        ["select_one yn", "q1", "Served?", "Ulihudumiwa?", "Serbisu ona?", "Qapla'?"],
    ]
    choices = [
        ["list_name", "name", "label::English (en)", "label::Kiswahili"],
        ["yn", 1, "Yes", "Ndiyo"],
        ["yn", 2, "No", "Hapana"],
    ]
    settings = [["form_id", "form_title", "default_language"], ["sw-form", "Form", "English (en)"]]
    doc, problems = from_xlsform(_book(survey, choices, settings), filename="l.xlsx")
    assert doc is not None, problems
    assert doc["languages"] == ["en", "sw", "tet", "x-klingon"]
    assert doc["sections"][0]["items"][0]["label"] == {
        "en": "Served?",
        "sw": "Ulihudumiwa?",
        "tet": "Serbisu ona?",
        "x-klingon": "Qapla'?",
    }
    assert doc["scales"]["yn"]["options"][0]["label"] == {"en": "Yes", "sw": "Ndiyo"}
    language_warnings = [str(p) for p in problems if "language" in str(p)]
    assert language_warnings == [
        'l.xlsx:survey:1:D: warning: language "Swahili" has no code; read as "sw" '
        '(write it "Swahili (sw)")',
        'l.xlsx:survey:1:E: warning: language "Tetun" has no code; read as "tet" '
        '(write it "Tetun (tet)")',
        'l.xlsx:survey:1:F: warning: language "Klingon" has no code and is not one we know; '
        'kept as "x-klingon" (write it "Klingon (xx)" with its ISO 639 code)',
        'l.xlsx:Choices:1:D: warning: language "Kiswahili" has no code; read as "sw" '
        '(write it "Kiswahili (sw)")',
    ]
    # our export writes each language with its code: it reads back without a warning
    again, problems = from_xlsform(_reloaded(to_xlsform(doc)), filename="l.xlsx")
    assert again == doc
    assert not [p for p in problems if "language" in str(p)]


def test_nested_groups_join_their_section_under_a_heading_keeping_their_rules() -> None:
    survey = [
        ["type", "name", "label", "relevant"],
        ["begin_group", "visit", "Lần đến"],
        ["select_one yn", "late", "Trễ hẹn?"],
        ["begin group", "lateness", "Về việc trễ hẹn", "${late} = 1"],
        ["integer", "days", "Trễ mấy ngày?"],
        ["begin_group", "apology", None, "${days} > 2"],
        ["select_one yn", "sorry", "Có xin lỗi?", "${days} < 30"],
        ["end_group"],
        ["end_group"],
        ["text", "note", "Ghi chú"],
        ["end_group"],
    ]
    doc, problems = from_xlsform(_book(survey, YN), filename="g.xlsx")
    assert doc is not None, problems
    assert [str(p) for p in problems if "inside" in str(p)] == [
        'g.xlsx:survey:4:A: warning: group "lateness" is inside group "visit": its questions '
        'join section "visit", under its label as a heading, and keep its relevant',
        'g.xlsx:survey:6:A: warning: group "apology" is inside group "visit": its questions '
        'join section "visit", under its label as a heading, and keep its relevant',
    ]
    (section,) = doc["sections"]
    assert section["id"] == "visit"
    late, heading, days, sorry, note = section["items"]
    assert heading == {
        "id": "lateness",
        "type": "info",
        "label": {"vi": "Về việc trễ hẹn"},
        "show_when": {"eq": ["late", 1]},
    }
    assert days["show_when"] == {"eq": ["late", 1]}
    assert sorry["show_when"] == {
        "and": [{"eq": ["late", 1]}, {"gt": ["days", 2]}, {"lt": ["days", 30]}]
    }  # the unlabelled group gave no heading, but its rule
    assert "show_when" not in note and "show_when" not in late
    # flattened, the document round-trips through our own export
    again, problems = from_xlsform(_reloaded(to_xlsform(doc)), filename="g.xlsx")
    assert _errors(problems) == [] and again == doc


def test_an_unclosed_nested_group_is_named_at_its_row() -> None:
    survey = [
        ["type", "name", "label"],
        ["begin_group", "outer", "Outer"],
        ["begin_group", "inner", "Inner"],
        ["text", "q1", "Q1"],
        ["end_group"],
    ]
    doc, problems = from_xlsform(_book(survey, YN), filename="u.xlsx")
    assert doc is None
    assert _errors(problems) == ['u.xlsx:survey:2:A: group "outer" has no end_group']


@pytest.mark.parametrize(
    ("written", "label"), [("2025.1", "2025.1"), (202412041, "202412041"), ("v2", "v2")]
)
def test_a_settings_version_that_is_not_ours_is_kept_as_the_authors_label(
    written: Any, label: str
) -> None:
    survey = [["type", "name", "label"], ["text", "q1", "Q1"]]
    settings = [["form_id", "version", "form_title"], ["kobo", written, "Kobo"]]
    doc, problems = from_xlsform(_book(survey, YN, settings), filename="v.xlsx")
    assert doc is not None and _errors(problems) == []
    assert (doc["version"], doc["form_version"]) == (1, label)  # we number our versions
    exported = _reloaded(to_xlsform(doc))
    header, row = exported["settings"].iter_rows(max_row=2, values_only=True)
    assert dict(zip(header, row, strict=True))["version"] == label  # handed back as written
    again, _ = from_xlsform(exported, filename="v.xlsx")
    assert again == doc


def test_a_version_label_too_long_to_keep_is_refused_at_its_cell() -> None:
    survey = [["type", "name", "label"], ["text", "q1", "Q1"]]
    settings = [["form_id", "version", "form_title"], ["kobo", "v" * 65, "Kobo"]]
    doc, problems = from_xlsform(_book(survey, YN, settings), filename="v.xlsx")
    assert doc is None
    assert _errors(problems) == ["v.xlsx:settings:2:B: longer than 64 characters"]
