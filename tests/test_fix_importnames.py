"""End to end: a build that imports names no curated table lists, fixed one per round.

The real pip in a fresh venv, offline: setup.py imports ``tqdm`` and then ``docopt`` (on the
download list, in no curated table: tcping 0.1.0rc1 and aozora-cli 0.0.1 have the same shape
with ``click``), and tiny wheels of both stand in for PyPI's. The in-process cases, and every
refusal, are in tests/test_importnames.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import tomlkit

from testing.environ import offline_environ
from testing.runs import run_safepip
from testing.venvs import seeded_venv
from testing.wheels import build_wheel

pytestmark = pytest.mark.slow

SETUP_PY = """\
import tqdm  # a run-time dependency imported at build time (the anti-pattern)
import docopt
from setuptools import setup

setup(name="uses-listed-names", version="1.0", py_modules=["uses_listed_names"])
"""


def test_each_round_finds_the_next_name_and_the_install_finishes(
    tmp_path: Path, wheelhouse: Path
) -> None:
    python = seeded_venv(tmp_path / "venv")
    project = tmp_path / "uses-listed-names"
    project.mkdir()
    (project / "setup.py").write_text(SETUP_PY)
    (project / "uses_listed_names.py").write_text("")
    pyproject = project / "pyproject.toml"
    pyproject.write_text('[build-system]\nrequires = ["setuptools>=61"]\n')
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    build_wheel(wheels, "tqdm")
    build_wheel(wheels, "docopt")
    environ = offline_environ(
        wheelhouse, python, SAFEPIP_PREFLIGHT="0", PIP_FIND_LINKS=f"{wheelhouse} {wheels}"
    )
    result = run_safepip(["--yes", "install", str(project)], environ, cwd=tmp_path)
    assert result.status == 0, result.err
    requires = tomlkit.parse(pyproject.read_text()).unwrap()["build-system"]["requires"]
    assert requires == ["setuptools>=61", "tqdm", "docopt"]
    assert result.err.count("running pip again") == 2
    assert "among the 8,000 most-downloaded distributions" in result.err
