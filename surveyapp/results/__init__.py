"""Results: loading, weighting, dashboards, reports, triangulation, downloads, the API."""
