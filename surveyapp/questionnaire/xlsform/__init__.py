"""XLSForm workbooks: our JSON document to and from the survey/choices/settings layout.

Export writes what KoBoToolbox/ODK/SurveyCTO read, plus a ``framework`` sheet for the
scoring framework, and reads its own output back to the same document. Import accepts
workbooks as people really write them (see ``from_xlsform``), as pyxform does: a group
inside a group joins its section under its label as a heading, keeping its ``relevant``
on each of its questions; a language named without a code (``label::Swahili``) gets its
code when the name is known, else a private ``x-`` key, with a warning; a
``settings.version`` that is not one of our numbers (``2025.1``, ``202412041``) is the
author's label, kept as ``form_version``. Not carried by a workbook:
``x_`` extension keys, ``description``, scale labels and item ``checks``; inline item
options come back as a scale named after the list.

``relevant`` expressions are read by a small recursive-descent parser into JSON rules:
XLSForm expressions are never evaluated.
"""

from surveyapp.questionnaire.xlsform.export import to_xlsform
from surveyapp.questionnaire.xlsform.expressions import (
    ExpressionError,
    parse_expression,
    write_expression,
)
from surveyapp.questionnaire.xlsform.reader import from_xlsform, read_workbook

__all__ = [
    "ExpressionError",
    "from_xlsform",
    "parse_expression",
    "read_workbook",
    "to_xlsform",
    "write_expression",
]
