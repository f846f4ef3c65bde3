"""One meaning of ``n`` in ``score --format json`` and the API, and Cronbach's α on each
element (#19)."""

from __future__ import annotations

import json

import pytest
from flask import Flask

from tests import factories
from tests.export_data import submit
from tests.functional.test_cli import run

# The "results" element's three criteria, three respondents (a fourth answers none).
RESULTS = [
    {"res_lawful": 5, "res_info_full": 4, "res_info_correct": 4},
    {"res_lawful": 3, "res_info_full": 3, "res_info_correct": 2},
    {"res_lawful": 4, "res_info_full": 5, "res_info_correct": 5},
]


@pytest.fixture()
def survey(app: Flask) -> int:
    factories.province()
    created = factories.survey(("SXD", "STP"))
    for answers in RESULTS:
        submit(created, "SXD", answers)
    submit(created, "SXD", {"service": "Cấp phép"})  # no criterion answered
    return created.id


def test_n_counts_responses_in_every_block_and_estimates_keep_their_valid_answers(
    app: Flask, survey: int
) -> None:
    code, out, err = run(app, "score", str(survey), "--by", "agency", "--format", "json")
    assert code == 0, err
    body = json.loads(out)
    assert body["n"] == 4 and body["overall"]["n"] == 3
    sxd, stp = body["agencies"]["SXD"], body["agencies"]["STP"]
    assert sxd["n"] == 4 and sxd["overall"]["n"] == 3  # was 3: the valid answers
    assert sxd["criteria"]["res_lawful"]["n"] == 3
    assert stp["n"] == 0 and stp["overall"]["n"] == 0


def test_elements_carry_cronbachs_alpha_null_when_it_cannot_be_computed(
    app: Flask, survey: int
) -> None:
    """α of "results" by hand: item variances 1, 1, 7/3 (sum 13/3); the totals 13, 8, 14
    vary by 31/3; α = 3/2 · (1 − 13/31) = 27/31. The other elements have no complete
    row: null, as is every element of STP (no responses)."""
    factories.user()
    token = run(app, "users", "token", "admin@example.org")[1].strip()
    answer = app.test_client().get(
        f"/api/v1/surveys/{survey}/indices?by=agency",
        headers={"Authorization": f"Bearer {token}"},
    )
    body = answer.get_json()
    assert body["elements"]["results"]["alpha"] == pytest.approx(27 / 31, rel=1e-12)
    assert body["elements"]["access"]["alpha"] is None
    assert body["agencies"]["SXD"]["elements"]["results"]["alpha"] == pytest.approx(27 / 31)
    assert body["agencies"]["STP"]["elements"]["results"]["alpha"] is None
    assert "alpha" not in body["criteria"]["res_lawful"]
