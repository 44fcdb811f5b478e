"""The one environment scrubber: what the tests' and the scripts' child processes run with.

The machine may have a global pip.conf and PIP_* variables (find-links, constraints, an index):
they must not leak into a test or a measurement, so every pip config file is disabled, inherited
PIP_* and SAFEPIP_* go, and so does any active environment.
"""

from __future__ import annotations

import functools
import os
import shutil
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

#: Run under CI (``CI=true``, as GitHub Actions and .ci/run set it): read once, at import, since
#: the tests' own fixtures take CI out of the environment (see tests/conftest.py).
IN_CI = os.environ.get("CI", "").lower() in {"true", "1", "yes"}


#: The one SAFEPIP_ variable kept: where the tests keep what they download (testing.cache), which
#: scripts/test.py's children (prefetch, pytest) must find where the script put it.
_KEPT = {"SAFEPIP_TEST_CACHE"}


def scrubbed_environ(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment minus the machine's pip configuration and any active environment."""
    environ = {
        key: value
        for key, value in os.environ.items()
        if key in _KEPT
        or (
            not key.startswith(("PIP_", "SAFEPIP_"))
            and key not in {"VIRTUAL_ENV", "CONDA_PREFIX", "PYTHONPATH", "PYTHONHOME"}
        )
    }
    environ["PIP_CONFIG_FILE"] = os.devnull
    # The version check would make pip's output depend on the network and the date.
    environ["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    if extra:
        environ.update(extra)
    return environ


@functools.cache
def state_folder() -> Path:
    """safepip's own state in tests (transcripts, an empty configuration file): never the
    user's. One per test process; tests/conftest.py removes it when the session ends."""
    folder = Path(tempfile.mkdtemp(prefix="safepip-tests-"))
    (folder / "config.toml").write_text("# safepip's tests: an empty configuration\n")
    return folder


def remove_state() -> None:
    if state_folder.cache_info().currsize:
        shutil.rmtree(state_folder(), ignore_errors=True)
        state_folder.cache_clear()


def clean_environ(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """:func:`scrubbed_environ` for a test's child: safepip's state in the tests' own folder,
    no bytecode written next to fixtures, and no ``CI`` (CI=true means "never ask": tests that
    expect a prompt set nothing, and tests of CI set it themselves)."""
    state = state_folder()
    environ = scrubbed_environ()
    environ.pop("CI", None)
    environ["PYTHONDONTWRITEBYTECODE"] = "1"
    environ["SAFEPIP_LOG_DIR"] = str(state / "log")
    environ["SAFEPIP_CONFIG"] = str(state / "config.toml")
    # Never the user's store of fixed wheels; and none at all unless a test of it asks (a wheel
    # remembered by one test must not change what the next one sees).
    environ["SAFEPIP_CACHE_DIR"] = str(state / "cache")
    environ["SAFEPIP_NO_MEMORY"] = "1"
    if extra:
        environ.update(extra)
    return environ


def offline_environ(wheelhouse: Path, python: Path, **extra: str) -> dict[str, str]:
    """pip finds everything in the wheelhouse and nothing on the index; safepip targets python."""
    return clean_environ(
        {
            "PIP_NO_INDEX": "1",
            "PIP_FIND_LINKS": str(wheelhouse),
            "SAFEPIP_PYTHON": str(python),
            **extra,
        }
    )


def safepip_argv(*args: str) -> list[str]:
    """Run the safepip under test, from the interpreter the tests run in."""
    return [sys.executable, "-m", "safepip", *args]


def need_program(name: str, install: str) -> str:
    """The path of program ``name``; a test without it skips on a developer's machine, and
    fails under CI, which installs what the tests need (.ci/run): a skip there would hide that
    the integration it tests was never run."""
    import shutil

    import pytest

    found = shutil.which(name)
    if found is None:
        if IN_CI:
            pytest.fail(f"{name} is not installed, and CI must run its tests ({install})")
        pytest.skip(f"{name} is not installed ({install})")
    return found
