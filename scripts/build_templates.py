"""Build the built-in questionnaire templates from the item banks in ../shared/domain/.

The package ships the JSON this writes and never reads ../shared at run time:
    python scripts/build_templates.py [../shared/domain]
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent.parent / "surveyapp" / "questionnaire" / "templates"

SAT = [4, 5]
LATE = {"eq": ["result_timing", 3]}
IN_SCOPE = {"ne": ["result_received", 2]}

ELEMENTS_2017 = {
    "access": ("Tiếp cận dịch vụ", "Access to the service"),
    "procedures": ("Thủ tục hành chính", "Administrative procedures"),
    "civil_servants": ("Công chức giải quyết công việc", "Civil servants"),
    "results": ("Kết quả giải quyết thủ tục hành chính", "Results of the procedure"),
    "feedback": (
        "Tiếp nhận, xử lý góp ý, phản ánh, kiến nghị",
        "Handling of comments and complaints",
    ),
}
SECTIONS_2017 = {
    "screen": ("Thông tin về thủ tục đã thực hiện", "About the procedure you used"),
    "negative": ("Những điều Ông/Bà đã gặp", "What you experienced"),
    "background": ("Thông tin về người trả lời", "About you"),
    "closing": ("Ý kiến chung", "Overall opinion"),
}
INDICATORS_2017: list[dict[str, Any]] = [
    {
        "id": "multiple_trips",
        "item": "trips",
        "min": 2,
        "label": {
            "vi": "Phải đi lại nhiều lần (từ 2 lần trở lên)",
            "en": "Came back multiple times (2 or more visits)",
        },
    },
    {
        "id": "harassment",
        "item": "harassed",
        "codes": [1],
        "label": {"vi": "Bị công chức gây phiền hà, sách nhiễu", "en": "Harassed or obstructed"},
    },
    {
        "id": "extra_payment",
        "item": "asked_extra_pay",
        "codes": [1],
        "label": {
            "vi": "Bị gợi ý nộp thêm tiền ngoài phí, lệ phí",
            "en": "Hinted to pay beyond the official fees",
        },
    },
    {
        "id": "late_result",
        "item": "result_timing",
        "codes": [3],
        "label": {"vi": "Nhận kết quả trễ hẹn", "en": "Result returned late"},
    },
    {
        "id": "notified_when_late",
        "item": "late_notified",
        "codes": [1],
        "among": LATE,
        "label": {
            "vi": "Được báo trước khi trễ hẹn (trong số hồ sơ trễ hẹn)",
            "en": "Told in advance of the delay (among late results)",
        },
    },
    {
        "id": "apology_when_late",
        "item": "late_apology",
        "codes": [1],
        "among": LATE,
        "label": {
            "vi": "Nhận được phiếu xin lỗi (trong số hồ sơ trễ hẹn)",
            "en": "Received an apology (among late results)",
        },
    },
    {
        "id": "one_reschedule_max",
        "item": "late_reschedules",
        "max": 1,
        "among": LATE,
        "label": {
            "vi": "Hẹn lại không quá một lần (trong số hồ sơ trễ hẹn)",
            "en": "Rescheduled at most once (among late results)",
        },
    },
]
RANGES = {"trips": (1, 20), "late_reschedules": (0, 10)}


def read(domain: Path, name: str) -> list[dict[str, str]]:
    with (domain / name).open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def scales(domain: Path, used: set[str]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for row in read(domain, "scales.csv"):
        if row["scale_id"] not in used:
            continue
        option: dict[str, Any] = {
            "code": int(row["code"]),
            "label": {"vi": row["label_vi"], "en": row["label_en"]},
        }
        if row["missing"] == "true":
            option["missing"] = True
        result.setdefault(row["scale_id"], {"options": []})["options"].append(option)
    return result


def item_2017(row: dict[str, str]) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": row["item_id"],
        "type": row["type"],
        "label": {"vi": row["label_vi"], "en": row["label_en"]},
    }
    if row["item_id"] == "service":
        item["type"] = "text"  # a catalogue of procedures comes with the sampling frame
    elif row["scale"]:
        item["scale"] = row["scale"]
    if row["item_id"] in RANGES:
        item["min"], item["max"] = RANGES[row["item_id"]]
    if row["item_id"] in ("late_notified", "late_apology", "late_reschedules"):
        item["show_when"] = LATE
    required = row["section"] in ("screen", "criteria") or row["item_id"] in (
        "harassed",
        "asked_extra_pay",
        "result_timing",
    )
    if required and item["type"] != "text":
        item["required"] = True
    return item


def sipas_2017(domain: Path) -> dict[str, Any]:
    rows = [r for r in read(domain, "sipas_2017_items.csv") if r["item_id"] != "agency"]
    sections: list[dict[str, Any]] = []

    def section(section_id: str, title: tuple[str, str], items: list[dict[str, Any]]) -> None:
        entry: dict[str, Any] = {"id": section_id, "title": {"vi": title[0], "en": title[1]}}
        if sections:  # every page after screening is skipped for out-of-scope respondents
            entry["show_when"] = IN_SCOPE
        entry["items"] = items
        sections.append(entry)

    section(
        "screen", SECTIONS_2017["screen"], [item_2017(r) for r in rows if r["section"] == "screen"]
    )
    for element, title in ELEMENTS_2017.items():
        section(
            f"s_{element}",
            title,
            [item_2017(r) for r in rows if r["section"] == "criteria" and r["element"] == element],
        )
    for key in ("negative", "background", "closing"):
        section(key, SECTIONS_2017[key], [item_2017(r) for r in rows if r["section"] == key])
    used = {r["scale"] for r in rows if r["scale"]}
    return {
        "id": "sipas-2017",
        "version": 1,
        "title": {
            "vi": "Phiếu khảo sát mức độ hài lòng (SIPAS 2017–2021)",
            "en": "Satisfaction survey (SIPAS 2017–2021)",
        },
        "languages": ["vi", "en"],
        "audience": "citizen",
        "estimated_minutes": 10,
        "scales": scales(domain, used),
        "sections": sections,
        "framework": {
            "satisfied": SAT,
            "aggregate": "mean",
            "elements": [
                {
                    "id": element,
                    "label": {"vi": vi, "en": en},
                    "weight": 1,
                    "criteria": [
                        {"item": r["item_id"]}
                        for r in rows
                        if r["section"] == "criteria" and r["element"] == element
                    ],
                }
                for element, (vi, en) in ELEMENTS_2017.items()
            ],
            "indicators": INDICATORS_2017,
            "targets": {"overall": 0.85},
        },
    }


def main() -> None:
    default = Path(__file__).resolve().parent.parent.parent / "shared" / "domain"
    domain = Path(sys.argv[1]) if len(sys.argv) > 1 else default
    OUT.mkdir(parents=True, exist_ok=True)
    for document in (sipas_2017(domain),):
        target = OUT / f"{document['id']}.json"
        target.write_text(json.dumps(document, ensure_ascii=False, indent=1) + "\n")
        print(f"wrote {target}")


if __name__ == "__main__":
    main()
