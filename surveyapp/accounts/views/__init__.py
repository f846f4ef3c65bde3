"""Signing in, out, and changing one's password."""
