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
