"""Variable names legal in SPSS and Stata (≤ 32 characters, identifiers, not reserved)."""

from __future__ import annotations

from surveyapp.exports.variables import legal_name


def test_legal_item_ids_are_kept() -> None:
    assert legal_name("acc_seats", set()) == "acc_seats"


def test_illegal_characters_leading_digit_and_reserved_words_are_fixed() -> None:
    taken: set[str] = set()
    assert legal_name("câu-1", taken) == "c_u_1"
    assert legal_name("1st", taken) == "v1st"
    assert legal_name("in", taken) == "in_2"
    assert legal_name("_cons", taken) == "v_cons"


def test_long_names_are_cut_to_32_and_stay_unique() -> None:
    taken: set[str] = set()
    first = legal_name("a" * 40, taken)
    second = legal_name("a" * 40 + "b", taken)
    assert first == "a" * 32
    assert second == "a" * 30 + "_2" and len(second) == 32
    assert legal_name("A" * 32, taken) == "A" * 30 + "_3"  # case-insensitive clash
