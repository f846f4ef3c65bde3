"""Letters as fieldwork staff print them: print emulation, one letter per sheet, and a
QR code that a phone camera reads back into a link that opens the survey."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from surveyapp.extensions import db
from surveyapp.fieldwork.services.frames import imports as frames
from surveyapp.models import Disposition, Invitation
from tests import factories
from tests.functional.test_outreach import frame_file

pytestmark = pytest.mark.browser
expect = pytest.importorskip(
    "playwright.sync_api", reason="needs playwright", exc_type=ImportError
).expect
zxingcpp = pytest.importorskip("zxingcpp", reason="needs zxing-cpp to read QR codes")
Image = pytest.importorskip("PIL.Image", reason="needs Pillow to read screenshots")


def test_print_letters_then_a_phone_scans_the_qr_code_and_answers(
    app: Flask,
    live_server: Any,
    new_context: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    screenshot: Any,
) -> None:
    monkeypatch.setitem(app.config, "BASE_URL", live_server.url)
    factories.province()
    survey = factories.survey(("SXD", "STP"))
    frames.import_frame(db.session, survey, frame_file(tmp_path / "frame.csv"))
    db.session.commit()
    factories.user("field@example.org", "fieldwork")

    staff = new_context.page(locale="vi-VN")
    staff.goto("/login")
    staff.locator("#email").fill("field@example.org")
    staff.locator("#password").fill(factories.PASSWORD)
    staff.locator("button[type=submit]").click()
    # Drawn on the web, as a new user does: everyone (n_h = N_h), so no reserve.
    staff.goto(f"/surveys/{survey.id}/draw")
    staff.get_by_label("Tổng cỡ mẫu n").fill("10")
    staff.get_by_role("button", name="Chọn mẫu", exact=True).click()
    expect(staff.locator(".flash-success")).to_contain_text("10 thư mời")
    staff.goto(f"/surveys/{survey.id}")
    staff.get_by_role("link", name="Thư mời, tin nhắn và nhắc lại").click()
    staff.get_by_label("Cơ quan").select_option("SXD")
    staff.get_by_role("button", name="Xem").click()
    staff.get_by_role("link", name="In thư mời").click()
    letters = staff.locator("article.letter")
    expect(staff.locator(".flash-error")).to_have_count(0)
    expect(letters).to_have_count(6)
    expect(letters.first).to_contain_text("Kính gửi Ông/Bà")
    screenshot(staff, "letters-screen")

    # Printed: the toolbar is gone and each letter takes exactly one A5 sheet.
    staff.emulate_media(media="print")
    expect(staff.locator(".letters-toolbar")).to_be_hidden()
    screenshot(staff, "letters-print")
    pdf = staff.pdf(prefer_css_page_size=True)
    assert _pages(pdf) == 6, _sheets(pdf, tmp_path / "letters.pdf")
    staff.emulate_media(media="screen")

    # A phone camera reads the first letter's QR code ...
    png = letters.first.locator("svg.qr").screenshot()
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert len(found) == 1 and found[0].text.startswith(f"{live_server.url}/s/")
    url = found[0].text
    printed = letters.first.locator(".short-link").inner_text().replace("\n", "")
    assert url.split("://", 1)[1] == printed  # the typed link is the scanned one

    # ... and opens the survey on the phone.
    phone = new_context.page({"width": 390, "height": 844}, locale="vi-VN")
    phone.goto(url)
    expect(phone.locator("form")).to_be_visible()
    token = url.rsplit("/", 1)[1]
    query = select(Invitation).where(Invitation.disposition == Disposition.OPENED)
    opened = db.session.scalars(query).all()
    assert len(opened) == 1 and opened[0].agency.code == "SXD"
    assert token not in (opened[0].token_salt or "") and opened[0].token_hash != token

    # Back on the letters page, staff confirm they went out: the five still unsent are
    # marked sent; the one already opened keeps "opened".
    staff.get_by_label("Tôi đã in và gửi đi 6 thư này: đánh dấu là đã gửi").check()
    staff.get_by_role("button", name="Xác nhận").click()
    expect(staff.locator(".flash-success")).to_have_text("Đã đánh dấu 5 thư mời là đã gửi.")
    sxd = [i for i in db.session.scalars(select(Invitation)) if i.agency.code == "SXD"]
    dispositions = {i.disposition for i in sxd}
    assert dispositions == {Disposition.SENT, Disposition.OPENED}


def _sheets(pdf: bytes, path: Path) -> str:
    """What each printed sheet starts with, to see which letter ran over."""
    path.write_bytes(pdf)
    if not shutil.which("pdftotext"):
        return f"the PDF is {path}"
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True)
    sheets = text.stdout.split("\f")
    return f"{path}: " + " | ".join(" ".join(s.split())[:80] or "(blank)" for s in sheets)


def _pages(pdf: bytes) -> int:
    """Pages of a PDF from its page tree's /Count (Chromium writes one page tree)."""
    counts = [int(n) for n in re.findall(rb"/Count (\d+)", pdf)]
    return max(counts) if counts else 0
