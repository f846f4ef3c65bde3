"""Input problems reported all at once, each saying what and where.

``where`` and ``message`` may be lazy strings: they read in the language current when
they are shown (the user's on the web, English on the command line).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel.speaklater import LazyString


@dataclass(frozen=True)
class Problem:
    where: str | LazyString  # "row 17, column agency", a JSON path or a field
    message: str | LazyString

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if str(self.where) else str(self.message)


class InputRefused(ValueError):
    """Raised with every problem found; nothing was written."""

    def __init__(self, problems: list[Problem]):
        super().__init__(problems)
        self.problems = problems

    def __str__(self) -> str:  # rendered late, in the language current then
        return "; ".join(map(str, self.problems))
