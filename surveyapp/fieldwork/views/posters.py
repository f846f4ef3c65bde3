"""Printables for the field: counter posters of an open survey (each agency's open link
and kiosk link with a QR code, an A4 poster for the counter) and the blank questionnaire
to hand out on paper and key in later.

They speak to citizens, so they are in Vietnamese whatever the staff member reads. The
browser prints posters (one agency per sheet), as it prints the invitation letters; the
questionnaire is also a PDF file, rendered as the agency report is.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, render_template, request
from flask_babel import force_locale

from surveyapp import pdf as pdf_files
from surveyapp.fieldwork.services import paper_form
from surveyapp.models import Agency, Survey
from surveyapp.models._types import utcnow
from surveyapp.qr import qr_svg
from surveyapp.security import current_scope, requires, visible_survey
from surveyapp.surveys.services import rounds, surveys

bp = Blueprint("posters", __name__, url_prefix="/surveys")
POSTER_LANGUAGE = "vi"


def open_link(survey: Survey, agency: Agency, *, kiosk: bool = False) -> str:
    """The agency's open link (or its counter tablet's) as printed: the server's address."""
    tail = "/kiosk" if kiosk else ""
    return f"{current_app.config['BASE_URL']}/o/{survey.id}/{agency.code}{tail}"


def short(url: str) -> str:
    """The link as people type it: no scheme."""
    parts = urlsplit(url)
    return f"{parts.netloc}{parts.path}"


@bp.get("/<int:survey_id>/posters")
@requires("field")
def index(survey_id: int) -> Any:
    """Every agency's links, to copy, open on the counter tablet or print as a poster."""
    survey = _open_survey(survey_id)
    return render_template(
        "posters/index.html",
        survey=survey,
        agencies=current_scope().agencies(survey),
        open_link=open_link,
        short=short,
        qr=qr_svg,
        round=rounds.of(survey, utcnow()),
    )


@bp.get("/<int:survey_id>/posters/print")
@requires("field")
def printable(survey_id: int) -> Any:
    """A4 posters, one agency per sheet: ``?agency=CODE`` for one, else all in scope."""
    survey = _open_survey(survey_id)
    scope = current_scope()
    code = request.args.get("agency")
    chosen = [scope.survey_agency(survey, code)] if code else scope.agencies(survey)
    with force_locale(POSTER_LANGUAGE):
        return render_template(
            "posters/print.html",
            survey=survey,
            agencies=chosen,
            title=surveys.document_of(survey.version).title(POSTER_LANGUAGE),
            minutes=survey.version.document.get("estimated_minutes"),
            open_link=open_link,
            short=short,
            qr=qr_svg,
            poster_lang=POSTER_LANGUAGE,
        )


@bp.get("/<int:survey_id>/questionnaire/print")
@requires("field")
def blank_questionnaire(survey_id: int) -> Any:
    """The blank paper questionnaire to print; ``?agency=CODE`` puts the agency's name on it."""
    return _blank_questionnaire(survey_id, pdf=False)


@bp.get("/<int:survey_id>/questionnaire.pdf")
@requires("field")
def blank_questionnaire_pdf(survey_id: int) -> Any:
    """The same questionnaire as an A4 PDF file (404 where WeasyPrint cannot run)."""
    if not pdf_files.available():
        abort(404)
    html = _blank_questionnaire(survey_id, pdf=True)
    return pdf_files.download(html, f"questionnaire-{survey_id}.pdf")


def _blank_questionnaire(survey_id: int, *, pdf: bool) -> str:
    survey = visible_survey(survey_id)
    if not surveys.features(survey).citizens:
        abort(404)  # officials rate after signing in; there is no paper form of that
    code = request.args.get("agency")
    agency = current_scope().survey_agency(survey, code) if code else None
    document = surveys.document_of(survey.version)
    with force_locale(POSTER_LANGUAGE):
        return render_template(
            "posters/questionnaire.html",
            survey=survey,
            agency=agency,
            title=document.title(POSTER_LANGUAGE),
            description=document.text(document.doc.get("description"), POSTER_LANGUAGE),
            minutes=document.doc.get("estimated_minutes"),
            parts=paper_form.layout(document, POSTER_LANGUAGE),
            paper_lang=POSTER_LANGUAGE,
            pdf=pdf,
            pdf_available=pdf_files.available(),
        )


def _open_survey(survey_id: int) -> Survey:
    survey = visible_survey(survey_id)
    features = surveys.features(survey)
    if not features.citizens or features.invitations:
        abort(404)  # invitation links are personal: they go out as letters, not posters
    return survey
