"""Built-in templates: they validate clean, load as fresh copies, and their frameworks
reproduce the official formulas on tiny hand-worked examples.

The aggregation here is written out from the framework's weights on purpose, without
``surveyapp.scoring``: it checks the templates' frameworks, not the scoring engine.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest

from surveyapp.questionnaire import rules
from surveyapp.questionnaire.document import Questionnaire
from surveyapp.questionnaire.templates import (
    TemplateInfo,
    UnknownTemplate,
    list_templates,
    load_template,
)
from surveyapp.questionnaire.validation import validate

IDS = ["par-officials", "sipas-2017", "sipas-2023", "tt01-dossier"]
ROOT = Path(__file__).resolve().parents[3]
DOMAIN = ROOT.parent / "shared" / "domain"


def wmean(pairs: list[tuple[float, float]]) -> float:
    """Weighted mean of (value, weight) pairs."""
    return sum(v * w for v, w in pairs) / sum(w for _, w in pairs)


def aggregate(framework: dict[str, Any], criteria: dict[str, float]) -> dict[str, float]:
    """Elements, groups and the overall from criterion values, with the framework's weights."""
    out: dict[str, float] = {}
    for e in framework["elements"]:
        out[e["id"]] = wmean([(criteria[c["item"]], c.get("weight", 1)) for c in e["criteria"]])
    groups = framework.get("groups", [])
    for g in groups:
        members = [e for e in framework["elements"] if e.get("group") == g["id"]]
        out[g["id"]] = wmean([(out[e["id"]], e.get("weight", 1)) for e in members])
    tops = groups or framework["elements"]
    out["overall"] = wmean([(out[t["id"]], t.get("weight", 1)) for t in tops])
    return out


def criterion_share(q: Questionnaire, item: str, answers: list[int]) -> float:
    """Satisfied / valid answers; "missing" codes leave the denominator."""
    valid = [a for a in answers if a not in q.missing_codes(item)]
    return sum(a in q.framework["satisfied"] for a in valid) / len(valid)


# --- loading ------------------------------------------------------------------------------


def test_list_templates_names_the_four_built_ins() -> None:
    infos = list_templates()
    assert [t.id for t in infos] == IDS
    assert all(isinstance(t, TemplateInfo) and t.version == 1 for t in infos)
    assert {t.id: t.audience for t in infos}["par-officials"] == "official"
    assert all(t.title["vi"] and t.title["en"] for t in infos)


@pytest.mark.parametrize("template_id", IDS)
def test_each_template_validates_without_errors_or_warnings(template_id: str) -> None:
    assert validate(load_template(template_id), "en") == []


@pytest.mark.parametrize("template_id", IDS)
def test_each_load_is_a_fresh_deep_copy(template_id: str) -> None:
    first = load_template(template_id)
    first["sections"][0]["items"][0]["label"]["vi"] = "changed"
    assert load_template(template_id)["sections"][0]["items"][0]["label"]["vi"] != "changed"


def test_unknown_template_is_a_key_error() -> None:
    with pytest.raises(UnknownTemplate):
        load_template("sipas-1999")
    with pytest.raises(KeyError):
        load_template("../shared/domain/scales")


def test_the_package_never_reads_the_shared_folder() -> None:
    package = ROOT / "surveyapp" / "questionnaire"
    for source in package.rglob("*.py"):
        assert "shared" not in source.read_text(encoding="utf-8"), source


@pytest.mark.skipif(not DOMAIN.is_dir(), reason="the item banks are not next to the repo")
def test_committed_json_is_what_the_build_script_writes() -> None:
    spec = importlib.util.spec_from_file_location(
        "build_templates", ROOT / "scripts" / "build_templates.py"
    )
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    for build in script.BUILDERS:
        doc = build(DOMAIN)
        assert json.loads(json.dumps(doc)) == load_template(doc["id"]), doc["id"]


# --- SIPAS 2017–2021 ----------------------------------------------------------------------


def test_sipas_2017_shape() -> None:
    q = Questionnaire(load_template("sipas-2017"))
    ids = [s["id"] for s in q.sections]
    assert ids == [
        "screen",
        "s_access",
        "s_procedures",
        "s_civil_servants",
        "s_results",
        "s_feedback",
        "negative",
        "background",
        "closing",
    ]
    assert [len(q.section(s)["items"]) for s in ids[1:6]] == [4, 5, 6, 3, 4]
    assert all(
        i["type"] == "likert" and i["scale"] == "sat5"
        for s in ids[1:6]
        for i in q.section(s)["items"]
    )
    assert all(s.get("show_when") == {"ne": ["result_received", 2]} for s in q.sections[1:])
    assert "agency" not in {i["id"] for i in q.items}
    assert q.item("service")["type"] == "text"
    assert (q.item("trips")["min"], q.item("trips")["max"]) == (1, 20)
    assert (q.item("late_reschedules")["min"], q.item("late_reschedules")["max"]) == (0, 10)
    for late in ("late_notified", "late_apology", "late_reschedules"):
        assert q.item(late)["show_when"] == {"eq": ["result_timing", 3]}
    assert q.framework["targets"] == {"overall": 0.85}
    assert all(x["label"]["vi"] and x["label"]["en"] for x in q.framework["indicators"])


def test_sipas_2017_criterion_index_matches_the_primer_example() -> None:
    """SIPAS.md §3.2: 6×5, 20×4, 8×3, 4×2, 2×"no answer" → (6 + 20) / (40 − 2) = 26/38."""
    q = Questionnaire(load_template("sipas-2017"))
    answers = [5] * 6 + [4] * 20 + [3] * 8 + [2] * 4 + [9] * 2
    assert criterion_share(q, "acc_seats", answers) == pytest.approx(26 / 38)


def test_sipas_2017_is_the_mean_of_five_element_means() -> None:
    """Elements 80, 75, 85, 90, 70 (SIPAS.md §3.3) → (80+75+85+90+70)/5 = 400/5 = 80.00 %.

    Within access the criteria differ: (0.9 + 0.7 + 0.8 + 0.8) / 4 = 3.2 / 4 = 0.80.
    """
    fw = load_template("sipas-2017")["framework"]
    element_values = {
        "access": 0.80,
        "procedures": 0.75,
        "civil_servants": 0.85,
        "results": 0.90,
        "feedback": 0.70,
    }
    criteria = {c["item"]: element_values[e["id"]] for e in fw["elements"] for c in e["criteria"]}
    criteria.update(acc_seats=0.9, acc_equip_enough=0.7, acc_equip_modern=0.8, acc_equip_easy=0.8)
    result = aggregate(fw, criteria)
    assert result["access"] == pytest.approx(0.80)
    assert result["overall"] == pytest.approx(0.80)
    assert sum(len(e["criteria"]) for e in fw["elements"]) == 22


def indicator_share(q: Questionnaire, indicator_id: str, people: list[dict[str, Any]]) -> float:
    """Matching / valid answers to the indicator's item, among those its ``among`` admits."""
    ind = next(x for x in q.framework["indicators"] if x["id"] == indicator_id)
    item, missing = ind["item"], q.missing_codes(ind["item"])
    valid = [
        p[item]
        for p in people
        if p.get(item) is not None
        and p[item] not in missing
        and rules.evaluate(ind.get("among"), p)
    ]
    if "codes" in ind:
        hits = [v in ind["codes"] for v in valid]
    else:
        hits = [ind.get("min", -1e9) <= v <= ind.get("max", 1e9) for v in valid]
    return sum(hits) / len(valid)


def test_sipas_2017_indicators_use_their_own_denominators() -> None:
    """Five people; timing 3 = late for #1, #2, #4.

    notified_when_late: among the late, late_notified = 1, 2, 1 → 2/3.
    apology_when_late: late_apology = 1, 9 (no answer, leaves), 2 → 1/2.
    one_reschedule_max: late_reschedules = 0, 2, 1 → 2/3.
    multiple_trips: trips 1, 2, 3, 1, 5 → 3/5.
    """
    q = Questionnaire(load_template("sipas-2017"))
    people = [
        {
            "result_timing": 3,
            "late_notified": 1,
            "late_apology": 1,
            "late_reschedules": 0,
            "trips": 1,
        },
        {
            "result_timing": 3,
            "late_notified": 2,
            "late_apology": 9,
            "late_reschedules": 2,
            "trips": 2,
        },
        {"result_timing": 2, "late_notified": 1, "trips": 3},  # stale answer off the path
        {
            "result_timing": 3,
            "late_notified": 1,
            "late_apology": 2,
            "late_reschedules": 1,
            "trips": 1,
        },
        {"result_timing": 1, "trips": 5},
    ]
    assert indicator_share(q, "notified_when_late", people) == pytest.approx(2 / 3)
    assert indicator_share(q, "apology_when_late", people) == pytest.approx(1 / 2)
    assert indicator_share(q, "one_reschedule_max", people) == pytest.approx(2 / 3)
    assert indicator_share(q, "multiple_trips", people) == pytest.approx(3 / 5)
    assert indicator_share(q, "late_result", people) == pytest.approx(3 / 5)


# --- SIPAS 2023–2026 ----------------------------------------------------------------------


def test_sipas_2023_shape() -> None:
    q = Questionnaire(load_template("sipas-2023"))
    fw = q.framework
    assert [(g["id"], g["weight"]) for g in fw["groups"]] == [("policy", 1), ("services", 1)]
    sizes = {e["id"]: (e["group"], len(e["criteria"])) for e in fw["elements"]}
    assert sizes == {
        "pol_accountability": ("policy", 2),
        "pol_participation": ("policy", 2),
        "pol_quality": ("policy", 8),
        "pol_impact": ("policy", 2),
        "svc_access": ("services", 4),
        "svc_procedures": ("services", 4),
        "svc_civil_servants": ("services", 5),
        "svc_results": ("services", 3),
        "svc_feedback": ("services", 3),
    }
    matrix = [c["item"] for e in fw["elements"] for c in e["criteria"]]
    assert matrix == [f"q9_{n:02d}" for n in range(1, 34)]
    assert {"province", "district", "commune", "village"}.isdisjoint(i["id"] for i in q.items)
    assert q.item("q2_other")["show_when"] == {"eq": ["q2_channels", 7]}


def test_sipas_2023_is_the_mean_of_policy_and_services() -> None:
    """Hà Nội 2024 (SIPAS.md §3.4): (86.51 + 86.49) / 2 = 86.50.

    Policy elements 0.90, 0.82, 0.8804, 0.86 → 3.4604 / 4 = 0.8651.
    Service elements 0.85, 0.88, 0.87, 0.86, 0.8645 → 4.3245 / 5 = 0.8649.
    SIPAS = (0.8651 + 0.8649) / 2 = 0.8650.
    """
    fw = load_template("sipas-2023")["framework"]
    values = dict(
        zip(
            [e["id"] for e in fw["elements"]],
            [0.90, 0.82, 0.8804, 0.86, 0.85, 0.88, 0.87, 0.86, 0.8645],
            strict=True,
        )
    )
    criteria = {c["item"]: values[e["id"]] for e in fw["elements"] for c in e["criteria"]}
    result = aggregate(fw, criteria)
    assert result["policy"] == pytest.approx(0.8651)
    assert result["services"] == pytest.approx(0.8649)
    assert result["overall"] == pytest.approx(0.8650)


def test_sipas_2023_groups_weigh_equally_whatever_their_size() -> None:
    """Policy elements all 1.0, service elements all 0.5: (1.0 + 0.5) / 2 = 0.75,
    not the mean of the nine elements (4 × 1.0 + 5 × 0.5) / 9 = 6.5 / 9 = 0.722."""
    fw = load_template("sipas-2023")["framework"]
    criteria = {
        c["item"]: 1.0 if e["group"] == "policy" else 0.5
        for e in fw["elements"]
        for c in e["criteria"]
    }
    assert aggregate(fw, criteria)["overall"] == pytest.approx(0.75)


# --- TT01 per-dossier evaluation ----------------------------------------------------------


def dossier(q: Questionnaire, answers: dict[str, int]) -> tuple[int, str]:
    """Points of each answered index, rescaled to 18, rounded half up; then the band."""
    scheme = q.framework["points"]
    earned = []
    for item in scheme["items"]:
        option = next(o for o in q.options(item) if o["code"] == answers[item])
        if not option.get("missing"):
            earned.append(option["points"])
    total = int(sum(earned) * scheme["max"] / (len(earned) * scheme["item_max"]) + 0.5)
    band = next(b for b in scheme["bands"] if total >= b["min"])
    return total, band["label"]["en"]


def test_tt01_points_and_bands() -> None:
    """SIPAS.md §3.7: 2,2,1,2,2,2,2,2,1 → 16 → excellent (> 15).

    With i8 and i9 not applicable (code 9): 2,2,1,2,2,2,2 = 13 of 14 → 13 × 18 / 14 = 16.71
    → 17 → excellent; 2,1,1,1,2,1,2 = 10 of 14 → 12.86 → 13 → good.
    """
    q = Questionnaire(load_template("tt01-dossier"))
    items = q.framework["points"]["items"]
    assert len(items) == 9 and q.framework["points"]["max"] == 18
    assert dossier(q, dict(zip(items, [2, 2, 1, 2, 2, 2, 2, 2, 1], strict=True))) == (
        16,
        "Excellent",
    )
    assert dossier(q, dict(zip(items, [2, 2, 1, 2, 2, 2, 2, 9, 9], strict=True))) == (
        17,
        "Excellent",
    )
    assert dossier(q, dict(zip(items, [2, 1, 1, 1, 2, 1, 2, 9, 9], strict=True))) == (13, "Good")


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (18, "Excellent"),
        (16, "Excellent"),
        (15, "Good"),
        (12, "Good"),
        (11, "Fair"),
        (9, "Fair"),
        (8, "Average"),
        (6, "Average"),
        (5, "Weak"),
        (0, "Weak"),
    ],
)
def test_tt01_band_cut_offs(total: int, band: str) -> None:
    """>15 excellent, 12–15 good, 9–<12 fair, 6–<9 average, <6 weak (whole points)."""
    bands = load_template("tt01-dossier")["framework"]["points"]["bands"]
    assert next(b for b in bands if total >= b["min"])["label"]["en"] == band


def test_tt01_codes_are_the_points() -> None:
    q = Questionnaire(load_template("tt01-dossier"))
    for item in q.framework["points"]["items"]:
        for option in q.options(item):
            assert option.get("missing") or option["points"] == option["code"]


def test_tt01_overall_is_the_share_of_indices_at_full_points() -> None:
    """Nine one-criterion elements, satisfied = 2 points: indices at full marks in 8 of 10
    dossiers for i1–i8 and 5 of 10 for i9 → (8 × 0.8 + 0.5) / 9 = 6.9 / 9 = 0.7667."""
    fw = load_template("tt01-dossier")["framework"]
    assert fw["satisfied"] == [2]
    criteria = {c["item"]: 0.8 for e in fw["elements"] for c in e["criteria"]}
    criteria["tt01_i9_online"] = 0.5
    assert aggregate(fw, criteria)["overall"] == pytest.approx(6.9 / 9)


# --- PAR cross-evaluation ------------------------------------------------------------------


def test_par_officials_is_the_mean_of_eight_areas() -> None:
    """Agree or strongly agree (4, 5). Leadership criteria 0.5, 0.75, 1.0, 0.75 → 0.75;
    the other seven areas 0.6 each → (0.75 + 7 × 0.6) / 8 = 4.95 / 8 = 0.61875."""
    q = Questionnaire(load_template("par-officials"))
    fw = q.framework
    assert len(fw["elements"]) == 8 and fw["satisfied"] == [4, 5]
    criteria = {c["item"]: 0.6 for e in fw["elements"] for c in e["criteria"]}
    criteria.update(lead_priority=0.5, lead_plan=0.75, lead_discipline=1.0, lead_initiative=0.75)
    result = aggregate(fw, criteria)
    assert result["leadership"] == pytest.approx(0.75)
    assert result["overall"] == pytest.approx(0.61875)
    assert "overall_score" not in criteria and "target_agency" not in {i["id"] for i in q.items}


def test_par_officials_never_dealt_with_the_agency_ends_the_form() -> None:
    q = Questionnaire(load_template("par-officials"))
    answers = {"par_group": 3, "contact_freq": 1, "lead_priority": 5}
    assert q.path_answers(answers) == {"par_group": 3, "contact_freq": 1}
    assert q.path_answers({**answers, "contact_freq": 3}) == {**answers, "contact_freq": 3}
