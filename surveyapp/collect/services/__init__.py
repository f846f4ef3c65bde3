"""Visits and answering: what every way of answering shares."""
