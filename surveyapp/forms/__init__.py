"""The questionnaire as WTForms: fields, one section's form, its page; staff forms' basics."""
