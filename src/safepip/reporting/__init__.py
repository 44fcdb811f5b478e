"""Reporting findings where the user's tools look: CI annotations and summaries."""
