"""validate(): one test per problem kind (path and message in vi and en), all reported at once."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from surveyapp.questionnaire.validation import (
    MESSAGES,
    Problem,
    QuestionnaireInvalid,
    check,
    validate,
)

Doc = dict[str, Any]


def base() -> Doc:
    """A small valid document: screening, one rated section, a framework with everything."""
    sat = [{"code": c, "label": {"vi": f"v{c}", "en": f"e{c}"}} for c in (1, 2, 3, 4, 5)]
    return {
        "id": "mini",
        "version": 1,
        "title": {"vi": "Phiếu", "en": "Form"},
        "languages": ["vi", "en"],
        "audience": "citizen",
        "scales": {
            "sat5": {
                "options": [*sat, {"code": 9, "label": {"vi": "KTL", "en": "NA"}, "missing": True}]
            },
            "pts": {
                "options": [
                    {"code": c, "label": {"vi": str(c), "en": str(c)}, "points": c}
                    for c in (0, 1, 2)
                ]
            },
        },
        "sections": [
            {
                "id": "screen",
                "title": {"vi": "Sàng lọc", "en": "Screen"},
                "items": [
                    {"id": "intro", "type": "info", "label": {"vi": "Chào", "en": "Hi"}},
                    {
                        "id": "late",
                        "type": "single",
                        "scale": "sat5",
                        "label": {"vi": "a", "en": "a"},
                    },
                    {
                        "id": "trips",
                        "type": "number",
                        "min": 1,
                        "max": 20,
                        "label": {"vi": "b", "en": "b"},
                        "show_when": {"eq": ["late", 1]},
                    },
                ],
            },
            {
                "id": "rate",
                "title": {"vi": "Đánh giá", "en": "Rate"},
                "show_when": {"ne": ["late", 2]},
                "items": [
                    {
                        "id": "a1",
                        "type": "likert",
                        "scale": "sat5",
                        "label": {"vi": "c", "en": "c"},
                    },
                    {
                        "id": "a2",
                        "type": "likert",
                        "scale": "sat5",
                        "label": {"vi": "d", "en": "d"},
                    },
                    {"id": "p1", "type": "single", "scale": "pts", "label": {"vi": "e", "en": "e"}},
                ],
            },
        ],
        "framework": {
            "satisfied": [4, 5],
            "aggregate": "mean",
            "groups": [{"id": "g1", "weight": 1}, {"id": "g2", "weight": 2}],
            "elements": [
                {"id": "e1", "group": "g1", "weight": 1, "criteria": [{"item": "a1", "weight": 2}]},
                {"id": "e2", "group": "g2", "criteria": [{"item": "a2"}]},
            ],
            "indicators": [
                {"id": "many_trips", "item": "trips", "min": 2, "among": {"eq": ["late", 1]}},
                {"id": "late_share", "item": "late", "codes": [1]},
            ],
            "targets": {"overall": 0.85, "e1": 0.9},
            "points": {
                "items": ["p1"],
                "bands": [
                    {"min": 2, "label": {"vi": "Tốt", "en": "Good"}},
                    {"min": 0, "label": {"vi": "Yếu", "en": "Weak"}},
                ],
            },
        },
    }


def test_the_base_document_is_valid() -> None:
    assert validate(base()) == []
    assert check(base()) == []


def _set(path: str, value: Any) -> Callable[[Doc], None]:
    """A mutation that sets a dotted path (``sections.0.items.1.id``) to ``value``."""

    def mutate(doc: Doc) -> None:
        *parents, last = path.split(".")
        target: Any = doc
        for key in parents:
            target = target[int(key)] if isinstance(target, list) else target[key]
        if isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value

    return mutate


def _drop(path: str) -> Callable[[Doc], None]:
    def mutate(doc: Doc) -> None:
        *parents, last = path.split(".")
        target: Any = doc
        for key in parents:
            target = target[int(key)] if isinstance(target, list) else target[key]
        del target[last]

    return mutate


I = "sections.0.items"  # noqa: E741 - short on purpose: the table below stays readable
R = "sections.1.items"
CASES: list[tuple[str, Callable[[Doc], None], str, str, str]] = [
    # name, mutation, expected path, message code, severity
    ("required key", _drop("version"), "version", "required", "error"),
    ("wrong type", _set("version", "one"), "version", "type", "error"),
    (
        "unknown key",
        _set(f"{I}.1.colour", "red"),
        "sections[0].items[1].colour",
        "unknown_key",
        "error",
    ),
    (
        "unknown item type",
        _set(f"{I}.1.type", "slider"),
        "sections[0].items[1].type",
        "enum",
        "error",
    ),
    ("empty languages", _set("languages", []), "languages", "min_items", "error"),
    (
        "unknown operator",
        _set(f"{I}.2.show_when", {"like": ["late", 1]}),
        "sections[0].items[2].show_when.like",
        "unknown_operator",
        "error",
    ),
    (
        "two operators",
        _set(f"{I}.2.show_when", {"eq": ["late", 1], "ne": ["late", 2]}),
        "sections[0].items[2].show_when",
        "one_operator",
        "error",
    ),
    (
        "non-integer code",
        _set("scales.sat5.options.0.code", 1.5),
        "scales.sat5.options[0].code",
        "type",
        "error",
    ),
    (
        "bad item id",
        _set(f"{I}.1.id", "Late-1"),
        "sections[0].items[1].id",
        "item_id_format",
        "error",
    ),
    (
        "long item id",
        _set(f"{I}.1.id", "a" * 33),
        "sections[0].items[1].id",
        "item_id_format",
        "error",
    ),
    (
        "duplicate item",
        _set(f"{R}.1.id", "a1"),
        "sections[1].items[1].id",
        "duplicate_item",
        "error",
    ),
    (
        "duplicate section",
        _set("sections.1.id", "screen"),
        "sections[1].id",
        "duplicate_section",
        "error",
    ),
    (
        "unknown scale",
        _set(f"{R}.0.scale", "sat7"),
        "sections[1].items[0].scale",
        "unknown_scale",
        "error",
    ),
    (
        "choice without options",
        _drop(f"{R}.0.scale"),
        "sections[1].items[0]",
        "choice_needs_options",
        "error",
    ),
    (
        "duplicate code",
        _set("scales.sat5.options.1.code", 1),
        "scales.sat5.options[1].code",
        "duplicate_code",
        "error",
    ),
    ("min above max", _set(f"{I}.2.min", 30), "sections[0].items[2].min", "min_above_max", "error"),
    (
        "rule names a later item",
        _set(f"{I}.1.show_when", {"eq": ["trips", 1]}),
        "sections[0].items[1].show_when",
        "rule_later_item",
        "error",
    ),
    (
        "rule names itself",
        _set(f"{I}.1.show_when", {"answered": "late"}),
        "sections[0].items[1].show_when",
        "rule_later_item",
        "error",
    ),
    (
        "rule names an unknown item",
        _set("sections.1.show_when", {"eq": ["ghost", 1]}),
        "sections[1].show_when",
        "rule_unknown_item",
        "error",
    ),
    (
        "rule names an info item",
        _set(f"{I}.2.show_when", {"answered": "intro"}),
        "sections[0].items[2].show_when",
        "rule_info_item",
        "error",
    ),
    (
        "rule code not an option",
        _set(f"{I}.2.show_when", {"eq": ["late", 7]}),
        "sections[0].items[2].show_when",
        "rule_unknown_code",
        "warning",
    ),
    (
        "criterion unknown",
        _set("framework.elements.0.criteria.0.item", "zz"),
        "framework.elements[0].criteria[0].item",
        "unknown_item",
        "error",
    ),
    (
        "criterion not likert",
        _set("framework.elements.0.criteria.0.item", "trips"),
        "framework.elements[0].criteria[0].item",
        "criterion_type",
        "error",
    ),
    (
        "zero weight",
        _set("framework.elements.0.weight", 0),
        "framework.elements[0].weight",
        "exclusive_minimum",
        "error",
    ),
    (
        "negative criterion weight",
        _set("framework.elements.0.criteria.0.weight", -1),
        "framework.elements[0].criteria[0].weight",
        "exclusive_minimum",
        "error",
    ),
    (
        "indicator codes and range",
        _set("framework.indicators.1.min", 1),
        "framework.indicators[1]",
        "indicator_codes_or_range",
        "error",
    ),
    (
        "indicator neither",
        _drop("framework.indicators.1.codes"),
        "framework.indicators[1]",
        "indicator_codes_or_range",
        "error",
    ),
    (
        "indicator unknown item",
        _set("framework.indicators.1.item", "zz"),
        "framework.indicators[1].item",
        "unknown_item",
        "error",
    ),
    (
        "indicator on info",
        _set("framework.indicators.1.item", "intro"),
        "framework.indicators[1].item",
        "indicator_item_type",
        "error",
    ),
    (
        "among unknown item",
        _set("framework.indicators.0.among", {"eq": ["zz", 1]}),
        "framework.indicators[0].among",
        "rule_unknown_item",
        "error",
    ),
    (
        "among with text",
        _set("framework.indicators.0.among", {"eq": ["late", "x"]}),
        "framework.indicators[0].among",
        "rule_value_not_number",
        "error",
    ),
    (
        "undeclared group",
        _set("framework.elements.1.group", "g3"),
        "framework.elements[1].group",
        "unknown_group",
        "error",
    ),
    (
        "element without group",
        _drop("framework.elements.1.group"),
        "framework.elements[1]",
        "missing_group",
        "error",
    ),
    (
        "duplicate element",
        _set("framework.elements.1.id", "e1"),
        "framework.elements[1].id",
        "duplicate_id",
        "error",
    ),
    (
        "target above 1",
        _set("framework.targets.overall", 85),
        "framework.targets.overall",
        "maximum",
        "error",
    ),
    (
        "target zero",
        _set("framework.targets.overall", 0),
        "framework.targets.overall",
        "exclusive_minimum",
        "error",
    ),
    (
        "unknown target",
        _set("framework.targets.nope", 0.5),
        "framework.targets.nope",
        "unknown_target",
        "warning",
    ),
    (
        "points item unknown",
        _set("framework.points.items.0", "zz"),
        "framework.points.items[0]",
        "unknown_item",
        "error",
    ),
    (
        "points item not single",
        _set("framework.points.items.0", "trips"),
        "framework.points.items[0]",
        "points_item_type",
        "error",
    ),
    (
        "points item option without points",
        _drop("scales.pts.options.1.points"),
        "scales.pts.options[1].points",
        "points_missing",
        "error",
    ),
    (
        "points item option over the item maximum",
        _set("scales.pts.options.1.points", 3),
        "scales.pts.options[1].points",
        "points_over_max",
        "error",
    ),
    (
        "bands from the bottom",
        _set("framework.points.bands.1.min", 5),
        "framework.points.bands[1].min",
        "bands_order",
        "error",
    ),
    (
        "missing first language",
        _drop(f"{I}.1.label.vi"),
        "sections[0].items[1].label",
        "missing_label",
        "error",
    ),
    (
        "missing translation",
        _drop("sections.1.title.en"),
        "sections[1].title",
        "missing_translation",
        "warning",
    ),
]


@pytest.mark.parametrize(
    ("mutate", "path", "code", "severity"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_each_problem_kind_is_reported_at_its_path(
    mutate: Callable[[Doc], None], path: str, code: str, severity: str, lang: str
) -> None:
    doc = base()
    mutate(doc)
    problems = validate(doc, lang)
    matching = [p for p in problems if p.path == path]
    assert matching, f"nothing at {path}: {problems}"
    template = MESSAGES[code][lang]
    fixed = template.split("{")[0]  # the text before the first parameter
    assert any(p.message.startswith(fixed) and p.severity == severity for p in matching), problems


def test_counted_options_need_points_but_missing_values_and_uncounted_items_do_not() -> None:
    """Scoring adds up the options' points, never their codes: a counted answer without
    points is refused once per option, whether its options are inline or on a scale."""
    doc = base()
    del doc["scales"]["pts"]["options"][0]["points"]
    not_applicable = {"code": 9, "label": {"vi": "KAD", "en": "NA"}, "missing": True}
    doc["scales"]["pts"]["options"].append(not_applicable)  # no points: not counted
    rate = doc["sections"][1]["items"]
    rate.append({**rate[2], "id": "p2"})  # a second counted item on the same scale
    options = [
        {"code": 1, "label": {"vi": "c", "en": "c"}, "points": 4},
        {"code": 2, "label": {"vi": "k", "en": "k"}},
    ]
    rate.append({"id": "p3", "type": "single", "options": options, "label": {"vi": "f", "en": "f"}})
    doc["framework"]["points"]["items"] = ["p1", "p2", "p3"]
    doc["framework"]["points"]["item_max"] = 4
    missing = [p for p in validate(doc, "en") if p.path.endswith(".points")]
    assert [(p.path, p.message) for p in missing] == [
        (
            "scales.pts.options[0].points",
            'option 0 has no points, but question "p1" counts for points',
        ),
        (
            "sections[1].items[4].options[1].points",
            'option 2 has no points, but question "p3" counts for points',
        ),
    ]
    doc["framework"]["points"]["items"] = ["p2"]  # p3 no longer counts
    assert [p.path for p in validate(doc, "en") if p.path.endswith(".points")] == [
        "scales.pts.options[0].points"
    ]


def test_no_counted_option_gives_more_than_the_item_maximum() -> None:
    """A dossier's total is scaled by answered × item_max: an option above it would push
    scores past the top band. The default maximum is TT01's 2 points."""
    doc = base()
    doc["scales"]["pts"]["options"].append(
        {"code": 3, "label": {"vi": "3", "en": "3"}, "points": 3}
    )
    over = [p for p in validate(doc, "en") if p.path.endswith(".points")]
    assert [(p.path, p.message) for p in over] == [
        (
            "scales.pts.options[3].points",
            'option 3 of question "p1" gives 3 points, more than one question\'s maximum (2): '
            "change the points or set the scheme's item_max",
        )
    ]
    doc["framework"]["points"]["item_max"] = 3
    assert not [p for p in validate(doc, "en") if p.path.endswith(".points")]


def _with_scale(codes: list[int], satisfied: list[int] | None = None) -> Doc:
    """``base()`` with criterion a2 on a scale coded ``codes`` (plus a missing 9)."""
    doc = base()
    options = [{"code": c, "label": {"vi": f"v{c}", "en": f"e{c}"}} for c in codes]
    na = {"code": 9, "label": {"vi": "KTL", "en": "NA"}, "missing": True}
    doc["scales"]["other"] = {"options": [*options, na]}
    doc["sections"][1]["items"][1]["scale"] = "other"
    if satisfied is not None:
        doc["framework"]["satisfied"] = satisfied
    return doc


def _criterion_warnings(doc: Doc) -> list[tuple[str, str, str]]:
    return [
        (p.path, p.severity, p.message)
        for p in validate(doc, "en")
        if p.path.startswith("framework.elements")
    ]


def test_a_criterion_coded_below_every_satisfied_code_is_warned_of_at_its_place() -> None:
    """A one-choice item coded 1-3 under satisfied codes 4 and 5 can only score 0 %."""
    assert _criterion_warnings(_with_scale([1, 2, 3])) == [
        (
            "framework.elements[1].criteria[0].item",
            "warning",
            'question "a2" is coded 1, 2, 3, none of them a satisfied code (4, 5), so this '
            "criterion can only score 0 %: use a scale that matches the satisfied codes "
            "or change them",
        )
    ]
    # satisfied = 3 fits a2, and now a1's 1-5 scale is the one that runs past it
    assert [path for path, *_ in _criterion_warnings(_with_scale([1, 2, 3], satisfied=[3]))] == [
        "framework.elements[0].criteria[0].item"
    ]


def test_a_criterion_whose_codes_do_not_run_as_the_satisfied_codes_is_warned_of() -> None:
    four_points = _criterion_warnings(_with_scale([1, 2, 3, 4]))
    assert four_points == [
        (
            "framework.elements[1].criteria[0].item",
            "warning",
            'question "a2" is coded 1, 2, 3, 4, without the satisfied code(s) 5 '
            "(satisfied: 4, 5): check that its scale runs as the satisfied codes do",
        )
    ]
    seven_points = _criterion_warnings(_with_scale([1, 2, 3, 4, 5, 6, 7]))
    assert seven_points == [
        (
            "framework.elements[1].criteria[0].item",
            "warning",
            'question "a2" has options coded 6, 7, above the satisfied codes (4, 5), that '
            "would count as not satisfied: check its scale",
        )
    ]
    assert _criterion_warnings(_with_scale([1, 2, 3, 4, 5])) == []  # the missing 9 is fine


def test_every_problem_is_reported_at_once() -> None:
    doc = base()
    for _, mutate, *_ in CASES:
        try:
            mutate(doc)
        except (KeyError, IndexError):  # an earlier mutation already removed the spot
            continue
    problems = validate(doc, "en")
    paths = {p.path for p in problems}
    assert len(problems) >= 25
    for expected in (
        "version",
        "languages",
        "sections[0].items[1].colour",
        "framework.points.bands[1].min",
    ):
        assert expected in paths


def test_independent_problems_in_one_document_are_all_listed_in_both_languages() -> None:
    doc = base()
    doc["sections"][0]["items"][1]["id"] = "Late"
    doc["sections"][1]["items"][0]["scale"] = "sat7"
    doc["framework"]["targets"]["overall"] = 2
    doc["framework"]["elements"][1]["group"] = "g9"
    for lang in ("vi", "en"):
        problems = validate(doc, lang)
        assert {p.path for p in problems} >= {
            "sections[0].items[1].id",
            "sections[1].items[0].scale",
            "framework.targets.overall",
            "framework.elements[1].group",
        }
    vi = [p.message for p in validate(doc, "vi")]
    en = [p.message for p in validate(doc, "en")]
    assert vi != en and len(vi) == len(en)


def test_messages_carry_the_offending_values() -> None:
    doc = base()
    doc["sections"][1]["items"][0]["scale"] = "sat7"
    (problem,) = validate(doc, "en")
    assert problem == Problem(
        "sections[1].items[0].scale", 'scale "sat7" does not exist (known: pts, sat5)'
    )
    assert (
        str(problem) == 'sections[1].items[0].scale: scale "sat7" does not exist (known: pts, sat5)'
    )


def test_warnings_alone_leave_the_document_usable() -> None:
    doc = base()
    del doc["title"]["en"]
    problems = check(doc, "en")
    assert [(p.path, p.severity) for p in problems] == [("title", "warning")]
    assert str(problems[0]) == 'title: warning: no "en" translation'


def test_check_raises_with_every_problem() -> None:
    doc = base()
    doc["version"] = 0
    doc["sections"][1]["id"] = "screen"
    with pytest.raises(QuestionnaireInvalid) as caught:
        check(doc, "en")
    assert [p.path for p in caught.value.problems] == ["version", "sections[1].id"]


@pytest.mark.parametrize("doc", [None, [], "text", 3])
def test_a_document_that_is_not_an_object(doc: Any) -> None:
    assert validate(doc, "en") == [Problem("$", "the document must be a JSON object")]


def test_a_structurally_broken_document_still_gets_meaning_checks() -> None:
    doc = base()
    doc["sections"][0]["items"] = "oops"
    doc["framework"]["elements"] = [{"id": "e1", "criteria": [{"item": "a1"}]}, 7]
    paths = {p.path for p in validate(doc, "en")}
    assert "sections[0].items" in paths
    assert "framework.elements[1]" in paths
    assert "framework.elements[0]" in paths  # groups declared, element has none


def test_unknown_language_falls_back_to_english() -> None:
    doc = base()
    del doc["version"]
    assert validate(doc, "fr") == validate(doc, "en")


def test_every_message_exists_in_vi_and_en() -> None:
    for code, texts in MESSAGES.items():
        assert set(texts) == {"vi", "en"}, code
        assert texts["vi"] != texts["en"] or "{" in texts["vi"], code


def test_input_document_is_not_modified() -> None:
    doc = base()
    doc["sections"][0]["items"][1]["id"] = "Bad"
    before = copy.deepcopy(doc)
    validate(doc)
    assert doc == before
