"""From stored answers to weighted, scored, presented results."""
