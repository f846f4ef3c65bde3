"""Dates and times on pages: 06/10/2026 in Vietnamese, the zone shown with every time (#15)."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from flask import Flask, render_template_string

# 07:05 UTC is 14:05 in Asia/Ho_Chi_Minh (UTC+7, no summer time).
MOMENT = datetime(2026, 10, 6, 7, 5)


@pytest.mark.parametrize(
    ("lang", "day", "moment", "time"),
    [
        ("vi", "06/10/2026", "06/10/2026 14:05 (GMT+7)", "14:05 (GMT+7)"),
        ("en", "6 Oct 2026", "6 Oct 2026 14:05 (GMT+7)", "14:05 (GMT+7)"),
    ],
)
def test_template_date_filters_write_local_dates_and_times_with_the_zone(
    app: Flask, lang: str, day: str, moment: str, time: str
) -> None:
    with app.test_request_context(f"/?lang={lang}"):
        shown = render_template_string(
            "{{ d|dateformat }}|{{ m|datetimeformat('short') }}|{{ m|timeformat('short') }}",
            d=date(2026, 10, 6),
            m=MOMENT,
        )
    assert shown == f"{day}|{moment}|{time}"


def test_a_late_evening_in_utc_is_the_next_day_in_vietnam(app: Flask) -> None:
    with app.test_request_context("/?lang=vi"):
        shown = render_template_string("{{ m|datetimeformat }}", m=datetime(2026, 10, 5, 20, 30))
    assert shown == "06/10/2026 03:30 (GMT+7)"
