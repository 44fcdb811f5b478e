"""Applying fixes: patching files, such as a project's pyproject.toml, with the user's consent."""
