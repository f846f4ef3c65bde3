"""The questionnaire format: documents, the rule interpreter, built-in templates."""
