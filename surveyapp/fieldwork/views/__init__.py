"""The fieldwork pages of a survey: the ``fieldwork`` and ``outreach`` blueprints."""

# The fieldwork blueprint's route modules, imported for the routes they add to its bp.
from surveyapp.fieldwork.views import frame, overview, sample  # noqa: F401
