"""The fieldwork pages of a survey."""
