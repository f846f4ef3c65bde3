"""The review pages: the data-quality summary (item nonresponse among those a question
was shown to), the list of responses, and one response voided, corrected and restored on
the web, each with a reason, within the user's agencies only."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from surveyapp.extensions import db
from surveyapp.i18n import current_language
from surveyapp.models import (
    AnswerCorrection,
    AuditEvent,
    Response,
    ResponseFlag,
    ResponseStatus,
    Survey,
)
from surveyapp.review.services.summary import data_quality
from tests import factories
from tests.export_data import three_responses


@pytest.fixture()
def survey(app: Flask) -> Survey:
    agencies = factories.province()
    factories.user()
    factories.user("field@example.org", "fieldwork")
    factories.user("field-stp@example.org", "fieldwork", agencies["STP"])
    factories.user("analyst@example.org", "analyst")
    factories.user("analyst-sxd@example.org", "analyst", agencies["SXD"])
    created = factories.survey()
    three_responses(created)
    return created


def _ids() -> list[int]:
    return list(db.session.scalars(select(Response.id).order_by(Response.id)))


def _post(client: FlaskClient, url: str, page: str, **data: str) -> object:
    return client.post(url, data={"csrf_token": factories.csrf_from(page), **data})


def test_nonresponse_counts_blanks_and_missing_codes_among_those_shown_the_question(
    app: Flask, survey: Survey
) -> None:
    """From ``three_responses``: the third did not receive its result (``result_received``
    = 2), which screens it out of every later section, so its ``acc_seats`` answer is off
    its path. Of the two shown ``acc_equip_enough``, SXD's is 9 (declared missing), STP's
    blank; of the two shown ``result_timing``, SXD answers it and STP leaves it blank."""
    with app.test_request_context("/?lang=en"):
        items = {i.item_id: i for i in data_quality(db.session, survey, None, "en").items}
        assert current_language() == "en"
    assert (items["acc_seats"].shown, items["acc_seats"].skipped, items["acc_seats"].missing) == (
        2, 0, 0,
    )  # fmt: skip
    equip = items["acc_equip_enough"]
    assert (equip.shown, equip.skipped, equip.missing, equip.rate) == (2, 1, 1, 1.0)
    timing = items["result_timing"]
    assert (timing.shown, timing.skipped, timing.missing) == (2, 1, 0)
    assert timing.rate == 0.5


def test_the_quality_page_counts_only_what_the_users_scope_sees(
    client: FlaskClient, survey: Survey
) -> None:
    factories.login(client, "analyst-sxd@example.org")
    page = client.get(f"/surveys/{survey.id}/quality?lang=en")
    assert page.status_code == 200
    assert 'data-metric="submitted">2<' in page.text  # SXD and its sub-unit, not STP
    assert "Review the responses" not in page.text  # a department analyst reads, not cleans


def test_fieldwork_voids_corrects_and_restores_a_response_with_reasons(
    client: FlaskClient, survey: Survey
) -> None:
    first = _ids()[0]
    factories.login(client, "field@example.org")
    listing = client.get(f"/surveys/{survey.id}/review?lang=en")
    assert listing.status_code == 200
    assert listing.text.count("data-response=") == 3
    url = f"/surveys/{survey.id}/responses/{first}"
    page = client.get(url + "?lang=en")
    assert page.status_code == 200 and "acc_seats" in page.text

    refused = _post(client, f"{url}/void?lang=en", page.text, reason="  ")
    assert refused.status_code == 422
    assert "Give the reason" in refused.text
    assert db.session.get(Response, first).status is ResponseStatus.SUBMITTED

    done = _post(client, f"{url}/correct?lang=en", page.text, item="acc_seats", value="2",
                 reason="Nhập phiếu giấy sai: phiếu ghi 2")  # fmt: skip
    assert done.status_code == 303
    fixed = db.session.scalars(select(AnswerCorrection)).one()
    assert (fixed.item_id, fixed.old_value, fixed.new_value) == ("acc_seats", "4", "2")

    bad = _post(client, f"{url}/correct?lang=en", page.text, item="acc_seats", value="7",
                reason="typo")  # fmt: skip
    assert bad.status_code == 422 and "Options: 1, 2, 3, 4, 5" in bad.text

    voided = _post(client, f"{url}/void?lang=en", page.text, reason="Cùng một máy, 2 phút")
    assert voided.status_code == 303
    db.session.expire_all()
    assert db.session.get(Response, first).status is ResponseStatus.VOIDED
    after = client.get(url + "?lang=en")
    assert 'data-status="voided"' in after.text
    assert "Cùng một máy, 2 phút" in after.text and "from 4 to 2" in after.text
    assert (
        client.get(f"/surveys/{survey.id}/review?status=voided").text.count("data-response=") == 1
    )

    restored = _post(client, f"{url}/restore?lang=en", after.text, reason="Kiểm tra lại: hợp lệ")
    assert restored.status_code == 303
    db.session.expire_all()
    assert db.session.get(Response, first).status is ResponseStatus.SUBMITTED
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.action.startswith("response."))
    ).all()
    assert sorted(actions) == ["response.corrected", "response.restored", "response.voided"]


def test_a_department_sees_and_cleans_its_own_agency_only(
    client: FlaskClient, survey: Survey
) -> None:
    sxd, stp, _sub = _ids()
    factories.login(client, "field-stp@example.org")
    assert client.get(f"/surveys/{survey.id}/review").text.count("data-response=") == 1
    assert client.get(f"/surveys/{survey.id}/responses/{stp}").status_code == 200
    assert client.get(f"/surveys/{survey.id}/responses/{sxd}").status_code == 404
    page = client.get(f"/surveys/{survey.id}/responses/{stp}")
    outside = _post(client, f"/surveys/{survey.id}/responses/{sxd}/void", page.text, reason="x")
    assert outside.status_code == 404
    assert db.session.get(Response, sxd).status is ResponseStatus.SUBMITTED


def test_a_department_analyst_may_not_clean_a_province_analyst_may(
    client: FlaskClient, survey: Survey
) -> None:
    factories.login(client, "analyst-sxd@example.org")
    assert client.get(f"/surveys/{survey.id}/review").status_code == 403
    client.get("/logout")
    factories.login(client, "analyst@example.org")
    assert client.get(f"/surveys/{survey.id}/review").status_code == 200


def test_monitoring_says_how_many_responses_were_voided(
    client: FlaskClient, survey: Survey
) -> None:
    factories.tokens(survey, "SXD", 2)
    factories.login(client, "field@example.org")
    url = f"/surveys/{survey.id}/responses/{_ids()[0]}"
    _post(client, f"{url}/void", client.get(url).text, reason="Phiếu thử của cán bộ")
    page = client.get(f"/surveys/{survey.id}/monitoring?lang=en")
    assert page.status_code == 200
    assert "1 response voided when cleaning" in page.text


def test_flags_are_listed_filtered_and_counted_by_agency_and_channel(
    client: FlaskClient, survey: Survey
) -> None:
    sxd, stp, _sub = _ids()
    db.session.add_all(
        [
            ResponseFlag(response_id=stp, kind="speeding",
                         detail={"median_seconds": 0.8, "threshold": 1.5}),
            ResponseFlag(response_id=stp, kind="duplicate_dossier",
                         detail={"code": "HS-1", "others": [sxd]}),
        ]
    )  # fmt: skip
    db.session.commit()
    factories.login(client, "field@example.org")
    flagged = client.get(f"/surveys/{survey.id}/review?flag=any&lang=en")
    assert flagged.text.count("data-response=") == 1 and 'data-flag="speeding"' in flagged.text
    speeding = client.get(f"/surveys/{survey.id}/review?flag=straightlining")
    assert speeding.text.count("data-response=") == 0
    page = client.get(f"/surveys/{survey.id}/responses/{stp}?lang=en")
    assert "0.8 s per answered question (median), under 1.5 s." in page.text
    assert f"Dossier code HS-1 is also in response {sxd}." in page.text
    summary = client.get(f"/surveys/{survey.id}/quality?lang=en").text
    row = summary[summary.index('data-agency="STP" data-channel="kiosk"') :].split("</tr>")[0]
    assert [c for c in re.findall(r'<td class="num">(\d+)</td>', row)] == ["1", "0", "0", "1", "0"]
