"""Filled in by its own issue (see README, Architecture)."""
