"""The dashboard's filters, the previous period and the cache of built pages."""

from __future__ import annotations

import math
import re
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from surveyapp import pdf as pdf_files
from surveyapp.demo.synthetic import AgencyProfile, generate
from surveyapp.extensions import db
from surveyapp.models import AuditEvent, FrameUnit, Response, Survey, SurveyMode, SurveyStatus
from surveyapp.models._types import utcnow
from surveyapp.results.services import dashboard, results
from surveyapp.results.views.results import result_cache
from surveyapp.scoring import Framework, score
from tests import factories

NOW_PROFILES = {
    "SXD": AgencyProfile(0.80, 0.04, 0.04, 0.10, 0.60, 0.3),
    "STP": AgencyProfile(0.90, 0.01, 0.01, 0.04, 0.90, 0.05),
}
THEN_PROFILES = {
    "SXD": AgencyProfile(0.55, 0.10, 0.08, 0.45, 0.30, 0.5),
    "STP": AgencyProfile(0.90, 0.01, 0.01, 0.04, 0.90, 0.05),
}
SAMPLE = {"SXD": 120, "STP": 120}
POPULATION = {"SXD": 1200, "STP": 600}
FIELDS = {"SXD": ("Xây dựng", "Nhà ở"), "STP": ("Hộ tịch",)}


@pytest.fixture(autouse=True)
def _fresh_cache(app: Flask) -> None:
    result_cache().clear()


@pytest.fixture()
def survey() -> Survey:
    factories.province()
    created = factories.survey(codes=("SXD", "STP"))
    generate(
        db.session,
        created,
        NOW_PROFILES,
        POPULATION,
        SAMPLE,
        {},
        now=utcnow(),
        seed=11,
        service_fields=FIELDS,
    )
    db.session.commit()
    return created


@pytest.fixture()
def previous(survey: Survey) -> Survey:
    last_year = utcnow() - timedelta(days=365)
    created = factories.survey(codes=("SXD", "STP"))
    generate(db.session, created, THEN_PROFILES, POPULATION, SAMPLE, {}, now=last_year, seed=12)
    created.status = SurveyStatus.CLOSED
    db.session.commit()
    return created


def _expected(target: Survey, mask: np.ndarray) -> float:
    """The overall index of a domain, scored straight from the arrays."""
    arrays = results.load_arrays(db.session, target)
    fw = Framework.from_dict(target.version.document["framework"])
    return score(fw, arrays.answers, arrays.design(), domain=mask).overall.value


def _ids(target: Survey, *where: object) -> set[int]:
    return set(
        db.session.scalars(select(Response.id).where(Response.survey_id == target.id, *where))
    )


def test_filters_are_one_domain_and_stay_in_the_url(client: FlaskClient, survey: Survey) -> None:
    """Service field and a respondent characteristic and a period, all at once: the
    figures are those of the rows meeting every condition, scored in the whole design."""
    factories.user()
    factories.login(client)
    arrays = results.load_arrays(db.session, survey)
    units = {
        rid: code
        for rid, code in db.session.execute(
            select(Response.id, Response.dossier_code).where(Response.survey_id == survey.id)
        )
    }
    field_of = {
        code: name
        for code, name in db.session.execute(
            select(FrameUnit.dossier_code, FrameUnit.service_field).where(
                FrameUnit.survey_id == survey.id
            )
        )
    }
    in_field = np.array([field_of[units[int(r)]] == "Nhà ở" for r in arrays.response_ids])
    women = arrays.answers["gender"] == 2
    mask = in_field & women
    assert 10 <= mask.sum() < arrays.n
    value = _expected(survey, mask)

    page = client.get(
        f"/results/{survey.id}?lang=en&field=Nh%C3%A0+%E1%BB%9F&c_gender=2"
        "&from=2000-01-01&to=2100-12-31"
    )
    assert page.status_code == 200
    assert re.search(rf'data-metric="responses">{int(mask.sum())}<', page.text)
    assert f"{value * 100:.2f}%" in page.text
    assert '<option value="Nhà ở" selected>' in page.text
    assert 'name="from" value="2000-01-01"' in page.text
    summary = re.search(r"<p class=\"filter-summary\"[^>]*>(.*?)</p>", page.text, re.S)
    assert summary and "Service field: Nhà ở" in summary.group(1)
    assert "Gender: Female" in summary.group(1)

    # A period before any answer keeps nobody: no figure is published.
    empty = client.get(f"/results/{survey.id}?lang=en&to=2000-01-01").text
    assert re.search(r'data-metric="responses">0<', empty)
    assert re.search(r'data-metric="overall">–<', empty)


def test_bad_filter_values_are_named_and_ignored(client: FlaskClient, survey: Survey) -> None:
    factories.user()
    factories.login(client)
    everyone = _expected(survey, np.ones(len(_ids(survey)), dtype=bool))
    page = client.get(
        f"/results/{survey.id}?lang=en&from=2026-13-01&c_gender=99&channel=fax&field=Nope"
    )
    assert page.status_code == 400
    alert = page.text[page.text.index('role="alert"') :]
    alert = alert[: alert.index("</div>")]
    assert "Submitted from: “2026-13-01” is not a date" in alert
    assert "Respondent characteristic: “99” is not one of the choices" in alert
    assert "Channel: “fax”" in alert and "Service field: “Nope”" in alert
    assert f"{everyone * 100:.2f}%" in page.text  # nothing was filtered

    reversed_dates = client.get(f"/results/{survey.id}?lang=en&from=2026-05-02&to=2026-05-01")
    assert reversed_dates.status_code == 400
    assert "the end date is before the start date" in reversed_dates.text


def test_previous_period_is_linked_audited_and_compared(
    client: FlaskClient, survey: Survey, previous: Survey
) -> None:
    admin = factories.user()
    factories.login(client)
    detail = client.get(f"/surveys/{survey.id}?lang=en").text
    assert f'<option value="{previous.id}">' in detail
    saved = client.post(
        f"/results/{survey.id}/previous",
        data={"previous": str(previous.id), "csrf_token": factories.csrf_from(detail)},
    )
    assert saved.status_code == 303
    db.session.refresh(survey)
    assert survey.previous_survey_id == previous.id
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "survey.previous_set"))
    assert event is not None and event.actor_id == admin.id
    assert event.details == {"previous": previous.id, "was": None}

    now_value = _expected(survey, np.ones(len(_ids(survey)), dtype=bool))
    then_value = _expected(previous, np.ones(len(_ids(previous)), dtype=bool))
    page = client.get(f"/results/{survey.id}?lang=en").text
    change = re.search(r'data-metric="change">(.*?)</div>', page, re.S)
    assert change, "the overall index shows its change"
    diff = (now_value - then_value) * 100
    assert f"+{diff:.2f} points since last period" in change.group(1)
    assert f"was {then_value * 100:.2f}%" in change.group(1)
    assert "a real change" in change.group(1)  # 0.55 → 0.80 in Construction is no chance
    agencies = page[page.index('id="agencies"') :]
    construction = next(
        r for r in re.findall(r"<tr.*?</tr>", agencies, re.S) if "Construction" in r
    )
    assert "pts<sup>†</sup>" in construction


def test_previous_period_may_use_another_questionnaire_but_never_follow(
    client: FlaskClient, survey: Survey
) -> None:
    """SIPAS 2017 → 2023 is one series (the series mapping matches the figures); a round
    that already follows this survey cannot become its previous one (no cycles)."""
    factories.user()
    factories.login(client)
    other = factories.survey(template="sipas-2023")
    detail = client.get(f"/surveys/{survey.id}?lang=en").text
    assert f'<option value="{other.id}">' in detail
    saved = client.post(
        f"/results/{survey.id}/previous",
        data={"previous": str(other.id), "csrf_token": factories.csrf_from(detail)},
    )
    assert saved.status_code == 303
    db.session.refresh(survey)
    assert survey.previous_survey_id == other.id
    other_detail = client.get(f"/surveys/{other.id}?lang=en").text
    assert f'<option value="{survey.id}">' not in other_detail
    refused = client.post(
        f"/results/{other.id}/previous",
        data={"previous": str(survey.id), "csrf_token": factories.csrf_from(other_detail)},
        follow_redirects=True,
    )
    assert "must not follow this survey" in refused.text
    db.session.refresh(other)
    assert other.previous_survey_id is None
    # A PAR INDEX cross-evaluation is another series altogether.
    officials = factories.survey(template="par-officials", mode=SurveyMode.OFFICIALS)
    assert f'<option value="{officials.id}">' not in client.get(f"/surveys/{survey.id}").text


def _without_csrf(html: str) -> str:
    return re.sub(r'(name="csrf_token"[^>]*value=)"[^"]*"', r"\1", html)


def test_built_pages_are_reused_until_the_data_changes(
    client: FlaskClient, survey: Survey, monkeypatch: pytest.MonkeyPatch
) -> None:
    factories.user()
    factories.login(client)
    built = []
    real = dashboard.build

    def counting(*args: object, **kwargs: object) -> dashboard.Dashboard:
        built.append(kwargs.get("filters"))
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(dashboard, "build", counting)
    first = client.get(f"/results/{survey.id}?lang=en").text
    second = client.get(f"/results/{survey.id}?lang=en").text
    assert _without_csrf(second) == _without_csrf(first)  # tokens carry their second
    assert len(built) == 1
    client.get(f"/results/{survey.id}?lang=en&channel=web")
    assert len(built) == 2  # other filters, other page

    # Reweighting changes every figure: the next page is built again, with new values.
    db.session.execute(
        update(Response)
        .where(Response.survey_id == survey.id, Response.agency_id == survey.agencies[0].id)
        .values(weight=Response.weight * 3, updated_at=utcnow())
    )
    db.session.commit()
    again = client.get(f"/results/{survey.id}?lang=en").text
    assert len(built) == 3
    value = _expected(survey, np.ones(len(_ids(survey)), dtype=bool))
    assert f"{value * 100:.2f}%" in again
    assert not math.isnan(value)


def test_agency_report_is_printable_with_points_priorities_and_change(
    client: FlaskClient, survey: Survey, previous: Survey
) -> None:
    factories.user()
    factories.login(client)
    survey.previous_survey_id = previous.id
    db.session.commit()
    arrays = results.load_arrays(db.session, survey)
    construction = next(a for a in survey.agencies if a.code == "SXD")
    index = _expected(survey, arrays.agency_ids == construction.id)
    page = client.get(f"/results/{survey.id}/agencies/SXD/report?lang=en")
    assert page.status_code == 200
    assert "css/report.css" in page.text and "js/print.js" in page.text
    assert f"{index * 100:.2f}%" in page.text
    # QĐ 766: 6 × min(index / 0.90, 1), two decimals.
    points = re.search(r'data-metric="rate-points">([\d.]+) / 6<', page.text)
    assert points and float(points.group(1)) == pytest.approx(round(6 * min(index / 0.9, 1), 2))
    priorities = page.text[page.text.index('id="priorities"') : page.text.index('id="elements"')]
    assert len(re.findall(r'<th scope="row">', priorities)) == 5
    assert re.search(r'data-metric="change">\+\d', page.text)  # better than last year
    assert "Justice" not in priorities


def test_agency_report_pdf_is_a4_with_vietnamese_text(
    client: FlaskClient, survey: Survey, tmp_path: Path
) -> None:
    """Read back with poppler's pdftotext/pdfinfo (skipped where those are missing)."""
    if not pdf_files.available() or not shutil.which("pdftotext"):
        pytest.skip("needs WeasyPrint (the pdf extra) and poppler-utils")
    factories.user()
    factories.login(client)
    page = client.get(f"/results/{survey.id}/agencies/SXD/report?lang=vi").text
    assert "/agencies/SXD/report.pdf" in page
    answer = client.get(f"/results/{survey.id}/agencies/SXD/report.pdf?lang=vi")
    assert answer.status_code == 200
    assert answer.mimetype == "application/pdf"
    path = tmp_path / "report.pdf"
    path.write_bytes(answer.data)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    assert "(A4)" in info.stdout
    text = subprocess.run(
        ["pdftotext", "-raw", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Báo cáo kết quả khảo sát sự hài lòng: Sở Xây dựng" in " ".join(text.split())
    assert "Ưu tiên cải thiện" in text
    assert "Đăng xuất" not in text  # the page's navigation is not printed
    assert client.get(f"/results/{survey.id}/agencies/NOPE/report.pdf").status_code == 404
