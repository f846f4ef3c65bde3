"""``surveyapp syntax``: R, Stata and SPSS scripts that read the export and declare the
design (#19). R is not installed here, so the R script's arithmetic is replayed in numpy
on the exported .sav: its coefficients and its linearisation give the dashboard's SEs."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pyreadstat
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from surveyapp.extensions import db
from surveyapp.models import Agency, Answer, Response, Survey, SurveyMode
from surveyapp.scoring import Framework
from tests import factories
from tests.export_data import submit
from tests.functional.test_cli import run
from tests.functional.test_design_estimates import FRAME, drawn
from tests.functional.test_design_exports import export, open_survey

__all__ = ["drawn", "open_survey"]  # fixtures


def syntax(app: Flask, survey: Survey, language: str) -> str:
    code, out, err = run(app, "syntax", str(survey.id), "--for", language)
    assert code == 0, err
    return out


@pytest.fixture()
def varied(drawn: Survey) -> Survey:
    """The drawn sample with answers that differ by criterion, some declared missing (9)."""
    rng = np.random.default_rng(19)
    framework = Framework.from_dict(drawn.version.document["framework"])
    ids = db.session.scalars(select(Response.id).where(Response.survey_id == drawn.id)).all()
    for response_id in ids:
        for item in framework.criteria_items:
            answer = db.session.get(Answer, (response_id, item, 0))
            assert answer is not None
            answer.value_num = float(rng.choice([1, 2, 3, 4, 5, 9]))
    db.session.commit()
    return drawn


def test_the_r_script_declares_the_exports_design_and_reproduces_the_se(
    app: Flask, varied: Survey, tmp_path: Path
) -> None:
    script = syntax(app, varied, "r")
    data, _meta = pyreadstat.read_sav(str(export(app, varied, "sav", tmp_path)))
    assert f'read_sav("survey-{varied.id}-responses.sav")' in script
    assert (
        "svydesign(ids = ~1, strata = ~stratum, weights = ~weight, fpc = ~fpc, data = d)" in script
    )
    assert {"stratum", "weight", "fpc"} <= set(data.columns) and "~psu" not in script
    assert dict(zip(data["stratum"], data["fpc"], strict=True)) == FRAME
    body = json.loads(run(app, "score", str(varied.id), "--format", "json")[1])
    elements, shares = _combinations(script)
    assert set(elements) == set(body["elements"])
    for _element, (items, _coef) in elements.items():
        assert set(items) <= set(data.columns)  # the export's own variable names
    value, se = _replay(data, elements, shares)
    assert value == pytest.approx(body["overall"]["value"], abs=1e-12)
    assert se == pytest.approx(body["overall"]["se"], rel=1e-9)


def _replay(
    data: object, elements: dict[str, tuple[list[str], list[float]]], shares: dict[str, float]
) -> tuple[float, float]:
    """The R script's steps: ratios, their z, the combination, then svytotal's variance
    Σ_h (1 − n_h/N_h) n_h/(n_h − 1) Σ_i (w_i z_i − mean_h)² with N_h from ``fpc``."""
    frame = data  # pandas, declared missing 9 already NaN (pyreadstat drops user missing)
    w = frame["weight"].to_numpy()  # type: ignore[index]
    value, z = 0.0, np.zeros(len(w))
    for element, (items, coef) in elements.items():
        for item, a in zip(items, coef, strict=True):
            x = frame[item].to_numpy()  # type: ignore[index]
            valid = (~np.isnan(x)).astype(float)
            yes = (valid == 1) & np.isin(x, [4, 5])
            ratio = (w * yes).sum() / (w * valid).sum()
            value += shares[element] * a * ratio
            z += shares[element] * a * (yes - ratio * valid) / (w * valid).sum()
    variance = 0.0
    strata = frame["stratum"].to_numpy()  # type: ignore[index]
    for stratum in set(strata):
        mine = strata == stratum
        u = w[mine] * z[mine]
        n = len(u)
        size = frame["fpc"].to_numpy()[mine][0]  # type: ignore[index]
        fraction = 0.0 if np.isnan(size) else n / size  # empty fpc: with replacement
        variance += (1 - fraction) * n / (n - 1) * ((u - u.mean()) ** 2).sum()
    return value, float(np.sqrt(variance))


def _combinations(script: str) -> tuple[dict[str, tuple[list[str], list[float]]], dict[str, float]]:
    """The elements' and the overall's coefficients, as the R script states them."""
    elements = {
        name: (re.findall(r'"(\w+)"', items), [float(a) for a in coef.split(", ")])
        for name, items, coef in re.findall(
            r"`(\w+)` = combine\(criteria\[c\(([^)]*)\)\], c\(([^)]*)\)\)", script
        )
    }
    overall = re.search(r"overall <- combine\(elements\[c\(([^)]*)\)\], c\(([^)]*)\)\)", script)
    assert overall is not None
    order = re.findall(r'"(\w+)"', overall.group(1))
    shares = [float(a) for a in overall.group(2).split(", ")]
    return elements, dict(zip(order, shares, strict=True))


def test_groups_fold_into_the_overall_coefficients_of_the_r_script(
    app: Flask, tmp_path: Path
) -> None:
    """SIPAS 2023 (two groups of elements) on an open link: with replacement."""
    factories.province()
    survey = factories.survey(("SXD", "STP"), template="sipas-2023", mode=SurveyMode.OPEN)
    framework = Framework.from_dict(survey.version.document["framework"])
    rng = np.random.default_rng(2023)
    for k in range(24):
        answers = {item: int(rng.integers(1, 6)) for item in framework.criteria_items}
        code = "SXD" if k % 3 else "STP"
        submit(survey, code, answers, stratum=code, weight=float(rng.uniform(1, 4)))
    script = syntax(app, survey, "r")
    assert "through their groups" in script
    data, _meta = pyreadstat.read_sav(str(export(app, survey, "sav", tmp_path)))
    elements, shares = _combinations(script)
    assert sum(shares.values()) == pytest.approx(1.0)
    value, se = _replay(data, elements, shares)
    body = json.loads(run(app, "score", str(survey.id), "--format", "json")[1])
    assert value == pytest.approx(body["overall"]["value"], abs=1e-12)
    assert se == pytest.approx(body["overall"]["se"], rel=1e-9)


def test_stata_and_spss_scripts_read_their_exports_and_declare_the_fpc(
    app: Flask, drawn: Survey, tmp_path: Path
) -> None:
    stata = syntax(app, drawn, "stata")
    assert f'use "survey-{drawn.id}-responses.dta", clear' in stata
    assert "svyset _n [pweight=weight], strata(stratum) fpc(fpc) singleunit(certainty)" in stata
    assert "svy: ratio (acc_seats: y1/v1)" in stata and "lincom" in stata
    data, _meta = pyreadstat.read_dta(str(export(app, drawn, "dta", tmp_path)))
    used = set(re.findall(r"!missing\((\w+)\)", stata))
    assert used and used <= set(data.columns)
    spss = syntax(app, drawn, "spss")
    assert f"GET FILE='survey-{drawn.id}-responses.sav'." in spss
    assert "/PLANVARS ANALYSISWEIGHT=weight" in spss and "/DESIGN STRATA=stratum" in spss
    assert "/ESTIMATOR TYPE=EQUAL_WOR /POPSIZE VARIABLE=fpc." in spss
    assert "CSDESCRIPTIVES" in spss and "z_overall" in spss
    assert "#   access (" in syntax(app, drawn, "r")  # the definitions, as comments


def test_without_a_frame_the_scripts_say_with_replacement(
    app: Flask, open_survey: Survey, tmp_path: Path
) -> None:
    r = syntax(app, open_survey, "r")
    assert "svydesign(ids = ~1, strata = ~stratum, weights = ~weight, data = d)" in r
    assert "with replacement" in r and "fpc" not in r.split("library(haven)")[1]
    assert "fpc(" not in syntax(app, open_survey, "stata")
    assert "/ESTIMATOR TYPE=WR." in syntax(app, open_survey, "spss")
    out = tmp_path / "design.do"
    code, printed, err = run(app, "syntax", str(open_survey.id), "--for", "stata", "-o", str(out))
    assert code == 0 and printed == "" and f"reads survey-{open_survey.id}-responses.dta" in err
    assert out.read_text(encoding="utf-8").startswith("* ")


def test_an_unknown_language_is_wrong_usage(app: Flask, drawn: Survey) -> None:
    code, _out, err = run(app, "syntax", str(drawn.id), "--for", "sas")
    assert code == 2 and "'sas' is not one of" in err


def test_the_results_page_downloads_the_same_scripts_scoped_like_the_export(
    app: Flask, client: FlaskClient, drawn: Survey
) -> None:
    agencies = {a.code: a for a in db.session.scalars(select(Agency))}
    factories.user()
    factories.user("sxd@example.org", "analyst", agencies["SXD"])
    factories.login(client)
    page = client.get(f"/results/{drawn.id}?lang=en")
    assert f'formaction="/results/{drawn.id}/syntax.r"' in page.text
    for language, suffix in (("r", "R"), ("stata", "do"), ("spss", "sps")):
        got = client.get(f"/results/{drawn.id}/syntax.{language}?lang=vi")
        assert got.status_code == 200 and got.mimetype == "text/plain"
        name = f"survey-{drawn.id}-responses.{suffix}"
        assert got.headers["Content-Disposition"] == f"attachment; filename={name}"
        assert got.text == syntax(app, drawn, language)
    assert client.get(f"/results/{drawn.id}/syntax.sas").status_code == 404
    factories.login(client, "sxd@example.org")
    scoped = client.get(f"/results/{drawn.id}/syntax.r")
    assert f'read_sav("survey-{drawn.id}-SXD-responses.sav")' in scoped.text
    assert "STP" not in scoped.text
