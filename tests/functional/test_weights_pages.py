"""The Weights page and the records check: settings saved and audited, figures, scope."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from surveyapp.extensions import db
from surveyapp.models import Agency, AuditEvent, FrameUnit, Survey
from surveyapp.results.services import triangulation
from surveyapp.surveys.services import agencies
from tests import factories
from tests.functional.test_weights import respond, sample  # noqa: F401 (fixture)

AS_OF = date(2026, 6, 30)


def _page(client: FlaskClient, survey: Survey) -> str:
    response = client.get(f"/surveys/{survey.id}/weights?lang=en")
    assert response.status_code == 200
    return response.text


def test_saving_settings_stores_them_audits_and_shows_the_final_weights(
    client: FlaskClient,
    sample: Survey,  # noqa: F811
) -> None:
    admin = factories.user()
    factories.login(client)
    page = _page(client, sample)
    assert "Weights now used for scoring" in page and "Nonresponse adjustment factors" not in page
    response = client.post(
        f"/surveys/{sample.id}/weights?lang=en",
        data={
            "csrf_token": factories.csrf_from(page),
            "nonresponse": "y",
            "classes": "stratum",
            "targets": "",
            "action": "save",
        },
    )
    assert response.status_code == 303
    stored = db.session.get(Survey, sample.id)
    assert stored is not None and stored.weighting == {
        "nonresponse": True,
        "classes": "stratum",
        "targets": [],
    }
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "survey.weighting")
    ).one()
    assert event.actor_id == admin.id and event.details["before"] is None
    page = _page(client, sample)
    # SXD: base 10 → 15 (f = 1.5); STP: 5 → 10 (f = 2); overall mean of 15, 15, 10.
    assert "1.5000" in page and "2.0000" in page
    assert '<input checked id="nonresponse"' in page


def test_typed_targets_without_header_are_checked_line_by_line_and_nothing_is_saved(
    client: FlaskClient,
    sample: Survey,  # noqa: F811
) -> None:
    factories.user()
    factories.login(client)
    page = _page(client, sample)
    response = client.post(
        f"/surveys/{sample.id}/weights?lang=en",
        data={
            "csrf_token": factories.csrf_from(page),
            "classes": "stratum",
            "targets": "gender,1,100\ngender,9,50\nsex,1,5\n",
            "action": "save",
        },
    )
    assert response.status_code == 200
    assert "nothing was saved" in response.text
    assert "row 2, column category" in response.text  # the second typed line
    assert "row 3, column variable" in response.text
    assert db.session.get(Survey, sample.id).weighting is None  # type: ignore[union-attr]


def test_uploaded_targets_preview_then_save(client: FlaskClient, sample: Survey) -> None:  # noqa: F811
    factories.user()
    factories.login(client)
    page = _page(client, sample)
    csv_bytes = b"variable,category,total\r\ngender,1,100\r\ngender,2,300\r\n"
    data = {
        "csrf_token": factories.csrf_from(page),
        "classes": "stratum",
        "targets": "",
        "action": "preview",
        "targets_file": (io.BytesIO(csv_bytes), "totals.csv"),
    }
    preview = client.post(f"/surveys/{sample.id}/weights?lang=en", data=data)
    assert preview.status_code == 200 and "not saved" in preview.text
    assert db.session.get(Survey, sample.id).weighting is None  # type: ignore[union-attr]
    data["action"] = "save"
    data["targets_file"] = (io.BytesIO(csv_bytes), "totals.csv")
    assert client.post(f"/surveys/{sample.id}/weights", data=data).status_code == 303
    stored = db.session.get(Survey, sample.id)
    assert stored is not None and stored.weighting is not None
    assert [t["total"] for t in stored.weighting["targets"]] == [100.0, 300.0]
    # The form shows the saved targets back, as CSV with its header.
    assert "variable,category,total\ngender,1,100\ngender,2,300" in _page(client, sample)


def _frame(
    survey: Survey, code: str, due_late: int, due_on_time: int, *, extra: bool = False
) -> None:
    agency = agencies.by_codes(db.session, [code])[0]
    received = AS_OF - timedelta(days=40)
    due = AS_OF - timedelta(days=20)
    rows = []
    for i in range(due_late + due_on_time):
        late = i < due_late
        # The first late one is still unreturned: late by rule R1 too.
        returned = None if late and i == 0 else due + timedelta(days=3 if late else -2)
        rows.append((returned, due))
    if extra:
        rows.append((None, AS_OF + timedelta(days=5)))  # not due yet: not counted
        rows.append((AS_OF - timedelta(days=1), None))  # no due date: not counted
    db.session.add_all(
        FrameUnit(
            survey_id=survey.id,
            dossier_code=f"{code}-{i}",
            agency_id=agency.id,
            received_at=received,
            due_at=due_at,
            returned_at=returned_at,
        )
        for i, (returned_at, due_at) in enumerate(rows)
    )


@pytest.fixture()
def records(app: object) -> Survey:
    """SXD: 10 due, 3 late (one unreturned), plus 2 not counted; its unit SXD_P1: 5 due,
    none late → SXD's subtree 3/15 = 20 %. STP: 20 due, 1 late = 5 %, at the threshold.

    Respondents (every one answers result_timing): SXD four at weight 10, timing
    3, 3, 1, 2 → reported late 1/2; of the two late, told 2/2, apology 1/2, both 1/2.
    STP: timing 3 at weight 5 and 1 at weight 15 → reported late 5/20 = 1/4.
    """
    factories.province()
    survey = factories.survey()
    _frame(survey, "SXD", 3, 7, extra=True)
    _frame(survey, "SXD_P1", 0, 5)
    _frame(survey, "STP", 1, 19)
    late = {"result_timing": 3.0}
    respond(survey, "SXD", 10, satisfied=True, late_notified=1, late_apology=1, **late)
    respond(survey, "SXD", 10, satisfied=True, late_notified=1, late_apology=2, **late)
    respond(survey, "SXD", 10, satisfied=True, result_timing=1)
    respond(survey, "SXD", 10, satisfied=True, result_timing=2)
    respond(survey, "STP", 5, satisfied=True, late_notified=2, late_apology=2, **late)
    respond(survey, "STP", 15, satisfied=True, result_timing=1)
    db.session.commit()
    return survey


def test_triangulation_figures_on_a_small_frame(records: Survey) -> None:
    wanted = agencies.by_codes(db.session, ["SXD", "STP"])
    table = triangulation.compare(db.session, records, wanted, as_of=AS_OF)
    sxd, stp = table.rows
    assert (sxd.due, sxd.late, sxd.late_rate) == (15, 3, pytest.approx(0.2))
    assert (stp.due, stp.late, stp.late_rate) == (20, 1, pytest.approx(0.05))
    assert [r.agency.code for r in table.flagged] == ["SXD", "STP"]  # 5 % is at the threshold
    assert sxd.reported_late is not None and sxd.reported_late.value == pytest.approx(0.5)
    assert sxd.notified is not None and sxd.notified.value == 1.0 and sxd.notified.n == 2
    assert sxd.apologised is not None and sxd.apologised.value == pytest.approx(0.5)
    assert sxd.handled is not None and sxd.handled.value == pytest.approx(0.5)
    assert stp.reported_late is not None and stp.reported_late.value == pytest.approx(0.25)
    assert stp.handled is not None and stp.handled.value == 0.0
    triangulation.set_threshold(db.session, records, 0.06, actor_id=None)
    assert [r.agency.code for r in triangulation.compare(
        db.session, records, wanted, as_of=AS_OF
    ).flagged] == ["SXD"]  # fmt: skip


def test_records_page_is_scoped_like_the_results(client: FlaskClient, records: Survey) -> None:
    sxd = db.session.scalars(select(Agency).where(Agency.code == "SXD")).one()
    factories.user("sxd@example.org", "analyst", sxd)
    factories.login(client, "sxd@example.org")
    page = client.get(f"/results/{records.id}/records?lang=en&as_of={AS_OF}")
    assert page.status_code == 200
    assert "Construction" in page.text and "Justice" not in page.text
    assert "20.0%" in page.text and "3 of 15" in page.text
    assert "<svg" in page.text and "<table" in page.text
    assert client.get(f"/results/{records.id}/records?agency=STP").status_code == 404
    assert client.get(f"/results/{records.id}/records?agency=NOPE").status_code == 404
    # Weights span every stratum: not for a department analyst.
    assert client.get(f"/surveys/{records.id}/weights").status_code == 404


def test_records_page_for_the_province_flags_both_agencies(
    client: FlaskClient, records: Survey
) -> None:
    factories.user()
    factories.login(client)
    page = client.get(f"/results/{records.id}/records?lang=en&as_of={AS_OF}").text
    assert "Over the threshold: Justice; Construction." in page  # by code
    assert "5.0%" in page and "1 of 20" in page  # reported shares: n < 10, suppressed


def test_the_province_sets_its_own_r6_threshold(client: FlaskClient, records: Survey) -> None:
    factories.user()
    factories.login(client)
    url = f"/results/{records.id}/records?lang=en&as_of={AS_OF}"
    page = client.get(url).text
    assert 'name="percent"' in page and 'value="5.0"' in page
    token = factories.csrf_from(page)
    saved = client.post(url, data={"csrf_token": token, "percent": "6"})
    assert saved.status_code == 303 and saved.headers["Location"].endswith(f"as_of={AS_OF}")
    db.session.refresh(records)
    assert records.late_threshold == pytest.approx(0.06)
    page = client.get(url).text
    assert "Over the threshold: Construction." in page  # Justice's 5 % is now under
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "survey.late_threshold")
    ).one()
    assert event.details == {"before": 0.05, "after": 0.06}


@pytest.mark.parametrize("typed", ["", "abc", "0", "150", "-2"])
def test_a_bad_threshold_is_refused_beside_the_field(
    client: FlaskClient, records: Survey, typed: str
) -> None:
    factories.user()
    factories.login(client)
    url = f"/results/{records.id}/records?lang=en"
    token = factories.csrf_from(client.get(url).text)
    refused = client.post(url, data={"csrf_token": token, "percent": typed})
    assert refused.status_code == 200
    assert 'id="err-percent"' in refused.text and 'aria-invalid="true"' in refused.text
    db.session.refresh(records)
    assert records.late_threshold == 0.05


def test_a_department_reads_the_threshold_but_cannot_change_it(
    client: FlaskClient, records: Survey
) -> None:
    sxd = db.session.scalars(select(Agency).where(Agency.code == "SXD")).one()
    factories.user("sxd@example.org", "analyst", sxd)
    factories.login(client, "sxd@example.org")
    url = f"/results/{records.id}/records?lang=en"
    page = client.get(url).text
    assert "5.0%" in page and 'name="percent"' not in page
    token = factories.csrf_from(page)
    assert client.post(url, data={"csrf_token": token, "percent": "50"}).status_code == 404
    db.session.refresh(records)
    assert records.late_threshold == 0.05


def test_pages_need_a_session(client: FlaskClient, records: Survey) -> None:
    response = client.get(f"/surveys/{records.id}/weights")
    assert response.status_code == 303 and "/login" in response.headers["Location"]
    assert client.get(f"/results/{records.id}/records").status_code == 303
