"""Validate a questionnaire document and report every problem at once, with its JSON path.

Two passes: the structure against ``schema.json`` (JSON Schema 2020-12), then the meaning
in code (unique ids, rules that only look back, framework items that exist...). The second
pass runs even when the first found problems, and never assumes the structure is right,
so a designer sees the whole list in one go instead of fixing one problem per upload.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from surveyapp.questionnaire._semantics import Finding, check_meaning

# One entry per problem kind; str.format params. Vietnamese first, as everywhere.
MESSAGES: dict[str, dict[str, str]] = {
    "required": {"vi": "thiếu trường bắt buộc", "en": "required field is missing"},
    "type": {"vi": "phải là {expected}", "en": "must be {expected}"},
    "unknown_key": {"vi": 'khóa không được hỗ trợ "{key}"', "en": 'unsupported key "{key}"'},
    "unknown_operator": {
        "vi": 'toán tử không hợp lệ "{key}" (dùng: {known})',
        "en": 'unknown operator "{key}" (use: {known})',
    },
    "one_operator": {
        "vi": "mỗi điều kiện có đúng một toán tử",
        "en": "a rule has exactly one operator",
    },
    "min_items": {"vi": "cần ít nhất {n} phần tử", "en": "needs at least {n} entries"},
    "max_items": {"vi": "tối đa {n} phần tử", "en": "at most {n} entries"},
    "empty": {"vi": "không được để trống", "en": "must not be empty"},
    "too_long": {"vi": "dài hơn {n} ký tự", "en": "longer than {n} characters"},
    "enum": {"vi": "phải là một trong: {values}", "en": "must be one of: {values}"},
    "minimum": {"vi": "phải lớn hơn hoặc bằng {n}", "en": "must be at least {n}"},
    "maximum": {"vi": "phải nhỏ hơn hoặc bằng {n}", "en": "must be at most {n}"},
    "exclusive_minimum": {"vi": "phải lớn hơn {n}", "en": "must be greater than {n}"},
    "pattern": {"vi": 'giá trị "{value}" sai định dạng', "en": 'badly formed value "{value}"'},
    "duplicate_entry": {"vi": "có phần tử trùng lặp", "en": "has duplicate entries"},
    "invalid": {"vi": "giá trị không hợp lệ ({detail})", "en": "invalid value ({detail})"},
    "not_object": {
        "vi": "tài liệu phải là một đối tượng JSON",
        "en": "the document must be a JSON object",
    },
    "item_id_format": {
        "vi": 'mã câu hỏi "{id}" phải là chữ ASCII thường, bắt đầu bằng chữ cái, '
        "chỉ gồm a-z, 0-9, _ và tối đa 32 ký tự",
        "en": 'item id "{id}" must be lower-case ASCII starting with a letter, '
        "only a-z, 0-9 and _, at most 32 characters",
    },
    "duplicate_item": {
        "vi": 'mã câu hỏi "{id}" bị trùng (đã dùng ở {first})',
        "en": 'item id "{id}" is used twice (first at {first})',
    },
    "duplicate_section": {
        "vi": 'mã phần "{id}" bị trùng (đã dùng ở {first})',
        "en": 'section id "{id}" is used twice (first at {first})',
    },
    "duplicate_id": {
        "vi": 'mã "{id}" bị trùng (đã dùng ở {first})',
        "en": 'id "{id}" is used twice (first at {first})',
    },
    "unknown_scale": {
        "vi": 'thang đo "{scale}" không tồn tại (có: {known})',
        "en": 'scale "{scale}" does not exist (known: {known})',
    },
    "choice_needs_options": {
        "vi": 'câu hỏi loại "{type}" cần "scale" hoặc "options"',
        "en": 'a "{type}" item needs a "scale" or "options"',
    },
    "scale_and_options": {
        "vi": 'chỉ dùng một trong "scale" hoặc "options"',
        "en": 'give either "scale" or "options", not both',
    },
    "options_on_non_choice": {
        "vi": 'câu hỏi loại "{type}" không có phương án trả lời',
        "en": 'a "{type}" item takes no options',
    },
    "duplicate_code": {
        "vi": "mã phương án {code} bị trùng",
        "en": "option code {code} is used twice",
    },
    "min_above_max": {
        "vi": "min ({min}) lớn hơn max ({max})",
        "en": "min ({min}) is greater than max ({max})",
    },
    "range_on_non_number": {
        "vi": 'min/max chỉ dùng cho câu hỏi loại "number"',
        "en": 'min/max only apply to "number" items',
    },
    "bad_rule": {"vi": "điều kiện không hợp lệ: {detail}", "en": "invalid rule: {detail}"},
    "rule_unknown_item": {
        "vi": 'điều kiện nhắc tới câu hỏi không tồn tại "{id}"',
        "en": 'the rule names an unknown item "{id}"',
    },
    "rule_later_item": {
        "vi": 'điều kiện chỉ được dùng câu hỏi đứng trước; "{id}" đứng sau',
        "en": 'a rule may only name earlier items; "{id}" comes later',
    },
    "rule_info_item": {
        "vi": '"{id}" là đoạn giới thiệu, không có câu trả lời',
        "en": '"{id}" is an info item and takes no answer',
    },
    "rule_value_not_number": {
        "vi": "điều kiện tính điểm chỉ so sánh với số, không phải {value}",
        "en": "scoring conditions compare with numbers only, not {value}",
    },
    "rule_unknown_code": {
        "vi": 'mã {code} không phải phương án của "{id}"',
        "en": 'code {code} is not an option of "{id}"',
    },
    "unknown_item": {
        "vi": 'câu hỏi "{id}" không tồn tại',
        "en": 'item "{id}" does not exist',
    },
    "criterion_type": {
        "vi": 'tiêu chí "{id}" phải là câu hỏi likert hoặc single, không phải "{type}"',
        "en": 'criterion "{id}" must be a likert or single item, not "{type}"',
    },
    "indicator_codes_or_range": {
        "vi": 'chỉ số cần "codes" hoặc "min"/"max" (không dùng cả hai)',
        "en": 'an indicator takes "codes" or "min"/"max" (not both)',
    },
    "indicator_range_type": {
        "vi": 'min/max chỉ dùng với câu hỏi loại "number", "{id}" là "{type}"',
        "en": 'min/max need a "number" item; "{id}" is "{type}"',
    },
    "indicator_item_type": {
        "vi": 'chỉ số cần câu hỏi có mã hoặc số, "{id}" là "{type}"',
        "en": 'an indicator needs a coded or number item; "{id}" is "{type}"',
    },
    "unknown_group": {
        "vi": 'nhóm "{group}" chưa được khai báo trong framework.groups',
        "en": 'group "{group}" is not declared in framework.groups',
    },
    "missing_group": {
        "vi": "khi có framework.groups, mỗi yếu tố phải thuộc một nhóm",
        "en": "with framework.groups, every element needs a group",
    },
    "empty_group": {
        "vi": 'nhóm "{group}" không có yếu tố nào',
        "en": 'group "{group}" has no elements',
    },
    "unknown_target": {
        "vi": 'mục tiêu "{key}" không khớp "overall", nhóm, yếu tố hay tiêu chí nào',
        "en": 'target "{key}" matches no "overall", group, element or criterion',
    },
    "bands_order": {
        "vi": "các mức xếp loại phải xếp từ cao xuống thấp (min giảm dần)",
        "en": "bands go from the top: each min must be below the one before",
    },
    "points_item_type": {
        "vi": 'câu hỏi tính điểm "{id}" phải là câu hỏi chọn một (likert/single)',
        "en": 'points item "{id}" must be a single-choice (likert/single) item',
    },
    "points_missing": {
        "vi": 'phương án mã {code} chưa có điểm, nhưng câu hỏi "{id}" được tính điểm',
        "en": 'option {code} has no points, but question "{id}" counts for points',
    },
    "points_over_max": {
        "vi": 'phương án mã {code} của câu hỏi "{id}" được {points} điểm, vượt mức tối đa '
        "mỗi câu ({item_max}): hãy sửa điểm hoặc đặt item_max của cách tính điểm",
        "en": 'option {code} of question "{id}" gives {points} points, more than one '
        "question's maximum ({item_max}): change the points or set the scheme's item_max",
    },
    "criterion_never_satisfied": {
        "vi": 'câu hỏi "{id}" có các phương án mã {codes}, không mã nào là "hài lòng" '
        "({satisfied}) nên tiêu chí này luôn bằng 0 %: hãy dùng thang đo khớp với các mã "
        '"hài lòng" hoặc sửa các mã đó',
        "en": 'question "{id}" is coded {codes}, none of them a satisfied code ({satisfied}), '
        "so this criterion can only score 0 %: use a scale that matches the satisfied codes "
        "or change them",
    },
    "criterion_lacks_satisfied": {
        "vi": 'câu hỏi "{id}" có các phương án mã {codes}, thiếu mã "hài lòng" {odd} '
        "(các mã hài lòng: {satisfied}): hãy kiểm tra thang đo của câu hỏi",
        "en": 'question "{id}" is coded {codes}, without the satisfied code(s) {odd} '
        "(satisfied: {satisfied}): check that its scale runs as the satisfied codes do",
    },
    "criterion_above_satisfied": {
        "vi": 'câu hỏi "{id}" có các phương án mã {odd} cao hơn các mã "hài lòng" '
        "({satisfied}) nhưng không được tính là hài lòng: hãy kiểm tra thang đo của câu hỏi",
        "en": 'question "{id}" has options coded {odd}, above the satisfied codes '
        "({satisfied}), that would count as not satisfied: check its scale",
    },
    "missing_label": {
        "vi": 'thiếu nội dung bằng ngôn ngữ chính "{lang}"',
        "en": 'missing text in the main language "{lang}"',
    },
    "missing_translation": {
        "vi": 'chưa có bản dịch "{lang}"',
        "en": 'no "{lang}" translation',
    },
}

TYPE_NAMES = {
    "object": {"vi": "một đối tượng", "en": "an object"},
    "array": {"vi": "một danh sách", "en": "a list"},
    "string": {"vi": "một chuỗi ký tự", "en": "a string"},
    "integer": {"vi": "một số nguyên", "en": "an integer"},
    "number": {"vi": "một số", "en": "a number"},
    "boolean": {"vi": "true hoặc false", "en": "true or false"},
}
RULE_OPERATORS = "eq, ne, lt, le, gt, ge, in, answered, and, or, not"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a document: where (a JSON path), what, and how bad."""

    path: str
    message: str
    severity: str = "error"  # or "warning": the document is still usable

    def __str__(self) -> str:
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{self.path}: {prefix}{self.message}"


class QuestionnaireInvalid(Exception):
    """Raised with every problem of a document that has at least one error."""

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(map(str, problems)))
        self.problems = problems


def message(code: str, lang: str, /, **params: Any) -> str:
    """The text of a message in ``lang`` (English when there is no such language)."""
    texts = MESSAGES[code]
    return texts.get(lang, texts["en"]).format(**params)


def validate(doc: Any, lang: str = "vi") -> list[Problem]:
    """Every problem of ``doc``, errors and warnings, in document order of discovery."""
    findings = list(_schema_findings(doc))
    if isinstance(doc, dict):
        findings.extend(check_meaning(doc))
    problems: list[Problem] = []
    seen: set[tuple[str, str]] = set()
    for finding in findings:
        text = message(finding.code, lang, **_localised(finding.params, lang))
        if (finding.path, text) not in seen:  # a bad rule trips both passes: say it once
            seen.add((finding.path, text))
            problems.append(Problem(finding.path, text, finding.severity))
    return problems


def check(doc: Any, lang: str = "vi") -> list[Problem]:
    """Like ``validate``, but raise ``QuestionnaireInvalid`` when there is any error."""
    problems = validate(doc, lang)
    if any(p.severity == "error" for p in problems):
        raise QuestionnaireInvalid(problems)
    return problems


@cache
def schema() -> dict[str, Any]:
    """The JSON Schema of the format (``schema.json`` next to this module)."""
    text = resources.files(__package__).joinpath("schema.json").read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


@cache
def _validator() -> Draft202012Validator:
    Draft202012Validator.check_schema(schema())
    return Draft202012Validator(schema())


def _schema_findings(doc: Any) -> Iterator[Finding]:
    if not isinstance(doc, dict):
        yield Finding("$", "not_object")
        return
    errors = sorted(_validator().iter_errors(doc), key=lambda e: [str(p) for p in e.path])
    for error in errors:
        yield from _translate(error)


def _translate(error: ValidationError) -> Iterable[Finding]:
    """A jsonschema error as findings with our own message codes."""
    path = json_path(error.absolute_path)
    kind = error.validator
    value: Any = error.validator_value
    rule_schema: Any = error.schema
    instance: Any = error.instance
    is_rule = isinstance(rule_schema, dict) and rule_schema.get("title") == "rule"
    if kind == "required":
        missing = [k for k in value if isinstance(instance, dict) and k not in instance]
        return [Finding(json_path([*error.absolute_path, k]), "required") for k in missing]
    if kind == "additionalProperties":
        known = set(rule_schema.get("properties", {}))
        patterns = list(rule_schema.get("patternProperties", {}))
        extra = [
            k for k in instance if k not in known and not any(re.search(p, k) for p in patterns)
        ]
        code = "unknown_operator" if is_rule else "unknown_key"
        return [
            Finding(json_path([*error.absolute_path, k]), code, {"key": k, "known": RULE_OPERATORS})
            for k in extra
        ]
    if kind in ("minProperties", "maxProperties") and is_rule:
        return [Finding(path, "one_operator")]
    simple: dict[str, tuple[str, dict[str, Any]]] = {
        "minItems": ("min_items", {"n": value}),
        "maxItems": ("max_items", {"n": value}),
        "minimum": ("minimum", {"n": value}),
        "maximum": ("maximum", {"n": value}),
        "exclusiveMinimum": ("exclusive_minimum", {"n": value}),
        "uniqueItems": ("duplicate_entry", {}),
        "pattern": ("pattern", {"value": instance}),
        "minLength": ("empty", {}),
        "maxLength": ("too_long", {"n": value}),
        "minProperties": ("empty", {}),
    }
    if kind == "enum":
        return [Finding(path, "enum", {"values": ", ".join(map(str, value))})]
    if kind == "type":
        expected = value if isinstance(value, list) else [value]
        return [Finding(path, "type", {"expected": _TypeNames(expected)})]
    if kind in simple:
        code, params = simple[kind]
        return [Finding(path, code, params)]
    return [Finding(path, "invalid", {"detail": error.message})]


def json_path(parts: Iterable[str | int]) -> str:
    """``["sections", 2, "items", 4]`` → ``sections[2].items[4]``; the root is ``$``."""
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "$"


class _TypeNames(list[str]):
    """JSON type names, translated when the message is rendered."""


def _localised(params: dict[str, Any], lang: str) -> dict[str, Any]:
    out = dict(params)
    for key, value in params.items():
        if isinstance(value, _TypeNames):
            names = [
                TYPE_NAMES.get(t, {}).get(lang) or TYPE_NAMES.get(t, {}).get("en", t) for t in value
            ]
            out[key] = (" hoặc " if lang == "vi" else " or ").join(names)
    return out
