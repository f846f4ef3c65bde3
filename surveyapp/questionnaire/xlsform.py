"""XLSForm workbooks: our JSON document to and from the survey/choices/settings layout.

Export writes what KoBoToolbox/ODK/SurveyCTO read, plus a ``framework`` sheet for the
scoring framework, and reads its own output back to the same document. Import accepts
workbooks as people really write them (see ``from_xlsform``). Not carried by a workbook:
``x_`` extension keys, ``description``, scale labels and item ``checks``; inline item
options come back as a scale named after the list.

``relevant`` expressions are read by a small recursive-descent parser into JSON rules:
XLSForm expressions are never evaluated.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from surveyapp.questionnaire.validation import Problem

LANG_NAMES = {"vi": "Vietnamese", "en": "English", "fr": "French", "zh": "Chinese"}
SELECT = {"likert": "select_one", "single": "select_one", "multi": "select_multiple"}
PLAIN = {"text": "text", "date": "date", "info": "note"}
COMPARE = {"eq": "=", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}
FRAMEWORK_COLUMNS = ["kind", "id", "item", "group", "weight", "codes", "min", "max", "among"]


class ExpressionError(ValueError):
    """An XLSForm expression outside the subset we read; ``offset`` is 0-based."""

    def __init__(self, message: str, offset: int):
        super().__init__(f"{message} (at character {offset + 1})")
        self.offset = offset


# --- expressions -------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<ref>\$\{\s*(?P<name>[^}\s]*)\s*\})
    | (?P<num>-?\d+(?:\.\d+)?)
    | (?P<str>'[^']*'|"[^"]*")
    | (?P<op>!=|<=|>=|=|<|>|\(|\)|,)
    | (?P<word>[A-Za-z_][A-Za-z0-9_:-]*)
    | (?P<dot>\.)
    )""",
    re.VERBOSE,
)
SELF = "."  # the item a constraint belongs to


def tokenize(text: str) -> list[tuple[str, Any, int]]:
    """``(kind, value, offset)`` tokens, ending with ``("end", None, len(text))``."""
    tokens: list[tuple[str, Any, int]] = []
    pos = 0
    while text[pos:].strip():
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            at = len(text) - len(text[pos:].lstrip())
            raise ExpressionError(f"unexpected {text[at]!r}", at)
        kind = match.lastgroup if match.lastgroup != "name" else "ref"
        assert kind is not None
        start = match.start(kind)
        raw = match.group(kind)
        value: Any = raw
        if kind == "ref":
            value = match.group("name")
        elif kind == "num":
            value = float(raw) if "." in raw else int(raw)
        elif kind == "str":
            value = raw[1:-1]
        tokens.append((kind, value, start))
        pos = match.end()
    tokens.append(("end", None, len(text)))
    return tokens


def parse_expression(text: str, *, allow_self: bool = False) -> dict[str, Any]:
    """``${a} = 1 and not(selected(${b}, 'x'))`` → a JSON rule (values as written)."""
    return _Parser(tokenize(text), allow_self).parse()


class _Parser:
    def __init__(self, tokens: list[tuple[str, Any, int]], allow_self: bool):
        self.tokens, self.pos, self.allow_self = tokens, 0, allow_self

    def parse(self) -> dict[str, Any]:
        rule = self.disjunction()
        self.expect("end")
        return rule

    def peek(self) -> tuple[str, Any, int]:
        return self.tokens[self.pos]

    def take(self) -> tuple[str, Any, int]:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def expect(self, kind: str, value: Any = None) -> tuple[str, Any, int]:
        token = self.take()
        if token[0] != kind or (value is not None and token[1] != value):
            wanted = repr(value) if value is not None else "the end" if kind == "end" else kind
            raise ExpressionError(f"expected {wanted}, found {_found(token)}", token[2])
        return token

    def is_word(self, word: str) -> bool:
        kind, value, _ = self.peek()
        return kind == "word" and value == word

    def disjunction(self) -> dict[str, Any]:
        parts = [self.conjunction()]
        while self.is_word("or"):
            self.take()
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else {"or": parts}

    def conjunction(self) -> dict[str, Any]:
        parts = [self.unary()]
        while self.is_word("and"):
            self.take()
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else {"and": parts}

    def unary(self) -> dict[str, Any]:
        kind, value, offset = self.peek()
        if kind == "op" and value == "(":
            self.take()
            inner = self.disjunction()
            self.expect("op", ")")
            return inner
        if kind == "word" and value in ("not", "selected"):
            self.take()
            self.expect("op", "(")
            if value == "not":
                rule: dict[str, Any] = {"not": self.disjunction()}
            else:
                item = self.reference()
                self.expect("op", ",")
                rule = {"eq": [item, self.literal()]}
            self.expect("op", ")")
            return rule
        if kind == "word" and self.tokens[self.pos + 1][1] == "(":
            raise ExpressionError(f'the function "{value}()" is not supported', offset)
        return self.comparison()

    def comparison(self) -> dict[str, Any]:
        left_ref = self.peek()[0] in ("ref", "dot") or self.peek()[0] == "end"
        left = self.reference() if left_ref else self.literal()
        kind, symbol, offset = self.take()
        ops = {v: k for k, v in COMPARE.items()}
        if kind != "op" or symbol not in ops:
            found = _found((kind, symbol, offset))
            raise ExpressionError(f"expected a comparison (= != < <= > >=), found {found}", offset)
        op = ops[symbol]
        if left_ref:
            item, value = left, self.literal()
        else:  # 1 < ${a} is ${a} > 1
            item, value = self.reference(), left
            op = {"lt": "gt", "gt": "lt", "le": "ge", "ge": "le"}.get(op, op)
        if value == "" and op in ("eq", "ne"):
            answered = {"answered": item}
            return answered if op == "ne" else {"not": answered}
        return {op: [item, value]}

    def reference(self) -> str:
        token = self.take()
        kind, value, offset = token
        if kind == "ref" and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.-]*", value):
            return str(value)
        if kind == "dot" and self.allow_self:
            return SELF
        raise ExpressionError(
            f"expected a question reference like ${{name}}, found {_found(token)}", offset
        )

    def literal(self) -> Any:
        token = self.take()
        kind, value, offset = token
        if kind in ("num", "str"):
            return value
        if kind == "word" and value in ("true", "false") and self.peek()[1] == "(":
            self.take()
            self.expect("op", ")")
            return value == "true"
        raise ExpressionError(f"expected a number or a quoted value, found {_found(token)}", offset)


def _found(token: tuple[str, Any, int]) -> str:
    return "the end" if token[0] == "end" else repr(str(token[1]))


def write_expression(rule: dict[str, Any], multi: set[str] | frozenset[str] = frozenset()) -> str:
    """A JSON rule as an XLSForm expression; ``multi`` items compare with ``selected()``."""
    ((op, arg),) = rule.items()
    if op in ("and", "or"):
        return f" {op} ".join(_operand(r, multi) for r in arg)
    if op == "not":
        return f"not({write_expression(arg, multi)})"
    if op == "answered":
        return f"${{{arg}}} != ''"
    if op == "in":
        return write_expression({"or": [{"eq": [arg[0], v]} for v in arg[1]]}, multi)
    item, value = arg
    if op == "eq" and item in multi:
        return f"selected(${{{item}}}, {_literal(value)})"
    return f"${{{item}}} {COMPARE[op]} {_literal(value)}"


def _operand(rule: dict[str, Any], multi: set[str] | frozenset[str]) -> str:
    text = write_expression(rule, multi)
    return f"({text})" if next(iter(rule)) in ("and", "or", "in") else text


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true()" if value else "false()"
    if isinstance(value, int | float):
        return repr(value)
    return f'"{value}"' if "'" in str(value) else f"'{value}'"


# --- export ------------------------------------------------------------------------------


def lang_header(code: str) -> str:
    return f"{LANG_NAMES.get(code, code)} ({code})"


def to_xlsform(doc: dict[str, Any]) -> Workbook:
    """The document as a workbook: ``survey``, ``choices``, ``settings``, ``framework``."""
    langs = list(doc["languages"])
    labels = [f"label::{lang_header(code)}" for code in langs]
    hints = [f"hint::{lang_header(code)}" for code in langs]
    items = [i for s in doc["sections"] for i in s["items"]]
    multi = {i["id"] for i in items if i["type"] == "multi"}
    lists = {name: scale["options"] for name, scale in doc.get("scales", {}).items()}
    book = Workbook()
    survey = book.active
    assert survey is not None
    survey.title = "survey"
    survey.append(
        ["type", "name", *labels, *hints, "required", "relevant", "constraint", "appearance"]
    )
    for section in doc["sections"]:
        relevant = write_expression(section["show_when"], multi) if "show_when" in section else None
        survey.append(
            ["begin_group", section["id"], *_texts(section["title"], langs)]
            + [None] * len(langs)
            + [None, relevant]
        )
        for item in section["items"]:
            survey.append(_item_row(item, langs, multi, lists))
        survey.append(["end_group"])
    choices = book.create_sheet("choices")
    choices.append(["list_name", "name", *labels, "missing", "points"])
    for name, options in lists.items():
        for option in options:
            missing = "yes" if option.get("missing") else None
            choices.append(
                [
                    name,
                    option["code"],
                    *_texts(option["label"], langs),
                    missing,
                    option.get("points"),
                ]
            )
    settings = book.create_sheet("settings")
    others = [f"form_title::{lang_header(code)}" for code in langs[1:]]
    settings.append(
        [
            "form_id",
            "version",
            "form_title",
            "default_language",
            "audience",
            "estimated_minutes",
            *others,
        ]
    )
    settings.append(
        [
            doc["id"],
            doc["version"],
            *_texts(doc["title"], langs[:1]),
            lang_header(langs[0]),
            doc.get("audience"),
            doc.get("estimated_minutes"),
            *_texts(doc["title"], langs[1:]),
        ]
    )
    if "framework" in doc:
        _write_framework(book.create_sheet("framework"), doc["framework"], langs, multi)
    return book


def _texts(label: dict[str, str] | None, langs: list[str]) -> list[str | None]:
    return [(label or {}).get(code) for code in langs]


def _item_row(
    item: dict[str, Any], langs: list[str], multi: set[str], lists: dict[str, Any]
) -> list[Any]:
    kind = item["type"]
    if kind in SELECT:
        list_name = item.get("scale")
        if list_name is None:  # inline options: a list of their own, named after the item
            list_name = item["id"] if item["id"] not in lists else f"{item['id']}_options"
            lists[list_name] = item["options"]
        type_text = f"{SELECT[kind]} {list_name}"
    elif kind == "number":
        bounds = [item.get("min"), item.get("max")]
        whole = all(b is None or float(b).is_integer() for b in bounds)
        type_text = "integer" if whole else "decimal"
    else:
        type_text = PLAIN[kind]
    required = None if "required" not in item else "yes" if item["required"] else "no"
    relevant = write_expression(item["show_when"], multi) if "show_when" in item else None
    bounds_text = [
        f". {op} {_literal(item[key])}" for key, op in (("min", ">="), ("max", "<=")) if key in item
    ]
    return [
        type_text,
        item["id"],
        *_texts(item["label"], langs),
        *_texts(item.get("hint"), langs),
        required,
        relevant,
        " and ".join(bounds_text) or None,
        "likert" if kind == "likert" else None,
    ]


def _write_framework(
    sheet: Worksheet, framework: dict[str, Any], langs: list[str], multi: set[str]
) -> None:
    sheet.append([*FRAMEWORK_COLUMNS, "value", *(f"label::{lang_header(c)}" for c in langs)])

    def row(
        kind: str, label: dict[str, str] | None = None, value: Any = None, **cells: Any
    ) -> None:
        sheet.append(
            [kind, *(cells.get(c) for c in FRAMEWORK_COLUMNS[1:]), value, *_texts(label, langs)]
        )

    if "satisfied" in framework:
        row("setting", id="satisfied", value=_numbers_text(framework["satisfied"]))
    if "aggregate" in framework:
        row("setting", id="aggregate", value=framework["aggregate"])
    for group in framework.get("groups", []):
        row("group", group.get("label"), id=group["id"], weight=group.get("weight"))
    for element in framework["elements"]:
        row(
            "element",
            element.get("label"),
            id=element["id"],
            group=element.get("group"),
            weight=element.get("weight"),
        )
        for criterion in element["criteria"]:
            row("criterion", item=criterion["item"], weight=criterion.get("weight"))
    for indicator in framework.get("indicators", []):
        among = indicator.get("among")
        row(
            "indicator",
            indicator.get("label"),
            id=indicator["id"],
            item=indicator["item"],
            codes=_numbers_text(indicator["codes"]) if "codes" in indicator else None,
            min=indicator.get("min"),
            max=indicator.get("max"),
            among=write_expression(among, multi) if among else None,
        )
    for key, target in framework.get("targets", {}).items():
        row("target", id=key, value=target)
    points = framework.get("points")
    if points:
        for key in ("item_max", "max"):
            if key in points:
                row("setting", id=f"points_{key}", value=points[key])
        for item in points["items"]:
            row("points_item", item=item)
        for band in points["bands"]:
            row("band", band["label"], min=band["min"])


def _numbers_text(values: list[Any]) -> str:
    return " ".join(_literal(v) for v in values)


# --- import ------------------------------------------------------------------------------


def from_xlsform(
    workbook: Workbook, *, filename: str, lang: str = "en"
) -> tuple[dict[str, Any] | None, list[Problem]]:
    """The document in an XLSForm workbook and every problem, as ``FILE:sheet:ROW:COL: …``.

    The document is None when there is any error (validation included); warnings leave a
    usable document.
    """
    raise NotImplementedError


def read_workbook(
    path: Path, *, filename: str, lang: str = "en"
) -> tuple[dict[str, Any] | None, list[Problem]]:
    """``from_xlsform`` on a file; an unreadable file is one problem, not a crash."""
    try:
        workbook = load_workbook(path, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a file that isn't xlsx
        return None, [Problem(f"{filename}:survey:1:A", f"not a readable .xlsx workbook ({error})")]
    return from_xlsform(workbook, filename=filename, lang=lang)


def column_letter(index: int) -> str:
    return get_column_letter(index + 1)


def iter_rows(sheet: Worksheet) -> Iterator[tuple[int, tuple[Any, ...]]]:
    """Excel row numbers (the header is 1) and values of the non-blank data rows."""
    for number, values in enumerate(sheet.iter_rows(min_row=2, values_only=True), start=2):
        if any(v is not None and str(v).strip() for v in values):
            yield number, values
