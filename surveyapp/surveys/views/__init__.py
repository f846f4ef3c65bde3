"""The survey list (home) and a survey's own page."""
