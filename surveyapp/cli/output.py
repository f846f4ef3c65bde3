"""Plain-text renderings of ``surveyapp score`` (table for people, CSV for tools)."""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterator
from typing import Any

import click

LEVELS = ("overall", "groups", "elements", "criteria", "indicators")


def _rows(body: dict[str, Any], agency: str = "") -> Iterator[list[Any]]:
    yield [agency, "overall", "overall", *_values(body["overall"])]
    for level in LEVELS[1:]:
        for key, estimate in body[level].items():
            yield [agency, level.rstrip("s"), key, *_values(estimate)]


def _values(estimate: dict[str, Any]) -> list[Any]:
    return [estimate[k] for k in ("value", "se", "ci_low", "ci_high", "n")]


def print_scores(body: dict[str, Any], fmt: str) -> None:
    rows = list(_rows(body))
    for code, sub in body.get("agencies", {}).items():
        rows.extend(_rows(sub, code))
    header = ["agency", "level", "id", "value", "se", "ci_low", "ci_high", "n"]
    if fmt == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
        return
    click.echo(f"survey {body['survey']}: {body['n']} responses")
    click.echo(f"{'agency':<10} {'level':<10} {'id':<24} {'value':>7} {'95% CI':>17} {'n':>7}")
    for agency, level, key, value, _se, low, high, n in rows:
        ci = f"{_pct(low)}–{_pct(high)}"
        click.echo(f"{agency:<10} {level:<10} {key:<24} {_pct(value):>7} {ci:>17} {n:>7}")


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}%"


TREND_HEADER = [
    "survey", "title", "period", "n", "level", "id", "value", "se", "ci_low", "ci_high",
    "change", "change_se", "z", "p_value", "significant",
]  # fmt: skip


def _trend_rows(body: dict[str, Any]) -> Iterator[list[Any]]:
    """One row per round and figure, oldest round first; a break has empty cells."""
    for r in body["rounds"]:
        head = [r["survey"], r["title"], r["period"], r["n"]]
        figures = [("overall", "overall", r["overall"])]
        for level in ("elements", "indicators"):
            figures += [(level.rstrip("s"), k, v) for k, v in r[level].items()]
        for level, key, point in figures:
            if point is None:
                yield [*head, level, key, *[None] * 9]
                continue
            c = point["change"] or {}
            yield [
                *head, level, key,
                *(point[k] for k in ("value", "se", "ci_low", "ci_high")),
                *(c.get(k) for k in ("value", "se", "z", "p_value", "significant")),
            ]  # fmt: skip


def print_trend(body: dict[str, Any], fmt: str) -> None:
    """``surveyapp trend`` as CSV (one row per round and figure) or a table per figure."""
    rows = list(_trend_rows(body))
    if fmt == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(TREND_HEADER)
        writer.writerows(rows)
        return
    click.echo(f"survey {body['survey']}: {len(body['rounds'])} rounds, oldest first")
    click.echo("change: z on the difference, SEs combined (independent samples); * p < 0.05")
    for level, key in dict.fromkeys((row[4], row[5]) for row in rows):
        click.echo(f"\n{level} {key}")
        for row in (r for r in rows if (r[4], r[5]) == (level, key)):
            survey, _title, period, n, *_, value, _se, low, high, change, _cse, _z, _p, sig = row
            if value is None:
                click.echo(f"  {survey:>5} {period:<23} {'break in the series':>20}")
                continue
            ci = f"{_pct(low)}–{_pct(high)}"
            moved = "" if change is None else f"{100 * change:+.1f} pts{'*' if sig else ''}"
            click.echo(f"  {survey:>5} {period:<23} {_pct(value):>7} {ci:>13} {n:>6} {moved}")
