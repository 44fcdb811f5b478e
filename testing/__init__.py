"""Helpers shared by the tests and the scripts (pre-commit's ``testing/`` package is the model).

Tests import from here, never from conftest.py; conftest.py holds only pytest's fixtures and hooks.

- :mod:`testing.paths`: where the fixtures are.
- :mod:`testing.environ`: the one environment scrubber (no machine pip config, no active venv).
- :mod:`testing.venvs`: the one venv maker, and seeded venvs copied from one template per Python.
- :mod:`testing.wheels`: tiny wheels built by hand, and the wheelhouse downloaded once.
- :mod:`testing.runs`: the real safepip (and pip) in a child process, and reading what it said.
"""
