"""The questionnaire designer: every change is one POST, saved, validated and audit-logged."""

from __future__ import annotations

import html
import io
import json
import re
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import func, select

from surveyapp.extensions import db
from surveyapp.models import (
    AuditEvent,
    Questionnaire,
    QuestionnaireVersion,
    Survey,
    VersionStatus,
)
from surveyapp.surveys.services import agencies
from tests import factories

OTHER_PROVINCE = [
    {"code": "DN", "parent": "", "name_vi": "UBND tỉnh Khác", "name_en": "Other Province"},
    {"code": "DN_STP", "parent": "DN", "name_vi": "Sở Tư pháp", "name_en": "Justice"},
]


def _designer(client: FlaskClient, email: str = "designer@hn.example", code: str = "SXD") -> None:
    known = factories.province()
    factories.user(email, "designer", known[code])
    factories.login(client, email)


def _post(client: FlaskClient, url: str, data: dict[str, Any] | None = None, **kw: Any) -> Any:
    page = client.get("/designer/")
    body = {"csrf_token": factories.csrf_from(page.text), **(data or {})}
    return client.post(url, data=body, **kw)


def _create(client: FlaskClient, template: str = "sipas-2017") -> str:
    """Create a provincial copy of a template; returns its editor URL."""
    response = _post(client, "/designer/create", {"template": template})
    assert response.status_code == 303, response.text
    return str(response.headers["Location"]).split("#")[0]


def _version(key: str, number: int = 1) -> QuestionnaireVersion:
    db.session.expire_all()
    found = db.session.scalar(
        select(QuestionnaireVersion)
        .join(Questionnaire)
        .where(Questionnaire.key == key, QuestionnaireVersion.version == number)
    )
    assert found is not None
    return found


SAT5 = {
    "options": [
        {"code": c, "label": {"vi": vi, "en": en}}
        for c, vi, en in [
            (1, "Rất không hài lòng", "Very dissatisfied"),
            (2, "Không hài lòng", "Dissatisfied"),
            (3, "Bình thường", "Neutral"),
            (4, "Hài lòng", "Satisfied"),
            (5, "Rất hài lòng", "Very satisfied"),
        ]
    ]
}


def small_document(key: str) -> dict[str, Any]:
    """Two rating questions in one section, one element scoring both."""
    return {
        "id": key,
        "version": 1,
        "title": {"vi": "Phiếu nhỏ", "en": "Small form"},
        "languages": ["vi", "en"],
        "audience": "citizen",
        "scales": {"sat5": SAT5},
        "sections": [
            {
                "id": "s_main",
                "title": {"vi": "Đánh giá", "en": "Rating"},
                "items": [
                    {
                        "id": "a1",
                        "type": "likert",
                        "scale": "sat5",
                        "required": True,
                        "label": {"vi": "Thái độ cán bộ", "en": "Staff attitude"},
                    },
                    {
                        "id": "a2",
                        "type": "likert",
                        "scale": "sat5",
                        "label": {"vi": "Thời gian chờ", "en": "Waiting time"},
                    },
                ],
            }
        ],
        "framework": {
            "satisfied": [4, 5],
            "elements": [
                {
                    "id": "staff",
                    "label": {"vi": "Cán bộ"},
                    "criteria": [{"item": "a1"}, {"item": "a2"}],
                }
            ],
        },
    }


def _blank(client: FlaskClient) -> tuple[str, str]:
    """A fresh draft of the province holding ``small_document``."""
    base = _create(client)
    key = base.split("/")[2]
    version = _version(key)
    version.document = small_document(key)
    db.session.commit()
    return base, key


def test_designer_creates_a_provincial_copy_of_a_template(client: FlaskClient) -> None:
    _designer(client)
    base = _create(client, "sipas-2023")
    assert base == "/designer/sipas-2023-hn/1/"
    stored = db.session.scalar(select(Questionnaire).where(Questionnaire.key == "sipas-2023-hn"))
    assert stored is not None
    hn = agencies.by_codes(db.session, ["HN"])[0]
    assert stored.owner_agency_id == hn.id  # the province, not the user's department
    version = stored.versions[0]
    assert version.status is VersionStatus.DRAFT
    assert version.document["id"] == "sipas-2023-hn" and version.document["version"] == 1
    assert version.note and "sipas-2023" in version.note
    page = client.get(base)
    assert page.status_code == 200
    assert "sipas-2023-hn" in page.text
    # a second copy gets a key of its own
    assert _create(client, "sipas-2023") == "/designer/sipas-2023-hn-2/1/"
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "questionnaire.create")
    ).all()
    assert len(events) == 2


def test_metadata_is_saved_and_bad_minutes_are_refused(client: FlaskClient) -> None:
    _designer(client)
    base = _create(client)
    key = base.split("/")[2]
    saved = _post(
        client,
        f"{base}details",
        {
            "title_vi": "Phiếu của tỉnh",
            "title_en": "Province form",
            "description_vi": "Mô tả",
            "description_en": "",
            "estimated_minutes": "12",
        },
    )
    assert saved.status_code == 303
    doc = _version(key).document
    assert doc["title"] == {"vi": "Phiếu của tỉnh", "en": "Province form"}
    assert doc["description"] == {"vi": "Mô tả"}
    assert doc["estimated_minutes"] == 12
    refused = _post(
        client,
        f"{base}details?lang=en",
        {"title_vi": "", "title_en": "x", "estimated_minutes": "ten"},
    )
    assert refused.status_code == 200
    assert "The Vietnamese title is required." in refused.text
    assert '"ten" is not a number.' in html.unescape(refused.text)
    assert 'value="ten"' in refused.text  # what was typed is kept
    assert _version(key).document["title"]["vi"] == "Phiếu của tỉnh"


def test_sections_and_items_are_added_edited_moved_and_deleted(client: FlaskClient) -> None:
    _designer(client)
    base, key = _blank(client)
    added = _post(client, f"{base}sections", {"title_vi": "Phần mới", "title_en": "New part"})
    assert added.status_code == 303
    section_id = _version(key).document["sections"][-1]["id"]
    assert added.headers["Location"].endswith(f"/sections/{section_id}/new")
    # a single-choice question with its own options, one numbered automatically
    item = {
        "type": "single",
        "label_vi": "Hồ sơ có bị trễ hạn không?",
        "label_en": "Was the file late?",
        "hint_vi": "Theo giấy hẹn",
        "required": "1",
        "id": "late",
        "answers": "options",
        "option_code": ["1", "", ""],
        "option_vi": ["Có", "Không", ""],
        "option_en": ["Yes", "No", ""],
    }
    assert _post(client, f"{base}sections/{section_id}/new", item).status_code == 303
    number = {
        "type": "number",
        "label_vi": "Số lần đi lại",
        "id": "trips",
        "min": "1",
        "max": "20",
    }
    assert _post(client, f"{base}sections/{section_id}/new", number).status_code == 303
    doc = _version(key).document
    items = doc["sections"][-1]["items"]
    assert [i["id"] for i in items] == ["late", "trips"]
    assert items[0] == {
        "id": "late",
        "type": "single",
        "label": {"vi": "Hồ sơ có bị trễ hạn không?", "en": "Was the file late?"},
        "hint": {"vi": "Theo giấy hẹn"},
        "required": True,
        "options": [
            {"code": 1, "label": {"vi": "Có", "en": "Yes"}},
            {"code": 2, "label": {"vi": "Không", "en": "No"}},
        ],
    }
    assert items[1]["min"] == 1 and items[1]["max"] == 20
    # edit: rewording keeps the id; move down then up; delete
    edit = {**number, "label_vi": "Số lần phải đi lại", "max": "30"}
    assert _post(client, f"{base}items/trips", edit).status_code == 303
    assert _post(client, f"{base}items/late/move", {"direction": "down"}).status_code == 303
    assert [i["id"] for i in _version(key).document["sections"][-1]["items"]] == ["trips", "late"]
    assert _post(client, f"{base}items/late/move", {"direction": "up"}).status_code == 303
    changed = _version(key).document["sections"][-1]["items"]
    assert [i["id"] for i in changed] == ["late", "trips"]
    assert changed[1]["label"]["vi"] == "Số lần phải đi lại" and changed[1]["max"] == 30
    assert _post(client, f"{base}items/trips/delete").status_code == 303
    assert [i["id"] for i in _version(key).document["sections"][-1]["items"]] == ["late"]
    # sections move too
    sections = [s["id"] for s in _version(key).document["sections"]]
    assert (
        _post(client, f"{base}sections/{section_id}/move", {"direction": "up"}).status_code == 303
    )
    assert [s["id"] for s in _version(key).document["sections"]] == [sections[1], sections[0]]
    assert _post(client, f"{base}sections/{section_id}/delete").status_code == 303
    assert [s["id"] for s in _version(key).document["sections"]] == ["s_main"]
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {
        "questionnaire.section.add",
        "questionnaire.item.add",
        "questionnaire.item.update",
        "questionnaire.item.move",
        "questionnaire.item.delete",
        "questionnaire.section.move",
        "questionnaire.section.delete",
    } <= actions


def test_bad_item_input_is_refused_with_every_problem_and_nothing_saved(
    client: FlaskClient,
) -> None:
    _designer(client)
    base, key = _blank(client)
    section_id = _version(key).document["sections"][0]["id"]
    before = _version(key).document
    existing = before["sections"][0]["items"][0]["id"]
    response = _post(
        client,
        f"{base}sections/{section_id}/new?lang=en",
        {
            "type": "number",
            "label_vi": "",
            "id": existing,
            "min": "5",
            "max": "two",
        },
    )
    assert response.status_code == 200
    text = html.unescape(response.text)
    assert "The Vietnamese wording is required." in text
    assert f'The variable name "{existing}" is already used.' in text
    assert '"two" is not a number.' in text
    assert _version(key).document == before


def test_a_rule_naming_a_later_item_is_refused_when_moving(client: FlaskClient) -> None:
    _designer(client)
    base, key = _blank(client)
    section_id = _version(key).document["sections"][0]["id"]
    first = _version(key).document["sections"][0]["items"][0]["id"]
    _post(
        client,
        f"{base}sections/{section_id}/new",
        {"type": "text", "label_vi": "Vì sao?", "id": "why"},
    )
    # skip-logic builder: show "why" when the first question was answered 1 or 2
    logic = f"{base}items/why/logic"
    page = client.get(f"{logic}?item={first}")
    assert page.status_code == 200
    assert '<select id="f-value" name="value"' in page.text  # options as a select
    for code in ("1", "2"):
        done = _post(
            client,
            logic,
            {"action": "add", "item": first, "op": "eq", "value": code, "combine": "any"},
        )
        assert done.status_code == 303, done.text
    why = _version(key).document["sections"][0]["items"][-1]
    assert why["show_when"] == {"or": [{"eq": [first, 1]}, {"eq": [first, 2]}]}
    assert _post(client, logic, {"action": "combine", "combine": "all"}).status_code == 303
    why = _version(key).document["sections"][0]["items"][-1]
    assert why["show_when"] == {"and": [{"eq": [first, 1]}, {"eq": [first, 2]}]}
    assert _post(client, logic, {"action": "remove", "index": "1"}).status_code == 303
    why = _version(key).document["sections"][0]["items"][-1]
    assert why["show_when"] == {"eq": [first, 1]}
    # a code that is not an option, and a later item, are refused
    bad = _post(
        client, logic + "?lang=en", {"action": "add", "item": first, "op": "eq", "value": "77"}
    )
    assert "Choose one of the question" in bad.text
    later = _post(
        client,
        f"{base}items/{first}/logic?lang=en",
        {"action": "add", "item": "why", "op": "answered"},
    )
    assert "why comes after this one: choose a question that comes before it." in later.text
    # moving "why" above the question it depends on breaks the rule: refused, nothing moved
    before = _version(key).document
    for _ in range(len(before["sections"][0]["items"])):
        _post(client, f"{base}items/why/move?lang=en", {"direction": "up"})
    after = _version(key).document["sections"][0]["items"]
    assert after.index(next(i for i in after if i["id"] == "why")) > after.index(
        next(i for i in after if i["id"] == first)
    )
    # deleting the question a rule depends on is refused too
    refused = _post(client, f"{base}items/{first}/delete?lang=en", follow_redirects=True)
    assert "unknown item" in refused.text
    assert any(i["id"] == first for i in _version(key).document["sections"][0]["items"])
    assert _post(client, logic, {"action": "clear"}).status_code == 303
    assert "show_when" not in _version(key).document["sections"][0]["items"][-1]


def test_scales_are_created_and_used_by_rating_questions(client: FlaskClient) -> None:
    _designer(client)
    base, key = _blank(client)
    created = _post(
        client,
        f"{base}scales/",
        {
            "name_vi": "Đồng ý",
            "name_en": "Agreement",
            "option_code": ["1", "2", "3", ""],
            "option_vi": ["Không đồng ý", "Bình thường", "Đồng ý", ""],
            "option_en": ["Disagree", "Neutral", "Agree", ""],
        },
    )
    assert created.status_code == 303
    scales = _version(key).document["scales"]
    new_id = created.headers["Location"].rsplit("/", 1)[1]
    assert scales[new_id]["label"] == {"vi": "Đồng ý", "en": "Agreement"}
    assert [o["code"] for o in scales[new_id]["options"]] == [1, 2, 3]
    section_id = _version(key).document["sections"][0]["id"]
    rating = {"type": "likert", "label_vi": "Tôi đồng ý", "id": "agree", "scale": new_id}
    assert _post(client, f"{base}sections/{section_id}/new", rating).status_code == 303
    in_use = _post(client, f"{base}scales/{new_id}?lang=en", {"action": "delete"})
    assert in_use.status_code == 200 and "change those questions first" in in_use.text
    assert new_id in _version(key).document["scales"]


def test_framework_editor_builds_elements_criteria_indicators_and_targets(
    client: FlaskClient,
) -> None:
    _designer(client)
    base, key = _blank(client)
    url = f"{base}framework"
    doc = _version(key).document
    likert = [i["id"] for s in doc["sections"] for i in s["items"] if i["type"] == "likert"]
    elements_before = len(doc["framework"]["elements"])
    ok = _post(client, url, {"operation": "add_element", "label_vi": "Tiếp cận", "weight": "2"})
    assert ok.status_code == 303
    element = _version(key).document["framework"]["elements"][-1]
    assert element["label"] == {"vi": "Tiếp cận"} and element["weight"] == 2
    # the template's criteria already use its likert items: free one, then add it here
    owner = next(
        e
        for e in _version(key).document["framework"]["elements"]
        if any(c["item"] == likert[0] for c in e["criteria"])
    )
    _post(
        client, url, {"operation": "remove_criterion", "element_id": owner["id"], "item": likert[0]}
    )
    added = _post(
        client,
        url,
        {
            "operation": "add_criterion",
            "element_id": element["id"],
            "item": likert[0],
            "weight": "1.5",
        },
    )
    assert added.status_code == 303
    element = _version(key).document["framework"]["elements"][-1]
    assert element["criteria"] == [{"item": likert[0], "weight": 1.5}]
    assert len(_version(key).document["framework"]["elements"]) == elements_before + 1
    indicator = _post(
        client,
        url,
        {
            "operation": "add_indicator",
            "label_vi": "Hài lòng",
            "item": likert[0],
            "codes": ["4", "5"],
        },
    )
    assert indicator.status_code == 303
    assert _version(key).document["framework"]["indicators"][-1]["codes"] == [4, 5]
    targets = _post(
        client,
        url,
        {"operation": "set_targets", "target_overall": "85", f"target_{element['id']}": "80"},
    )
    assert targets.status_code == 303
    stored = _version(key).document["framework"]["targets"]
    assert stored["overall"] == 0.85 and stored[element["id"]] == 0.8
    refused = _post(client, url + "?lang=en", {"operation": "set_targets", "target_overall": "120"})
    assert "at most 100" in refused.text
    assert _version(key).document["framework"]["targets"]["overall"] == 0.85
    assert (
        _post(
            client, url, {"operation": "add_group", "label_vi": "Chính sách", "weight": "1"}
        ).status_code
        == 303
    )
    framework = _version(key).document["framework"]
    assert framework["groups"] == [{"id": "group1", "label": {"vi": "Chính sách"}, "weight": 1}]
    assert {e.get("group") for e in framework["elements"]} == {"group1"}


def test_validation_panel_links_every_problem_to_its_place(client: FlaskClient) -> None:
    _designer(client)
    base, key = _blank(client)
    _post(client, f"{base}sections", {"title_vi": "Trống"})
    empty = _version(key).document["sections"][-1]["id"]
    page = client.get(f"{base}?lang=en")
    index = len(_version(key).document["sections"]) - 1
    assert f'href="/designer/{key}/1/sections/{empty}">sections[{index}].items</a>' in page.text
    publish = client.get(f"{base}publish?lang=en")
    assert "problems to fix before it can be published" in publish.text
    refused = _post(client, f"{base}publish", {"confirm": "1"})
    assert refused.status_code == 303
    assert _version(key).status is VersionStatus.DRAFT


def test_publish_freezes_and_new_version_copies_with_a_note(client: FlaskClient) -> None:
    _designer(client)
    base = _create(client)
    key = base.split("/")[2]
    unconfirmed = _post(client, f"{base}publish", {})
    assert unconfirmed.status_code == 303 and _version(key).status is VersionStatus.DRAFT
    published = _post(client, f"{base}publish", {"confirm": "1"})
    assert published.status_code == 303
    version = _version(key)
    assert version.status is VersionStatus.OPEN and version.opened_at is not None
    frozen = _post(client, f"{base}details?lang=en", {"title_vi": "Đổi", "estimated_minutes": ""})
    assert "Version 1 is published and can no longer change." in frozen.text
    assert _version(key).document["title"]["vi"] != "Đổi"
    form = client.get(f"/designer/{key}/history?lang=en").text
    assert re.search(r'<label for="f-note">[^<]*<span class="req"', form)  # marked required
    no_note = _post(client, f"{base}new-version?lang=en", {"note": " "})
    assert no_note.status_code == 200  # the form again, not a redirect
    beside = re.search(
        r'<p class="field-error" id="err-note">([^<]*)</p>\s*<input[^>]*f-note', no_note.text
    )
    assert beside and beside.group(1) == "Say in a few words what this version changes."
    made = _post(client, f"{base}new-version", {"note": "Thêm câu hỏi về phí"})
    assert made.status_code == 303 and made.headers["Location"].startswith(f"/designer/{key}/2/")
    second = _version(key, 2)
    assert second.status is VersionStatus.DRAFT and second.note == "Thêm câu hỏi về phí"
    assert second.document["version"] == 2
    assert {k: v for k, v in second.document.items() if k != "version"} == {
        k: v for k, v in version.document.items() if k != "version"
    }
    again = _post(client, f"{base}new-version?lang=en", {"note": "x"}, follow_redirects=True)
    assert "is already a draft" in again.text
    history = client.get(f"/designer/{key}/history")
    assert "Thêm câu hỏi về phí" in history.text and "designer@hn.example" in history.text
    sections = len(_version(key).document["sections"])
    edit_v1 = _post(client, f"{base}sections?lang=en", {"title_vi": "Mới"}, follow_redirects=True)
    assert "Version 1 is published and can no longer change." in edit_v1.text
    assert len(_version(key).document["sections"]) == sections
    actions = list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    assert "questionnaire.publish" in actions and "questionnaire.new_version" in actions


def test_a_province_cannot_see_another_provinces_drafts(client: FlaskClient) -> None:
    _designer(client)
    base = _create(client)
    key = base.split("/")[2]
    agencies.import_agencies(db.session, OTHER_PROVINCE)
    db.session.commit()
    other = agencies.by_codes(db.session, ["DN_STP"])[0]
    factories.user("designer@dn.example", "designer", other)
    client.post("/logout", data={"csrf_token": factories.csrf_from(client.get("/designer/").text)})
    factories.login(client, "designer@dn.example")
    listing = client.get("/designer/")
    assert key not in listing.text
    for url in (
        base,
        f"{base}details",
        f"{base}preview",
        f"/designer/{key}/history",
        f"{base}framework",
    ):
        assert client.get(url).status_code == 404, url
    assert _post(client, f"{base}sections", {"title_vi": "x"}).status_code == 404
    assert _post(client, f"{base}copy").status_code == 404
    # built-ins are seen by every province but only copied, never edited
    builtin = client.get("/designer/sipas-2017/1/")
    assert builtin.status_code == 200
    assert _post(client, "/designer/sipas-2017/1/sections", {"title_vi": "x"}).status_code == 403
    copied = _post(client, "/designer/sipas-2017/1/copy")
    assert copied.headers["Location"].startswith("/designer/sipas-2017-dn/1/")


def test_preview_walks_the_real_respondent_pages_with_skip_logic(client: FlaskClient) -> None:
    _designer(client)
    base, key = _blank(client)
    _post(client, f"{base}sections", {"title_vi": "Trễ hạn", "title_en": "Lateness"})
    section_id = _version(key).document["sections"][-1]["id"]
    _post(
        client,
        f"{base}sections/{section_id}/new",
        {
            "type": "single",
            "label_vi": "Có trễ hạn không?",
            "label_en": "Was it late?",
            "id": "late",
            "answers": "options",
            "option_code": ["1", "2"],
            "option_vi": ["Có", "Không"],
            "option_en": ["Yes", "No"],
        },
    )
    _post(
        client,
        f"{base}sections/{section_id}/new",
        {
            "type": "text",
            "label_vi": "Có được xin lỗi không?",
            "label_en": "Did they apologise?",
            "id": "sorry",
        },
    )
    _post(
        client,
        f"{base}items/sorry/logic",
        {"action": "add", "item": "late", "op": "eq", "value": "1"},
    )
    shell = client.get(f"{base}preview?width=desktop&in=en")
    assert f'src="/designer/{key}/1/preview/en/"' in shell.text
    frame = client.get(f"/designer/{key}/1/preview/en/?restart=1")
    assert "frame-ancestors 'self'" in frame.headers["Content-Security-Policy"]
    assert frame.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert 'data-page="welcome"' in frame.text
    shell_csp = shell.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in shell_csp
    url = f"/designer/{key}/1/preview/en/"

    def step(data: dict[str, Any]) -> str:
        page = client.get(url)
        body = {"csrf_token": factories.csrf_from(page.text), **data}
        response = client.post(url, data=body)
        assert response.status_code in (200, 303), response.text
        return client.get(url).text if response.status_code == 303 else response.text

    text = step({"action": "next"})
    sections = _version(key).document["sections"]
    assert f'data-page="{sections[0]["id"]}"' in text
    # the first (template) section: send it empty; required questions refuse
    refused = client.post(url, data={"csrf_token": factories.csrf_from(text), "action": "next"})
    if refused.status_code == 200:
        assert 'role="alert"' in refused.text
    # the lateness page shows "sorry" wired to "late" (respond.js hides it until "Yes")
    session_state: dict[str, Any] = {}
    with client.session_transaction() as stored:
        version_id = _version(key).id
        stored[f"preview:{version_id}"] = {"page": section_id, "answers": session_state}
    page = client.get(url)
    assert "Was it late?" in page.text and "Did they apologise?" in page.text
    assert re.search(r'id="q-sorry"[^>]*data-show-when', page.text)
    finished = client.post(
        url,
        data={
            "csrf_token": factories.csrf_from(page.text),
            "action": "submit",
            "late": "2",
            "sorry": "ignored",
        },
    )
    assert 'data-state="preview-finished"' in finished.text
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action.like("response%"))) is None


def test_pages_need_the_design_permission(client: FlaskClient) -> None:
    known = factories.province()
    factories.user("analyst@example.org", "analyst", known["HN"])
    assert client.get("/designer/").status_code == 303
    factories.login(client, "analyst@example.org")
    assert client.get("/designer/").status_code == 403


def test_diff_page_lists_items_added_removed_and_reworded(client: FlaskClient) -> None:
    _designer(client)
    base, key = _blank(client)
    assert _post(client, f"{base}publish", {"confirm": "1"}).status_code == 303
    made = _post(client, f"{base}new-version", {"note": "Sửa câu chữ"})
    second = made.headers["Location"].split("#")[0]
    reworded = {
        "type": "likert",
        "id": "a1",
        "label_vi": "Thái độ của cán bộ tiếp nhận",
        "label_en": "Staff attitude",
        "scale": "sat5",
        "required": "1",
    }
    assert _post(client, f"{second}items/a1", reworded).status_code == 303
    added = {"type": "text", "id": "comments", "label_vi": "Góp ý", "label_en": "Comments"}
    assert _post(client, f"{second}sections/s_main/new", added).status_code == 303
    page = client.get(f"/designer/{key}/diff?from=1&to=2&lang=en")
    assert page.status_code == 200
    text = html.unescape(page.text)
    added_table = text[text.index("<caption>Questions added</caption>") :]
    assert "comments" in added_table[: added_table.index("</table>")]
    changed = text[text.index("<caption>Questions changed</caption>") :]
    changed = changed[: changed.index("</table>")]
    assert "a1" in changed and "reworded (vi)" in changed
    # only the Vietnamese changed: its texts are shown, not the same English twice
    assert "Thái độ cán bộ" in changed and "Thái độ của cán bộ tiếp nhận" in changed
    assert "Staff attitude" not in changed
    assert "a2" not in changed
    counts = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text[text.index("diff-counts") :]))
    assert "1 question added" in counts and "1 question reworded" in counts
    assert "0 questions removed" in counts
    vi = html.unescape(client.get(f"/designer/{key}/diff?from=1&to=2&lang=vi").text)
    vi_counts = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", vi[vi.index("diff-counts") :]))
    assert "1 câu hỏi được sửa câu chữ" in vi_counts
    vi_changed = vi[vi.index("<caption>Câu hỏi được sửa</caption>") :]
    assert "Thái độ của cán bộ tiếp nhận" in vi_changed[: vi_changed.index("</table>")]
    same = client.get(f"/designer/{key}/diff?from=1&to=1&lang=en")
    assert "No differences between version 1 and version 1." in same.text
    history = client.get(f"/designer/{key}/history?lang=en")
    assert f"/designer/{key}/diff?from=1&amp;to=2" in history.text


def test_a_published_variant_is_fielded_at_its_published_version(client: FlaskClient) -> None:
    _designer(client)
    base, key = _blank(client)
    new_survey = client.get("/surveys/new")
    assert f'value="{key}"' not in new_survey.text  # a draft can't be fielded
    assert _post(client, f"{base}publish", {"confirm": "1"}).status_code == 303
    assert _post(client, f"{base}new-version", {"note": "Bản nháp tiếp theo"}).status_code == 303
    form = client.get("/surveys/new")
    assert f'value="{key}"' in form.text
    created = client.post(
        "/surveys/new",
        data={
            "csrf_token": factories.csrf_from(form.text),
            "questionnaire": key,
            "title": "Khảo sát của tỉnh",
            "agencies": ["SXD"],
            "mode": "invited",
        },
    )
    assert created.status_code == 303, created.text
    survey = db.session.scalar(select(Survey).where(Survey.title == "Khảo sát của tỉnh"))
    assert survey is not None and survey.version.version == 1
    assert _version(key, 2).status is VersionStatus.DRAFT  # the draft stays a draft
    # another province's designer is not offered it
    agencies.import_agencies(db.session, OTHER_PROVINCE)
    db.session.commit()
    factories.user("designer@dn.example", "designer", agencies.by_codes(db.session, ["DN"])[0])
    client.post("/logout", data={"csrf_token": factories.csrf_from(form.text)})
    factories.login(client, "designer@dn.example")
    assert f'value="{key}"' not in client.get("/surveys/new").text


def test_new_survey_options_say_which_copy_and_version_each_title_is(
    client: FlaskClient,
) -> None:
    _designer(client)
    base = _create(client)  # the province's copy of sipas-2017, under the same title
    key = base.split("/")[2]
    assert _post(client, f"{base}publish", {"confirm": "1"}).status_code == 303
    form = html.unescape(client.get("/surveys/new?lang=en").text)
    groups = dict(re.findall(r'<optgroup label="([^"]+)">(.*?)</optgroup>', form, re.S))
    option = re.compile(r'<option value="([^"]+)">([^<]*)</option>')
    national = dict(option.findall(groups["National questionnaires"]))
    own = dict(option.findall(groups["Made by Test Province"]))
    title = _version(key).document["title"]["en"]
    assert national["sipas-2017"] == f"{title} (sipas-2017, version 1)"
    assert own == {key: f"{title} ({key}, version 1)"}


def test_a_version_exported_as_xlsform_imports_back_as_a_new_draft(client: FlaskClient) -> None:
    _designer(client)
    base, key = _blank(client)
    exported = client.get(f"{base}export.xlsx")
    assert exported.status_code == 200
    assert exported.headers["Content-Disposition"].endswith(f"{key}-v1.xlsx")
    as_json = client.get(f"{base}export.json")
    assert as_json.json == _version(key).document
    form = client.get("/designer/import")
    imported = client.post(
        "/designer/import",
        data={
            "csrf_token": factories.csrf_from(form.text),
            "file": (io.BytesIO(exported.data), "tinh.xlsx"),
        },
        content_type="multipart/form-data",
    )
    assert imported.status_code == 303, imported.text
    new_key = imported.headers["Location"].split("/")[2]
    assert new_key != key
    copy = _version(new_key).document
    original = _version(key).document
    assert copy["sections"] == original["sections"]
    assert copy["framework"]["elements"] == original["framework"]["elements"]
    assert _version(new_key).note and "tinh.xlsx" in _version(new_key).note
    broken = client.post(
        "/designer/import?lang=en",
        data={
            "csrf_token": factories.csrf_from(form.text),
            "file": (io.BytesIO(b'{"id": "x", "version": 1}'), "bad.json"),
        },
        content_type="multipart/form-data",
    )
    assert broken.status_code == 200
    assert "bad.json:sections" in html.unescape(broken.text)
    deep = b"[" * 200_000 + b"]" * 200_000
    too_deep = client.post(
        "/designer/import?lang=en",
        data={"csrf_token": factories.csrf_from(form.text), "file": (io.BytesIO(deep), "d.json")},
        content_type="multipart/form-data",
    )
    assert too_deep.status_code == 200
    assert "d.json:$: nested more than 64 levels deep" in html.unescape(too_deep.text)


def test_an_import_larger_than_a_respondent_page_is_read_and_needs_its_token(
    client: FlaskClient,
) -> None:
    _designer(client)
    form = client.get("/designer/import")
    # Valid JSON well over the 64 KiB respondent-page limit: the upload limit applies.
    big = json.dumps({"id": "x", "version": 1, "padding": "x" * 200_000}).encode()
    read = client.post(
        "/designer/import?lang=en",
        data={"csrf_token": factories.csrf_from(form.text), "file": (io.BytesIO(big), "b.json")},
        content_type="multipart/form-data",
    )
    assert read.status_code == 200
    assert "b.json:sections" in html.unescape(read.text)
    forged = client.post(
        "/designer/import",
        data={"csrf_token": "forged", "file": (io.BytesIO(big), "b.json")},
        content_type="multipart/form-data",
    )
    assert forged.status_code == 400


def test_a_blank_questionnaire_starts_empty_and_publishes_once_it_has_questions(
    client: FlaskClient,
) -> None:
    _designer(client)
    blank = {
        "key": "khao-sat-moi",
        "title_vi": "Khảo sát mới",
        "title_en": "New survey",
        "languages": "vi",
        "audience": "official",
    }
    made = _post(client, "/designer/blank", blank)
    assert made.status_code == 303
    assert made.headers["Location"].endswith("/designer/khao-sat-moi/1/sections/s1/new")
    version = _version("khao-sat-moi")
    assert version.document == {
        "id": "khao-sat-moi",
        "version": 1,
        "title": {"vi": "Khảo sát mới"},  # English was not chosen
        "languages": ["vi"],
        "audience": "official",
        "sections": [{"id": "s1", "title": {"vi": "Phần 1"}, "items": []}],
    }
    owner = db.session.get(Questionnaire, version.questionnaire_id)
    assert owner is not None and owner.owner_agency_id is not None  # the province's own
    refused = _post(client, "/designer/khao-sat-moi/1/publish?lang=en", {"confirm": "1"})
    assert refused.status_code == 303 and _version("khao-sat-moi").status is VersionStatus.DRAFT
    question = {"type": "text", "id": "y_kien", "label_vi": "Ý kiến của ông/bà"}
    assert _post(client, "/designer/khao-sat-moi/1/sections/s1/new", question).status_code == 303
    assert _post(client, "/designer/khao-sat-moi/1/publish", {"confirm": "1"}).status_code == 303
    assert _version("khao-sat-moi").status is VersionStatus.OPEN


def test_a_blank_questionnaire_with_bad_details_is_refused_beside_each_field(
    client: FlaskClient,
) -> None:
    _designer(client)
    taken = _create(client).split("/")[2]
    cases = [
        ({"key": "Bad Id!", "title_vi": "T"}, "key", "Use 1 to 56 lower-case letters"),
        ({"key": taken, "title_vi": "T"}, "key", f"&#34;{taken}&#34; is already used"),
        ({"key": "sipas-2017", "title_vi": "T"}, "key", "is already used"),
        ({"key": "ok"}, "title_vi", "The Vietnamese title is required."),
        ({"key": "ok", "title_vi": "T" * 201}, "title_vi", "At most 200 characters; this text"),
        ({"key": "ok", "title_vi": "T", "audience": "x"}, "audience", "Choose who answers"),
    ]
    for data, field, message in cases:
        form = {"languages": "vi,en", "audience": "citizen", **data}
        page = _post(client, "/designer/blank?lang=en", form)
        assert page.status_code == 200, data
        beside = re.search(rf'<p class="field-error" id="err-{field}">([^<]*)</p>', page.text)
        assert beside and message in beside.group(1), (data, page.text[-3000:])
        assert f'value="{form.get("title_vi", "")[:20]}' in page.text  # what was typed stays
    assert db.session.scalar(select(func.count()).select_from(Questionnaire)) == 1


def test_designer_texts_over_their_length_limit_are_refused_with_the_limit(
    client: FlaskClient,
) -> None:
    _designer(client)
    base, key = _blank(client)
    long_question = {"type": "text", "id": "dai", "label_vi": "x" * 2001}
    page = _post(client, f"{base}sections/s_main/new?lang=en", long_question)
    assert page.status_code == 200
    assert "At most 2000 characters; this text has 2001." in page.text
    assert "dai" not in {i["id"] for i in _version(key).document["sections"][0]["items"]}
    long_title = _post(client, f"{base}details?lang=en", {"title_vi": "T" * 300})
    assert "At most 200 characters; this text has 300." in long_title.text


def test_import_warnings_are_flashed_as_warnings_in_the_page_language(
    client: FlaskClient,
) -> None:
    import openpyxl

    _designer(client)
    book = openpyxl.Workbook()
    survey = book.active
    survey.title = "survey"
    survey.append(["type", "name", "label::Tiếng Việt (vi)", "label::Swahili"])
    survey.append(["text", "comment", "Góp ý", "Maoni"])
    book.create_sheet("settings").append(["form_title", "form_id"])
    book["settings"].append(["Phiếu thử", "thu"])
    data = io.BytesIO()
    book.save(data)
    form = client.get("/designer/import")
    imported = client.post(
        "/designer/import?lang=vi",
        data={
            "csrf_token": factories.csrf_from(form.text),
            "file": (io.BytesIO(data.getvalue()), "thu.xlsx"),
        },
        content_type="multipart/form-data",
    )
    assert imported.status_code == 303, imported.text
    page = html.unescape(client.get(imported.headers["Location"]).text)
    warnings = re.findall(r'<p class="flash flash-warning"[^>]*>([^<]*)</p>', page)
    assert any("Swahili" in text for text in warnings), page
    assert all(": cảnh báo: " in text and "warning:" not in text for text in warnings)
