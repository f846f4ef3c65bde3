"""A respondent page filled in from its stencil is exactly the page Jinja renders whole."""

from __future__ import annotations

from typing import Any
from unittest.mock import patch

import pytest
from flask import Flask, render_template

from surveyapp.collect.services.visits import AgencyFacts, SurveyFacts
from surveyapp.forms import stencil
from surveyapp.forms.fields import MARK
from surveyapp.forms.page import render_page
from surveyapp.questionnaire.document import WELCOME, Questionnaire
from surveyapp.questionnaire.templates import load_template

AGENCY = AgencyFacts(7, "SXD", "Sở Xây dựng <&>", "Department of Construction")
OTHER = AgencyFacts(8, "STP", "Sở Tư pháp", "Department of Justice")
# The ways of answering a page is drawn for (collect.views.pages._render).
WAYS: dict[str, dict[str, Any]] = {
    "link": {},
    "open": {"open_link": True},
    "kiosk": {
        "kiosk": True,
        "kiosk_start": "/o/1/SXD/kiosk",
        "dossier_code": 'H56-"1"&<2>',
        "idle_seconds": 90,
        "notice": "The previous visit was left idle.",
    },
    "kiosk-error": {"kiosk": True, "dossier_code": "a b", "dossier_error": True},
    "official": {"official": True, "home": "/officials"},
    "buttons": {"error": "Please use the buttons on the page."},
}


def _context(way: str, agency: AgencyFacts) -> dict[str, Any]:
    return {
        "survey": SurveyFacts(1, 1, anonymous=False),
        "agency": agency,
        "kiosk": False,
        "home": None,
        "official": False,
        "paper": False,
        "open_link": False,
        "error": None,
        "dossier_code": "",
        "dossier_error": False,
        "kiosk_start": "",
        "notice": None,
        "lang_form": "answers",
        "idle_seconds": None,
        **WAYS[way],
    }


def _whole(q: Questionnaire, page: str, answers: dict[str, Any], here: str, **context: Any) -> str:
    """The page as ``render_page`` would draw it without a stencil."""
    with patch("surveyapp.forms.page.page_html", _render_whole):
        return render_page(q, page, answers, _path(q), here, **context)


def _render_whole(template: str, q: Questionnaire, variables: dict[str, Any]) -> str:
    return render_template(template, **variables)


def _path(q: Questionnaire) -> list[str]:
    return [WELCOME, *(s["id"] for s in q.sections)]


@pytest.mark.parametrize("lang", ["vi", "en"])
@pytest.mark.parametrize("way", list(WAYS))
def test_a_filled_page_equals_the_whole_render(app: Flask, lang: str, way: str) -> None:
    q = Questionnaire(load_template("sipas-2017"))
    with app.test_request_context(f"/?lang={lang}"):
        for agency in (AGENCY, OTHER):
            for page in _path(q):
                answers = {"trips": 2} if page != WELCOME else {}
                for token in ("abc", "x&y<z>"):  # a second respondent fills the same stencil
                    here = f"/s/{token}"
                    context = _context(way, agency)
                    drawn = render_page(q, page, answers, _path(q), here, **context)
                    assert drawn == _whole(q, page, answers, here, **context), (page, token)
                    assert MARK not in drawn
    assert len(stencil._pages[q]) == 2 * len(_path(q))  # one per agency and page


def test_another_respondents_values_never_show(app: Flask) -> None:
    q = Questionnaire(load_template("sipas-2017"))
    with app.test_request_context("/"):
        first = render_page(q, WELCOME, {}, _path(q), "/s/first", **_context("kiosk", AGENCY))
        context = {**_context("kiosk", AGENCY), "dossier_code": "SECOND-1"}
        second = render_page(q, WELCOME, {}, _path(q), "/s/second", **context)
    assert "/s/first" in first and "/s/first" not in second
    assert "SECOND-1" in second and "SECOND-1" not in first


def test_a_text_holding_the_marker_character_is_rendered_whole(app: Flask) -> None:
    odd = AgencyFacts(9, "ODD", f"Sở {MARK} lạ", "Odd")
    q = Questionnaire(load_template("sipas-2017"))
    with app.test_request_context("/"):
        context = _context("link", odd)
        for _ in range(2):
            drawn = render_page(q, WELCOME, {}, _path(q), "/s/t", **context)
            assert drawn == _whole(q, WELCOME, {}, "/s/t", **context)
    assert list(stencil._pages[q].values()) == [None]


def test_the_least_recently_used_page_goes_when_full(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stencil, "MAX_PAGES_PER_QUESTIONNAIRE", 3)
    q = Questionnaire(load_template("sipas-2017"))
    pages = _path(q)[:4]
    with app.test_request_context("/"):
        for page in [*pages[:3], pages[0], pages[3]]:  # the first is used again, then a 4th
            render_page(q, page, {}, _path(q), "/s/t", **_context("link", AGENCY))
    kept = [dict(key[4:])["page"] for key in stencil._pages[q]]
    assert kept == [pages[2], pages[0], pages[3]]
