"""Every respondent page, with the stylesheet and script it loads, weighs under 60 KB.

Citizens answer on cheap phones over slow connections: the weight is the HTML as sent
plus every same-site CSS and JS file the page links (measured uncompressed, the worst
case), for the welcome page, each SIPAS 2017 section page and the thank-you page, in
Vietnamese (the longer labels) and on the counter tablet.
"""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from surveyapp.models import SurveyMode
from tests import factories
from tests.respondent import answers_for, current_page, form_action, is_last, sending

LIMIT = 60 * 1024
SECTIONS = [
    "screen",
    "s_access",
    "s_procedures",
    "s_civil_servants",
    "s_results",
    "s_feedback",
    "negative",
    "background",
    "closing",
]


def _weight(client: FlaskClient, html: str, body: bytes) -> int:
    assets = re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)
    assets += re.findall(r'<script src="([^"]+)"', html)
    assert assets, "a respondent page links its stylesheet and script"
    total = len(body)
    for url in assets:
        assert url.startswith("/"), f"{url}: only same-site assets (no CDN)"
        asset = client.get(url)
        assert asset.status_code == 200
        total += len(asset.data)
        asset.close()
    return total


def _walk(client: FlaskClient, url: str) -> dict[str, int]:
    """Weigh each page while answering so that every section is shown (late result too)."""
    weights: dict[str, int] = {}
    # Received late (3), so that the late-result questions are on the page too.
    late = {"result_received": "1", "result_timing": "3", "gave_feedback": "1"}
    for _ in range(20):
        page = client.get(url)
        url = form_action(page.text)
        weights[current_page(page.text)] = _weight(client, page.text, page.data)
        if is_last(page.text):
            sent = client.post(url, data=sending(page.text, **late))
            assert sent.status_code == 303
            thanks = client.get(sent.headers["Location"])
            assert 'data-state="submitted"' in thanks.text
            weights["thank-you"] = _weight(client, thanks.text, thanks.data)
            return weights
        moved = client.post(url, data={**answers_for(page.text, **late), "action": "next"})
        assert moved.status_code == 303, moved.text
        url = moved.headers["Location"]  # a kiosk's start page hands its visit on
    raise AssertionError("never reached the last page")


@pytest.mark.parametrize("kind", ["invitation", "kiosk"])
def test_every_respondent_page_weighs_under_60_kb(client: FlaskClient, kind: str) -> None:
    factories.province()
    if kind == "invitation":
        survey = factories.survey()
        url = f"/s/{factories.tokens(survey, 'SXD')[0]}"
    else:
        survey = factories.survey(mode=SurveyMode.OPEN)
        url = f"/o/{survey.id}/SXD/kiosk"
    client.get(url + "?lang=vi")
    weights = _walk(client, url)
    assert set(weights) == {"welcome", *SECTIONS, "thank-you"}
    heavy = {page: size for page, size in weights.items() if size >= LIMIT}
    assert not heavy, f"pages over {LIMIT} bytes: {heavy}"
