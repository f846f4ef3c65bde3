"""The survey itself: its record and mode, its agencies, the survey list and page."""
