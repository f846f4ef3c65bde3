"""Response downloads: one table, written by a format-specific writer."""
