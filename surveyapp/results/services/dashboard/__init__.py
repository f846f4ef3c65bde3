"""The results dashboard: its filters, the previous period, the service that builds a page
and the presenter that shapes the scored figures for it."""
