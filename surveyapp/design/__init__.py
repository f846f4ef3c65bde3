"""Designing questionnaires: drafts, versions, frameworks and points, the designer."""
