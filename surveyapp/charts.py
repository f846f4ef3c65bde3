"""Charts drawn on the server as inline SVG: no JavaScript, no CDN, nothing to load.

The page's Content-Security-Policy forbids ``style=""``, so everything is drawn with SVG
presentation attributes (``fill``, ``stroke``, ``width``). Horizontal positions are
percentages of the chart's width and vertical ones are pixels, with no ``viewBox``: the
chart stretches to the column it sits in while its text keeps its real size, so a phone
gets a narrower plot, not unreadably small letters.

Every chart is ``role="img"`` with a ``<title>`` and ``<desc>``; the figures themselves
are in the data table the page shows next to it (screen readers read that table).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from surveyapp.scoring import Estimate

INK = "#1b1f24"
MUTED = "#5b6470"
GRID = "#d5dae1"
BAR = "#4f86c6"
BAR_SMALL = "#a9c3e3"  # fewer than 30 answers: drawn paler, and noted
BAR_FOCUS = "#0b4f94"
TARGET = "#b3261e"
# A white outline under the letters keeps them legible where a target line crosses them.
HALO = 'stroke="#fff" stroke-width="3" paint-order="stroke"'

# Layout in pixels (vertical) and percent of the width (horizontal).
FONT = 13
ROW = 46  # one label line + one bar
BAR_H = 14
TOP = 22  # room for the target labels
AXIS = 24  # room for the tick labels
LEFT, RIGHT = 1.0, 99.0  # plot area, percent of the width


@dataclass(frozen=True)
class Bar:
    """One row: ``value`` and its interval as proportions; ``value`` None = suppressed."""

    label: str
    value: float | None
    ci_low: float | None = None
    ci_high: float | None = None
    small: bool = False  # fewer than 30 answers
    focus: bool = False  # the agency the page is about


def estimate_bar(label: str, estimate: Estimate, *, focus: bool = False) -> Bar:
    """A row for a scoring estimate; suppressed ones (n < 10) carry no value at all."""
    if estimate.suppressed or math.isnan(estimate.value):
        return Bar(label, None, focus=focus)
    small = estimate.flag == "small"
    return Bar(label, estimate.value, estimate.ci_low, estimate.ci_high, small, focus)


def plain_percent(value: float) -> str:
    """Default formatter (tests, no locale): 0.865 → "86.5%"."""
    return f"{value * 100:.1f}%"


def x_percent(value: float, scale_max: float = 1.0) -> float:
    """Horizontal position of ``value`` (a proportion) in percent of the chart width."""
    clipped = min(max(value, 0.0), scale_max)
    return LEFT + (RIGHT - LEFT) * clipped / scale_max


def nice_max(values: Sequence[float | None], floor: float = 0.1) -> float:
    """A round upper end for the axis (0.1, 0.2, 0.25, 0.5 or 1.0) above every value."""
    top = max([v for v in values if v is not None] + [floor])
    for candidate in (0.1, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0):
        if top <= candidate:
            return candidate
    return 1.0


def bar_chart(
    bars: Sequence[Bar],
    *,
    chart_id: str,
    title: str,
    desc: str,
    targets: Sequence[float] = (),
    scale_max: float = 1.0,
    fmt: Callable[[float], str] = plain_percent,
    axis_fmt: Callable[[float], str] | None = None,
    suppressed_note: str = "n < 10",
    small_note: str = "n < 30",
) -> Markup:
    """A horizontal bar chart with CI whiskers and vertical target lines, as SVG markup.

    Values, intervals and targets are proportions; ``scale_max`` is the axis's upper
    end (1.0 = 100 %). Each row shows its label and ``fmt`` value above the bar; axis
    ticks and target labels use ``axis_fmt`` (default ``fmt``).
    """
    height = TOP + ROW * len(bars) + AXIS
    bottom = TOP + ROW * len(bars)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{escape(chart_id)}" '
        f'role="img" aria-labelledby="{escape(chart_id)}-t {escape(chart_id)}-d" '
        f'width="100%" height="{height}" font-size="{FONT}">',
        f'<title id="{escape(chart_id)}-t">{escape(title)}</title>',
        f'<desc id="{escape(chart_id)}-d">{escape(desc)}</desc>',
    ]
    parts.append(f'<rect class="background" width="100%" height="{height}" fill="#fff"/>')
    parts += _grid(scale_max, bottom, axis_fmt or fmt)
    parts += _targets(targets, scale_max, bottom, axis_fmt or fmt)
    for index, bar in enumerate(bars):
        parts += _row(bar, TOP + ROW * index, scale_max, fmt, suppressed_note, small_note)
    parts.append("</svg>")
    return Markup("".join(parts))


def _pct(x: float) -> str:
    return f"{x:.3f}%"


def _grid(scale_max: float, bottom: int, fmt: Callable[[float], str]) -> list[str]:
    out = []
    for k in range(5):
        tick = scale_max * k / 4
        x = _pct(x_percent(tick, scale_max))
        anchor = "start" if k == 0 else "end" if k == 4 else "middle"
        out.append(
            f'<line class="grid" x1="{x}" x2="{x}" y1="{TOP - 4}" y2="{bottom}" '
            f'stroke="{GRID}" stroke-width="1"/>'
            f'<text x="{x}" y="{bottom + 16}" text-anchor="{anchor}" fill="{MUTED}">'
            f"{escape(fmt(tick))}</text>"
        )
    return out


def _row(
    bar: Bar,
    y: int,
    scale_max: float,
    fmt: Callable[[float], str],
    suppressed_note: str,
    small_note: str,
) -> list[str]:
    if bar.value is None:
        shown = suppressed_note
    else:
        shown = fmt(bar.value) + (f" · {small_note}" if bar.small else "")
    # Value first, then the label: a long name runs off to the right, never over a number.
    label_weight = ' font-weight="700"' if bar.focus else ""
    out = [
        f'<text class="label" x="0" y="{y + FONT}" fill="{INK}" {HALO}>'
        f'<tspan class="value" font-weight="700">{escape(shown)}</tspan>'
        f'<tspan dx="8"{label_weight}>{escape(bar.label)}</tspan></text>'
    ]
    if bar.value is None:
        return out
    top = y + FONT + 6
    fill = BAR_FOCUS if bar.focus else BAR_SMALL if bar.small else BAR
    left = x_percent(0.0, scale_max)
    width = x_percent(bar.value, scale_max) - left
    out.append(
        f'<rect class="bar" x="{_pct(left)}" y="{top}" width="{_pct(width)}" '
        f'height="{BAR_H}" fill="{fill}"/>'
    )
    if bar.ci_low is not None and bar.ci_high is not None:
        mid = top + BAR_H // 2
        lo, hi = _pct(x_percent(bar.ci_low, scale_max)), _pct(x_percent(bar.ci_high, scale_max))
        cap = f'y1="{mid - 6}" y2="{mid + 6}" stroke="{INK}" stroke-width="1.5"'
        out.append(
            f'<g class="whisker"><line x1="{lo}" x2="{hi}" y1="{mid}" y2="{mid}" '
            f'stroke="{INK}" stroke-width="1.5"/>'
            f'<line x1="{lo}" x2="{lo}" {cap}/><line x1="{hi}" x2="{hi}" {cap}/></g>'
        )
    return out


def _targets(
    targets: Sequence[float], scale_max: float, bottom: int, fmt: Callable[[float], str]
) -> list[str]:
    out = []
    # Neighbouring targets (85 % and 90 %) label on opposite sides of their lines.
    for index, target in enumerate(sorted(t for t in targets if 0 <= t <= scale_max)):
        x = _pct(x_percent(target, scale_max))
        anchor, dx = ("end", -4) if index % 2 == 0 else ("start", 4)
        out.append(
            f'<g class="target"><line x1="{x}" x2="{x}" y1="{TOP - 8}" y2="{bottom}" '
            f'stroke="{TARGET}" stroke-width="2" stroke-dasharray="5 3"/>'
            f'<text x="{x}" dx="{dx}" y="{TOP - 8}" text-anchor="{anchor}" fill="{TARGET}" {HALO}>'
            f"{escape(fmt(target))}</text></g>"
        )
    return out
