"""The Vietnamese catalog covers every string in the code and templates, and ships compiled.

English is the msgid text itself, so only vi has a catalog. After adding or changing a
``_()`` / ``_l()`` string, run ``scripts/i18n.sh``, translate the new entries in
surveyapp/translations/vi/LC_MESSAGES/messages.po, then run ``scripts/i18n.sh compile``.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[2]
BABEL_CFG = ROOT / "babel.cfg"
TRANSLATIONS = ROOT / "surveyapp" / "translations"
VI_PO = TRANSLATIONS / "vi" / "LC_MESSAGES" / "messages.po"
VI_MO = VI_PO.with_suffix(".mo")
# The same keywords as scripts/i18n.sh: pybabel's defaults plus lazy_gettext as _l.
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
FIX = "Run scripts/i18n.sh, translate the new entries in {po}, then scripts/i18n.sh compile."

# A %-directive as Python formats it, or a stray "%" (group "bad") that would break or
# garble formatting. Only named placeholders are used in this app.
PERCENT = re.compile(
    r"%(?:(?P<escaped>%)"
    r"|\((?P<name>[^)]*)\)[#0 +-]*\d*(?:\.\d+)?(?P<conv>[diouxXeEfFgGcrsa])"
    r"|(?P<positional>[#0 +-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa])"
    r"|(?P<bad>))"
)

Key = tuple[str, str | None]  # (msgid, msgctxt)


def _key(message: Message) -> Key:
    msgid = message.id if isinstance(message.id, str) else message.id[0]
    return msgid, message.context


def _strings(value: str | Iterable[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _messages(catalog: Catalog) -> dict[Key, Message]:
    return {_key(m): m for m in catalog if m.id}


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    """What `scripts/i18n.sh extract` would write, via a temporary .pot."""
    with BABEL_CFG.open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg, str(BABEL_CFG))
    catalog = Catalog(project="surveyapp", locale=None)
    for filename, lineno, message, comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    with pot.open("wb") as out:
        write_po(out, catalog)
    with pot.open("rb") as back:
        return read_po(back)


@pytest.fixture(scope="module")
def vi() -> Catalog:
    assert VI_PO.is_file(), f"{VI_PO.relative_to(ROOT)} is missing. " + FIX.format(po=VI_PO)
    with VI_PO.open("rb") as po:
        return read_po(po, locale="vi")


def test_extraction_finds_the_code_and_the_templates(extracted: Catalog) -> None:
    """Guards babel.cfg itself: a broken mapping would make the coverage test vacuous."""
    files = {path for m in extracted for path, _ in m.locations}
    assert any(f.startswith("surveyapp/") and f.endswith(".py") for f in files), sorted(files)
    assert any(f.startswith("templates/") and f.endswith(".html") for f in files), sorted(files)


def test_every_string_has_a_vietnamese_translation(extracted: Catalog, vi: Catalog) -> None:
    translated = _messages(vi)
    missing = []
    for key, message in _messages(extracted).items():
        entry = translated.get(key)
        if entry is None or entry.fuzzy or not all(s.strip() for s in _strings(entry.string)):
            where = ", ".join(f"{path}:{line}" for path, line in message.locations[:3])
            state = "absent" if entry is None else "fuzzy" if entry.fuzzy else "empty"
            missing.append(f"  {key[0]!r} ({state}; {where})")
    assert not missing, (
        f"{len(missing)} string(s) without a Vietnamese translation:\n"
        + "\n".join(missing)
        + "\n"
        + FIX.format(po=VI_PO.relative_to(ROOT))
    )


def test_catalog_header_is_not_fuzzy(vi: Catalog) -> None:
    # pybabel compile silently skips a whole catalog whose header is marked fuzzy.
    assert not vi.fuzzy, f"Remove '#, fuzzy' above the header of {VI_PO.relative_to(ROOT)}."
    assert vi.num_plurals == 1, vi.plural_forms


def test_compiled_catalog_matches_the_po(vi: Catalog) -> None:
    assert VI_MO.is_file(), "The .mo is missing: run scripts/i18n.sh compile and commit it."
    buffer = io.BytesIO()
    write_mo(buffer, vi)  # what `pybabel compile` writes (fuzzy entries left out)
    buffer.seek(0)
    expected = read_mo(buffer)
    with VI_MO.open("rb") as mo:
        committed = read_mo(mo)

    def table(catalog: Catalog) -> dict[Key, tuple[str, ...]]:
        return {_key(m): tuple(_strings(m.string)) for m in catalog if m.id}

    want, have = table(expected), table(committed)
    stale = sorted(repr(k[0]) for k in want.keys() | have.keys() if want.get(k) != have.get(k))
    assert not stale, (
        f"{VI_MO.relative_to(ROOT)} is out of date with the .po for {len(stale)} message(s): "
        + ", ".join(stale[:10])
        + ". Run scripts/i18n.sh compile and commit the .mo."
    )
    assert committed.plural_forms == expected.plural_forms


def _directives(text: str) -> tuple[set[tuple[str, str]], list[str]]:
    """Named placeholders as (name, conversion), and the problems a %-format would hit."""
    names: set[tuple[str, str]] = set()
    problems = []
    for match in PERCENT.finditer(text):
        if match["name"] is not None:
            names.add((match["name"], match["conv"]))
        elif match["positional"] is not None:
            problems.append(
                f"{match.group()!r}, a positional placeholder or a lone '%'"
                " (name placeholders as %(name)s; write a percent sign as '%%')"
            )
        elif match["bad"] is not None:
            problems.append("a lone '%' (write '%%')")
    return names, problems


def test_placeholders_match(extracted: Catalog, vi: Catalog) -> None:
    # Templates go through Jinja's newstyle gettext, which always applies "%" formatting,
    # so there a literal percent sign must be "%%" even in a string with no placeholders.
    in_templates = {
        _key(m) for m in extracted if any(p.startswith("templates/") for p, _ in m.locations)
    }
    wrong = []
    for key, message in _messages(vi).items():
        msgids = _strings(message.id)
        formatted = (
            key in in_templates
            or message.python_format
            or any(p.startswith("templates/") for p, _ in message.locations)
        )
        expected = set().union(*(_directives(s)[0] for s in msgids))
        for text in _strings(message.string):
            if not text:
                continue
            names, problems = _directives(text)
            if names != expected:
                show = sorted(f"%({n}){c}" for n, c in names ^ expected)
                wrong.append(f"  {key[0]!r}: placeholders differ from the msgid: {show}")
            if formatted and problems:
                wrong.append(f"  {key[0]!r}: {'; '.join(problems)} in {text!r}")
            elif formatted and not problems:
                try:
                    text % {name: "x" for name, _ in expected}
                except (KeyError, TypeError, ValueError) as error:
                    wrong.append(f"  {key[0]!r}: does not format: {error}")
    assert not wrong, "Translations whose %-placeholders are wrong:\n" + "\n".join(wrong)


def test_the_app_serves_the_catalog(vi: Catalog) -> None:
    """Flask-Babel finds surveyapp/translations/ (the default dir under the app's root)."""
    from flask_babel import gettext

    from surveyapp import create_app

    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "translations-test",
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
            "RATELIMIT_ENABLED": False,
        }
    )
    sample = next(m for m in vi if m.id and isinstance(m.id, str) and m.string and "%" not in m.id)
    with app.test_request_context("/?lang=vi"):
        assert gettext(sample.id) == sample.string
    with app.test_request_context("/?lang=en"):
        assert gettext(sample.id) == sample.id
