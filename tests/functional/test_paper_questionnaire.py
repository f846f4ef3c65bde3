"""The blank questionnaire for paper: every question numbered in the keying-in order, its
codes and boxes, skip rules in words, in Vietnamese; the same page as an A4 PDF."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from surveyapp import pdf as pdf_files
from surveyapp.models import SurveyMode
from surveyapp.questionnaire.document import Questionnaire
from tests import factories


def _staff(client: FlaskClient, scope: str | None = None) -> None:
    province = factories.province()
    factories.user("field@example.org", "fieldwork", province[scope] if scope else None)
    factories.login(client, "field@example.org")


def test_every_question_in_order_with_its_codes_and_skip_rules(client: FlaskClient) -> None:
    _staff(client)
    survey = factories.survey(("SXD", "STP"))
    q = Questionnaire(survey.version.document)
    client.get("/?lang=en")  # the staff reads English; the citizen's form stays Vietnamese
    page = client.get(f"/surveys/{survey.id}/questionnaire/print?agency=SXD")
    assert page.status_code == 200
    assert "Sở Xây dựng" in page.text and "Sở Tư pháp" not in page.text

    numbers = [int(n) for n in re.findall(r'<span class="qno">(\d+)\.</span>', page.text)]
    assert numbers == list(range(1, len(q.answerable_items) + 1))
    for number, item in enumerate(q.answerable_items, start=1):
        label = q.label(item, "vi")
        assert f'<span class="qno">{number}.</span> {label}' in page.text.replace("&#39;", "'")

    # A question shown only after a given answer says so, naming the question and code.
    numbers_by_id = {i["id"]: n for n, i in enumerate(q.answerable_items, start=1)}
    ruled = next(i for i in q.answerable_items if "eq" in (i.get("show_when") or {}))
    source, code = ruled["show_when"]["eq"]
    answer = q.option_label(source, code, "vi")
    expected = f"Chỉ trả lời nếu câu {numbers_by_id[source]} là {code} “{answer}”."
    assert expected in page.text.replace("&#34;", '"')

    boxes = page.text.count('<span class="box"></span>')
    choices = sum(len(q.options(i["id"])) for i in q.answerable_items)
    assert boxes >= choices  # a box for every option of every choice question
    assert "/questionnaire.pdf?agency=SXD" in page.text or not pdf_files.available()
    assert (
        f"/surveys/{survey.id}/questionnaire/print"
        in client.get(f"/surveys/{survey.id}/paper").text
    )


def test_a_department_prints_only_its_own_agency(client: FlaskClient) -> None:
    _staff(client, scope="SXD")
    survey = factories.survey(("SXD", "STP"))
    assert client.get(f"/surveys/{survey.id}/questionnaire/print?agency=STP").status_code == 404
    assert client.get(f"/surveys/{survey.id}/questionnaire/print").status_code == 200


def test_officials_surveys_have_no_paper_form(client: FlaskClient) -> None:
    _staff(client)
    survey = factories.survey(mode=SurveyMode.OFFICIALS)
    assert client.get(f"/surveys/{survey.id}/questionnaire/print").status_code == 404


def test_the_pdf_is_a4_in_vietnamese(client: FlaskClient, tmp_path: Path) -> None:
    if not pdf_files.available() or not shutil.which("pdftotext"):
        pytest.skip("needs WeasyPrint with Pango, and poppler's pdftotext")
    _staff(client)
    survey = factories.survey(("SXD",))
    got = client.get(f"/surveys/{survey.id}/questionnaire.pdf?agency=SXD")
    assert got.status_code == 200 and got.mimetype == "application/pdf"
    path = tmp_path / "q.pdf"
    path.write_bytes(got.data)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    assert "pts (A4)" in info.stdout
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout
    assert "SỞ XÂY DỰNG" in text and "Chỉ trả lời nếu câu" in text
