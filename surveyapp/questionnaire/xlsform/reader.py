"""XLSForm workbooks as KoBoToolbox/ODK/SurveyCTO users really write them, to our JSON.

Every problem is located ``FILE:sheet:ROW:COL`` (Excel row, column letter).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook

from surveyapp.questionnaire import validation
from surveyapp.questionnaire.validation import Problem
from surveyapp.questionnaire.xlsform.expressions import SELF, ExpressionError, parse_expression
from surveyapp.questionnaire.xlsform.layout import FRAMEWORK_COLUMNS
from surveyapp.questionnaire.xlsform.sheets import (
    Table,
    Where,
    cell_text,
    column_letter,
    lang_code,
)

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
        self, path: str, table: Table, row: int, fields: dict[str, str], key: str = "name"
    ) -> None:
        self.places[path] = table.where(row, key)
        for suffix, base in fields.items():
            self.places[f"{path}.{suffix}"] = table.where(row, base)
            for code in table.langs(base):
                if code:
                    self.places[f"{path}.{suffix}.{code}"] = table.where(row, base, code)

    def table(
        self, name: str, known: set[str], aliases: dict[str, str] | None = None
    ) -> Table | None:
        for sheet in self.book.worksheets:
            if sheet.title.strip().lower() == name:
                return Table(self, sheet, known, aliases or {})
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
        self, settings: Table | None, survey: Table, choices: Table | None
    ) -> dict[str, Any]:
        row, values = settings.rows[0] if settings and settings.rows else (2, ())
        table = settings or survey
        header = (table.name, 1, 0)
        self.places["$"] = header
        get = settings.get if settings else (lambda _v, _b: "")
        default = lang_code(get(values, "default_language")) if settings else None
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
        text = cell_text(raw)
        if not text:
            self.warn(where, "no version in settings; using 1")
            return 1
        if re.fullmatch(r"\d+", text):
            return int(text)
        self.error(where, f'version must be a whole number, not "{text}"')
        return 1

    def number(self, table: Table, row: int, values: tuple[Any, ...], base: str) -> Any:
        raw = table.raw(values, base)
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            return raw
        text = cell_text(raw)
        if re.fullmatch(r"-?\d+", text):
            return int(text)
        try:
            return float(text)
        except ValueError:
            self.error(table.where(row, base), f'"{text}" is not a number')
            return None

    # --- choices ---------------------------------------------------------------------------

    def choices(self, table: Table, default: str) -> dict[str, Any]:
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

    def survey(self, table: Table, doc: dict[str, Any]) -> list[dict[str, Any]]:
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
        table: Table,
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
        self, node: dict[str, Any], key: str, table: Table, row: int, values: tuple[Any, ...]
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

    def framework(self, table: Table, default: str) -> dict[str, Any]:
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
        table: Table,
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

    def numbers(self, table: Table, row: int, values: tuple[Any, ...], base: str) -> list[Any]:
        raw = table.raw(values, base)
        if isinstance(raw, int | float):
            return [raw]
        found = []
        for part in re.split(r"[,;\s]+", cell_text(raw)):
            try:
                found.append(int(part) if re.fullmatch(r"-?\d+", part) else float(part))
            except ValueError:
                self.error(table.where(row, base), f'"{part}" is not a number')
        return found

    def pending_among(
        self, node: dict[str, Any], table: Table, row: int, values: tuple[Any, ...]
    ) -> None:
        self.expression(node, "among", table.get(values, "among"), table.where(row, "among"))
