"""Exactly once under real concurrency: simultaneous requests against a threaded server.

Each test serves the session app with Werkzeug in a background thread, walks a
respondent to the page under test over real HTTP, then releases N requests at once
(a barrier) from N threads, each with its own cookie jar. The database decides: one
request sends the answers, the others are told they were sent, nothing fails.
"""

from __future__ import annotations

import copy
import http.cookiejar
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select

from surveyapp.extensions import db
from surveyapp.models import Disposition, Invitation, Response, ResponseStatus, SurveyMode
from tests import factories
from tests.live import LiveServer
from tests.respondent import SCREEN, sending, walk_to_last_page

N = 8


# --- a real server and real browsers --------------------------------------------------


@dataclass
class Page:
    status_code: int
    text: str
    location: str = ""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class Browser:
    """One cookie jar over real HTTP; redirects are not followed (the 303 is the answer)."""

    def __init__(self, base: str, jar: http.cookiejar.CookieJar | None = None) -> None:
        self.base = base
        self.jar = jar if jar is not None else http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect()
        )

    def clone(self) -> Browser:
        """Another browser carrying the same cookies (the same session, a second tab)."""
        jar = http.cookiejar.CookieJar()
        for cookie in self.jar:
            jar.set_cookie(copy.copy(cookie))
        return Browser(self.base, jar)

    def get(self, path: str) -> Page:
        return self._open(urllib.request.Request(self.base + path))

    def post(self, path: str, data: dict[str, Any]) -> Page:
        body = urllib.parse.urlencode(data, doseq=True).encode()
        return self._open(urllib.request.Request(self.base + path, data=body, method="POST"))

    def _open(self, request: urllib.request.Request) -> Page:
        try:
            with self.opener.open(request, timeout=60) as reply:
                return Page(reply.status, reply.read().decode())
        except urllib.error.HTTPError as reply:
            return Page(reply.code, reply.read().decode(), reply.headers.get("Location", ""))


def at_once(calls: list[Callable[[], Page]]) -> list[Page]:
    """Run the calls in threads released together; their pages in order."""
    barrier = threading.Barrier(len(calls))
    results: list[Page | BaseException | None] = [None] * len(calls)

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = calls[index]()
        except BaseException as error:  # reported below, with the others
            results[index] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    failed = [r for r in results if not isinstance(r, Page)]
    assert not failed, failed
    return [r for r in results if isinstance(r, Page)]


def send(browser: Browser, url: str, last: Page) -> Callable[[], Page]:
    """A tap on "Send answers" on the last page, answered."""
    form = sending(last.text)
    return lambda: browser.post(url, form)


def assert_sent_once(pages: list[Page], url: str, browsers: list[Browser]) -> Browser:
    """One response sent; every request told so; the browser shown the thank-you page.

    A request that lost the race answers 200 "already sent", or (when it read the
    response just after the winner committed) 303 back to the link, which then says so.
    """
    statuses = [p.status_code for p in pages]
    assert 500 not in statuses, statuses
    assert 303 in statuses, statuses
    for page in pages:
        if page.status_code == 303:
            assert page.location.endswith(url)
        else:
            assert page.status_code == 200, page.text[:300]
            assert 'data-state="already-submitted"' in page.text, page.text[:300]
    submitted = db.session.scalar(
        select(func.count())
        .select_from(Response)
        .where(Response.status == ResponseStatus.SUBMITTED)
    )
    assert submitted == 1
    assert db.session.scalar(select(func.count()).select_from(Response)) == 1
    thanked = [b for b in browsers if 'data-state="submitted"' in b.get(url).text]
    assert len(thanked) == 1, "exactly one browser is thanked for sending"
    return thanked[0]


def _fresh_db_view() -> None:
    db.session.rollback()
    db.session.expire_all()


# --- invitation links -----------------------------------------------------------------


@pytest.mark.parametrize("anonymous", [False, True], ids=["named", "anonymous"])
def test_simultaneous_submits_in_one_session_send_the_token_once(
    live: LiveServer, anonymous: bool
) -> None:
    factories.province()
    token = factories.tokens(factories.survey(anonymous=anonymous), "SXD")[0]
    url = f"/s/{token}"
    first = Browser(live.url)
    last = walk_to_last_page(first, url)
    tabs = [first.clone() for _ in range(N)]

    pages = at_once([send(tab, url, last) for tab in tabs])

    _fresh_db_view()
    assert_sent_once(pages, url, tabs)
    invitation = db.session.scalars(select(Invitation)).one()
    assert invitation.disposition is Disposition.COMPLETE
    assert 'data-state="already-submitted"' in first.get(url).text


def test_simultaneous_submits_from_separate_browsers_send_the_token_once(live: LiveServer) -> None:
    factories.province()
    token = factories.tokens(factories.survey(), "SXD")[0]
    url = f"/s/{token}"
    walk_to_last_page(Browser(live.url), url)
    browsers = [Browser(live.url) for _ in range(N)]
    lasts = [b.get(url) for b in browsers]  # each its own session and CSRF token
    assert all('data-page="closing"' in page.text for page in lasts)

    pages = at_once([send(b, url, page) for b, page in zip(browsers, lasts, strict=True)])

    _fresh_db_view()
    assert_sent_once(pages, url, browsers)
    invitation = db.session.scalars(select(Invitation)).one()
    assert invitation.disposition is Disposition.COMPLETE


@pytest.mark.parametrize("anonymous", [False, True], ids=["named", "anonymous"])
def test_simultaneous_first_pages_create_one_response(live: LiveServer, anonymous: bool) -> None:
    """Every request finds no response and inserts one: the unique index keeps one."""
    factories.province()
    token = factories.tokens(factories.survey(anonymous=anonymous), "SXD")[0]
    url = f"/s/{token}"
    browsers = [Browser(live.url) for _ in range(N)]
    welcomes = [b.get(url) for b in browsers]
    forms = [{**factories.form_fields(w.text), "action": "next"} for w in welcomes]

    pages = at_once([lambda b=b, f=f: b.post(url, f) for b, f in zip(browsers, forms, strict=True)])

    assert [p.status_code for p in pages] == [303] * N
    _fresh_db_view()
    response = db.session.scalars(select(Response)).one()
    assert response.status is ResponseStatus.IN_PROGRESS
    assert response.current_page == "screen"
    assert (response.invitation_id is None) is anonymous
    invitation = db.session.scalars(select(Invitation)).one()
    assert invitation.disposition is Disposition.PARTIAL
    # And the respondent carries on from there, in any of the browsers.
    walk_to_last_page(browsers[-1], url)


def test_pages_saved_while_another_request_submits_never_change_the_sent_answers(
    live: LiveServer,
) -> None:
    """A "back" racing "send": either it lands before the send, or it is told it was sent."""
    factories.province()
    token = factories.tokens(factories.survey(), "SXD")[0]
    url = f"/s/{token}"
    first = Browser(live.url)
    last = walk_to_last_page(first, url)
    form = factories.form_fields(last.text)
    calls = [send(first.clone(), url, last)]
    tabs = [first.clone() for _ in range(N)]
    calls += [lambda t=t: t.post(url, {**form, "action": "back"}) for t in tabs]

    pages = at_once(calls)

    assert all(p.status_code in (200, 303) for p in pages)
    _fresh_db_view()
    response = db.session.scalars(select(Response)).one()
    invitation = db.session.scalars(select(Invitation)).one()
    if response.status is ResponseStatus.SUBMITTED:
        assert response.current_page is None
        assert invitation.disposition is Disposition.COMPLETE
    else:  # every "back" won the race; the send saw a page it no longer was on
        assert invitation.disposition is not Disposition.COMPLETE


# --- open links -----------------------------------------------------------------------


def test_simultaneous_submits_on_an_open_link_send_once(live: LiveServer) -> None:
    factories.province()
    survey = factories.survey(mode=SurveyMode.OPEN)
    start, url = f"/o/{survey.id}/SXD/kiosk", f"/o/{survey.id}/SXD/kiosk/visit"
    tablet = Browser(live.url)
    welcome = tablet.get(start)
    assert (
        tablet.post(start, {**factories.form_fields(welcome.text), "action": "next"}).status_code
        == 303
    )
    last = walk_to_last_page(tablet, url, **SCREEN)
    taps = [tablet.clone() for _ in range(N)]

    pages = at_once([send(tap, url, last) for tap in taps])

    _fresh_db_view()
    winner = assert_sent_once(pages, url, taps)
    assert db.session.scalars(select(Response)).one().invitation_id is None
    for tap in (winner, *taps):  # the visit is over: the next person starts at the start
        assert tap.get(url).status_code == 303
        assert 'data-page="welcome"' in tap.get(start).text


def test_simultaneous_first_pages_on_an_open_link_create_one_response(live: LiveServer) -> None:
    factories.province()
    survey = factories.survey(mode=SurveyMode.OPEN)
    url = f"/o/{survey.id}/SXD"
    browser = Browser(live.url)
    welcome = browser.get(url)  # sets the resume cookie the clones share
    form = {**factories.form_fields(welcome.text), "action": "next"}
    tabs = [browser.clone() for _ in range(N)]

    pages = at_once([lambda t=t: t.post(url, form) for t in tabs])

    assert [p.status_code for p in pages] == [303] * N
    _fresh_db_view()
    assert db.session.scalars(select(Response)).one().current_page == "screen"
