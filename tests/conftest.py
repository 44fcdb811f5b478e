"""Shared fixtures: a clean environment for pip, real virtual environments, a stand-in pip."""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

TESTS = Path(__file__).parent
#: safepip's own state in tests (transcripts, an empty configuration file): never the user's.
#: Made at import, so that clean_environ() works at import time too; removed at the session's end
#: (_remove_state).
_STATE = Path(tempfile.mkdtemp(prefix="safepip-tests-"))
(_STATE / "config.toml").write_text("# safepip's tests: an empty configuration\n")
STANDIN = TESTS / "standin"
PROJECTS = TESTS / "projects"
ROOT = TESTS.parent

#: What the fixture projects need to build once fixed, downloaded once per Python (with their
#: dependencies) so that the tests then run with --no-index.
WHEELHOUSE = (
    ["flit_core>=3.2,<4", "hatchling", "editables", "poetry-core>=1.0.0", "pdm-backend"],
    ["setuptools>=61", "wheel", "Cython>=0.29"],
    ["setuptools>=61,<82"],  # still ships pkg_resources
    ["pip==21.2.4"],  # too old for PEP 660 editable installs
    ["pip>=21.3"],
)


def clean_environ(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment minus the machine's pip configuration and any active environment.

    The machine may have a global pip.conf and PIP_* variables (find-links, constraints): they
    must not leak into tests, so every config file is disabled and inherited PIP_* are dropped.
    """
    environ = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PIP_", "SAFEPIP_"))
        # CI=true (GitHub Actions sets it) means "never ask": tests that expect a prompt set
        # nothing, and tests of CI set it themselves.
        and key not in {"VIRTUAL_ENV", "CONDA_PREFIX", "PYTHONPATH", "PYTHONHOME", "CI"}
    }
    environ["PIP_CONFIG_FILE"] = os.devnull
    # The version check would make pip's output depend on the network and the date.
    environ["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    environ["PYTHONDONTWRITEBYTECODE"] = "1"
    environ["SAFEPIP_LOG_DIR"] = str(_STATE / "log")
    environ["SAFEPIP_CONFIG"] = str(_STATE / "config.toml")
    if extra:
        environ.update(extra)
    return environ


@pytest.fixture(autouse=True)
def _no_ci_from_the_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    """CI=true (as .ci/run has it) changes when safepip asks: in-process tests must not inherit
    it, as clean_environ() keeps it from child processes; a test about CI sets it itself."""
    monkeypatch.delenv("CI", raising=False)


@pytest.fixture(scope="session", autouse=True)
def _remove_state() -> Iterator[None]:
    """The tests' safepip state goes when the session ends (first set up: last torn down)."""
    yield
    shutil.rmtree(_STATE, ignore_errors=True)


def venv_python(root: Path) -> Path:
    if sys.platform == "win32":
        return root / "Scripts" / "python.exe"
    return root / "bin" / "python"


def safepip_argv(*args: str) -> list[str]:
    """Run the safepip under test, from the interpreter the tests run in."""
    return [sys.executable, "-m", "safepip", *args]


def _record_line(path: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}"


def build_wheel(
    directory: Path, name: str, version: str = "1.0", *, package: str | None = None
) -> Path:
    """Write a tiny, valid pure-Python wheel without any build backend (no network needed).

    Its import package is ``name`` unless ``package`` names another one.
    """
    dist_info = f"{name}-{version}.dist-info"
    files = {
        f"{package or name}/__init__.py": f"VERSION = {version!r}\n".encode(),
        f"{dist_info}/METADATA": (
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode()
        ),
        f"{dist_info}/WHEEL": (
            b"Wheel-Version: 1.0\nGenerator: safepip-tests\nRoot-Is-Purelib: true\n"
            b"Tag: py3-none-any\n"
        ),
    }
    record = [_record_line(path, data) for path, data in files.items()]
    record.append(f"{dist_info}/RECORD,,")
    wheel = directory / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, data in files.items():
            archive.writestr(path, data)
        archive.writestr(f"{dist_info}/RECORD", "\n".join(record) + "\n")
    return wheel


@pytest.fixture(scope="session")
def wheel_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("wheels")
    build_wheel(directory, "safepip_demo_pkg")
    return directory


@pytest.fixture(scope="session")
def pip_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real virtual environment with the pip that ships with the test interpreter."""
    root = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", str(root)], check=True, env=clean_environ())
    return venv_python(root)


@pytest.fixture
def standin_environ() -> dict[str, str]:
    """An environment in which ``python -m pip`` runs tests/standin/pip instead of pip."""
    return clean_environ({"PYTHONPATH": str(STANDIN), "SAFEPIP_PYTHON": sys.executable})


@pytest.fixture(scope="session")
def wheelhouse() -> Path:
    """A folder of wheels for the build backends, downloaded once into .cache/ (not the index
    at test time): tests install from it with --no-index --find-links."""
    import json

    tag = f"py{sys.version_info[0]}.{sys.version_info[1]}"
    folder = ROOT / ".cache" / "wheelhouse" / tag
    stamp = folder / ".complete"
    wanted = json.dumps(WHEELHOUSE)
    if not stamp.exists() or stamp.read_text() != wanted:
        folder.mkdir(parents=True, exist_ok=True)
        for group in WHEELHOUSE:
            result = subprocess.run(
                [
                    *(sys.executable, "-m", "pip", "download", "-q", "--only-binary", ":all:"),
                    *("--dest", str(folder), *group),
                ],
                env=clean_environ(),
                capture_output=True,
                text=True,
                check=False,
            )
            if result.returncode != 0:
                pytest.skip(f"cannot download the test wheelhouse: {result.stderr.strip()[-300:]}")
        stamp.write_text(wanted)
    return folder


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


def make_venv(folder: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True, env=clean_environ())
    return venv_python(folder)
