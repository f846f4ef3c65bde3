"""Frame uploads in a real browser: a hostile file is refused with a message on the upload
page, and a frame uploaded again lists its dossier codes as duplicates, row by row."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from surveyapp.fieldwork.services.frames import imports as frames
from tests import factories

pytestmark = pytest.mark.browser
expect = pytest.importorskip(
    "playwright.sync_api", reason="needs playwright", exc_type=ImportError
).expect

PHONE = {"width": 390, "height": 844}


def _upload(page: Any, survey_id: int, path: Path, lang: str) -> None:
    page.goto(f"/surveys/{survey_id}/frame/upload?lang={lang}")
    page.locator("input[type=file]").set_input_files(path)
    page.locator("form.panel button[type=submit]").click()


def test_a_hostile_file_is_refused_and_a_reupload_lists_its_duplicates(
    app: Flask,
    new_context: Any,
    tmp_path: Path,
    screenshot: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(app.config, "FRAME_UPLOAD_DIR", str(tmp_path / "uploads"))
    monkeypatch.setattr(frames, "BATCH_ROWS", 2)  # as a frame of more than 5,000 rows does
    factories.province()
    factories.user("field@example.org", "fieldwork")
    survey = factories.survey(("SXD", "STP"))
    wide = tmp_path / "wide.csv"
    wide.write_text(",".join(f"c{i}" for i in range(100_000)) + "\n")
    frame = tmp_path / "frame.csv"
    rows = [f"HS-{n},SXD,0{n}/03/2024" for n in range(1, 6)]
    frame.write_text("dossier_code,agency,received_at\n" + "\n".join(rows) + "\n")

    for viewport, lang, name in ((PHONE, "vi", "phone"), (None, "en", "desktop")):
        page = new_context.page(viewport) if viewport else new_context.page()
        page.goto(f"/login?lang={lang}")
        page.locator("#email").fill("field@example.org")
        page.locator("#password").fill(factories.PASSWORD)
        page.locator("form button[type=submit]").click()
        _upload(page, survey.id, wide, lang)
        alert = page.get_by_role("alert")
        expect(alert).to_contain_text("200")
        if lang == "en":
            expect(alert).to_have_text(
                "row 1 has more than 200 columns; a file of records has tens of columns"
            )
        screenshot(page, f"frame-hostile-{lang}-{name}")

    _upload(page, survey.id, frame, "en")
    page.get_by_role("button", name="Check every row").click()
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.locator('[data-count="imported"]')).to_have_text("5")

    _upload(page, survey.id, frame, "en")
    page.get_by_role("button", name="Check every row").click()
    expect(page.locator('[data-count="duplicates"]')).to_have_text("5")
    cells = page.locator("table.problems tbody tr td:first-child")
    expect(cells).to_have_text(["2", "3", "4", "5", "6"])
    expect(page.locator("table.problems")).to_contain_text(
        'duplicate dossier code "HS-1", already in the survey\'s frame'
    )
    screenshot(page, "frame-reupload-duplicates-desktop")
