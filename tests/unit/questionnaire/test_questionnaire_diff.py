"""The diff between two questionnaire versions, on variants of the built-in templates."""

from __future__ import annotations

from typing import Any

import pytest

from surveyapp.questionnaire import validation
from surveyapp.questionnaire.diff import (
    FrameworkChange,
    FrameworkChangeKind,
    ItemChangeKind,
    diff,
)
from surveyapp.questionnaire.templates import list_templates, load_template


def _item(doc: dict[str, Any], item_id: str) -> dict[str, Any]:
    return next(i for s in doc["sections"] for i in s["items"] if i["id"] == item_id)


def _section(doc: dict[str, Any], section_id: str) -> dict[str, Any]:
    return next(s for s in doc["sections"] if s["id"] == section_id)


def _element(doc: dict[str, Any], element_id: str) -> dict[str, Any]:
    return next(e for e in doc["framework"]["elements"] if e["id"] == element_id)


def _valid(doc: dict[str, Any]) -> dict[str, Any]:
    """Variants must stay valid documents: the diff is only defined on those."""
    errors = [p for p in validation.validate(doc, "en") if p.severity == "error"]
    assert errors == []
    return doc


@pytest.mark.parametrize("template_id", [t.id for t in list_templates()])
def test_a_version_compared_with_itself_is_unchanged(template_id: str) -> None:
    result = diff(load_template(template_id), load_template(template_id))
    assert result.unchanged
    assert result.added == result.removed == result.changed == ()


def test_provincial_variant_of_sipas_2023_reports_added_removed_and_reworded_items() -> None:
    before = load_template("sipas-2023")
    after = load_template("sipas-2023")
    q10 = _section(after, "q10")
    q10["items"].append(
        {
            "id": "q10_hcm",
            "type": "text",
            "label": {"vi": "Góp ý riêng cho Thành phố", "en": "Suggestions for the city"},
        }
    )
    removed_item = q10["items"].pop(0)
    reworded = _item(after, "q9_15")
    reworded["label"] = {**reworded["label"], "en": "Ease of finding the procedure's rules"}
    _valid(after)

    result = diff(before, after)

    assert [(r.id, r.section, r.type) for r in result.added] == [("q10_hcm", "q10", "text")]
    assert [r.id for r in result.removed] == [removed_item["id"]]
    assert result.removed[0].label == removed_item["label"]
    assert [c.id for c in result.reworded] == ["q9_15"]
    change = result.reworded[0]
    assert change.kinds == (ItemChangeKind.REWORDED,)
    assert change.reworded_languages == ("en",)
    assert change.before.label["en"] != change.after.label["en"]
    assert change.before.label["vi"] == change.after.label["vi"]
    assert result.framework == ()
    assert not result.unchanged


def test_editing_a_shared_scale_changes_the_options_of_every_item_on_it() -> None:
    before = load_template("sipas-2017")
    after = load_template("sipas-2017")
    after["scales"]["sat5"]["options"][2]["label"]["vi"] = "Trung lập"
    on_sat5 = [i["id"] for s in before["sections"] for i in s["items"] if i.get("scale") == "sat5"]

    result = diff(before, after)

    assert [c.id for c in result.changed] == on_sat5
    assert all(c.kinds == (ItemChangeKind.OPTIONS,) for c in result.changed)
    assert result.reworded == ()


def test_switching_to_an_identical_copy_of_a_scale_is_a_scale_change_only() -> None:
    before = load_template("sipas-2017")
    after = load_template("sipas-2017")
    after["scales"]["sat5_copy"] = after["scales"]["sat5"]
    first_likert = next(i for s in after["sections"] for i in s["items"] if i["type"] == "likert")
    first_likert["scale"] = "sat5_copy"
    _valid(after)

    (change,) = diff(before, after).changed

    assert change.id == first_likert["id"]
    assert change.kinds == (ItemChangeKind.SCALE,)


def test_type_required_range_rule_and_checks_changes_are_named() -> None:
    before = load_template("sipas-2017")
    after = load_template("sipas-2017")
    number = next(i for s in after["sections"] for i in s["items"] if i["type"] == "number")
    number["max"] = number.get("max", 10) + 5
    number["required"] = not number.get("required", False)
    number["checks"] = [
        {"rule": {"le": [number["id"], 10]}, "message": {"vi": "Quá nhiều", "en": "Too many"}}
    ]
    with_rule = next(i for s in after["sections"] for i in s["items"] if "show_when" in i)
    with_rule["show_when"] = {"not": with_rule["show_when"]}
    _valid(after)

    changes = {c.id: c.kinds for c in diff(before, after).changed}

    assert changes[number["id"]] == (
        ItemChangeKind.REQUIRED,
        ItemChangeKind.RANGE,
        ItemChangeKind.CHECKS,
    )
    assert changes[with_rule["id"]] == (ItemChangeKind.SHOW_WHEN,)


def test_a_single_item_turned_multi_is_a_type_change() -> None:
    before = load_template("sipas-2023")
    after = load_template("sipas-2023")
    single = next(i for s in after["sections"] for i in s["items"] if i["type"] == "single")
    single["type"] = "multi"

    changes = {c.id: c.kinds for c in diff(before, after).changed}

    assert changes[single["id"]] == (ItemChangeKind.TYPE,)


def test_an_item_moved_to_another_section_keeps_its_identity() -> None:
    before = load_template("par-officials")
    after = load_template("par-officials")
    legal, procedures = _section(after, "legal"), _section(after, "procedures")
    moved = legal["items"].pop()
    procedures["items"].insert(0, moved)
    _valid(after)

    result = diff(before, after)

    assert result.added == result.removed == ()
    assert [(c.id, c.before.section, c.after.section) for c in result.moved] == [
        (moved["id"], "legal", "procedures")
    ]
    assert result.moved[0].kinds == (ItemChangeKind.MOVED,)


def test_a_renamed_item_id_reads_as_removed_and_added() -> None:
    before = load_template("tt01-dossier")
    after = load_template("tt01-dossier")
    item = _section(after, "counter")["items"][-1]
    old_id = item["id"]
    item["id"] = old_id + "_v2"

    result = diff(before, after)

    assert [r.id for r in result.removed] == [old_id]
    assert [r.id for r in result.added] == [old_id + "_v2"]


def test_sections_added_removed_and_retitled() -> None:
    before = load_template("par-officials")
    after = load_template("par-officials")
    after["sections"] = [s for s in after["sections"] if s["id"] != "impact"]
    _section(after, "digital")["title"] = {"vi": "Chuyển đổi số", "en": "Digital transformation"}
    after["sections"].append(
        {
            "id": "extra",
            "title": {"vi": "Ý kiến khác", "en": "Other comments"},
            "items": [
                {"id": "extra_note", "type": "text", "label": {"vi": "Ý kiến", "en": "Note"}}
            ],
        }
    )
    impact_ids = [i["id"] for i in _section(before, "impact")["items"]]
    framework_items = {c["item"] for e in before["framework"]["elements"] for c in e["criteria"]}
    for element in after["framework"]["elements"]:
        element["criteria"] = [c for c in element["criteria"] if c["item"] not in impact_ids]
    after["framework"]["elements"] = [e for e in after["framework"]["elements"] if e["criteria"]]
    _valid(after)

    result = diff(before, after)

    assert result.sections_removed == ("impact",)
    assert result.sections_added == ("extra",)
    assert [(s.id, s.kinds) for s in result.sections_changed] == [("digital", ("title",))]
    assert [r.id for r in result.removed] == impact_ids
    removed_criteria = {
        c.subject for c in result.framework if c.kind == FrameworkChangeKind.CRITERION_REMOVED
    }
    assert removed_criteria == set(impact_ids) & framework_items


def test_sipas_2023_framework_changes_weights_groups_and_membership() -> None:
    before = load_template("sipas-2023")
    after = load_template("sipas-2023")
    fw = after["framework"]
    fw["groups"][0]["weight"] = 2
    first, second = fw["elements"][0], fw["elements"][1]
    first["weight"] = 3
    moved_criterion = first["criteria"].pop()
    second["criteria"].append(moved_criterion)
    second["criteria"][0]["weight"] = 0.5
    dropped = fw["elements"].pop()
    fw["targets"] = {"overall": 0.8}
    fw["satisfied"] = [5]
    _valid(after)

    changes = diff(before, after).framework
    kinds = FrameworkChangeKind

    assert FrameworkChange(kinds.GROUP_WEIGHT, fw["groups"][0]["id"], None, 1, 2) in changes
    assert FrameworkChange(kinds.ELEMENT_WEIGHT, first["id"], None, 1, 3) in changes
    assert FrameworkChange(kinds.ELEMENT_REMOVED, dropped["id"], before=dropped) in changes
    assert (
        FrameworkChange(kinds.CRITERION_REMOVED, moved_criterion["item"], first["id"], 1, None)
        in changes
    )
    assert (
        FrameworkChange(kinds.CRITERION_ADDED, moved_criterion["item"], second["id"], None, 1)
        in changes
    )
    assert (
        FrameworkChange(kinds.CRITERION_WEIGHT, second["criteria"][0]["item"], second["id"], 1, 0.5)
        in changes
    )
    # the dropped element's criteria leave with it
    for criterion in dropped["criteria"]:
        assert (
            FrameworkChange(kinds.CRITERION_REMOVED, criterion["item"], dropped["id"], 1, None)
            in changes
        )
    assert FrameworkChange(kinds.TARGET, "overall", None, None, 0.8) in changes
    assert FrameworkChange(kinds.SETTING, "satisfied", None, [4, 5], [5]) in changes
    assert all(change.kind != kinds.ELEMENT_ADDED for change in changes)


def test_element_moved_to_another_group_and_relabelled() -> None:
    before = load_template("sipas-2023")
    after = load_template("sipas-2023")
    element = next(e for e in after["framework"]["elements"] if e["group"] == "policy")
    element["group"] = "services"
    element["label"] = {"vi": "Nhãn mới", "en": "New label"}
    _valid(after)

    changes = diff(before, after).framework
    old_label = _element(before, element["id"])["label"]

    assert changes == (
        FrameworkChange(
            FrameworkChangeKind.ELEMENT_GROUP, element["id"], None, "policy", "services"
        ),
        FrameworkChange(
            FrameworkChangeKind.ELEMENT_LABEL, element["id"], None, old_label, element["label"]
        ),
    )


def test_an_explicit_weight_of_one_is_no_change() -> None:
    before = load_template("sipas-2017")
    after = load_template("sipas-2017")
    for element in after["framework"]["elements"]:
        element["weight"] = 1
        for criterion in element["criteria"]:
            criterion["weight"] = 1.0

    assert diff(before, after).framework == ()


def test_indicator_and_points_changes() -> None:
    before = load_template("tt01-dossier")
    after = load_template("tt01-dossier")
    fw = after["framework"]
    first = fw["indicators"][0]
    fw["indicators"][0] = {**first, "codes": first["codes"][:1]}
    fw["points"]["bands"][0]["min"] = fw["points"]["bands"][0]["min"] + 0.5
    _valid(after)

    changes = diff(before, after).framework

    assert [(c.kind, c.subject) for c in changes] == [
        (FrameworkChangeKind.INDICATOR_CHANGED, first["id"]),
        (FrameworkChangeKind.SETTING, "points"),
    ]
    assert changes[0].before == first


def test_metadata_changes_are_listed() -> None:
    before = load_template("sipas-2023")
    after = load_template("sipas-2023")
    after["title"] = {"vi": "SIPAS tỉnh", "en": "Provincial SIPAS"}
    after["version"] = 2

    result = diff(before, after)

    assert result.metadata == ("title",)
    assert result.changed == ()


def test_every_kind_of_change_has_a_label_for_the_diff_page() -> None:
    from surveyapp.questionnaire.diff import FRAMEWORK_CHANGE_LABELS, ITEM_CHANGE_LABELS

    assert set(ITEM_CHANGE_LABELS) == set(ItemChangeKind)
    assert set(FRAMEWORK_CHANGE_LABELS) == set(FrameworkChangeKind)
    assert str(ITEM_CHANGE_LABELS[ItemChangeKind.MOVED]) == "moved to another section"
