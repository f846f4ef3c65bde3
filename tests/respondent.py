"""A respondent walking the SIPAS 2017 pages over HTTP: answers every question it sees."""

from __future__ import annotations

import re
from typing import Any

from tests import factories

# Answers that keep a respondent in: SIPAS 2017's screening page, and PAR's "in contact
# with the agency" (1 = no contact ends an official's assessment).
SCREEN = {
    "applicant_type": "1",
    "result_received": "1",
    "submit_channel": "1",
    "trips": "1",
    "gave_feedback": "2",
    "contact_freq": "3",
}


def current_page(html: str) -> str:
    match = re.search(r'data-page="([^"]+)"', html)
    assert match, html[:500]
    return match.group(1)


def form_action(html: str) -> str:
    """Where the page's form of answers posts (a kiosk page also has "Start over")."""
    match = re.search(r'<form method="post" action="([^"]+)" novalidate id="answers"', html)
    assert match, html[:500]
    return match.group(1)


def is_last(html: str) -> bool:
    """Whether this is the last page: its button sends the answers."""
    return 'name="action" value="submit"' in html


def answers_for(html: str, **overrides: Any) -> dict[str, Any]:
    """A complete form for the page in ``html``: its hidden fields and every answer."""
    answers: dict[str, Any] = {}
    for item, code in re.findall(r'name="([a-z][a-z0-9_]*)" value="(\d+)"', html):
        criterion = item.startswith(("acc_", "proc_", "cs_", "res_", "fb_"))
        answers.setdefault(item, "4" if criterion else code)
    for name in re.findall(r'<input id="([a-z0-9_]+)" name="\1" type="text" inputmode', html):
        answers[name] = "1"
    answers.update({k: v for k, v in {**SCREEN, **overrides}.items() if k in html})
    return {**factories.form_fields(html), **answers}


def walk_to_last_page(client: Any, url: str, **overrides: Any) -> Any:
    """Answer every page from wherever we are up to the last one, and return that page.

    ``client`` needs ``get(url)`` and ``post(url, data=...)`` answering objects with
    ``status_code`` and ``text``: a Flask test client, or a real HTTP one.
    """
    for _ in range(30):
        page = client.get(url)
        assert page.status_code == 200, page.text
        if is_last(page.text):
            return page
        moved = client.post(url, data={**answers_for(page.text, **overrides), "action": "next"})
        assert moved.status_code == 303, moved.text
    raise AssertionError("never reached the end of the questionnaire")


def sending(last_page: str, **overrides: Any) -> dict[str, Any]:
    """The form that answers the last page and sends."""
    return {**answers_for(last_page, **overrides), "action": "submit"}


def answer_everything(client: Any, url: str, **overrides: Any) -> Any:
    """Walk every page from wherever we are and send; returns the 303 of the send."""
    last = walk_to_last_page(client, url, **overrides)
    sent = client.post(url, data=sending(last.text, **overrides))
    assert sent.status_code == 303, sent.text
    assert sent.headers["Location"].endswith(url)
    return sent
