"""Use cases: plain functions taking a SQLAlchemy session and plain values; callers commit."""
