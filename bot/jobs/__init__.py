"""Periodic work that is not an answer to anyone: the check-in sender."""
