"""Names and versions (issue 18, items 10 and 11), end to end: a build's output chooses at most
which curated entry is proposed, never the version or the extras that reach ``requires``."""

from __future__ import annotations

from pathlib import Path

import pytest
import tomlkit

from testing.environ import offline_environ
from testing.runs import run_safepip
from testing.venvs import seeded_venv

pytestmark = pytest.mark.slow

#: setup.py says what pkg_resources says when it lacks a pinned distribution (pip's log line),
#: and builds once Cython is there.
SETUP_PY = """\
import sys
try:
    import Cython  # noqa: F401
except ImportError:
    sys.stderr.write(
        "Traceback (most recent call last):\\n"
        "pkg_resources.DistributionNotFound: The 'Cython[evil]==0.28' distribution was not "
        "found and is required by the application\\n"
    )
    sys.exit(1)
from setuptools import setup
setup(name="logpin", version="1.0", py_modules=[])
"""

PYPROJECT = """\
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"
"""


def test_a_pin_in_a_builds_output_is_never_written(tmp_path: Path, wheelhouse: Path) -> None:
    project = tmp_path / "logpin"
    project.mkdir()
    (project / "setup.py").write_text(SETUP_PY)
    (project / "pyproject.toml").write_text(PYPROJECT)
    python = seeded_venv(tmp_path / "venv")
    run = run_safepip(
        ["--yes", "install", "--no-deps", str(project)],
        offline_environ(wheelhouse, python),
        cwd=tmp_path,
    )
    document = tomlkit.parse((project / "pyproject.toml").read_text()).unwrap()
    assert document["build-system"]["requires"] == ["setuptools>=61", "Cython>=0.29"], run.err
    assert run.status == 0, run.err
    [proposed] = [line for line in run.own_lines() if "proposed fix" in line]
    assert '"Cython>=0.29"' in proposed
    assert "0.28" not in proposed
    assert "evil" not in proposed
