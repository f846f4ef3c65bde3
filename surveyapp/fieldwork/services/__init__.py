"""Fieldwork's use cases."""
