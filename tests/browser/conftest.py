"""Browser tests: Debian chromium driven through Playwright against a live Werkzeug server.

The server serves the very Flask app object the other fixtures use (``_app``), so what a
test writes with the factories the browser sees, and what the browser submits the test
can query with ``db.session``. Every test depends on ``app``, which empties the tables
afterwards.

The directory is skipped at collection when chromium or Playwright is missing; no
browser is ever downloaded.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from weakref import WeakSet

import pytest
from flask import Flask

from tests.live import LiveServer, serve

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

HERE = Path(__file__).resolve().parent


def _missing() -> str | None:
    """Why the browser tests can't run here, or None."""
    if not os.access(CHROMIUM, os.X_OK):
        return f"browser tests need chromium at {CHROMIUM}"
    if importlib.util.find_spec("playwright") is None:
        return "browser tests need the playwright package"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as broken:  # pragma: no cover - a broken install
        return f"playwright can't be imported: {broken}"
    return None


SKIP_REASON = _missing()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip every test of this directory, with the reason, when chromium can't be driven.

    (A module-level ``pytest.skip`` in a conftest crashes pytest when the directory is
    named on the command line, so the skip is applied at collection instead; the test
    modules ``importorskip`` Playwright so that they import without it.)
    """
    if SKIP_REASON is None:
        return
    skip = pytest.mark.skip(reason=SKIP_REASON)
    for item in items:
        if HERE in item.path.resolve().parents:
            item.add_marker(skip)


if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Locator, Page

    from surveyapp.questionnaire.document import Questionnaire

# Two runs at once (CI: SQLite and PostgreSQL) keep their screenshots apart.
ARTIFACTS = Path(os.environ.get("SURVEYAPP_TEST_ARTIFACTS", HERE / "artifacts"))
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
TIMEOUT_MS = 10_000
# Contexts made with JavaScript off, where axe can't run (see _check_accessibility).
_SCRIPTLESS: WeakSet[BrowserContext] = WeakSet()


# --- the live server ------------------------------------------------------------------


@pytest.fixture(scope="session")
def live_server(_app: Flask) -> Iterator[LiveServer]:
    """The session app served on 127.0.0.1 on a free port, in a background thread."""
    with serve(_app) as live:
        yield live


@pytest.fixture(autouse=True)
def _clean_database(app: Flask) -> Iterator[None]:
    """Every browser test runs inside ``app``: the tables are emptied afterwards."""
    yield


@pytest.fixture()
def server_errors(live_server: LiveServer) -> Iterator[list[str]]:
    """Fails the test when a request raised inside the app (the traceback is shown)."""
    live_server.errors.clear()
    yield live_server.errors
    if live_server.errors:
        found = "\n\n".join(live_server.errors)
        live_server.errors.clear()
        pytest.fail(f"the app raised while serving the browser:\n{found}", pytrace=False)


# --- the browser ----------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture()
def viewport() -> dict[str, int]:
    """Override with ``@pytest.mark.parametrize("viewport", [PHONE])``."""
    return DESKTOP


@dataclass
class ContextFactory:
    """New browser contexts (a fresh cookie jar each: another person, or a closed tab)."""

    browser: Browser
    base_url: str
    problems: list[str] = field(default_factory=list)  # uncaught script errors, CSP blocks
    contexts: list[BrowserContext] = field(default_factory=list)

    def __call__(
        self,
        viewport: dict[str, int] | None = None,
        *,
        locale: str = "en-US",
        java_script_enabled: bool = True,
    ) -> BrowserContext:
        context = self.browser.new_context(
            base_url=self.base_url,
            viewport=viewport or DESKTOP,  # type: ignore[arg-type]
            locale=locale,
            java_script_enabled=java_script_enabled,
            accept_downloads=True,
            is_mobile=bool(viewport and viewport["width"] < 600),
            has_touch=bool(viewport and viewport["width"] < 600),
        )
        context.set_default_timeout(TIMEOUT_MS)
        context.on("page", self._watch)
        if not java_script_enabled:
            _SCRIPTLESS.add(context)
        self.contexts.append(context)
        return context

    def page(self, viewport: dict[str, int] | None = None, **kwargs: Any) -> Page:
        return self(viewport, **kwargs).new_page()

    def _watch(self, page: Page) -> None:
        page.on("pageerror", lambda error: self.problems.append(f"{page.url}: {error}"))
        page.on("console", lambda message: self._console(page, message))

    def _console(self, page: Page, message: ConsoleMessage) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            self.problems.append(f"{page.url}: {message.text}")

    def close(self) -> None:
        for context in self.contexts:
            context.close()
        self.contexts.clear()


@pytest.fixture()
def new_context(
    browser: Browser, live_server: LiveServer, server_errors: list[str]
) -> Iterator[ContextFactory]:
    """``new_context(PHONE, locale="vi-VN", java_script_enabled=False)`` → a context."""
    factory = ContextFactory(browser, live_server.url)
    yield factory
    factory.close()
    assert not factory.problems, "script errors in the browser:\n" + "\n".join(factory.problems)


@pytest.fixture()
def page(new_context: ContextFactory, viewport: dict[str, int]) -> Page:
    """A page in a new context per test, at ``viewport`` (desktop unless overridden)."""
    return new_context.page(viewport)


def _screenshot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    _check_accessibility(page, name)
    return path


def _check_accessibility(page: Page, name: str) -> None:
    """axe-core's checks (WCAG 2.x A and AA, and best practices) on the page: any
    violation fails the test, naming the rule and the elements. A printed page is paper,
    not a screen, and is left out."""
    from axe_playwright_python.sync_playwright import Axe

    audited = page
    if page.context in _SCRIPTLESS:  # axe is a script: audit the same markup where it runs
        audited = page.context.browser.new_page(viewport=page.viewport_size)  # type: ignore[union-attr]
        audited.set_content(page.content().replace("<head>", f'<head><base href="{page.url}">', 1))
    try:
        if audited.evaluate("matchMedia('print').matches"):
            return
        audited.bring_to_front()  # axe waits on animation frames: a background tab gets none
        found = Axe().run(audited).response["violations"]
    finally:
        if audited is not page:
            audited.close()
    assert not found, f"accessibility problems on {name} ({page.url}):\n" + "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:5]}"
        for v in found
    )


@pytest.fixture()
def screenshot() -> Callable[[Page, str], Path]:
    """``screenshot(page, "welcome-phone")`` → tests/browser/artifacts/welcome-phone.png,
    for a person to look at; the page is checked with axe-core at the same moment."""
    return _screenshot


# --- a respondent, as a person would answer -------------------------------------------


class Respondent:
    """Answers respondent pages by clicking the labels a person would read.

    Questions are found by their accessible name (a fieldset's legend, an input's label)
    taken from the questionnaire document in the page's language, options by their label.
    """

    def __init__(self, page: Page, questionnaire: Questionnaire, lang: str = "en") -> None:
        self.page = page
        self.q = questionnaire
        self.lang = lang

    # where we are
    @property
    def main(self) -> Locator:
        return self.page.get_by_role("main")

    def page_id(self) -> str:
        return self.page.locator("main[data-page]").get_attribute("data-page") or ""

    def state(self) -> str:
        return self.page.locator("main[data-state]").get_attribute("data-state") or ""

    # finding questions and options
    def label(self, item_id: str) -> str:
        return self.q.label(self.q.item(item_id), self.lang)

    def option_label(self, item_id: str, code: int) -> str:
        return self.q.option_label(item_id, code, self.lang)

    def group(self, item_id: str) -> Locator:
        """A choice question: a fieldset (role group) named by its legend."""
        return self.page.get_by_role("group", name=self.label(item_id))

    def field(self, item_id: str) -> Locator:
        """A number, text or date question: the input named by its label."""
        return self.page.get_by_label(self.label(item_id))

    def choose(self, item_id: str, code: int) -> None:
        """Tap the option's label, as on a phone; where the layout hides labels behind
        column heads (the likert grid on wide screens) click the radio button itself."""
        text = self.option_label(item_id, code)
        label = self.group(item_id).get_by_text(text, exact=True)
        box = label.bounding_box()
        if box and box["width"] > 2 and box["height"] > 2:
            label.click()
        else:
            self.group(item_id).get_by_label(text, exact=True).click()

    def option(self, item_id: str, code: int) -> Locator:
        return self.group(item_id).get_by_label(self.option_label(item_id, code), exact=True)

    def shown(self, item_id: str) -> bool:
        return self.page.locator(f'[name="{item_id}"]').first.is_visible()

    # answering
    def answer_page(self, answers: dict[str, Any] | None = None) -> dict[str, Any]:
        """Answer every question shown on this page; returns what was given."""
        given: dict[str, Any] = {}
        for item in self.q.section(self.page_id())["items"]:
            item_id, kind = item["id"], item["type"]
            if kind == "info" or not self.shown(item_id):
                continue
            value = (answers or {}).get(item_id, self.default_answer(item))
            if value is None:
                continue
            if kind in ("single", "likert"):
                self.choose(item_id, value)
            elif kind == "multi":
                for code in value:
                    self.choose(item_id, code)
            else:
                self.field(item_id).fill(str(value))
            given[item_id] = value
        return given

    def default_answer(self, item: dict[str, Any]) -> Any:
        kind = item["type"]
        if kind == "likert":
            return 4
        codes = [o["code"] for o in self.q.options(item["id"]) if not o.get("missing")]
        if kind == "single":
            return codes[0]
        if kind == "multi":
            return codes[:2]
        if kind == "number":
            return item.get("min") or 1
        if kind == "text":
            return "Cán bộ nhiệt tình, hướng dẫn rõ ràng."
        return None

    def press(self, action: str) -> None:
        """Press a navigation button (``name="action"``) and wait for the next page."""
        button = self.page.locator(f'#answers button[name="action"][value="{action}"]')
        with self.page.expect_navigation():
            button.click()

    def next(self) -> None:
        """Press "Next" (or "Start") and insist the page took the answers."""
        before = self.page_id()
        self.press("next")
        alert = self.page.get_by_role("alert")
        if alert.count():
            raise AssertionError(f"page {before} refused the answers: {alert.first.inner_text()}")

    def is_last(self) -> bool:
        """Whether this page's button sends the answers."""
        return self.page.locator('button[name="action"][value="submit"]').count() > 0

    def walk_to_last_page(self, answers: dict[str, Any] | None = None) -> list[str]:
        """From wherever we are, answer each page and press Next up to the last page."""
        seen = []
        for _ in range(30):
            current = self.page_id()
            seen.append(current)
            if self.is_last():
                return seen
            if current != "welcome":
                self.answer_page(answers)
            self.next()
        raise AssertionError(f"never reached the last page: {seen}")

    def send(self, answers: dict[str, Any] | None = None) -> None:
        """Answer the last page and press "Send answers"."""
        self.answer_page(answers)
        self.press("submit")


@pytest.fixture()
def respondent() -> type[Respondent]:
    return Respondent
