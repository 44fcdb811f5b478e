"""safepip's own commands (``safepip diagnose``): the only code that prints to the user."""
