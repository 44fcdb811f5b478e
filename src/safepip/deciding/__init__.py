"""Deciding what to do about a diagnosed failure: which fix to propose, and asking for consent."""
