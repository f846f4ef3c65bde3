"""Build the built-in questionnaire templates from the item banks in ../shared/domain/.

The package ships the JSON this writes and never reads ../shared at run time:
    python scripts/build_templates.py [../shared/domain]

Labels stay exactly as in the CSVs (they are paraphrased on purpose, see their notes).
Rows that are response metadata rather than questions (the agency, the rated agency, the
sampling-frame location) are left out: they come with the invitation or the frame.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent.parent / "surveyapp" / "questionnaire" / "templates"
LANGS = ["vi", "en"]
Row = dict[str, str]
Doc = dict[str, Any]

LATE = {"eq": ["result_timing", 3]}
IN_SCOPE = {"ne": ["result_received", 2]}  # the 2017 frame: results received only
# On the screening page itself an item hides only once "no" is known: ``ne`` is false
# while result_received is blank or invalid, which would skip validating the rest.
NOT_OUT = {"not": {"eq": ["result_received", 2]}}
KNOWS_AGENCY = {"ne": ["contact_freq", 1]}  # never dealt with the agency: nothing to rate


def lbl(vi: str, en: str) -> dict[str, str]:
    return {"vi": vi, "en": en}


def read(domain: Path, name: str) -> list[Row]:
    with (domain / name).open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def scales(domain: Path, used: set[str], points: bool = False) -> dict[str, Any]:
    """The scales the items use; with ``points``, each valid option's code is its points."""
    result: dict[str, Any] = {}
    for row in read(domain, "scales.csv"):
        if row["scale_id"] not in used:
            continue
        option: dict[str, Any] = {
            "code": int(row["code"]),
            "label": lbl(row["label_vi"], row["label_en"]),
        }
        if row["missing"] == "true":
            option["missing"] = True
        elif points:
            option["points"] = int(row["code"])  # TT01: the code is the point value
        result.setdefault(row["scale_id"], {"options": []})["options"].append(option)
    return result


def item(row: Row, required: bool, **extra: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"id": row["item_id"], "type": row["type"]}
    entry["label"] = lbl(row["label_vi"], row["label_en"])
    if row["scale"] and row["type"] in ("likert", "single", "multi"):
        entry["scale"] = row["scale"]
    if required and entry["type"] not in ("text", "info"):
        entry["required"] = True
    entry.update(extra)
    return entry


def sections_after_first(sections: list[Doc], rule: dict[str, Any]) -> list[Doc]:
    """Every section but the first gets ``rule`` as its show_when (ends the interview)."""
    gated = [
        {"id": s["id"], "title": s["title"], "show_when": rule, "items": s["items"]}
        for s in sections[1:]
    ]
    return [sections[0], *gated]


def section(section_id: str, title: dict[str, str], items: list[Doc]) -> Doc:
    return {"id": section_id, "title": title, "items": items}


def document(template_id: str, title: dict[str, str], audience: str, minutes: int) -> Doc:
    return {
        "id": template_id,
        "version": 1,
        "title": title,
        "languages": LANGS,
        "audience": audience,
        "estimated_minutes": minutes,
    }


def indicator(indicator_id: str, item_id: str, label: dict[str, str], **how: Any) -> Doc:
    """A negative-experience share: ``codes`` or ``min``/``max``, optionally ``among``."""
    return {"id": indicator_id, "item": item_id, **how, "label": label}


def elements(
    rows: list[Row], labels: dict[str, dict[str, str]], group: Callable[[str], str] | None = None
) -> list[Doc]:
    result = []
    for element, label in labels.items():
        entry: Doc = {"id": element, "label": label, "weight": 1}
        if group is not None:
            entry["group"] = group(element)
        entry["criteria"] = [{"item": r["item_id"]} for r in rows if r["element"] == element]
        result.append(entry)
    return result


# --- SIPAS 2017–2021 ---------------------------------------------------------------------

ELEMENTS_2017 = {
    "access": lbl("Tiếp cận dịch vụ", "Access to the service"),
    "procedures": lbl("Thủ tục hành chính", "Administrative procedures"),
    "civil_servants": lbl("Công chức giải quyết công việc", "Civil servants"),
    "results": lbl("Kết quả giải quyết thủ tục hành chính", "Results of the procedure"),
    "feedback": lbl(
        "Tiếp nhận, xử lý góp ý, phản ánh, kiến nghị", "Handling of comments and complaints"
    ),
}
SECTIONS_2017 = {
    "screen": lbl("Thông tin về thủ tục đã thực hiện", "About the procedure you used"),
    "negative": lbl("Những điều Ông/Bà đã gặp", "What you experienced"),
    "background": lbl("Thông tin về người trả lời", "About you"),
    "closing": lbl("Ý kiến chung", "Overall opinion"),
}
INDICATORS_2017: list[Doc] = [
    indicator(
        "multiple_trips",
        "trips",
        lbl(
            "Phải đi lại nhiều lần (từ 2 lần trở lên)",
            "Came back multiple times (2 or more visits)",
        ),
        min=2,
    ),
    indicator(
        "harassment",
        "harassed",
        lbl("Bị công chức gây phiền hà, sách nhiễu", "Harassed or obstructed"),
        codes=[1],
    ),
    indicator(
        "extra_payment",
        "asked_extra_pay",
        lbl("Bị gợi ý nộp thêm tiền ngoài phí, lệ phí", "Hinted to pay beyond the official fees"),
        codes=[1],
    ),
    indicator(
        "late_result",
        "result_timing",
        lbl("Nhận kết quả trễ hẹn", "Result returned late"),
        codes=[3],
    ),
    indicator(
        "notified_when_late",
        "late_notified",
        lbl(
            "Được báo trước khi trễ hẹn (trong số hồ sơ trễ hẹn)",
            "Told in advance of the delay (among late results)",
        ),
        codes=[1],
        among=LATE,
    ),
    indicator(
        "apology_when_late",
        "late_apology",
        lbl(
            "Nhận được phiếu xin lỗi (trong số hồ sơ trễ hẹn)",
            "Received an apology (among late results)",
        ),
        codes=[1],
        among=LATE,
    ),
    indicator(
        "one_reschedule_max",
        "late_reschedules",
        lbl(
            "Hẹn lại không quá một lần (trong số hồ sơ trễ hẹn)",
            "Rescheduled at most once (among late results)",
        ),
        max=1,
        among=LATE,
    ),
]
EXTRA_2017: dict[str, Doc] = {
    "trips": {"min": 1, "max": 20},
    "late_notified": {"show_when": LATE},
    "late_apology": {"show_when": LATE},
    "late_reschedules": {"min": 0, "max": 10, "show_when": LATE},
}
REQUIRED_2017 = {"harassed", "asked_extra_pay", "result_timing"}


def item_2017(row: Row, after_screen_question: bool) -> Doc:
    extra = dict(EXTRA_2017.get(row["item_id"], {}))
    if after_screen_question:  # same page as result_received: hidden once it is "no"
        extra["show_when"] = NOT_OUT
    required = row["section"] in ("screen", "criteria") or row["item_id"] in REQUIRED_2017
    if row["item_id"] == "service":  # a catalogue of procedures comes with the sampling frame
        return item({**row, "type": "text", "scale": ""}, required, **extra)
    return item(row, required, **extra)


def sipas_2017(domain: Path) -> Doc:
    rows = [r for r in read(domain, "sipas_2017_items.csv") if r["item_id"] != "agency"]
    screen_ids = [r["item_id"] for r in rows if r["section"] == "screen"]
    later = set(screen_ids[screen_ids.index("result_received") + 1 :])
    criteria = [r for r in rows if r["section"] == "criteria"]
    parts = [
        section(
            "screen",
            SECTIONS_2017["screen"],
            [item_2017(r, r["item_id"] in later) for r in rows if r["section"] == "screen"],
        )
    ]
    for element, title in ELEMENTS_2017.items():
        parts.append(
            section(
                f"s_{element}",
                title,
                [item_2017(r, False) for r in criteria if r["element"] == element],
            )
        )
    for key in ("negative", "background", "closing"):
        parts.append(
            section(
                key, SECTIONS_2017[key], [item_2017(r, False) for r in rows if r["section"] == key]
            )
        )
    doc = document(
        "sipas-2017",
        lbl(
            "Phiếu khảo sát mức độ hài lòng (SIPAS 2017–2021)",
            "Satisfaction survey (SIPAS 2017–2021)",
        ),
        "citizen",
        10,
    )
    doc["scales"] = scales(domain, {r["scale"] for r in rows if r["scale"]})
    doc["sections"] = sections_after_first(parts, IN_SCOPE)
    doc["framework"] = {
        "satisfied": [4, 5],
        "aggregate": "mean",
        "elements": elements(criteria, ELEMENTS_2017),
        "indicators": INDICATORS_2017,
        "targets": {"overall": 0.85},
    }
    return doc


# --- SIPAS 2023–2026 ---------------------------------------------------------------------

ELEMENTS_2023 = {
    "pol_accountability": lbl("Trách nhiệm giải trình về chính sách", "Accountability on policies"),
    "pol_participation": lbl("Sự tham gia của người dân", "People's participation"),
    "pol_quality": lbl("Chất lượng chính sách", "Quality of policies"),
    "pol_impact": lbl("Tác động của chính sách", "Impact of policies"),
    "svc_access": lbl("Tiếp cận dịch vụ", "Access to the service"),
    "svc_procedures": lbl("Thủ tục hành chính", "Administrative procedures"),
    "svc_civil_servants": lbl("Công chức giải quyết công việc", "Civil servants"),
    "svc_results": lbl("Kết quả giải quyết thủ tục hành chính", "Results of the procedure"),
    "svc_feedback": lbl("Tiếp nhận, xử lý phản ánh, kiến nghị", "Handling of complaints"),
}
GROUPS_2023 = [
    {
        "id": "policy",
        "label": lbl("Chỉ số hài lòng về chính sách", "Satisfaction with policies"),
        "weight": 1,
    },
    {
        "id": "services",
        "label": lbl(
            "Chỉ số hài lòng về dịch vụ hành chính công",
            "Satisfaction with public administrative services",
        ),
        "weight": 1,
    },
]
SECTIONS_2023: list[tuple[str, dict[str, str], Callable[[Row], bool]]] = [
    (
        "respondent",
        lbl("Phần A. Thông tin về người trả lời", "Part A. About you"),
        lambda r: r["section"] == "A",
    ),
    (
        "q1",
        lbl("Câu 1. Mức độ quan tâm đến chính sách", "Q1. Interest in policies"),
        lambda r: r["section"] == "q1",
    ),
    (
        "q2_q3",
        lbl("Câu 2–3. Thông tin và góp ý về chính sách", "Q2–3. Policy information and input"),
        lambda r: r["section"] in ("q2", "q3"),
    ),
    (
        "q4_q7",
        lbl("Câu 4–7. Tình hình ở địa phương", "Q4–7. Your locality"),
        lambda r: r["section"] in ("q4", "q5", "q6", "q7"),
    ),
    (
        "q8",
        lbl("Câu 8. Trải nghiệm của Ông/Bà", "Q8. Your experience"),
        lambda r: r["section"] == "q8",
    ),
    (
        "q9_policy",
        lbl("Câu 9. Đánh giá về chính sách", "Q9. Rating policies"),
        lambda r: r["element"].startswith("pol_"),
    ),
    (
        "q9_services",
        lbl(
            "Câu 9. Đánh giá về dịch vụ hành chính công",
            "Q9. Rating public administrative services",
        ),
        lambda r: r["element"].startswith("svc_"),
    ),
    (
        "q10",
        lbl("Câu 10. Nội dung cần ưu tiên cải thiện", "Q10. What should improve first"),
        lambda r: r["section"] == "q10",
    ),
    ("closing", lbl("Ý kiến khác", "Other comments"), lambda r: r["section"] == "closing"),
]
FRAME_2023 = {"province", "district", "commune", "village"}  # preloaded from the frame


def group_2023(element: str) -> str:
    return "policy" if element.startswith("pol_") else "services"


def sipas_2023(domain: Path) -> Doc:
    rows = [r for r in read(domain, "sipas_2023_items.csv") if r["item_id"] not in FRAME_2023]
    extra = {"q2_other": {"show_when": {"eq": ["q2_channels", 7]}}}  # "other" ticked
    parts = [
        section(
            sid,
            title,
            [
                item(r, r["type"] in ("likert", "single"), **extra.get(r["item_id"], {}))
                for r in rows
                if keep(r)
            ],
        )
        for sid, title, keep in SECTIONS_2023
    ]
    assert sum(len(s["items"]) for s in parts) == len(rows), "every row lands in a section"
    doc = document(
        "sipas-2023",
        lbl(
            "Phiếu khảo sát mức độ hài lòng (SIPAS 2023–2026)",
            "Satisfaction survey (SIPAS 2023–2026)",
        ),
        "citizen",
        20,
    )
    doc["scales"] = scales(domain, {r["scale"] for r in rows if r["scale"]})
    doc["sections"] = parts
    doc["framework"] = {
        "satisfied": [4, 5],
        "aggregate": "mean",
        "groups": GROUPS_2023,
        "elements": elements(rows, ELEMENTS_2023, group_2023),
        "indicators": [
            indicator(
                "harassment_perceived",
                "q4_harassment",
                lbl(
                    "Cho rằng công chức gây phiền hà, sách nhiễu (một số hoặc nhiều)",
                    "Say officials obstruct or harass people (some or many)",
                ),
                codes=[2, 3],
            ),
            indicator(
                "extra_payment_perceived",
                "q5_extra_payment",
                lbl(
                    "Cho rằng người dân phải đưa tiền ngoài quy định (một số hoặc nhiều)",
                    "Say people pay officials beyond the rules (some or many)",
                ),
                codes=[2, 3],
            ),
        ],
    }
    return doc


# --- TT01 per-dossier evaluation ---------------------------------------------------------

BANDS_TT01 = [  # totals are whole points after rescaling to 18, so "> 15" starts at 16
    {"min": 16, "label": lbl("Xuất sắc", "Excellent")},
    {"min": 12, "label": lbl("Tốt", "Good")},
    {"min": 9, "label": lbl("Khá", "Fair")},
    {"min": 6, "label": lbl("Trung bình", "Average")},
    {"min": 0, "label": lbl("Yếu", "Weak")},
]
SECTIONS_TT01 = {
    "context": lbl("Thông tin hồ sơ", "About the dossier"),
    "indices": lbl("Đánh giá việc giải quyết hồ sơ (9 chỉ số)", "Rating the handling (9 indices)"),
    "counter": lbl("Ý kiến của Ông/Bà", "Your opinion"),
}


def tt01_dossier(domain: Path) -> Doc:
    rows = [r for r in read(domain, "tt01_dossier_items.csv") if r["item_id"] != "agency"]
    indices = [r for r in rows if r["section"] == "indices"]
    parts = [
        section(
            key,
            title,
            [
                item(r, key == "indices" or r["item_id"] == "evaluator")
                for r in rows
                if r["section"] == key
            ],
        )
        for key, title in SECTIONS_TT01.items()
    ]
    doc = document(
        "tt01-dossier",
        lbl(
            "Phiếu đánh giá việc giải quyết thủ tục hành chính (TT01)",
            "Dossier handling evaluation (Circular 01/2018)",
        ),
        "citizen",
        3,
    )
    doc["scales"] = scales(domain, {r["scale"] for r in rows if r["scale"]}, points=True)
    doc["sections"] = parts
    doc["framework"] = {
        "satisfied": [2],  # an index "satisfies" when it earns its full 2 points
        "aggregate": "mean",
        "elements": [
            {
                "id": r["element"],
                "label": lbl(r["label_vi"], r["label_en"]),
                "weight": 1,
                "criteria": [{"item": r["item_id"]}],
            }
            for r in indices
        ],
        "indicators": [
            indicator(
                "multiple_contacts",
                "tt01_i3_contacts",
                lbl(
                    "Phải liên hệ thêm để hoàn thiện hồ sơ",
                    "Needed extra contacts to complete the dossier",
                ),
                codes=[0, 1],
            ),
            indicator(
                "late_result",
                "tt01_i1_total_time",
                lbl("Giải quyết quá thời hạn quy định", "Took longer than the legal time limit"),
                codes=[0],
            ),
            indicator(
                "harassment",
                "tt01_i7_attitude",
                lbl("Công chức gây phiền hà, sách nhiễu", "Officials obstructive or harassing"),
                codes=[0],
            ),
            indicator(
                "counter_satisfied",
                "counter_sat",
                lbl(
                    "Hài lòng hoặc rất hài lòng tại quầy",
                    "Satisfied or very satisfied at the counter",
                ),
                codes=[2, 3],
            ),
        ],
        "points": {
            "items": [r["item_id"] for r in indices],
            "item_max": 2,
            "max": 18,
            "bands": BANDS_TT01,
        },
    }
    return doc


# --- PAR cross-evaluation by officials ---------------------------------------------------

ELEMENTS_PAR = {
    "leadership": lbl("Công tác chỉ đạo, điều hành cải cách hành chính", "Leadership of reform"),
    "legal_documents": lbl(
        "Xây dựng và tổ chức thi hành văn bản quy phạm pháp luật", "Legal documents"
    ),
    "procedures": lbl("Cải cách thủ tục hành chính", "Administrative procedure reform"),
    "apparatus": lbl("Cải cách tổ chức bộ máy", "Organisational reform"),
    "civil_service": lbl("Xây dựng, nâng cao chất lượng đội ngũ công chức", "Civil service reform"),
    "public_finance": lbl("Cải cách tài chính công", "Public finance reform"),
    "digital_government": lbl(
        "Xây dựng Chính phủ điện tử, Chính phủ số", "E-government and digital government"
    ),
    "impact": lbl("Tác động của cải cách hành chính", "Impact of reform"),
}
SECTIONS_PAR = {
    "respondent": lbl("Thông tin về người đánh giá", "About you"),
    "leadership": ELEMENTS_PAR["leadership"],
    "legal": ELEMENTS_PAR["legal_documents"],
    "procedures": ELEMENTS_PAR["procedures"],
    "apparatus": ELEMENTS_PAR["apparatus"],
    "civil_service": ELEMENTS_PAR["civil_service"],
    "public_finance": ELEMENTS_PAR["public_finance"],
    "digital": ELEMENTS_PAR["digital_government"],
    "impact": ELEMENTS_PAR["impact"],
    "overall": lbl("Đánh giá chung", "Overall"),
}


def par_officials(domain: Path) -> Doc:
    # the rated agency comes with the assignment (one questionnaire per rater and agency)
    rows = [r for r in read(domain, "par_officials_items.csv") if r["item_id"] != "target_agency"]
    parts = [
        section(
            key,
            title,
            [
                item(r, r["type"] == "likert" or key == "respondent")
                for r in rows
                if r["section"] == key
            ],
        )
        for key, title in SECTIONS_PAR.items()
    ]
    doc = document(
        "par-officials",
        lbl(
            "Phiếu điều tra xã hội học đánh giá cải cách hành chính",
            "PAR INDEX survey of officials and leaders",
        ),
        "official",
        15,
    )
    doc["scales"] = scales(domain, {r["scale"] for r in rows if r["scale"]})
    doc["sections"] = sections_after_first(parts, KNOWS_AGENCY)
    doc["framework"] = {
        "satisfied": [4, 5],  # agree or strongly agree
        "aggregate": "mean",
        "elements": elements([r for r in rows if r["element"]], ELEMENTS_PAR),
    }
    return doc


BUILDERS = (sipas_2017, sipas_2023, tt01_dossier, par_officials)


def main() -> None:
    default = Path(__file__).resolve().parent.parent.parent / "shared" / "domain"
    domain = Path(sys.argv[1]) if len(sys.argv) > 1 else default
    OUT.mkdir(parents=True, exist_ok=True)
    for build in BUILDERS:
        doc = build(domain)
        target = OUT / f"{doc['id']}.json"
        target.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {target}")


if __name__ == "__main__":
    main()
