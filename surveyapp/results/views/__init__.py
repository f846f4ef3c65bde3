"""The analyst's pages, the downloads and the API."""

# The results blueprint's route modules, imported for the routes they add to its bp.
from surveyapp.results.views import series  # noqa: F401
