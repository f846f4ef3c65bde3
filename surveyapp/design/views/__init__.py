"""The web designer's pages."""
