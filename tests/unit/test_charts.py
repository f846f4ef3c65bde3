"""The SVG bar chart: geometry of bars, whiskers and target lines for known inputs."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from surveyapp.charts import Bar, bar_chart, estimate_bar, nice_max, x_percent

SVG = "{http://www.w3.org/2000/svg}"


def _svg(bars: list[Bar], **kwargs: object) -> ET.Element:
    markup = bar_chart(bars, chart_id="c", title="T", desc="D", **kwargs)  # type: ignore[arg-type]
    return ET.fromstring(str(markup))


def _pct(value: str | None) -> float:
    assert value is not None and value.endswith("%")
    return float(value[:-1])


def test_bar_width_is_its_share_of_the_plot_width() -> None:
    """Plot from 1 % to 99 % of the width: 0.5 of a 0–1 axis is 1 % + 98 % × 0.5 = 50 %."""
    rect = _svg([Bar("A", 0.5, 0.4, 0.6)]).find(f".//{SVG}rect[@class='bar']")
    assert rect is not None
    assert _pct(rect.get("x")) == 1.0
    assert _pct(rect.get("width")) == 49.0


def test_whisker_spans_the_interval_with_caps_at_both_ends() -> None:
    """CI 0.40–0.60: 1 + 98 × 0.4 = 40.2 % and 1 + 98 × 0.6 = 59.8 %."""
    whisker = _svg([Bar("A", 0.5, 0.4, 0.6)]).find(f".//{SVG}g[@class='whisker']")
    assert whisker is not None
    span, low_cap, high_cap = whisker.findall(f"{SVG}line")
    assert (_pct(span.get("x1")), _pct(span.get("x2"))) == (40.2, 59.8)
    assert span.get("y1") == span.get("y2")
    assert _pct(low_cap.get("x1")) == _pct(low_cap.get("x2")) == 40.2
    assert _pct(high_cap.get("x1")) == 59.8
    mid = int(span.get("y1") or 0)
    assert int(low_cap.get("y1") or 0) < mid < int(low_cap.get("y2") or 0)


def test_whisker_is_centred_on_its_bar() -> None:
    svg = _svg([Bar("A", 0.5, 0.4, 0.6), Bar("B", 0.7, 0.65, 0.75)])
    rects = svg.findall(f".//{SVG}rect[@class='bar']")
    spans = [g.find(f"{SVG}line") for g in svg.findall(f".//{SVG}g[@class='whisker']")]
    for rect, span in zip(rects, spans, strict=True):
        assert span is not None
        top, height = int(rect.get("y") or 0), int(rect.get("height") or 0)
        assert int(span.get("y1") or 0) == top + height // 2
    assert int(rects[1].get("y") or 0) > int(rects[0].get("y") or 0)


def test_scale_max_stretches_small_shares() -> None:
    """On a 0–0.4 axis, 0.2 is half the plot: width 49 %."""
    rect = _svg([Bar("A", 0.2, 0.1, 0.3)], scale_max=0.4).find(f".//{SVG}rect[@class='bar']")
    assert rect is not None and _pct(rect.get("width")) == 49.0
    assert x_percent(0.5, 0.4) == 99.0  # clipped at the axis end


def test_target_lines_at_85_and_90_percent() -> None:
    """1 + 98 × 0.85 = 84.3 %; 1 + 98 × 0.90 = 89.2 %; labels on opposite sides."""
    svg = _svg([Bar("A", 0.8, 0.75, 0.85)], targets=[0.9, 0.85])
    groups = svg.findall(f".//{SVG}g[@class='target']")
    xs = [_pct(g.find(f"{SVG}line").get("x1")) for g in groups]  # type: ignore[union-attr]
    assert xs == [84.3, 89.2]
    anchors = [g.find(f"{SVG}text").get("text-anchor") for g in groups]  # type: ignore[union-attr]
    assert anchors == ["end", "start"]
    labels = ["".join(g.itertext()) for g in groups]
    assert labels == ["85.0%", "90.0%"]


def test_suppressed_bar_has_no_rect_and_no_value() -> None:
    markup = str(
        bar_chart(
            [Bar("Tiny", None)],
            chart_id="c",
            title="T",
            desc="D",
            suppressed_note="too few answers",
        )
    )
    assert '<rect class="bar"' not in markup
    assert "too few answers" in markup
    assert not re.search(r"\d%", markup.split("</desc>")[1].split('<text class="label"')[1])


def test_small_sample_is_noted_and_paler() -> None:
    svg = _svg([Bar("A", 0.5, 0.3, 0.7, small=True), Bar("B", 0.5, 0.4, 0.6)])
    fills = [r.get("fill") for r in svg.findall(f".//{SVG}rect[@class='bar']")]
    assert fills[0] != fills[1]
    label = svg.findall(f".//{SVG}text[@class='label']")[0]
    assert "n < 30" in "".join(label.itertext())


def test_chart_is_an_accessible_image_without_inline_styles() -> None:
    markup = str(bar_chart([Bar("<A & B>", 0.5)], chart_id="x", title="Title", desc="Desc"))
    svg = ET.fromstring(markup)
    assert svg.get("role") == "img"
    assert svg.get("aria-labelledby") == "x-t x-d"
    assert svg.find(f"{SVG}title") is not None and svg.find(f"{SVG}desc") is not None
    assert "style=" not in markup  # the CSP forbids inline styles
    assert "&lt;A &amp; B&gt;" in markup


def test_nice_max_rounds_up_to_a_readable_axis_end() -> None:
    assert nice_max([0.05, 0.07]) == 0.1
    assert nice_max([0.29, None]) == 0.3
    assert nice_max([0.34]) == 0.4
    assert nice_max([0.93]) == 1.0
    assert nice_max([]) == 0.1


def test_estimate_bar_drops_the_value_below_10_answers() -> None:
    from surveyapp.scoring import Estimate

    assert estimate_bar("A", Estimate(0.8, 0.1, 0.6, 0.9, 9)).value is None
    small = estimate_bar("A", Estimate(0.8, 0.05, 0.7, 0.9, 12))
    assert (small.value, small.ci_low, small.ci_high, small.small) == (0.8, 0.7, 0.9, True)
