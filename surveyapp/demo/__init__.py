"""The demo: a seeded province and synthetic respondents."""
