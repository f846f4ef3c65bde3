"""Refusals and questionnaire-import problems read in the user's language on the web,
and in English on the command line (spec/interfaces.md)."""

from __future__ import annotations

import pytest
from flask import Flask

from surveyapp.extensions import db
from surveyapp.models._types import utcnow
from surveyapp.problems import InputRefused
from surveyapp.questionnaire.xlsform import from_xlsform
from surveyapp.surveys.services import surveys
from tests import factories
from tests.functional.test_cli import run
from tests.unit.questionnaire.test_xlsform import messy_workbook


def _refusal() -> InputRefused:
    version = surveys.questionnaire_version(db.session, "sipas-2017")
    with pytest.raises(InputRefused) as refused:
        surveys.create_survey(db.session, version=version, title=" ", agencies=[], now=utcnow())
    return refused.value


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("vi", ["tiêu đề: cuộc khảo sát cần có tiêu đề", "cơ quan: chọn ít nhất một cơ quan"]),
        ("en", ["title: a survey needs a title", "agencies: choose at least one agency"]),
    ],
)
def test_a_refusal_reads_in_the_language_of_the_request(
    app: Flask, lang: str, expected: list[str]
) -> None:
    refused = _refusal()
    with app.test_request_context(f"/?lang={lang}"):
        assert [str(p) for p in refused.problems] == expected


def test_a_refusal_outside_a_request_is_english(app: Flask) -> None:
    assert str(_refusal()) == "title: a survey needs a title; agencies: choose at least one agency"


def test_xlsform_problems_come_in_the_language_asked_for(app: Flask) -> None:
    with app.test_request_context("/?lang=en"):  # the page's language does not decide
        _, problems = from_xlsform(messy_workbook(), filename="messy.xlsx", lang="vi")
    texts = [str(p) for p in problems]
    assert 'messy.xlsx:survey:1:I: warning: cột "calculation" không được hỗ trợ; đã bỏ qua' in texts
    assert (
        'messy.xlsx:survey:2:A: warning: loại "start" do thiết bị tự ghi nhận, không phải câu '
        "hỏi; đã bỏ qua dòng này"
    ) in texts
    assert 'messy.xlsx:survey:3:B: warning: chưa có bản dịch "vi"' in texts  # validation's own


def test_expression_errors_are_translated_inside_their_sentence(app: Flask) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "survey"
    for row in (
        ["type", "name", "label", "relevant"],
        ["text", "a", "A"],
        ["text", "b", "B", "${a} ="],
    ):
        sheet.append(row)
    with app.test_request_context("/"):
        _, problems = from_xlsform(book, filename="e.xlsx", lang="vi")
    assert (
        'e.xlsx:survey:3:D: không đọc được "${a} =": cần một số hoặc một giá trị trong dấu '
        "nháy, nhưng gặp cuối biểu thức (tại ký tự thứ 7)"
    ) in [str(p) for p in problems]


def test_the_command_line_stays_english(app: Flask) -> None:
    factories.province()
    code, _, err = run(
        app,
        "survey",
        "create",
        "--questionnaire",
        "sipas-2017",
        "--title",
        "T",
        "--agencies",
        "NOPE",
    )
    assert code == 1
    assert 'unknown agency code "NOPE"' in err
