"""The answer-check editor on a question's page: the skip-logic builder, a message in
both languages, refusals shown in place, problems linked from the validation panel."""

from __future__ import annotations

import copy
import html
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select

from surveyapp.extensions import db
from surveyapp.models import AuditEvent, Questionnaire, QuestionnaireVersion
from tests import factories


def _start(client: FlaskClient) -> str:
    """A designer of province HN with a draft copy of SIPAS 2017; its editor's URL."""
    known = factories.province()
    factories.user("designer@hn.example", "designer", known["SXD"])
    factories.login(client, "designer@hn.example")
    created = _post(client, "/designer/create", {"template": "sipas-2017"})
    return str(created.headers["Location"]).split("#")[0]


def _post(client: FlaskClient, url: str, data: dict[str, Any], **kw: Any) -> Any:
    body = {"csrf_token": factories.csrf_from(client.get("/designer/").text), **data}
    return client.post(url, data=body, **kw)


def _trips() -> dict[str, Any]:
    db.session.expire_all()
    version = db.session.scalar(
        select(QuestionnaireVersion).join(Questionnaire).where(Questionnaire.key == "sipas-2017-hn")
    )
    assert version is not None
    return next(i for s in version.document["sections"] for i in s["items"] if i["id"] == "trips")


def test_a_check_is_added_grown_reworded_and_deleted_on_the_question_page(
    client: FlaskClient,
) -> None:
    base = _start(client)
    page = client.get(f"{base}items/trips?lang=en")
    assert 'id="checks"' in page.text and "No checks" in page.text
    # the builder offers this question and the earlier ones, never a later one
    assert '<option value="trips" >' in page.text
    assert 'value="gave_feedback"' not in page.text.split('id="checks"')[1]
    chosen = client.get(f"{base}items/trips?lang=en&check=new&item=submit_channel")
    assert '<select id="check-new-value" name="value"' in chosen.text  # the channel's answers
    url = f"{base}items/trips/checks"
    added = _post(
        client,
        url,
        {
            "operation": "add",
            "item": "submit_channel",
            "op": "ne",
            "value": "1",
            "message_vi": "Nộp trực tiếp thì phải đến ít nhất 1 lần.",
            "message_en": "Handing it in means at least one visit.",
        },
    )
    assert added.status_code == 303
    assert added.headers["Location"].endswith("/items/trips#checks")
    grown = _post(
        client,
        url,
        {
            "operation": "add_condition",
            "check": "0",
            "item": "trips",
            "op": "ge",
            "value": "1",
            "combine": "any",
        },
    )
    assert grown.status_code == 303
    assert _trips()["checks"][0]["rule"] == {
        "or": [{"ne": ["submit_channel", 1]}, {"ge": ["trips", 1]}]
    }
    shown = html.unescape(client.get(f"{base}items/trips?lang=en").text)
    assert "Accepted only when: submit_channel is not" in shown
    assert "or trips is at least 1" in shown
    editor = html.unescape(client.get(f"{base}?lang=en").text)
    assert "Accepted only when: submit_channel is not" in editor  # the overview says it too
    reworded = {"operation": "message", "check": "0", "message_vi": "Sai", "message_en": "Wrong"}
    assert _post(client, url, reworded).status_code == 303
    assert _trips()["checks"][0]["message"] == {"vi": "Sai", "en": "Wrong"}
    for change in (
        {"operation": "combine", "check": "0", "combine": "all"},
        {"operation": "remove_condition", "check": "0", "index": "0"},
    ):
        assert _post(client, url, change).status_code == 303
    assert _trips()["checks"][0]["rule"] == {"ge": ["trips", 1]}
    assert _post(client, url, {"operation": "delete", "check": "0"}).status_code == 303
    assert "checks" not in _trips()
    logged = set(db.session.scalars(select(AuditEvent.action)))
    assert {"questionnaire.checks.add", "questionnaire.checks.delete"} <= logged


def test_a_refused_check_says_why_in_place_and_keeps_what_was_typed(
    client: FlaskClient,
) -> None:
    base = _start(client)
    refused = _post(
        client,
        f"{base}items/trips/checks?lang=en",
        {
            "operation": "add",
            "check": "new",
            "item": "gave_feedback",
            "op": "eq",
            "value": "1",
            "message_vi": "Thông báo đã gõ",
            "message_en": " ",
        },
    )
    assert refused.status_code == 200
    text = html.unescape(refused.text)
    assert "gave_feedback is answered after this question" in text
    assert "The message in English is required." in text
    assert 'value="Thông báo đã gõ"' in text
    assert "checks" not in _trips()
    assert _post(client, f"{base}items/trips/checks", {"operation": "nope"}).status_code == 400
    gone = _post(client, f"{base}items/nope/checks", {"operation": "delete", "check": "0"})
    assert gone.status_code == 404


def test_a_broken_check_is_linked_from_the_validation_panel(client: FlaskClient) -> None:
    base = _start(client)
    db.session.expire_all()
    version = db.session.scalar(
        select(QuestionnaireVersion).join(Questionnaire).where(Questionnaire.key == "sipas-2017-hn")
    )
    assert version is not None
    document = copy.deepcopy(version.document)
    first = document["sections"][0]["items"]
    trips = next(i for i in first if i["id"] == "trips")
    index = first.index(trips)
    # as an imported file could have it: a check reading a later answer
    trips["checks"] = [{"rule": {"eq": ["gave_feedback", 1]}, "message": {"vi": "x", "en": "x"}}]
    version.document = document
    db.session.commit()
    editor = client.get(base)
    link = f'href="{base}items/trips#checks">sections[0].items[{index}].checks[0].rule</a>'
    assert link in editor.text
