"""SPSS ``.sav`` and Stata ``.dta`` files (pyreadstat), with labels and declared missing.

The rows are gathered column by column into typed numpy arrays (8 bytes a numeric
cell), because neither format can be appended to: memory grows with the data, not with
Python objects per cell. Large exports run as background jobs.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyreadstat

from surveyapp.exports.variables import Variable

STATA_VERSION = 14  # format 118: UTF-8 text, 32-character names
STATA_MISSING = string.ascii_lowercase  # extended missing values .a … .z
# Longest variable label each format stores; longer item texts are cut with an ellipsis
# (the XLSX codebook keeps them whole).
LABEL_LIMIT = {"sav": 256, "dta": 80}


class _Columns:
    """Growable typed arrays, one per variable."""

    def __init__(self, variables: list[Variable], size: int):
        self.variables = variables
        self.size = max(size, 1)
        self.arrays: list[npt.NDArray[Any]] = [self._empty(v, self.size) for v in variables]
        self.n = 0

    @staticmethod
    def _empty(variable: Variable, size: int) -> npt.NDArray[Any]:
        if variable.kind == "numeric":
            return np.full(size, np.nan)
        if variable.kind == "datetime":
            return np.full(size, np.datetime64("NaT"), dtype="datetime64[us]")
        return np.full(size, None, dtype=object)

    def append(self, row: Sequence[Any]) -> None:
        if self.n == self.size:
            self._grow()
        i = self.n
        for variable, array in zip(self.variables, self.arrays, strict=True):
            value = row[variable.source]
            if variable.code is not None:  # one option of a multi item: 0/1, empty if not asked
                if value is not None:
                    array[i] = 1.0 if variable.code in value else 0.0
            elif value is None:
                continue
            elif variable.kind == "datetime":
                array[i] = np.datetime64(_naive(value), "us")
            else:
                array[i] = value
        self.n += 1

    def _grow(self) -> None:
        extra = self.size
        for position, variable in enumerate(self.variables):
            self.arrays[position] = np.concatenate(
                [self.arrays[position], self._empty(variable, extra)]
            )
        self.size += extra

    def frame(self) -> pd.DataFrame:
        data = {v.name: a[: self.n] for v, a in zip(self.variables, self.arrays, strict=True)}
        return pd.DataFrame(data, copy=False)


def write(
    path: str | Path,
    fmt: str,
    variables: list[Variable],
    rows: Iterable[Sequence[Any]],
    *,
    expected_rows: int,
    file_label: str,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write ``rows`` (table rows, multi items as tuples) as ``fmt`` ("sav" or "dta").

    Returns the number of rows written; ``progress`` hears the count every 2,000 rows.
    """
    columns = _Columns(variables, expected_rows)
    for row in rows:
        columns.append(row)
        if progress is not None and columns.n % 2000 == 0:
            progress(columns.n)
    frame = columns.frame()
    labels: dict[str, str | None] = {v.name: _fit(v.label, LABEL_LIMIT[fmt]) for v in variables}
    value_labels = {v.name: dict(v.value_labels) for v in variables if v.value_labels}
    if fmt == "sav":
        pyreadstat.write_sav(
            frame,
            str(path),
            file_label=_fit(file_label, 64),
            column_labels=labels,
            variable_value_labels=value_labels,  # type: ignore[arg-type]
            missing_ranges=_spss_missing(variables),
            variable_measure={v.name: v.measure for v in variables},
            variable_format={v.name: v.spss_format for v in variables if v.spss_format},
        )
    else:
        letters = _stata_missing(frame, variables, value_labels)
        pyreadstat.write_dta(
            frame,
            str(path),
            file_label=_fit(file_label, 80),
            column_labels=labels,
            version=STATA_VERSION,
            variable_value_labels=value_labels,  # type: ignore[arg-type]
            missing_user_values=letters,
            variable_format={v.name: v.stata_format for v in variables if v.stata_format},
        )
    return columns.n


def _spss_missing(variables: list[Variable]) -> dict[str, list[Any]]:
    """Declared missing codes: up to three discrete values, else one covering range."""
    declared: dict[str, list[Any]] = {}
    for v in variables:
        if not v.missing:
            continue
        if len(v.missing) <= 3:
            declared[v.name] = [float(c) for c in v.missing]
        else:
            declared[v.name] = [{"lo": float(min(v.missing)), "hi": float(max(v.missing))}]
    return declared


def _stata_missing(
    frame: pd.DataFrame, variables: list[Variable], value_labels: dict[str, dict[Any, str]]
) -> dict[str, list[str]]:
    """Declared missing codes become Stata's extended missing .a, .b, … (labelled alike)."""
    letters: dict[str, list[str]] = {}
    for v in variables:
        if not v.missing:
            continue
        codes = v.missing[: len(STATA_MISSING)]
        values = frame[v.name].to_numpy()
        column = values.astype(object)
        for letter, code in zip(STATA_MISSING, codes, strict=False):
            column[values == code] = letter
            label = value_labels[v.name].pop(code, None)
            if label is not None:
                value_labels[v.name][letter] = f"{label} ({code})"
        frame[v.name] = pd.Series(column, dtype=object, index=frame.index)
        letters[v.name] = list(STATA_MISSING[: len(codes)])
    return letters


def _fit(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters (and as many UTF-8 bytes for SPSS's 256)."""
    if len(text) <= limit and len(text.encode()) <= 256:
        return text
    cut = text[: limit - 1]
    while len(cut.encode()) > 253:  # room for the ellipsis
        cut = cut[:-1]
    return cut.rstrip() + "…"


def _naive(value: datetime | date) -> datetime | date:
    """UTC without the zone: neither format stores one (the label says UTC)."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)
    return value
