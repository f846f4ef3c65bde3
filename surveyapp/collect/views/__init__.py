"""The respondent's, official's and paper-entry pages."""
