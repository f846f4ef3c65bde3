"""The sample size and draw forms as they first show and after a draw (issue #15)."""

from __future__ import annotations

import re
from pathlib import Path

from flask.testing import FlaskClient

from surveyapp.models import Survey
from tests import factories
from tests.functional.test_fieldwork_pages import draw, frame_for_draw
from tests.functional.test_fieldwork_pages import survey as survey


def field_value(html: str, name: str) -> str | None:
    found = re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', html)
    return found.group(1) if found else None


def test_sample_size_first_shows_its_defaults_without_complaints(
    client: FlaskClient, survey: Survey
) -> None:
    factories.login(client, "field@example.org")
    page = client.get(f"/surveys/{survey.id}/sample-size").text
    assert 'class="field-error"' not in page and 'aria-invalid="true"' not in page
    assert [field_value(page, n) for n in ("margin", "p", "deff", "response_rate")] == [
        "0.05", "0.5", "1.0", "0.7",
    ]  # fmt: skip


def test_draw_form_first_shows_its_defaults_without_complaints(
    client: FlaskClient, survey: Survey, tmp_path: Path
) -> None:
    frame_for_draw(survey, tmp_path)
    factories.login(client, "field@example.org")
    page = client.get(f"/surveys/{survey.id}/draw").text
    assert 'class="field-error"' not in page
    assert (field_value(page, "minimum"), field_value(page, "reserve")) == ("0", "0.2")


def test_after_a_draw_the_form_shows_the_seed_it_used(
    client: FlaskClient, survey: Survey, tmp_path: Path
) -> None:
    frame_for_draw(survey, tmp_path)
    factories.login(client, "field@example.org")
    assert draw(client, survey, "20260301")[0] == 303
    page = client.get(f"/surveys/{survey.id}/draw").text
    assert "<dd data-seed>20260301</dd>" in page
    assert field_value(page, "seed") == "20260301"
