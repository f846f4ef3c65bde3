"""The analyst's pages, the downloads and the API."""
