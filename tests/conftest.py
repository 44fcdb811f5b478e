"""pytest's fixtures and hooks only: the helpers are in the ``testing`` package (tests import
them from there, never from here).

Tiers: a test marked ``slow`` runs real pip in real venvs (seconds each); the rest run in-process
or with a stand-in pip. ``scripts/test.py --quick`` runs ``-m "not slow"`` only; the default
``scripts/test.py`` (and CI) runs both tiers.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from testing import environ as _environ
from testing.environ import IN_CI, clean_environ
from testing.paths import STANDIN
from testing.venvs import seeded_venv
from testing.wheels import WheelhouseError, build_wheel
from testing.wheels import wheelhouse as _download_wheelhouse

# A runner started in the background by a non-interactive shell (`(pytest &)`) inherits SIGINT
# ignored, and every child would too: pip's and safepip's Ctrl-C handling could not be tested.
# The tests' processes get Python's default handling back, as a terminal's pytest has.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The real-pip tier first (each file's tests keep their order): its tests take seconds, the
    in-process ones milliseconds, so pytest-xdist's workers end together on short tests rather
    than one worker finishing a long one alone."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture(autouse=True)
def _no_ci_from_the_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    """CI=true (as .ci/run has it) changes when safepip asks: in-process tests must not inherit
    it, as clean_environ() keeps it from child processes; a test about CI sets it itself."""
    monkeypatch.delenv("CI", raising=False)


@pytest.fixture(scope="session", autouse=True)
def _remove_state() -> Iterator[None]:
    """The tests' safepip state goes when the session ends (first set up: last torn down)."""
    yield
    _environ.remove_state()


@pytest.fixture(scope="session")
def wheel_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("wheels")
    build_wheel(directory, "safepip_demo_pkg")
    return directory


@pytest.fixture(scope="session")
def pip_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real virtual environment with the pip that ships with the test interpreter, shared by
    the tests of one process (they must not install into it)."""
    return seeded_venv(tmp_path_factory.mktemp("venv") / "venv")


@pytest.fixture
def standin_environ() -> dict[str, str]:
    """An environment in which ``python -m pip`` runs tests/standin/pip instead of pip."""
    return clean_environ({"PYTHONPATH": str(STANDIN), "SAFEPIP_PYTHON": sys.executable})


@pytest.fixture(scope="session")
def wheelhouse() -> Path:
    """The build backends' wheels, downloaded once (testing.wheels.wheelhouse);
    skipped when they cannot be downloaded, except under CI, where that fails."""
    try:
        return _download_wheelhouse()
    except WheelhouseError as exc:
        if IN_CI:
            raise
        pytest.skip(f"cannot download the test wheelhouse: {exc}")
