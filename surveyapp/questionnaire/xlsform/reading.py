"""The state of one workbook being read: problems at cells, and where each JSON path came from.

Sheets are read in order (settings, choices, survey, then expressions and framework), and
each one leaves here what the later ones need: the languages, the choice lists and codes,
the item types. Every problem is kept with its cell, ``FILE:sheet:ROW:COL``.
"""

from __future__ import annotations

import re
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from openpyxl import Workbook

from surveyapp.i18n import in_language
from surveyapp.questionnaire.validation import Problem
from surveyapp.questionnaire.xlsform.sheets import Table, Where, cell_text, column_letter


class Reading:
    def __init__(self, workbook: Workbook, filename: str, lang: str):
        self.book, self.filename, self.lang = workbook, filename, lang
        self.problems: list[Problem] = []
        self.places: dict[str, Where] = {}  # JSON path → cell, to place validation problems
        self.codes: dict[str, dict[str, int]] = {}  # choice item → choice name → our code
        self.types: dict[str, str] = {}  # item id → our item type
        self.lists: dict[str, dict[str, int]] = {}  # list name → choice name → code
        self.scales: dict[str, Any] = {}
        self.languages: list[str] = []
        # expressions wait until every item is known: (node, key, text, cell)
        self.pending: list[tuple[dict[str, Any], str, str, Where]] = []
        # items of groups inside a section's group, with those groups (outermost first):
        # each group's rule joins the item's own once the expressions are read
        self.nested: list[tuple[dict[str, Any], list[dict[str, Any]]]] = []

    def at(self, where: Where) -> str:
        sheet, row, col = where
        return f"{self.filename}:{sheet}:{row}:{column_letter(col)}"

    def error(self, where: Where, message: str | LazyString) -> None:
        self.problems.append(Problem(self.at(where), in_language(message, self.lang)))

    def warn(self, where: Where, message: str | LazyString) -> None:
        text = in_language(message, self.lang)
        self.problems.append(Problem(self.at(where), text, "warning"))

    def place(
        self, path: str, table: Table, row: int, fields: dict[str, str], key: str = "name"
    ) -> None:
        """Remember the cells of a JSON node: ``fields`` maps its keys to sheet columns."""
        self.places[path] = table.where(row, key)
        for suffix, base in fields.items():
            self.places[f"{path}.{suffix}"] = table.where(row, base)
            for code in table.langs(base):
                if code:
                    self.places[f"{path}.{suffix}.{code}"] = table.where(row, base, code)

    def locate(self, path: str) -> Where:
        """The cell of a JSON path, or of its nearest located parent."""
        while path not in self.places and path:
            path = path[: max(path.rfind("."), path.rfind("["), 0)]
        return self.places.get(path or "$", ("survey", 1, 0))

    def table(
        self, name: str, known: set[str], aliases: dict[str, str] | None = None
    ) -> Table | None:
        """The sheet called ``name`` (any case, spaces around), its header understood."""
        for sheet in self.book.worksheets:
            if sheet.title.strip().lower() == name:
                return Table(self, sheet, known, aliases or {})
        return None

    def texts(self, texts: dict[str, str]) -> dict[str, str]:
        """Our own wording (e.g. "Other") in each language of the form."""
        return {code: texts.get(code, texts["en"]) for code in self.languages}

    def later(
        self, node: dict[str, Any], key: str, table: Table, row: int, values: tuple[Any, ...]
    ) -> None:
        """Queue the row's ``relevant`` expression for ``node[key]``."""
        text = table.get(values, "relevant")
        if text:
            self.pending.append((node, key, text, table.where(row, "relevant")))

    def number(self, table: Table, row: int, values: tuple[Any, ...], base: str) -> Any:
        """The cell as a number, or None and an error at the cell."""
        raw = table.raw(values, base)
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            return raw
        text = cell_text(raw)
        if re.fullmatch(r"-?\d+", text):
            return int(text)
        try:
            return float(text)
        except ValueError:
            self.error(table.where(row, base), _l('"%(value)s" is not a number', value=text))
            return None

    def numbers(self, table: Table, row: int, values: tuple[Any, ...], base: str) -> list[Any]:
        """A list of numbers written in one cell, separated by commas, semicolons or spaces."""
        raw = table.raw(values, base)
        if isinstance(raw, int | float):
            return [raw]
        found = []
        for part in re.split(r"[,;\s]+", cell_text(raw)):
            try:
                found.append(int(part) if re.fullmatch(r"-?\d+", part) else float(part))
            except ValueError:
                self.error(table.where(row, base), _l('"%(value)s" is not a number', value=part))
        return found
