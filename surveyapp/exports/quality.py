"""The workbook's ``quality`` sheet: item nonresponse per question, in the export's scope.

The review domain computes the figures (``review.services.summary``); this kernel only
lays them out, so it takes them by shape.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from flask_babel import gettext

from surveyapp.exports.xlsx import Table


class ItemFigures(Protocol):
    @property
    def item_id(self) -> str: ...
    @property
    def label(self) -> str: ...
    @property
    def shown(self) -> int: ...
    @property
    def skipped(self) -> int: ...
    @property
    def missing(self) -> int: ...
    @property
    def rate(self) -> float | None: ...


class QualityFigures(Protocol):
    """What the sheet shows: responses counted and voided, and each question's figures."""

    @property
    def submitted(self) -> int: ...
    @property
    def voided(self) -> int: ...
    @property
    def items(self) -> Sequence[ItemFigures]: ...


def quality_table(figures: QualityFigures) -> Table:
    """One row a question, in questionnaire order (call inside the export's locale)."""
    heads = [
        gettext("Id"),
        gettext("Question"),
        gettext("Shown to"),
        gettext("Left blank"),
        gettext("Don't know / no answer"),
        gettext("Nonresponse"),
    ]
    rows: list[list[Any]] = [
        [i.item_id, i.label, i.shown, i.skipped, i.missing, i.rate] for i in figures.items
    ]
    return Table("quality", heads, rows, {2: "integer", 3: "integer", 4: "integer", 5: "percent"})
