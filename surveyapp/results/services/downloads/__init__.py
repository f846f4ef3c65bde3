"""Downloads of responses: what a file holds (build), the XLSX analysis sheets, background jobs."""
