"""The balanced rater assignment (services.assignments.plan), without a database.

Reference values are worked out by hand: with R raters and A agencies needing k raters
each, and every rater eligible for all but their own agency, the k·A ratings spread so
that loads differ by at most one: ⌊k·A/R⌋ or ⌈k·A/R⌉.
"""

from __future__ import annotations

from collections import Counter

import pytest

from surveyapp.fieldwork.services.assignments import conflicts, plan
from surveyapp.models import Agency, AgencyLevel, Role, User
from surveyapp.problems import InputRefused


def _agency(id_: int, code: str, parent: Agency | None = None) -> Agency:
    path = (parent.path if parent else "/") + code + "/"
    return Agency(id=id_, code=code, level=AgencyLevel.DEPARTMENT, path=path, name_vi=code)


def _official(id_: int, agency: Agency | None) -> User:
    return User(id=id_, email=f"o{id_}@x.org", role=Role.OFFICIAL, agency=agency)


PROVINCE = _agency(100, "AH")
DEPARTMENTS = [_agency(i, f"D{i}", PROVINCE) for i in range(1, 9)]


def _loads(result: dict[int, list[int]]) -> Counter[int]:
    return Counter(r for raters in result.values() for r in raters)


def test_every_agency_gets_k_distinct_raters_never_its_own() -> None:
    raters = [_official(10 + i, DEPARTMENTS[i % 8]) for i in range(12)]
    result = plan(DEPARTMENTS, raters, 3, seed=7)
    own = {r.id: r.agency.id for r in raters if r.agency}
    for agency_id, rater_ids in result.items():
        assert len(rater_ids) == 3
        assert len(set(rater_ids)) == 3
        assert all(own[r] != agency_id for r in rater_ids)


def test_loads_differ_by_at_most_one() -> None:
    # 8 agencies x 3 raters = 24 ratings over 5 officials: loads 4 or 5 (24 = 4*5 + 4).
    raters = [_official(10 + i, DEPARTMENTS[i]) for i in range(5)]
    loads = _loads(plan(DEPARTMENTS, raters, 3, seed=1))
    assert sorted(loads.values()) == [4, 5, 5, 5, 5]


def test_balance_holds_when_greedy_picks_would_be_stuck() -> None:
    """Two officials from D1 can only rate D2; two province-wide officials rate anything.

    With k = 2 over agencies D1 and D2 the only assignment is D1 ← both province
    officials, D2 ← both D1 officials. When a seed serves D2 first, it takes the
    province officials (equal loads, any order); D1 is only served by moving them back.
    """
    d1, d2 = DEPARTMENTS[0], DEPARTMENTS[1]
    raters = [_official(1, d1), _official(2, d1), _official(3, None), _official(4, None)]
    for seed in range(20):
        result = plan([d1, d2], raters, 2, seed=seed)
        assert sorted(result[d1.id]) == [3, 4]
        assert sorted(result[d2.id]) == [1, 2]


def test_same_seed_same_assignment_other_seed_differs() -> None:
    raters = [_official(10 + i, DEPARTMENTS[i % 8]) for i in range(16)]
    first = plan(DEPARTMENTS, raters, 4, seed=42)
    assert plan(DEPARTMENTS, raters, 4, seed=42) == first
    assert any(plan(DEPARTMENTS, raters, 4, seed=s) != first for s in range(43, 48))


def test_units_under_or_above_the_raters_agency_are_excluded() -> None:
    unit = _agency(50, "D1_P1", DEPARTMENTS[0])
    assert conflicts(DEPARTMENTS[0], unit)  # a unit under one's own department
    assert conflicts(unit, DEPARTMENTS[0])  # one's own department, seen from a unit
    assert not conflicts(DEPARTMENTS[1], unit)
    assert not conflicts(None, unit)  # province-wide officials have no agency of their own


def test_impossible_request_names_each_short_agency() -> None:
    d1, d2, d3 = DEPARTMENTS[:3]
    raters = [_official(1, d1), _official(2, d2)]
    with pytest.raises(InputRefused) as refused:
        plan([d1, d2, d3], raters, 2, seed=1)
    where = [p.where for p in refused.value.problems]
    assert where == ["D1", "D2"]  # D3 has both officials; D1 and D2 only one each
    assert "only 1 eligible officials for 2 raters per agency" in str(refused.value)


def test_per_agency_below_one_is_refused() -> None:
    with pytest.raises(InputRefused):
        plan(DEPARTMENTS, [_official(1, None)], 0, seed=1)
