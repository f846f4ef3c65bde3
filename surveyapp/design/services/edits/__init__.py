"""Edits of a draft questionnaire document: plain functions that change a dict in place.

No database here: ``services.draft`` copies a stored draft's document, applies one of these,
validates the result and saves it. ``structure`` edits the outline (details, sections,
questions, scales), ``rules`` builds skip logic, ``checks`` an answer's checks,
``framework`` and ``points`` the scoring.
"""
