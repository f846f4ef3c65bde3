"""Surveys and their agencies."""
