"""Letters, gateway CSVs, e-mail, reminders and dispositions of a drawn sample."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, select

from surveyapp.extensions import db
from surveyapp.fieldwork.services import invitations, sampling
from surveyapp.fieldwork.services.frames import imports as frames
from surveyapp.fieldwork.services.invitations import Batch, derive_token, invitation_token
from surveyapp.models import Agency, AuditEvent, Disposition, FrameContact, Invitation, Survey
from tests import factories

SECRET = "test-secret-key"  # the SECRET_KEY of the test app (tests/conftest.py)
D = Disposition


def frame_file(path: Path) -> Path:
    """Six SXD dossiers and four STP ones; STP's HS0009 has no phone nor e-mail."""
    rows = [
        ("HS0001", "SXD", "Nguyễn Văn An", "0912000001", "an@example.org"),
        ("HS0002", "SXD", "=HYPERLINK(1)", "0912000002", ""),
        ("HS0003", "SXD", "Trần Thị Bình", "", "binh@example.org"),
        ("HS0004", "SXD", "Lê Văn Cường", "0912000004", ""),
        ("HS0005", "SXD", "Phạm Thị Dung", "0912000005", ""),
        ("HS0006", "SXD", "Hoàng Văn Em", "0912000006", ""),
        ("HS0007", "STP", "Đỗ Thị Giang", "0912000007", ""),
        ("HS0008", "STP", "Vũ Văn Hải", "0912000008", ""),
        ("HS0009", "STP", "Ngô Thị Hoa", "", ""),
        ("HS0010", "STP", "Bùi Văn Khánh", "0912000010", ""),
    ]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["dossier_code", "agency", "service_field", "received_at", "citizen_name",
                         "phone", "email"])  # fmt: skip
        for code, agency, name, phone, email in rows:
            writer.writerow([code, agency, "Cấp phép", "02/01/2024", name, phone, email])
    return path


@pytest.fixture()
def survey(app: Flask, tmp_path: Path) -> Survey:
    factories.province()
    created = factories.survey(("SXD", "STP"))
    frames.import_frame(db.session, created, frame_file(tmp_path / "frame.csv"))
    # Everyone is drawn (n_h = N_h), so which units are in the sample is known.
    sampling.draw_sample(
        db.session, created, size=10, strata_columns=["agency"], seed=1, reserve_fraction=0,
        links=factories.links(),
    )  # fmt: skip
    db.session.commit()
    factories.user()
    return created


def signed_in(client: FlaskClient, email: str = "admin@example.org") -> FlaskClient:
    factories.login(client, email)
    return client


def survey_invitations(survey: Survey) -> list[Invitation]:
    query = select(Invitation).where(Invitation.survey_id == survey.id).order_by(Invitation.id)
    return list(db.session.scalars(query))


def set_dispositions(
    survey: Survey, *dispositions: Disposition, agency: str | None = None
) -> list[Invitation]:
    found = [i for i in survey_invitations(survey) if agency in (None, i.agency.code)]
    for invitation, disposition in zip(found, dispositions, strict=False):
        invitation.disposition = disposition
    db.session.commit()
    return found


# --- tokens ---------------------------------------------------------------------------


def test_derived_token_is_16_base32_characters_and_opens_the_survey(
    survey: Survey, client: FlaskClient
) -> None:
    invitation = survey_invitations(survey)[0]
    token = invitation_token(SECRET, invitation)
    assert token is not None and re.fullmatch(r"[a-z2-7]{16}", token)
    assert token == derive_token(SECRET, invitation.token_salt or "")
    assert hashlib.sha256(token.encode()).hexdigest() == invitation.token_hash
    assert token not in (invitation.token_salt or "")  # the row alone does not hold it
    page = client.get(f"/s/{token}")
    assert page.status_code == 200 and "csrf_token" in page.text
    assert db.session.get(Invitation, invitation.id).disposition is D.OPENED


def test_no_token_under_another_secret_or_without_a_salt(survey: Survey) -> None:
    invitation = survey_invitations(survey)[0]
    assert invitation_token("another-secret", invitation) is None
    # A link handed out once as a CSV, before invitations kept a salt.
    once = Invitation(survey_id=survey.id, agency_id=invitation.agency_id, stratum="SXD",
                      token_hash=hashlib.sha256(b"handed-out-once").hexdigest())  # fmt: skip
    db.session.add(once)
    db.session.flush()
    assert invitation_token(SECRET, once) is None


def test_draw_hands_out_the_tokens_letters_derive_again(app: Flask, tmp_path: Path) -> None:
    factories.province()
    created = factories.survey(("SXD", "STP"))
    frames.import_frame(db.session, created, frame_file(tmp_path / "frame.csv"))
    draw = sampling.draw_sample(db.session, created, size=4, strata_columns=["agency"], seed=3,
                                links=factories.links())  # fmt: skip
    db.session.commit()
    derived = {invitation_token(SECRET, i) for i in survey_invitations(created)}
    assert derived == {link.token for link in draw.links}


# --- letters ----------------------------------------------------------------------------


def test_letters_print_unsent_invitations_with_qr_and_link(
    survey: Survey, client: FlaskClient
) -> None:
    signed_in(client)
    page = client.get(f"/surveys/{survey.id}/letters?agency=SXD&lang=vi")
    assert page.status_code == 200
    html = page.text
    tokens = {
        invitation_token(SECRET, i) for i in survey_invitations(survey) if i.agency.code == "SXD"
    }
    assert html.count('<article class="letter"') == 6
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg" class="qr"') == 6
    for token in tokens:
        assert f"localhost/s/</span><wbr><span>{token}</span>" in html
    assert "Nguyễn Văn An" in html and "HS0001" in html
    assert ("Sở Xây dựng" in html and "Khoảng 10 phút" in html) or "10 phút" in html
    assert "<script" not in html and "style=" not in html
    letters = re.findall(r'<article class="letter".*?</article>', html, re.S)
    assert letters and not any(survey.title in letter for letter in letters)  # staff's name
    # Showing letters changes nothing: marking them sent is its own confirmed step.
    assert {i.disposition for i in survey_invitations(survey)} == {D.NOT_SENT}


def test_marking_sent_needs_confirmation_and_records_sent_at(
    survey: Survey, client: FlaskClient
) -> None:
    signed_in(client)
    sxd = [i for i in survey_invitations(survey) if i.agency.code == "SXD"]
    data = {"csrf_token": _csrf(client, survey), "agency": "SXD", "after": "0",
            "upto": str(sxd[-1].id)}  # fmt: skip
    response = client.post(f"/surveys/{survey.id}/letters/done", data=data)
    assert response.status_code == 303
    assert {i.disposition for i in survey_invitations(survey)} == {D.NOT_SENT}
    client.post(f"/surveys/{survey.id}/letters/done", data={**data, "confirm": "yes"})
    after = survey_invitations(survey)
    assert [i.disposition for i in after if i.agency.code == "SXD"] == [D.SENT] * 6
    assert all(i.sent_at is not None for i in after if i.agency.code == "SXD")
    assert [i.disposition for i in after if i.agency.code == "STP"] == [D.NOT_SENT] * 4
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "invitations.send"))
    assert event.one().details["count"] == 6
    # Unsent only by default; "all" prints them again.
    again = client.get(f"/surveys/{survey.id}/letters?agency=SXD")
    assert again.text.count('<article class="letter"') == 0
    reprint = client.get(f"/surveys/{survey.id}/letters?agency=SXD&all=1")
    assert reprint.text.count('<article class="letter"') == 6


def _csrf(client: FlaskClient, survey: Survey) -> str:
    return factories.csrf_from(client.get(f"/surveys/{survey.id}/outreach").text)


def test_out_of_scope_agency_is_not_found(survey: Survey, client: FlaskClient) -> None:
    sxd = db.session.scalars(select(Agency).where(Agency.code == "SXD")).one()
    factories.user("field@example.org", "fieldwork", sxd)
    signed_in(client, "field@example.org")
    assert client.get(f"/surveys/{survey.id}/letters?agency=STP").status_code == 404
    page = client.get(f"/surveys/{survey.id}/letters")
    assert page.text.count('<article class="letter"') == 6  # SXD's only
    assert "Sở Tư pháp" not in page.text


# --- gateway CSV -------------------------------------------------------------------------


def test_gateway_csv_has_contacts_links_and_vietnamese_text(
    survey: Survey, client: FlaskClient
) -> None:
    signed_in(client)
    response = client.get(f"/surveys/{survey.id}/outreach/messages.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert len(rows) == 9  # HS0009 has no phone nor e-mail
    by_phone = {r["phone"]: r for r in rows}
    an = by_phone["0912000001"]
    assert an["email"] == "an@example.org" and an["name"] == "Nguyễn Văn An"
    assert an["link"].startswith("http://localhost/s/") and an["link"] in an["message"]
    assert "Sở Xây dựng" in an["message"] and "phút" in an["message"]
    assert "So Xay dung" in an["message_ascii"] and "phut" in an["message_ascii"]
    assert by_phone["0912000002"]["name"] == "'=HYPERLINK(1)"  # inert in a spreadsheet
    tokens = {invitation_token(SECRET, i) for i in survey_invitations(survey)}
    assert {r["link"].rsplit("/", 1)[1] for r in rows} <= tokens


def test_gateway_csv_says_clearly_when_contacts_were_purged(
    survey: Survey, client: FlaskClient
) -> None:
    db.session.execute(delete(FrameContact))
    db.session.commit()
    signed_in(client)
    response = client.get(f"/surveys/{survey.id}/outreach/messages.csv", follow_redirects=True)
    assert response.mimetype == "text/html"
    assert "purged" in response.text or "xóa" in response.text


# --- reminders ---------------------------------------------------------------------------


def test_reminders_go_to_non_respondents_only_and_count_once_per_round(
    survey: Survey, client: FlaskClient
) -> None:
    found = set_dispositions(
        survey, D.COMPLETE, D.REFUSED, D.INELIGIBLE, D.SENT, D.OPENED, D.PARTIAL,
        D.UNREACHABLE, D.NOT_SENT,
    )  # fmt: skip
    targets = {found[i].id for i in (3, 4, 5, 6)}
    batch = Batch(survey.id, reminder=1)
    assert {i.id for i in invitations.batch_invitations(db.session, batch)} == targets
    signed_in(client)
    page = client.get(f"/surveys/{survey.id}/letters?reminder=1")
    assert page.text.count('<article class="letter"') == 4
    data = {"csrf_token": _csrf(client, survey), "reminder": "1", "after": "0",
            "upto": str(found[-1].id), "confirm": "yes"}  # fmt: skip
    client.post(f"/surveys/{survey.id}/letters/done", data=data)
    client.post(f"/surveys/{survey.id}/letters/done", data=data)  # the same round again
    reminded = {i.id: i for i in survey_invitations(survey)}
    assert {k for k, i in reminded.items() if i.reminders} == targets
    assert all(reminded[k].reminders == 1 and reminded[k].reminded_at for k in targets)
    assert invitations.batch_invitations(db.session, batch) == []
    assert invitations.next_reminder(db.session, survey.id) == 2


# --- dispositions ---------------------------------------------------------------------------


def test_staff_record_outcomes_by_dossier_code_or_number(
    survey: Survey, client: FlaskClient
) -> None:
    signed_in(client)
    token = _csrf(client, survey)
    url = f"/surveys/{survey.id}/dispositions"
    client.post(url, data={"csrf_token": token, "reference": " HS0004 ", "disposition": "refused"})
    second = survey_invitations(survey)[1]
    note = "số máy không liên lạc được"
    client.post(url, data={"csrf_token": token, "reference": f"#{second.id}",
                           "disposition": "unreachable", "note": note})  # fmt: skip
    found = {i.id: i for i in survey_invitations(survey)}
    assert found[second.id].disposition is D.UNREACHABLE
    refused = [i for i in found.values() if i.disposition is D.REFUSED]
    assert len(refused) == 1
    events = list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == "invitation.disposition")
            .order_by(AuditEvent.id)
        )
    )
    assert [(e.details["before"], e.details["after"]) for e in events] == [
        ("not_sent", "refused"), ("not_sent", "unreachable")]  # fmt: skip
    unknown = client.post(url, data={"csrf_token": token, "reference": "HS9999",
                                     "disposition": "refused"}, follow_redirects=True)  # fmt: skip
    assert "HS9999" in unknown.text
    bad = client.post(url, data={"csrf_token": token, "reference": "HS0004",
                                 "disposition": "complete"}, follow_redirects=True)  # fmt: skip
    assert bad.status_code == 200
    assert found[refused[0].id].disposition is D.REFUSED


def test_a_complete_invitation_keeps_its_disposition(survey: Survey) -> None:
    invitation = set_dispositions(survey, D.COMPLETE)[0]
    with pytest.raises(invitations.AlreadyComplete):
        invitations.record_disposition(db.session, invitation, D.REFUSED, actor_id=None)


# --- monitoring -----------------------------------------------------------------------------


def test_monitoring_page_shows_rates_and_refreshes_itself(
    survey: Survey, client: FlaskClient
) -> None:
    """SXD: I=3, P=1, R=1, UH=1 → RR1 3/6 = 50.0 %, RR2 4/6 = 66.7 %; STP all unsent → 0."""
    done = (D.COMPLETE, D.COMPLETE, D.COMPLETE, D.PARTIAL, D.REFUSED)
    set_dispositions(survey, *done, agency="SXD")
    signed_in(client)
    page = client.get(f"/surveys/{survey.id}/monitoring?lang=en")
    html = page.text
    assert '<meta http-equiv="refresh" content="60">' in html
    assert 'id="rr-agencies"' in html and "<table" in html
    row = re.search(r"<th scope=\"row\">Construction</th>(.*?)</tr>", html, re.S)
    assert row is not None
    cells = re.findall(r'<td class="num[^"]*">([^<]*)</td>', row.group(1))
    assert cells == ["6", "3", "1", "1", "1", "0", "50.0%", "66.7%"]


def test_answering_after_staff_outcomes_records_the_better_one(
    survey: Survey, client: FlaskClient
) -> None:
    """Unreachable, then the link is opened: contact was made → opened. Refused, then a
    page is saved: a partial interview beats a refusal. Ineligible stays ineligible."""
    unreachable, refused, ineligible = set_dispositions(
        survey, D.UNREACHABLE, D.REFUSED, D.INELIGIBLE
    )[:3]
    for invitation in (unreachable, refused, ineligible):
        client.get(f"/s/{invitation_token(SECRET, invitation)}")
    found = {i.id: i.disposition for i in survey_invitations(survey)}
    assert found[unreachable.id] is D.OPENED
    assert found[refused.id] is D.REFUSED
    assert found[ineligible.id] is D.INELIGIBLE
    token = invitation_token(SECRET, refused)
    page = client.get(f"/s/{token}")
    fields = factories.form_fields(page.text)
    client.post(f"/s/{token}", data={**fields, "action": "next"})
    assert db.session.get(Invitation, refused.id).disposition is D.PARTIAL
