"""Reading XLSForm sheets: headers as people write them, rows with Excel numbers."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from typing import Any, Protocol

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from surveyapp.questionnaire.xlsform.layout import LANG_ALIASES, LANG_NAMES

Where = tuple[str, int, int]  # sheet, Excel row, 0-based column
LANG_CODES = {name.lower(): code for code, name in LANG_NAMES.items()} | LANG_ALIASES
CODE = r"[a-z]{2,3}(?:-[a-z0-9]{2,8})?|x-[a-z0-9]{1,8}"  # BCP 47; x-… for private use
ALIASES = {"relevance": "relevant", "listname": "list_name", "caption": "label"}


class Reporter(Protocol):
    def warn(self, where: Where, message: str | LazyString) -> None: ...
    def error(self, where: Where, message: str | LazyString) -> None: ...


def column_letter(index: int) -> str:
    return get_column_letter(index + 1)


def iter_rows(sheet: Worksheet) -> Iterator[tuple[int, tuple[Any, ...]]]:
    """Excel row numbers (the header is 1) and values of the non-blank data rows."""
    for number, values in enumerate(sheet.iter_rows(min_row=2, values_only=True), start=2):
        if any(v is not None and str(v).strip() for v in values):
            yield number, values


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def lang_code(text: str) -> str | None:
    """The code in "Name (xx)", a bare code, or the code of a language named alone."""
    return language(text)[0]


def language(text: str) -> tuple[str | None, LazyString | None]:
    """A header's language code and, when it was given by name only, a warning saying
    what we made of it (as pyxform warns); (None, None) when nothing can be made of it."""
    written = re.search(rf"\(\s*({CODE})\s*\)\s*$", text.strip(), re.IGNORECASE)
    if written:
        return written.group(1).lower(), None
    name = text.strip()
    if name.lower() in LANG_CODES:
        code = LANG_CODES[name.lower()]
        return code, _l(
            'language "%(name)s" has no code; read as "%(code)s" (write it "%(name)s (%(code)s)")',
            name=name,
            code=code,
        )
    if re.fullmatch(CODE, name.lower()):
        return name.lower(), None
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    key = re.sub(r"[^a-z0-9]", "", folded)[:8]
    if not key:
        return None, None
    return f"x-{key}", _l(
        'language "%(name)s" has no code and is not one we know; kept as "%(code)s" '
        '(write it "%(name)s (xx)" with its ISO 639 code)',
        name=name,
        code=f"x-{key}",
    )


class Table:
    """A sheet with its header understood: ``(column, language)`` → column index."""

    def __init__(
        self, reader: Reporter, sheet: Worksheet, known: set[str], aliases: dict[str, str]
    ):
        self.name = sheet.title
        self.columns: dict[tuple[str, str | None], int] = {}
        header = next(sheet.iter_rows(max_row=1, values_only=True), ())
        for index, cell in enumerate(header):
            raw = cell_text(cell)
            if not raw:
                continue
            parts = [p.strip() for p in re.split(r"::?", raw)]  # label:English too
            if re.sub(r"\s+", "_", parts[0].lower()) in ("bind", "body") and len(parts) > 1:
                parts = parts[1:]
            base = re.sub(r"[\s_]+", "_", parts[0].lower())
            base = aliases.get(base, ALIASES.get(base, base))
            where = (self.name, 1, index)
            code, named = language(parts[1]) if len(parts) > 1 else (None, None)
            if base not in known:
                reader.warn(where, _l('column "%(column)s" is not supported; ignored', column=raw))
            elif len(parts) > 1 and code is None:
                message = _l('language "%(name)s" has no code; write it "Name (xx)"', name=parts[1])
                reader.error(where, message)
            elif (base, code) in self.columns:
                message = _l('column "%(column)s" appears twice; the first one is used', column=raw)
                reader.warn(where, message)
            else:
                self.columns[(base, code)] = index
                if named is not None:
                    reader.warn(where, named)
        self.rows = list(iter_rows(sheet))

    def col(self, base: str, lang: str | None = None) -> int | None:
        return self.columns.get((base, lang))

    def raw(self, values: tuple[Any, ...], base: str) -> Any:
        index = self.col(base)
        return values[index] if index is not None and index < len(values) else None

    def get(self, values: tuple[Any, ...], base: str) -> str:
        return cell_text(self.raw(values, base))

    def langs(self, base: str) -> list[str | None]:
        return [code for (b, code) in self.columns if b == base]

    def labels(self, values: tuple[Any, ...], base: str, default: str) -> dict[str, str]:
        found: dict[str, str] = {}
        for code in sorted(self.langs(base), key=lambda c: c is None):  # suffixed ones win
            index = self.columns[(base, code)]
            text = cell_text(values[index]) if index < len(values) else ""
            if text and (code or default) not in found:
                found[code or default] = text
        return found

    def where(self, row: int, base: str, lang: str | None = None) -> Where:
        index = self.col(base, lang)
        if index is None:  # e.g. a label path when only label::xx columns exist
            same = [i for (b, _), i in self.columns.items() if b == base]
            index = same[0] if same else 0
        return (self.name, row, index)
