"""Series across rounds: the figure mapping between rounds, the trend (page, command, API)."""

from __future__ import annotations

import csv
import io
import json
import math
import re
from datetime import timedelta

import numpy as np
import pytest
from flask import Flask
from flask.testing import FlaskClient
from scipy import stats
from sqlalchemy import select

from surveyapp.cli import cli
from surveyapp.demo.synthetic import AgencyProfile, generate
from surveyapp.extensions import db
from surveyapp.models import AuditEvent, SeriesMapping, Survey, SurveyStatus
from surveyapp.models._types import utcnow
from surveyapp.problems import InputRefused
from surveyapp.results.services import results
from surveyapp.results.services.series import mapping, trend
from surveyapp.scoring import Framework, score
from surveyapp.security import issue_api_token
from tests import factories

PROFILES = {
    2024: {
        "SXD": AgencyProfile(0.55, 0.10, 0.08, 0.45, 0.30, 0.5),
        "STP": AgencyProfile(0.85, 0.01, 0.01, 0.04, 0.90, 0.05),
    },
    2025: {
        "SXD": AgencyProfile(0.60, 0.08, 0.06, 0.35, 0.40, 0.4),
        "STP": AgencyProfile(0.88, 0.01, 0.01, 0.04, 0.90, 0.05),
    },
    2026: {
        "SXD": AgencyProfile(0.92, 0.02, 0.02, 0.08, 0.70, 0.2),
        "STP": AgencyProfile(0.80, 0.02, 0.02, 0.06, 0.80, 0.1),
    },
}
SAMPLE = {"SXD": 80, "STP": 80}
POPULATION = {"SXD": 800, "STP": 400}
TEMPLATES = {2024: "sipas-2017", 2025: "sipas-2017", 2026: "sipas-2023"}


@pytest.fixture()
def series() -> list[Survey]:
    """Three rounds, 2024 → 2025 (SIPAS 2017) → 2026 (SIPAS 2023), answered."""
    factories.province()
    made: list[Survey] = []
    for year, template in TEMPLATES.items():
        created = factories.survey(template=template)
        created.title = f"SIPAS {year}"
        when = utcnow() - timedelta(days=365 * (2026 - year))
        generate(db.session, created, PROFILES[year], POPULATION, SAMPLE, {}, now=when, seed=year)
        if made:
            created.previous_survey_id = made[-1].id
        if year < 2026:
            created.status = SurveyStatus.CLOSED
        made.append(created)
    db.session.commit()
    return made


def _scored(target: Survey, code: str | None = None) -> object:
    """A round's figures scored straight from its arrays (the whole survey or an agency)."""
    arrays = results.load_arrays(db.session, target)
    fw = Framework.from_dict(target.version.document["framework"])
    mask = np.ones(arrays.n, dtype=bool)
    if code is not None:
        mask = arrays.agency_ids == next(a.id for a in target.agencies if a.code == code)
    return score(fw, arrays.answers, arrays.design(), domain=mask)


def _linked(later: str = "sipas-2023", earlier: str = "sipas-2017") -> tuple[Survey, Survey]:
    factories.province()
    before = factories.survey(template=earlier)
    now = factories.survey(template=later)
    now.previous_survey_id = before.id
    db.session.commit()
    return now, before


def test_suggestion_matches_2023_elements_onto_2017_and_leaves_breaks(app: Flask) -> None:
    now, _ = _linked()
    found = mapping.link(db.session, now)
    assert found is not None and not found.edited
    pairs = found.pairs
    assert pairs["elements.svc_access"] == "elements.access"
    assert pairs["elements.svc_civil_servants"] == "elements.civil_servants"
    assert pairs["elements.svc_feedback"] == "elements.feedback"  # wording, not the code
    # The policy group has no 2017 counterpart, and 2023's perceived harassment is not
    # 2017's per-transaction question (SIPAS.md §4): breaks.
    assert pairs["elements.pol_quality"] is None
    assert pairs["indicators.harassment_perceived"] is None
    assert "elements.pol_impact" in found.breaks
    # Criteria worded alike are matched one to one.
    assert pairs["criteria.q9_21"] == "criteria.proc_fees_lawful"
    matched = [p for f, p in pairs.items() if p is not None]
    assert len(matched) == len(set(matched))


def test_suggestion_between_rounds_of_one_questionnaire_is_the_identity(app: Flask) -> None:
    now, _ = _linked("sipas-2017", "sipas-2017")
    found = mapping.link(db.session, now)
    assert found is not None
    assert all(f == p for f, p in found.pairs.items())
    assert found.breaks == []


def test_saved_mapping_replaces_the_suggestion_and_is_audited(app: Flask) -> None:
    now, before = _linked()
    admin = factories.user()
    chosen = dict(mapping.link(db.session, now).pairs)  # type: ignore[union-attr]
    chosen["elements.pol_quality"] = "elements.procedures"
    chosen["elements.svc_procedures"] = None
    mapping.save(db.session, now, chosen, actor_id=admin.id)
    db.session.commit()
    found = mapping.link(db.session, now)
    assert found is not None and found.edited
    assert found.pairs["elements.pol_quality"] == "elements.procedures"
    assert found.pairs["elements.svc_procedures"] is None
    rows = db.session.scalars(select(SeriesMapping).where(SeriesMapping.survey_id == now.id))
    assert {r.previous_survey_id for r in rows} == {before.id}
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "survey.series_mapped"))
    assert event is not None and event.actor_id == admin.id
    assert "elements.svc_procedures" in event.details["breaks"]

    mapping.reset(db.session, now, actor_id=admin.id)
    db.session.commit()
    again = mapping.link(db.session, now)
    assert again is not None and not again.edited
    assert again.pairs["elements.svc_procedures"] == "elements.procedures"


def test_bad_mapping_is_refused_whole_saying_where(app: Flask) -> None:
    now, _ = _linked()
    chosen = {
        "elements.nope": None,
        "elements.svc_access": "criteria.acc_seats",  # another kind
        "elements.svc_results": "elements.unknown",
        "elements.svc_procedures": "elements.access",
        "elements.svc_feedback": "elements.access",  # used twice
    }
    with pytest.raises(InputRefused) as refused:
        mapping.save(db.session, now, chosen, actor_id=None)
    where = [str(p.where) for p in refused.value.problems]
    assert where == [
        "elements.nope",
        "elements.svc_access",
        "elements.svc_results",
        "elements.svc_feedback",
    ]
    assert "already continues" in str(refused.value.problems[-1].message)
    db.session.rollback()
    assert db.session.scalar(select(SeriesMapping)) is None


def test_trend_lists_every_round_oldest_first_with_mapped_figures_and_tests(
    app: Flask, series: list[Survey]
) -> None:
    first, middle, last = series
    body = trend.build(db.session, last, focus=None, viewer=None, lang="en").as_dict()
    assert list(body) == ["survey", "rounds"] and body["survey"] == last.id
    assert [r["survey"] for r in body["rounds"]] == [first.id, middle.id, last.id]
    assert all(
        list(r) == ["survey", "title", "period", "n", "overall", "elements", "indicators"]
        for r in body["rounds"]
    )
    assert body["rounds"][0]["title"] == "SIPAS 2024"
    assert body["rounds"][0]["period"][:4] == str(utcnow().year - 2)
    assert [r["n"] for r in body["rounds"]] == [160, 160, 160]
    expected = [_scored(s) for s in series]
    for r, want in zip(body["rounds"], expected, strict=True):
        assert r["overall"]["value"] == pytest.approx(want.overall.value)  # type: ignore[attr-defined]
        assert r["overall"]["se"] == pytest.approx(want.overall.se)  # type: ignore[attr-defined]
    # 2023's service elements continue 2017's; the policy ones are breaks before 2026.
    access = [r["elements"]["svc_access"] for r in body["rounds"]]
    assert access[0]["value"] == pytest.approx(expected[0].elements["access"].value)  # type: ignore[attr-defined]
    assert access[2]["value"] == pytest.approx(expected[2].elements["svc_access"].value)  # type: ignore[attr-defined]
    assert [r["elements"]["pol_quality"] is None for r in body["rounds"]] == [True, True, False]
    assert body["rounds"][2]["elements"]["pol_quality"]["change"] is None
    assert body["rounds"][1]["indicators"]["harassment_perceived"] is None
    # The change from the round before: z on the difference, the SEs combined.
    a, b = expected[2].overall, expected[1].overall  # type: ignore[attr-defined]
    z = (a.value - b.value) / math.sqrt(a.se**2 + b.se**2)
    change = body["rounds"][2]["overall"]["change"]
    assert change["z"] == pytest.approx(z)
    assert change["p_value"] == pytest.approx(2 * stats.norm.sf(abs(z)))
    assert change["significant"] is (abs(z) > 1.959964)
    assert body["rounds"][0]["overall"]["change"] is None


def test_trend_of_an_agency_and_its_rank_over_the_years(app: Flask, series: list[Survey]) -> None:
    last = series[-1]
    construction = next(a for a in last.agencies if a.code == "SXD")
    built = trend.build(db.session, last, focus=construction, viewer=construction, lang="en")
    values = [r.overall.estimate.value for r in built.rounds]
    assert values == pytest.approx([_scored(s, "SXD").overall.value for s in series])  # type: ignore[attr-defined]
    assert [a.code for a in built.agencies] == ["SXD"]
    # Construction climbs from last of two to first (profiles 0.55, 0.60, 0.92).
    assert [(r.ranks[construction.id].rank, r.ranks[construction.id].of) for r in built.rounds] == [
        (2, 2),
        (2, 2),
        (1, 2),
    ]


def test_trend_command_prints_json_csv_and_a_table(app: Flask, series: list[Survey]) -> None:
    last = series[-1]
    runner = app.test_cli_runner()
    out = runner.invoke(cli, ["trend", str(last.id), "--format", "json"])
    assert out.exit_code == 0, out.output
    body = json.loads(out.stdout)
    assert body == trend.build(db.session, last, focus=None, viewer=None, lang="en").as_dict()

    out = runner.invoke(cli, ["trend", str(last.id), "--format", "csv"])
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    quality = [r for r in rows if r["id"] == "pol_quality"]
    assert [r["value"] == "" for r in quality] == [True, True, False]  # breaks: empty cells
    overall = [r for r in rows if r["level"] == "overall"]
    assert [int(r["survey"]) for r in overall] == [s.id for s in series]
    assert overall[2]["significant"] in ("True", "False") and overall[0]["z"] == ""

    out = runner.invoke(cli, ["trend", str(last.id)])
    assert out.exit_code == 0
    assert "3 rounds, oldest first" in out.output
    assert "break in the series" in out.output
    assert "z on the difference" in out.output

    out = runner.invoke(cli, ["trend", "999999"])
    assert out.exit_code == 1 and "no survey 999999" in out.output


def _cells(html: str, figure: str) -> list[str]:
    row = re.search(rf'<tr data-figure="{re.escape(figure)}">(.*?)</tr>', html, re.S)
    assert row, figure
    return re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)


def test_trend_page_shows_rounds_breaks_changes_ranks_and_the_method(
    client: FlaskClient, series: list[Survey]
) -> None:
    factories.user()
    factories.login(client)
    first, middle, last = series
    dashboard = client.get(f"/results/{last.id}?lang=en").text
    assert f'href="/results/{last.id}/trend" data-link="trend"' in dashboard
    page = client.get(f"/results/{last.id}/trend?lang=en")
    assert page.status_code == 200
    html = page.text
    rounds = re.findall(r'<tr data-survey="(\d+)">', html)
    assert rounds == [str(first.id), str(middle.id), str(last.id)]
    want = [_scored(s).overall for s in series]  # type: ignore[attr-defined]
    for estimate in want:
        assert f"{estimate.value * 100:.2f}%" in html
    # A policy element (no 2017 counterpart) is a break in the two older rounds.
    quality = _cells(html, "elements.pol_quality")
    assert ["no matching figure" in c for c in quality] == [True, True, False]
    access = _cells(html, "elements.svc_access")
    assert all("no matching figure" not in c for c in access)
    assert 'id="trend-criteria"' in html and 'data-figure="criteria.q9_21"' in html
    criterion = _cells(html, "criteria.q9_01")  # a policy criterion: unmatched, a break
    assert ["no matching figure" in c for c in criterion] == [True, True, False]
    ranks = re.search(r'<tr data-agency="SXD">(.*?)</tr>', html, re.S)
    assert ranks and re.findall(r'data-metric="rank">([^<]*)<', ranks.group(1)) == [
        "2 of 2",
        "2 of 2",
        "1 of 2",
    ]
    assert f'href="/results/{last.id}/series"' in html  # an admin may edit the mapping
    method = html[html.index('id="method"') :]
    assert "|z| > 1.96" in method and "independent samples" in method


def test_department_user_sees_only_its_agency_on_the_trend(
    client: FlaskClient, series: list[Survey]
) -> None:
    last = series[-1]
    construction = next(a for a in last.agencies if a.code == "SXD")
    factories.user("sxd@example.org", "designer", construction)
    factories.login(client, "sxd@example.org")
    html = client.get(f"/results/{last.id}/trend?lang=en").text
    want = [_scored(s, "SXD").overall.value for s in series]  # type: ignore[attr-defined]
    for value in want:
        assert f"{value * 100:.2f}%" in html
    assert "Justice" not in html and 'data-agency="STP"' not in html
    assert "All agencies" not in html
    assert f"/results/{last.id}/series" not in html  # the mapping is the province's
    assert client.get(f"/results/{last.id}/trend?agency=STP").status_code == 404
    assert client.get(f"/results/{last.id}/series").status_code == 404


def test_designer_edits_the_mapping_and_the_dashboard_compares_through_it(
    client: FlaskClient, series: list[Survey]
) -> None:
    factories.user()
    factories.login(client)
    middle, last = series[1], series[2]
    editor = client.get(f"/results/{last.id}/series?lang=en").text
    assert "suggested from the item codes and wording" in editor
    assert re.search(
        r'name="map:elements.svc_access">.*?<option value="elements.access" selected>',
        editor,
        re.S,
    )
    fields = {
        k: v
        for k, v in re.findall(
            r'<select id="[^"]+" name="(map:[^"]+)">.*?<option value="([^"]*)"[^>]* selected>',
            editor,
            re.S,
        )
    }
    assert fields["map:elements.pol_quality"] == ""
    fields["map:elements.svc_access"] = ""  # now a break
    fields["map:elements.pol_quality"] = "elements.access"
    saved = client.post(
        f"/results/{last.id}/series",
        data={**fields, "action": "save", "csrf_token": factories.csrf_from(editor)},
    )
    assert saved.status_code == 303 and saved.headers["Location"].endswith(f"/{last.id}/trend")
    html = client.get(f"/results/{last.id}/trend?lang=en").text
    assert ["no matching figure" in c for c in _cells(html, "elements.svc_access")] == [
        True,
        True,
        False,
    ]
    then = _scored(middle).elements["access"]  # type: ignore[attr-defined]
    assert f"{then.value * 100:.2f}%" in _cells(html, "elements.pol_quality")[1]

    # The dashboard's change column reads last round through the same mapping.
    dashboard = client.get(f"/results/{last.id}?lang=en").text
    elements = dashboard[dashboard.index('id="elements"') : dashboard.index('id="criteria"')]
    row = next(r for r in re.findall(r"<tr>.*?</tr>", elements, re.S) if "Quality of" in r)
    assert f"was {then.value * 100:.2f}%" in row
    now = _scored(last).overall  # type: ignore[attr-defined]
    was = _scored(middle).overall  # type: ignore[attr-defined]
    change = re.search(r'data-metric="change">(.*?)</div>', dashboard, re.S)
    assert change and f"was {was.value * 100:.2f}%" in change.group(1)
    assert f"{(now.value - was.value) * 100:+.2f} points" in change.group(1)

    refused = client.post(
        f"/results/{last.id}/series",
        data={
            "map:elements.svc_results": "elements.nope",
            "action": "save",
            "csrf_token": factories.csrf_from(editor),
        },
        follow_redirects=True,
    )
    assert "has no figure" in refused.text
    back = client.post(
        f"/results/{last.id}/series",
        data={"action": "reset", "csrf_token": factories.csrf_from(editor)},
    )
    assert back.status_code == 303
    assert mapping.link(db.session, last).edited is False  # type: ignore[union-attr]


def test_api_trend_is_the_command_s_json_within_the_token_s_scope(
    client: FlaskClient, series: list[Survey]
) -> None:
    last = series[-1]
    construction = next(a for a in last.agencies if a.code == "SXD")
    province = factories.user()
    department = factories.user("sxd@example.org", "analyst", construction)
    headers = {}
    for who in (province, department):
        headers[who.email] = {"Authorization": f"Bearer {issue_api_token(db.session, who)}"}
    db.session.commit()

    whole = client.get(f"/api/v1/surveys/{last.id}/trend", headers=headers[province.email])
    assert whole.status_code == 200
    assert (
        whole.get_json()
        == trend.build(db.session, last, focus=None, viewer=None, lang="en").as_dict()
    )

    own = client.get(f"/api/v1/surveys/{last.id}/trend", headers=headers[department.email])
    body = own.get_json()
    assert [r["survey"] for r in body["rounds"]] == [s.id for s in series]
    assert [r["overall"]["value"] for r in body["rounds"]] == pytest.approx(
        [_scored(s, "SXD").overall.value for s in series]  # type: ignore[attr-defined]
    )
    assert [r["n"] for r in body["rounds"]] == [80, 80, 80]
    refused = client.get(
        f"/api/v1/surveys/{last.id}/trend?agency=STP", headers=headers[department.email]
    )
    assert refused.status_code == 404
    assert client.get(f"/api/v1/surveys/{last.id}/trend").status_code == 401
