"""Where the repository and the test fixtures are."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"
#: Fixture projects, each a folder with a pyproject.toml (copy one before changing it).
PROJECTS = TESTS / "projects"
#: A stand-in ``pip`` package: ``PYTHONPATH=STANDIN python -m pip`` runs it instead of pip.
STANDIN = TESTS / "standin"
