"""The JSON rule interpreter: every operator, unanswered items, multi answers, errors."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from surveyapp.questionnaire.rules import RuleError, evaluate, referenced_items

ANSWERS: dict[str, Any] = {"trips": 3, "timing": 2, "name": "Lan", "channels": [1, 4]}


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ({"eq": ["trips", 3]}, True),
        ({"eq": ["trips", 2]}, False),
        ({"ne": ["trips", 2]}, True),
        ({"ne": ["trips", 3]}, False),
        ({"lt": ["trips", 4]}, True),
        ({"lt": ["trips", 3]}, False),
        ({"le": ["trips", 3]}, True),
        ({"le": ["trips", 2]}, False),
        ({"gt": ["trips", 2]}, True),
        ({"gt": ["trips", 3]}, False),
        ({"ge": ["trips", 3]}, True),
        ({"ge": ["trips", 4]}, False),
        ({"in": ["timing", [1, 2]]}, True),
        ({"in": ["timing", [3]]}, False),
        ({"in": ["timing", []]}, False),
        ({"answered": "trips"}, True),
        ({"answered": "late"}, False),
        ({"eq": ["name", "Lan"]}, True),
    ],
)
def test_each_operator_on_an_answered_item(rule: dict[str, Any], expected: bool) -> None:
    assert evaluate(rule, ANSWERS) is expected


def test_no_rule_always_holds() -> None:
    assert evaluate(None, {}) is True
    assert referenced_items(None) == set()


@pytest.mark.parametrize("op", ["eq", "ne", "lt", "le", "gt", "ge"])
@pytest.mark.parametrize("blank", [{}, {"late": None}, {"late": ""}, {"late": []}])
def test_every_comparison_with_an_unanswered_item_is_false(op: str, blank: dict) -> None:
    """As SQL's NULL: "ne 2" does not hold before the item is answered (ne included)."""
    assert evaluate({op: ["late", 2]}, blank) is False
    assert evaluate({"in": ["late", [2]]}, blank) is False
    assert evaluate({"answered": "late"}, blank) is False


def test_not_inverts_a_comparison_with_an_unanswered_item() -> None:
    """``not eq`` is the way to say "unless we know it is 2" (true while unanswered)."""
    assert evaluate({"not": {"eq": ["late", 2]}}, {}) is True
    assert evaluate({"not": {"ne": ["late", 2]}}, {}) is True
    assert evaluate({"not": {"eq": ["late", 2]}}, {"late": 2}) is False


def test_multi_answers_match_when_any_ticked_code_matches() -> None:
    assert evaluate({"eq": ["channels", 4]}, ANSWERS) is True
    assert evaluate({"eq": ["channels", 7]}, ANSWERS) is False
    assert evaluate({"in": ["channels", [2, 4]]}, ANSWERS) is True
    assert evaluate({"in": ["channels", [2, 3]]}, ANSWERS) is False
    assert evaluate({"gt": ["channels", 3]}, ANSWERS) is True
    assert evaluate({"answered": "channels"}, ANSWERS) is True


def test_ne_on_a_multi_answer_means_the_code_is_not_ticked() -> None:
    assert evaluate({"ne": ["channels", 7]}, ANSWERS) is True
    assert evaluate({"ne": ["channels", 4]}, ANSWERS) is False  # 1 is ticked too: still no


def test_text_compared_with_a_number_is_no_match_rather_than_an_error() -> None:
    assert evaluate({"lt": ["name", 3]}, ANSWERS) is False


def test_nested_rules() -> None:
    late_and_many = {
        "and": [{"eq": ["timing", 2]}, {"or": [{"ge": ["trips", 3]}, {"not": {"answered": "x"}}]}]
    }
    assert evaluate(late_and_many, ANSWERS) is True
    assert evaluate({"and": [late_and_many, {"eq": ["trips", 1]}]}, ANSWERS) is False
    assert referenced_items(late_and_many) == {"timing", "trips", "x"}


def test_empty_and_holds_and_empty_or_does_not() -> None:
    assert evaluate({"and": []}, {}) is True
    assert evaluate({"or": []}, {}) is False


def test_referenced_items_of_every_operator() -> None:
    assert referenced_items({"eq": ["a", 1]}) == {"a"}
    assert referenced_items({"in": ["b", [1]]}) == {"b"}
    assert referenced_items({"answered": "c"}) == {"c"}
    assert referenced_items({"not": {"or": [{"lt": ["d", 1]}, {"ge": ["e", 1]}]}}) == {"d", "e"}


@pytest.mark.parametrize(
    ("rule", "fragment"),
    [
        ({"contains": ["a", 1]}, 'unknown operator "contains"'),
        ({}, "exactly one operator"),
        ({"eq": ["a", 1], "ne": ["a", 2]}, "exactly one operator"),
        ("trips == 2", "exactly one operator"),  # strings are never parsed as expressions
        ({"eq": ["a"]}, "[item, value]"),
        ({"eq": [1, 1]}, "[item, value]"),
        ({"in": ["a", 1]}, "[item, [values]]"),
        ({"answered": ["a"]}, "an item id"),
        ({"and": {"eq": ["a", 1]}}, "a list of rules"),
        ({"not": None}, "takes a rule"),
        ({"or": [None]}, "takes a rule"),
    ],
)
def test_malformed_rules_raise_rule_error(rule: Any, fragment: str) -> None:
    with pytest.raises(RuleError, match=None) as caught:
        evaluate(rule, ANSWERS)
    assert fragment in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_referenced_items_refuses_unknown_operators_too() -> None:
    with pytest.raises(RuleError):
        referenced_items({"nope": "a"})


# --- properties --------------------------------------------------------------------------

ITEMS = ["a", "b", "c"]
values = st.one_of(st.integers(1, 4), st.lists(st.integers(1, 4), max_size=3))
answer_sets = st.dictionaries(st.sampled_from(ITEMS), values)
leaves = st.one_of(
    st.tuples(
        st.sampled_from(["eq", "ne", "lt", "le", "gt", "ge"]),
        st.sampled_from(ITEMS),
        st.integers(0, 5),
    ).map(lambda t: {t[0]: [t[1], t[2]]}),
    st.tuples(st.sampled_from(ITEMS), st.lists(st.integers(0, 5), max_size=3)).map(
        lambda t: {"in": [t[0], t[1]]}
    ),
    st.sampled_from(ITEMS).map(lambda i: {"answered": i}),
)
rule_trees = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3).map(lambda rs: {"and": rs}),
        st.lists(inner, max_size=3).map(lambda rs: {"or": rs}),
        inner.map(lambda r: {"not": r}),
    ),
    max_leaves=8,
)
PROPS = settings(max_examples=200, deadline=None)


@PROPS
@given(rule_trees, answer_sets)
def test_double_negation_is_the_rule(rule: dict[str, Any], answers: dict[str, Any]) -> None:
    assert evaluate({"not": {"not": rule}}, answers) == evaluate(rule, answers)


@PROPS
@given(rule_trees, rule_trees, answer_sets)
def test_de_morgan(r: dict[str, Any], s: dict[str, Any], answers: dict[str, Any]) -> None:
    not_and = evaluate({"not": {"and": [r, s]}}, answers)
    assert not_and == evaluate({"or": [{"not": r}, {"not": s}]}, answers)
    not_or = evaluate({"not": {"or": [r, s]}}, answers)
    assert not_or == evaluate({"and": [{"not": r}, {"not": s}]}, answers)


@PROPS
@given(rule_trees, answer_sets)
def test_and_or_with_one_rule_is_the_rule(rule: dict[str, Any], answers: dict[str, Any]) -> None:
    assert evaluate({"and": [rule]}, answers) == evaluate(rule, answers)
    assert evaluate({"or": [rule]}, answers) == evaluate(rule, answers)


@PROPS
@given(rule_trees, answer_sets)
def test_only_named_items_matter(rule: dict[str, Any], answers: dict[str, Any]) -> None:
    named = referenced_items(rule)
    assert named <= set(ITEMS)
    kept = {k: v for k, v in answers.items() if k in named}
    assert evaluate(rule, kept) == evaluate(rule, answers)


@PROPS
@given(st.sampled_from(ITEMS), st.integers(0, 5), answer_sets)
def test_unanswered_items_fail_every_comparison(item: str, value: int, answers: dict) -> None:
    answers = {k: v for k, v in answers.items() if k != item}
    for op in ("eq", "ne", "lt", "le", "gt", "ge"):
        assert evaluate({op: [item, value]}, answers) is False


@PROPS
@given(st.sampled_from(ITEMS), st.integers(0, 5), answer_sets)
def test_in_with_one_value_is_eq(item: str, value: int, answers: dict[str, Any]) -> None:
    assert evaluate({"in": [item, [value]]}, answers) == evaluate({"eq": [item, value]}, answers)


@PROPS
@given(st.sampled_from(ITEMS), st.integers(0, 5), answer_sets)
def test_ne_is_answered_and_not_eq(item: str, value: int, answers: dict[str, Any]) -> None:
    expected = {"and": [{"answered": item}, {"not": {"eq": [item, value]}}]}
    assert evaluate({"ne": [item, value]}, answers) == evaluate(expected, answers)
