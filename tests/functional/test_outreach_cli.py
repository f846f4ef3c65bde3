"""``surveyapp invitations``: gateway and mail-merge files, marking sent, dispositions."""

from __future__ import annotations

import csv
from pathlib import Path

from flask import Flask
from sqlalchemy import delete

from surveyapp.extensions import db
from surveyapp.fieldwork.services.invitations import invitation_token
from surveyapp.models import Disposition, FrameContact, Survey
from tests.functional.test_cli import run
from tests.functional.test_outreach import SECRET, survey_invitations
from tests.functional.test_outreach import survey as survey


def test_export_sms_csv_then_mark_sent(app: Flask, survey: Survey, tmp_path: Path) -> None:
    out = tmp_path / "sms.csv"
    code, _, err = run(app, "invitations", "export", str(survey.id), "--format", "sms-csv",
                       "--agency", "SXD", "-o", str(out))  # fmt: skip
    assert code == 0, err
    rows = list(csv.DictReader(out.open(encoding="utf-8-sig")))
    assert len(rows) == 6 and {r["agency"] for r in rows} == {"SXD"}
    assert all(r["link"] in r["message"] for r in rows)
    last = max(int(r["invitation"]) for r in rows)
    assert f"invitations mark {survey.id} --upto {last} --agency SXD" in err
    # Exporting marks nothing; "mark" does, and only once.
    assert {i.disposition for i in survey_invitations(survey)} == {Disposition.NOT_SENT}
    code, out_text, _ = run(app, "invitations", "mark", str(survey.id), "--upto", str(last),
                            "--agency", "SXD")  # fmt: skip
    assert (code, out_text.strip()) == (0, "6")
    code, out_text, _ = run(app, "invitations", "mark", str(survey.id), "--upto", str(last),
                            "--agency", "SXD")  # fmt: skip
    assert out_text.strip() == "0"
    sent = [i for i in survey_invitations(survey) if i.disposition is Disposition.SENT]
    assert len(sent) == 6 and all(i.agency.code == "SXD" for i in sent)


def test_links_csv_for_a_mail_merge(app: Flask, survey: Survey, tmp_path: Path) -> None:
    out = tmp_path / "links.csv"
    code, _, err = run(app, "invitations", "export", str(survey.id), "--format", "links-csv",
                       "-o", str(out))  # fmt: skip
    assert code == 0, err
    rows = list(csv.DictReader(out.open(encoding="utf-8-sig")))
    assert len(rows) == 10
    tokens = {invitation_token(SECRET, i) for i in survey_invitations(survey)}
    assert {r["token"] for r in rows} == tokens
    assert {r["dossier_code"] for r in rows} == {f"HS{n:04d}" for n in range(1, 11)}


def test_sms_csv_refused_when_contacts_were_purged(
    app: Flask, survey: Survey, tmp_path: Path
) -> None:
    db.session.execute(delete(FrameContact))
    db.session.commit()
    code, _, err = run(app, "invitations", "export", str(survey.id), "--format", "sms-csv",
                       "-o", str(tmp_path / "x.csv"))  # fmt: skip
    assert code == 1 and "purged" in err
    assert not (tmp_path / "x.csv").exists()


def test_disposition_by_dossier_code(app: Flask, survey: Survey) -> None:
    code, out, err = run(app, "invitations", "disposition", str(survey.id), "HS0007",
                         "--set", "ineligible")  # fmt: skip
    assert code == 0, err
    number, before, after = out.strip().split("\t")
    assert (before, after) == ("not_sent", "ineligible")
    found = {f"#{i.id}": i.disposition for i in survey_invitations(survey)}
    assert found[number] is Disposition.INELIGIBLE
    code, _, err = run(app, "invitations", "disposition", str(survey.id), "HS9999",
                       "--set", "refused")  # fmt: skip
    assert code == 1 and "HS9999" in err


def test_email_without_smtp_is_refused(app: Flask, survey: Survey) -> None:
    code, _, err = run(app, "invitations", "email", str(survey.id))
    assert code == 1 and "SURVEYAPP_SMTP_URL" in err
