"""Review's use cases."""
