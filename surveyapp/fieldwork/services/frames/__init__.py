"""Sampling frames: files read, rows stored, imports (large ones as jobs)."""
