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

from surveyapp.questionnaire import validation
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


def column_letter(index: int) -> str:
    return get_column_letter(index + 1)


def iter_rows(sheet: Worksheet) -> Iterator[tuple[int, tuple[Any, ...]]]:
    """Excel row numbers (the header is 1) and values of the non-blank data rows."""
    for number, values in enumerate(sheet.iter_rows(min_row=2, values_only=True), start=2):
        if any(v is not None and str(v).strip() for v in values):
            yield number, values


LANG_CODES = {"vietnamese": "vi", "tiếng việt": "vi", "english": "en", "french": "fr"}
LANG_CODES |= {"chinese": "zh"}
ALIASES = {"relevance": "relevant", "listname": "list_name", "caption": "label"}
SURVEY_COLUMNS = {"type", "name", "label", "hint", "required", "relevant", "constraint"}
SURVEY_COLUMNS |= {"appearance"}
CHOICES_COLUMNS = {"list_name", "name", "label", "missing", "points"}
SETTINGS_COLUMNS = {"form_id", "version", "form_title", "default_language", "audience"}
SETTINGS_COLUMNS |= {"estimated_minutes"}
# Collected by the phone, not asked: nothing to store in our document.
IGNORED_TYPES = {"start", "end", "today", "deviceid", "subscriberid", "simserial", "audit"}
IGNORED_TYPES |= {"phonenumber", "username", "email", "calculate", "hidden", "start-geopoint"}
PLAIN_TYPES = {"integer": "number", "int": "number", "decimal": "number", "text": "text"}
PLAIN_TYPES |= {"string": "text", "date": "date", "note": "info"}
SELECT_TYPE = re.compile(
    r"(select_one|select_multiple|select one from|select all that apply from|select one|"
    r"select multiple|select all that apply) (\S+)( or_other)?"
)
OTHER_LABEL = {"vi": "Khác", "en": "Other"}
OTHER_TEXT = {"vi": "Ghi rõ", "en": "Please specify"}
Where = tuple[str, int, int]  # sheet, Excel row, 0-based column
ITEM_FIELDS = {"id": "name", "type": "type", "scale": "type", "options": "type"}
ITEM_FIELDS |= {"label": "label", "hint": "hint", "required": "required"}
ITEM_FIELDS |= {"min": "constraint", "max": "constraint", "show_when": "relevant"}


def from_xlsform(
    workbook: Workbook, *, filename: str, lang: str = "en"
) -> tuple[dict[str, Any] | None, list[Problem]]:
    """The document in an XLSForm workbook and every problem, as ``FILE:sheet:ROW:COL: …``.

    Validation runs here too, its JSON paths mapped back to cells. The document is None
    when there is any error; warnings leave a usable document.
    """
    return _Reader(workbook, filename).read(lang)


def read_workbook(
    path: Path, *, filename: str, lang: str = "en"
) -> tuple[dict[str, Any] | None, list[Problem]]:
    """``from_xlsform`` on a file; an unreadable file is one problem, not a crash."""
    try:
        workbook = load_workbook(path, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a file that isn't xlsx
        return None, [Problem(f"{filename}:survey:1:A", f"not a readable .xlsx workbook ({error})")]
    return from_xlsform(workbook, filename=filename, lang=lang)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _lang_code(text: str) -> str | None:
    match = re.search(r"\(\s*([A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})?)\s*\)\s*$", text)
    if match:
        return match.group(1).lower()
    lowered = text.strip().lower()
    return LANG_CODES.get(lowered) or (lowered if re.fullmatch(r"[a-z]{2,3}", lowered) else None)


class _Table:
    """A sheet with its header understood: ``(column, language)`` → column index."""

    def __init__(self, reader: _Reader, sheet: Worksheet, known: set[str], aliases: dict[str, str]):
        self.name = sheet.title
        self.columns: dict[tuple[str, str | None], int] = {}
        header = next(sheet.iter_rows(max_row=1, values_only=True), ())
        for index, cell in enumerate(header):
            raw = _text(cell)
            if not raw:
                continue
            parts = [p.strip() for p in raw.split("::")]
            if re.sub(r"\s+", "_", parts[0].lower()) in ("bind", "body") and len(parts) > 1:
                parts = parts[1:]
            base = re.sub(r"[\s_]+", "_", parts[0].lower())
            base = aliases.get(base, ALIASES.get(base, base))
            where = (self.name, 1, index)
            code = _lang_code(parts[1]) if len(parts) > 1 else None
            if base not in known:
                reader.warn(where, f'column "{raw}" is not supported; ignored')
            elif len(parts) > 1 and code is None:
                reader.error(where, f'language "{parts[1]}" has no code; write it "Name (xx)"')
            elif (base, code) in self.columns:
                reader.warn(where, f'column "{raw}" appears twice; the first one is used')
            else:
                self.columns[(base, code)] = index
        self.rows = list(iter_rows(sheet))

    def col(self, base: str, lang: str | None = None) -> int | None:
        return self.columns.get((base, lang))

    def raw(self, values: tuple[Any, ...], base: str) -> Any:
        index = self.col(base)
        return values[index] if index is not None and index < len(values) else None

    def get(self, values: tuple[Any, ...], base: str) -> str:
        return _text(self.raw(values, base))

    def langs(self, base: str) -> list[str | None]:
        return [code for (b, code) in self.columns if b == base]

    def labels(self, values: tuple[Any, ...], base: str, default: str) -> dict[str, str]:
        found: dict[str, str] = {}
        for code in sorted(self.langs(base), key=lambda c: c is None):  # suffixed ones win
            index = self.columns[(base, code)]
            text = _text(values[index]) if index < len(values) else ""
            if text and (code or default) not in found:
                found[code or default] = text
        return found

    def where(self, row: int, base: str, lang: str | None = None) -> Where:
        index = self.col(base, lang)
        if index is None:  # e.g. a label path when only label::xx columns exist
            same = [i for (b, _), i in self.columns.items() if b == base]
            index = same[0] if same else 0
        return (self.name, row, index)


class _Unresolved(ValueError):
    """A value in an expression names no choice of its item."""


class _Reader:
    def __init__(self, workbook: Workbook, filename: str):
        self.book, self.filename = workbook, filename
        self.problems: list[Problem] = []
        self.places: dict[str, Where] = {}  # JSON path → cell, to place validation problems
        self.codes: dict[str, dict[str, int]] = {}  # choice item → choice name → our code
        self.types: dict[str, str] = {}
        self.pending: list[tuple[dict[str, Any], str, str, Where]] = []
        self.lists: dict[str, dict[str, int]] = {}  # list name → choice name → code
        self.scales: dict[str, Any] = {}
        self.languages: list[str] = []

    def at(self, where: Where) -> str:
        sheet, row, col = where
        return f"{self.filename}:{sheet}:{row}:{column_letter(col)}"

    def error(self, where: Where, message: str) -> None:
        self.problems.append(Problem(self.at(where), message))

    def warn(self, where: Where, message: str) -> None:
        self.problems.append(Problem(self.at(where), message, "warning"))

    def place(
        self, path: str, table: _Table, row: int, fields: dict[str, str], key: str = "name"
    ) -> None:
        self.places[path] = table.where(row, key)
        for suffix, base in fields.items():
            self.places[f"{path}.{suffix}"] = table.where(row, base)
            for code in table.langs(base):
                if code:
                    self.places[f"{path}.{suffix}.{code}"] = table.where(row, base, code)

    def table(
        self, name: str, known: set[str], aliases: dict[str, str] | None = None
    ) -> _Table | None:
        for sheet in self.book.worksheets:
            if sheet.title.strip().lower() == name:
                return _Table(self, sheet, known, aliases or {})
        return None

    def read(self, lang: str) -> tuple[dict[str, Any] | None, list[Problem]]:
        survey = self.table("survey", SURVEY_COLUMNS)
        if survey is None:
            self.error(("survey", 1, 0), 'the workbook has no "survey" sheet')
            return None, self.problems
        choices = self.table("choices", CHOICES_COLUMNS, {"value": "name"})
        settings = self.table("settings", SETTINGS_COLUMNS)
        framework = self.table("framework", {*FRAMEWORK_COLUMNS, "value", "label"})
        doc = self.settings(settings, survey, choices)
        self.languages = doc["languages"]
        default = self.languages[0]
        self.scales = doc["scales"] = self.choices(choices, default) if choices else {}
        doc["sections"] = self.survey(survey, doc)
        for node, key, text, where in self.pending:
            self.expression(node, key, text, where)
        if framework is not None:
            doc["framework"] = self.framework(framework, default)
        read_errors = {p.path for p in self.problems if p.severity == "error"}
        for problem in validation.validate(doc, lang):
            place = self.at(self.locate(problem.path))
            if place not in read_errors:  # the reading error there says it more plainly
                self.problems.append(Problem(place, problem.message, problem.severity))
        ok = not any(p.severity == "error" for p in self.problems)
        return (doc if ok else None), self.problems

    def locate(self, path: str) -> Where:
        while path not in self.places and path:
            path = path[: max(path.rfind("."), path.rfind("["), 0)]
        return self.places.get(path or "$", ("survey", 1, 0))

    # --- settings and languages ---------------------------------------------------------

    def settings(
        self, settings: _Table | None, survey: _Table, choices: _Table | None
    ) -> dict[str, Any]:
        row, values = settings.rows[0] if settings and settings.rows else (2, ())
        table = settings or survey
        header = (table.name, 1, 0)
        self.places["$"] = header
        get = settings.get if settings else (lambda _v, _b: "")
        default = _lang_code(get(values, "default_language")) if settings else None
        found = [*survey.langs("label"), *survey.langs("hint")]
        found += [*(choices.langs("label") if choices else []), *table.langs("form_title")]
        named = [code for code in found if code]
        if default is None and not named:
            self.warn(survey.where(1, "label"), "no language given; texts taken as Vietnamese (vi)")
        default = default or (named[0] if named else "vi")
        doc: dict[str, Any] = {"languages": list(dict.fromkeys([default, *named]))}
        form_id = get(values, "form_id")
        if not form_id:
            form_id = re.sub(r"[^a-z0-9_.-]+", "-", Path(self.filename).stem.lower()).strip("-")
            self.warn(header, f'no form_id in settings; using "{form_id}"')
        doc["id"] = form_id
        doc["version"] = self.version(
            settings.raw(values, "version") if settings else None,
            table.where(row, "version") if settings else header,
        )
        title = table.labels(values, "form_title", default) if settings else {}
        if not title:
            title = {default: form_id}
            self.warn(header, "no form_title in settings; using the form id")
        doc["title"] = title
        if get(values, "audience"):
            doc["audience"] = get(values, "audience")
        if settings and settings.raw(values, "estimated_minutes") is not None:
            doc["estimated_minutes"] = self.number(settings, row, values, "estimated_minutes")
        if settings:
            for key, base in (
                ("id", "form_id"),
                ("version", "version"),
                ("title", "form_title"),
                ("audience", "audience"),
                ("estimated_minutes", "estimated_minutes"),
                ("languages", "default_language"),
            ):
                self.places[key] = settings.where(row, base)
        return doc

    def version(self, raw: Any, where: Where) -> int:
        text = _text(raw)
        if not text:
            self.warn(where, "no version in settings; using 1")
            return 1
        if re.fullmatch(r"\d+", text):
            return int(text)
        self.error(where, f'version must be a whole number, not "{text}"')
        return 1

    def number(self, table: _Table, row: int, values: tuple[Any, ...], base: str) -> Any:
        raw = table.raw(values, base)
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            return raw
        text = _text(raw)
        if re.fullmatch(r"-?\d+", text):
            return int(text)
        try:
            return float(text)
        except ValueError:
            self.error(table.where(row, base), f'"{text}" is not a number')
            return None

    # --- choices ---------------------------------------------------------------------------

    def choices(self, table: _Table, default: str) -> dict[str, Any]:
        rows: dict[str, list[tuple[int, str, dict[str, Any]]]] = {}
        for row, values in table.rows:
            list_name, name = table.get(values, "list_name"), table.get(values, "name")
            if not list_name or not name:
                missing = "list_name" if not list_name else "name"
                self.error(table.where(row, missing), f"{missing} is missing")
                continue
            option: dict[str, Any] = {"code": 0, "label": table.labels(values, "label", default)}
            if table.get(values, "missing").lower() in ("yes", "true", "1"):
                option["missing"] = True
            if table.get(values, "points"):
                option["points"] = self.number(table, row, values, "points")
            entries = rows.setdefault(list_name, [])
            if any(name == seen for _, seen, _ in entries):
                self.error(
                    table.where(row, "name"), f'choice "{name}" appears twice in list "{list_name}"'
                )
            entries.append((row, name, option))
        scales: dict[str, Any] = {}
        for list_name, entries in rows.items():
            numeric = all(re.fullmatch(r"-?\d+", name) for _, name, _ in entries)
            codes = {name: int(name) if numeric else n for n, (_, name, _) in enumerate(entries, 1)}
            if not numeric:
                listed = ", ".join(f"{name}={code}" for name, code in codes.items())
                self.warn(
                    table.where(entries[0][0], "name"),
                    f'choice names in list "{list_name}" are not numbers; coded {listed}',
                )
            for index, (row, name, option) in enumerate(entries):
                option["code"] = codes[name]
                self.place(
                    f"scales.{list_name}.options[{index}]",
                    table,
                    row,
                    {"code": "name", "label": "label", "missing": "missing", "points": "points"},
                )
            self.places[f"scales.{list_name}"] = table.where(entries[0][0], "list_name")
            self.lists[list_name] = codes
            scales[list_name] = {"options": [option for _, _, option in entries]}
        return scales

    # --- survey ----------------------------------------------------------------------------

    def survey(self, table: _Table, doc: dict[str, Any]) -> list[dict[str, Any]]:
        default = doc["languages"][0]
        sections: list[dict[str, Any]] = []
        group: dict[str, Any] | None = None  # the open begin_group
        loose: dict[str, Any] | None = None  # the default section taking ungrouped items
        lists = self.lists
        for row, values in table.rows:
            kind = re.sub(r"\s+", " ", table.get(values, "type").lower())
            name = table.get(values, "name")
            where = table.where(row, "type")
            if kind in ("begin_group", "begin group", "end_group", "end group"):
                if kind.startswith("begin") and group is not None:
                    self.error(
                        where,
                        f'group "{name}" is inside group "{group["id"]}"; '
                        "nested groups are not supported",
                    )
                elif kind.startswith("begin"):
                    group = {"id": name, "title": table.labels(values, "label", default)}
                    if not group["title"]:
                        group["title"] = {default: name}
                        self.warn(
                            table.where(row, "label"),
                            "the group has no label; its name is the title",
                        )
                    path = f"sections[{len(sections)}]"
                    self.place(
                        path, table, row, {"id": "name", "title": "label", "show_when": "relevant"}
                    )
                    self.places[f"{path}.items"] = where
                    self.later(group, "show_when", table, row, values)
                    group["items"] = []
                    sections.append(group)
                    loose = None
                elif group is None:
                    self.error(where, "end_group without a begin_group")
                else:
                    group = None
                continue
            if kind in ("begin_repeat", "begin repeat"):
                self.error(where, "repeats are not supported")
                continue
            if kind in ("end_repeat", "end repeat") or kind in IGNORED_TYPES:
                if kind in IGNORED_TYPES:
                    self.warn(where, f'type "{kind}" is not supported; row ignored')
                continue
            if not kind:
                if name or table.labels(values, "label", default):
                    self.error(where, "type is missing")
                continue
            target = group or loose
            if target is None:
                section_id = "main" if not sections else f"main_{len(sections) + 1}"
                target = loose = {"id": section_id, "title": dict(doc["title"]), "items": []}
                self.places[f"sections[{len(sections)}]"] = table.where(row, "name")
                sections.append(target)
            path = f"sections[{sections.index(target)}].items[{len(target['items'])}]"
            for item in self.item(table, row, values, kind, name, lists, default):
                self.place(path, table, row, ITEM_FIELDS)
                target["items"].append(item)
                path = f"sections[{sections.index(target)}].items[{len(target['items'])}]"
        if group is not None:
            self.error(
                self.places[f"sections[{sections.index(group)}].items"],
                f'group "{group["id"]}" has no end_group',
            )
        return sections

    def item(
        self,
        table: _Table,
        row: int,
        values: tuple[Any, ...],
        kind: str,
        name: str,
        lists: dict[str, dict[str, int]],
        default: str,
    ) -> list[dict[str, Any]]:
        item: dict[str, Any] = {
            "id": name,
            "type": "text",
            "label": table.labels(values, "label", default),
        }
        hint = table.labels(values, "hint", default)
        if hint:
            item["hint"] = hint
        select = SELECT_TYPE.fullmatch(kind)
        follow_up: list[dict[str, Any]] = []
        if select:
            list_name = select.group(2)
            multi = "multiple" in select.group(1) or "all" in select.group(1)
            likert = "likert" in table.get(values, "appearance").lower()
            item["type"] = "multi" if multi else "likert" if likert else "single"
            if list_name not in lists:
                self.error(
                    table.where(row, "type"), f'list "{list_name}" is not in the choices sheet'
                )
            codes = dict(lists.get(list_name, {}))
            if select.group(3) and list_name in lists:
                other = max(codes.values(), default=0) + 1
                codes["other"] = other
                scale = self.scales[list_name]["options"]
                item["options"] = [*scale, {"code": other, "label": self.texts(OTHER_LABEL)}]
                follow_up.append(
                    {
                        "id": f"{name}_other",
                        "type": "text",
                        "label": self.texts(OTHER_TEXT),
                        "show_when": {"eq": [name, other]},
                    }
                )
            else:
                item["scale"] = list_name
            self.codes[name] = codes
        elif kind in PLAIN_TYPES:
            item["type"] = PLAIN_TYPES[kind]
        else:
            self.error(table.where(row, "type"), f'type "{kind}" is not supported')
            return []
        self.types[name] = item["type"]
        required = table.get(values, "required").lower()
        if required in ("yes", "true", "1", "true()"):
            item["required"] = True
        elif required in ("no", "false", "0", "false()"):
            item["required"] = False
        elif required:
            self.error(
                table.where(row, "required"), f'required must be yes or no, not "{required}"'
            )
        constraint = table.get(values, "constraint")
        if constraint:
            self.constraint(item, constraint, table.where(row, "constraint"))
        self.later(item, "show_when", table, row, values)
        return [item, *follow_up]

    def texts(self, texts: dict[str, str]) -> dict[str, str]:
        return {code: texts.get(code, texts["en"]) for code in self.languages}

    def later(
        self, node: dict[str, Any], key: str, table: _Table, row: int, values: tuple[Any, ...]
    ) -> None:
        text = table.get(values, "relevant")
        if text:
            self.pending.append((node, key, text, table.where(row, "relevant")))

    def constraint(self, item: dict[str, Any], text: str, where: Where) -> None:
        try:
            rule = parse_expression(text, allow_self=True) if item["type"] == "number" else None
        except ExpressionError:
            rule = None
        parts = (rule or {}).get("and", [rule] if rule else [])
        bounds: dict[str, Any] = {}
        shift = {"ge": ("min", 0), "gt": ("min", 1), "le": ("max", 0), "lt": ("max", -1)}
        for part in parts:
            ((op, arg),) = part.items()
            if op not in shift or arg[0] != SELF or not isinstance(arg[1], int | float):
                break
            key, step = shift[op]
            if step and not isinstance(arg[1], int):
                break  # "> 0.5" has no smallest allowed value
            bounds[key] = arg[1] + step
        else:
            if bounds:
                item.update(bounds)
                return
        self.warn(
            where,
            f'constraint "{text}" is not supported (only ranges: ". >= 1 and . <= 20"); ignored',
        )

    def expression(self, node: dict[str, Any], key: str, text: str, where: Where) -> None:
        try:
            node[key] = self.resolve(parse_expression(text))
        except (ExpressionError, _Unresolved) as error:
            self.error(where, f'cannot read "{text}": {error}')

    def resolve(self, rule: dict[str, Any]) -> dict[str, Any]:
        """Choice names in a parsed rule as our integer codes."""
        ((op, arg),) = rule.items()
        if op in ("and", "or"):
            return {op: [self.resolve(r) for r in arg]}
        if op == "not":
            return {op: self.resolve(arg)}
        if op == "answered":
            return rule
        item, value = arg
        codes = self.codes.get(item)
        if isinstance(value, str) and codes is not None:
            if value in codes:
                value = codes[value]
            elif re.fullmatch(r"-?\d+", value):
                value = int(value)
            else:
                raise _Unresolved(f'"{value}" is not a choice of {item}')
        elif isinstance(value, str) and self.types.get(item) == "number":
            try:
                value = int(value) if re.fullmatch(r"-?\d+", value) else float(value)
            except ValueError:
                raise _Unresolved(f'"{value}" is not a number') from None
        return {op: [item, value]}

    # --- framework -------------------------------------------------------------------------

    def framework(self, table: _Table, default: str) -> dict[str, Any]:
        framework: dict[str, Any] = {"elements": []}
        points: dict[str, Any] = {}
        self.places["framework"] = (table.name, 1, 0)
        for row, values in table.rows:
            kind = table.get(values, "kind").lower()
            node: dict[str, Any] = {}
            label = table.labels(values, "label", default)
            for key in ("id", "item", "group"):
                if table.get(values, key):
                    node[key] = table.get(values, key)
            for key in ("weight", "min", "max"):
                if table.get(values, key):
                    node[key] = self.number(table, row, values, key)
            fields = {
                "id": "id",
                "item": "item",
                "group": "group",
                "weight": "weight",
                "codes": "codes",
                "min": "min",
                "max": "max",
                "among": "among",
                "label": "label",
            }
            if kind == "setting":
                self.setting(table, row, values, node.get("id", ""), framework, points)
            elif kind == "criterion":
                if not framework["elements"]:
                    self.error(
                        table.where(row, "kind"), "a criterion needs an element row above it"
                    )
                    continue
                element = framework["elements"][-1]
                path = f"framework.elements[{len(framework['elements']) - 1}].criteria"
                self.place(f"{path}[{len(element['criteria'])}]", table, row, fields, "item")
                element["criteria"].append(
                    {k: v for k, v in node.items() if k in ("item", "weight")}
                )
            elif kind in ("group", "element", "indicator"):
                plural = f"{kind}s"
                entries = framework.setdefault(plural, [])
                self.place(f"framework.{plural}[{len(entries)}]", table, row, fields, "id")
                if label:
                    node["label"] = label
                if kind == "element":
                    node["criteria"] = []
                if kind == "indicator" and table.get(values, "codes"):
                    node["codes"] = self.numbers(table, row, values, "codes")
                if kind == "indicator" and table.get(values, "among"):
                    self.pending_among(node, table, row, values)
                entries.append(node)
            elif kind == "target":
                key = node.get("id", "")
                self.places[f"framework.targets.{key}"] = table.where(row, "value")
                framework.setdefault("targets", {})[key] = self.number(table, row, values, "value")
            elif kind == "points_item":
                items = points.setdefault("items", [])
                self.places[f"framework.points.items[{len(items)}]"] = table.where(row, "item")
                items.append(node.get("item", ""))
            elif kind == "band":
                bands = points.setdefault("bands", [])
                self.place(f"framework.points.bands[{len(bands)}]", table, row, fields, "min")
                bands.append({"min": node.get("min"), "label": label})
            else:
                self.error(
                    table.where(row, "kind"),
                    f'kind "{kind}" is not one of: setting, group, '
                    "element, criterion, indicator, target, points_item, band",
                )
        if points:
            framework["points"] = points
        return framework

    def setting(
        self,
        table: _Table,
        row: int,
        values: tuple[Any, ...],
        key: str,
        framework: dict[str, Any],
        points: dict[str, Any],
    ) -> None:
        where = table.where(row, "value")
        if key == "satisfied":
            framework["satisfied"] = self.numbers(table, row, values, "value")
            self.places["framework.satisfied"] = where
        elif key == "aggregate":
            framework["aggregate"] = table.get(values, "value")
            self.places["framework.aggregate"] = where
        elif key in ("points_item_max", "points_max"):
            points[key.removeprefix("points_")] = self.number(table, row, values, "value")
            self.places[f"framework.points.{key.removeprefix('points_')}"] = where
        else:
            self.error(table.where(row, "id"), f'unknown setting "{key}"')

    def numbers(self, table: _Table, row: int, values: tuple[Any, ...], base: str) -> list[Any]:
        raw = table.raw(values, base)
        if isinstance(raw, int | float):
            return [raw]
        found = []
        for part in re.split(r"[,;\s]+", _text(raw)):
            try:
                found.append(int(part) if re.fullmatch(r"-?\d+", part) else float(part))
            except ValueError:
                self.error(table.where(row, base), f'"{part}" is not a number')
        return found

    def pending_among(
        self, node: dict[str, Any], table: _Table, row: int, values: tuple[Any, ...]
    ) -> None:
        self.expression(node, "among", table.get(values, "among"), table.where(row, "among"))
