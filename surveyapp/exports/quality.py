"""The workbook's ``quality`` and ``flags`` sheets: item nonresponse per question, and
the data-quality flags by agency and channel, in the export's scope.

The review domain computes the figures (``review.services.summary``); this kernel only
lays them out, so it takes them by shape.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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


class FlagFigures(Protocol):
    @property
    def agency(self) -> str: ...
    @property
    def channel(self) -> str: ...
    @property
    def kinds(self) -> Mapping[str, int]: ...


class QualityFigures(Protocol):
    """What the sheets show: responses counted and voided, each question's figures, and
    the flags by agency and channel (``kind_labels``: each kind and its name)."""

    @property
    def submitted(self) -> int: ...
    @property
    def voided(self) -> int: ...
    @property
    def items(self) -> Sequence[ItemFigures]: ...
    @property
    def flags(self) -> Sequence[FlagFigures]: ...
    @property
    def kind_labels(self) -> Sequence[tuple[str, str]]: ...


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


def flags_table(figures: QualityFigures) -> Table:
    """Counted responses flagged, one row an agency and channel, one column a kind."""
    kinds = list(figures.kind_labels)
    heads = [gettext("Agency code"), gettext("Channel"), *(name for _kind, name in kinds)]
    rows: list[list[Any]] = [
        [f.agency, f.channel, *(f.kinds.get(kind, 0) for kind, _name in kinds)]
        for f in figures.flags
    ]
    return Table("flags", heads, rows, {i: "integer" for i in range(2, len(heads))})
