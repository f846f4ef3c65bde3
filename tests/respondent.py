"""A respondent walking the SIPAS 2017 pages over HTTP: answers every question it sees."""

from __future__ import annotations

import re
from typing import Any

from tests import factories

SCREEN = {
    "applicant_type": "1",
    "result_received": "1",
    "submit_channel": "1",
    "trips": "1",
    "gave_feedback": "2",
}


def current_page(html: str) -> str:
    match = re.search(r'data-page="([^"]+)"', html)
    assert match, html[:500]
    return match.group(1)


def walk_to_confirm(client: Any, url: str, **overrides: Any) -> Any:
    """Answer every page from wherever we are up to the confirm page, and return it.

    ``client`` needs ``get(url)`` and ``post(url, data=...)`` answering objects with
    ``status_code`` and ``text``: a Flask test client, or a real HTTP one.
    """
    for _ in range(30):
        page = client.get(url)
        assert page.status_code == 200, page.text
        if current_page(page.text) == "confirm":
            return page
        answers: dict[str, Any] = {}
        for item, code in re.findall(r'name="([a-z][a-z0-9_]*)" value="(\d+)"', page.text):
            criterion = item.startswith(("acc_", "proc_", "cs_", "res_", "fb_"))
            answers.setdefault(item, "4" if criterion else code)
        for name in re.findall(
            r'<input id="([a-z0-9_]+)" name="\1" type="text" inputmode', page.text
        ):
            answers[name] = "1"
        answers.update({k: v for k, v in {**SCREEN, **overrides}.items() if k in page.text})
        form = factories.form_fields(page.text)
        moved = client.post(url, data={**form, "action": "next", **answers})
        assert moved.status_code == 303, moved.text
    raise AssertionError("never reached the end of the questionnaire")


def answer_everything(client: Any, url: str, **overrides: Any) -> Any:
    """Walk every page from wherever we are and send; returns the 303 of the send."""
    confirm = walk_to_confirm(client, url, **overrides)
    form = factories.form_fields(confirm.text)
    sent = client.post(url, data={**form, "action": "submit"})
    assert sent.status_code == 303, sent.text
    assert sent.headers["Location"].endswith(url)
    return sent
