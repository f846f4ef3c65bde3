"""The dossier register as a file: one row a dossier (its points total and band), for the
CSV download and the workbook's ``dossiers`` sheet. The results domain scores them
(``results.services.dossiers``); this kernel lays them out, so it takes them by shape."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from flask_babel import gettext

from surveyapp.exports.xlsx import Table

COLUMNS = (
    "response_id", "agency", "dossier_code", "submitted_at", "answered", "points_total", "band",
)  # fmt: skip


class DossierRow(Protocol):
    @property
    def response_id(self) -> int: ...
    @property
    def agency(self) -> str: ...
    @property
    def dossier_code(self) -> str | None: ...
    @property
    def submitted_at(self) -> datetime | None: ...
    @property
    def answered(self) -> int: ...
    @property
    def total(self) -> int | None: ...
    @property
    def band(self) -> str | None: ...


def cells(d: DossierRow) -> list[Any]:
    """One dossier's cells, in ``COLUMNS`` order."""
    return [d.response_id, d.agency, d.dossier_code, d.submitted_at, d.answered, d.total, d.band]


def dossiers_table(rows: Sequence[DossierRow]) -> Table:
    """The ``dossiers`` sheet (call inside the export's locale)."""
    heads = [
        gettext("Response id"),
        gettext("Agency code"),
        gettext("Dossier code"),
        gettext("Submitted at (UTC)"),
        gettext("Questions answered"),
        gettext("Total"),
        gettext("Band"),
    ]
    return Table("dossiers", heads, [cells(d) for d in rows], {4: "integer", 5: "integer"})
