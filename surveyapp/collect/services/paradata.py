"""Paradata: how a response was given, kept beside the answers and written in the same
statements as them (no query of its own).

- Seconds per page: each save adds the time since the response's previous save (when
  the respondent reached the page) to the page being left; a page seen twice sums both
  visits. The first page saved (the welcome page, or a paper form's first page) has no
  earlier save, so it is not timed; ``started_at`` is that first save.
- Back navigations: the "Back" presses.
- Device class: phone, tablet or desktop, read from the user agent at the response's
  first save; the user agent itself is not kept.
- IP hash: an HMAC of the IP address under the server's secret, to spot bursts from one
  network (``review.services.quality``); the address is never stored, and the hash is
  emptied with the frame's contacts after the survey's retention period.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import datetime
from typing import Any

from surveyapp.collect.services.visits import Progress

PHONE, TABLET, DESKTOP = "phone", "tablet", "desktop"
# Tablets first: an Android tablet says "Android" without "Mobile", an iPad "iPad".
_TABLET = re.compile(r"iPad|Tablet|PlayBook|Silk|Kindle|Android(?!.*Mobile)", re.IGNORECASE)
_PHONE = re.compile(r"Mobi|iPhone|iPod|Android|Windows Phone|Opera Mini|IEMobile", re.IGNORECASE)


def device_class(user_agent: str | None) -> str | None:
    """ "phone", "tablet" or "desktop" from a User-Agent header; None when there is none.

    An iPad on iPadOS 13 or later presents itself as a Mac, and is counted a desktop.
    """
    if not user_agent or not user_agent.strip():
        return None
    if _TABLET.search(user_agent):
        return TABLET
    if _PHONE.search(user_agent):
        return PHONE
    return DESKTOP


def ip_hash(secret_key: str, address: str | None) -> str | None:
    """The keyed hash of an IP address (hex HMAC-SHA-256); None without an address."""
    if not address:
        return None
    return hmac.new(secret_key.encode(), b"ip:" + address.encode(), hashlib.sha256).hexdigest()


def on_leaving(progress: Progress | None, page: str, now: datetime, action: str) -> dict[str, Any]:
    """The response's paradata columns once ``page`` is left by ``action`` at ``now``:
    its time added to the page's, and one more back navigation for "back". Empty for a
    response not saved yet (nothing to time from)."""
    if progress is None or progress.updated_at is None:
        return {}
    spent = max((now - progress.updated_at).total_seconds(), 0.0)
    seconds = dict(progress.page_seconds or {})
    seconds[page] = round(seconds.get(page, 0.0) + spent, 1)
    changes: dict[str, Any] = {"page_seconds": seconds}
    if action == "back":
        changes["back_navigations"] = progress.back_navigations + 1
    return changes
