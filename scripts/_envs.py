"""Shared by the scripts: find the supported Pythons and make throw-away environments for them.

The environment scrubber and the venv maker are the tests' own (the top-level ``testing``
package): one of each for tests and scripts alike.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # a script's own folder is on sys.path, the checkout's is not
    sys.path.insert(0, str(ROOT))

from testing.cache import CACHE, file_lock  # noqa: E402
from testing.environ import scrubbed_environ as clean_environ  # noqa: E402
from testing.venvs import copy_venv, make_venv, venv_python  # noqa: E402

__all__ = ["ROOT", "SUPPORTED", "clean_environ", "ensure_venv", "find_python", "venv_python"]

SUPPORTED = ("3.9", "3.10", "3.11", "3.12", "3.13")


def find_python(version: str) -> str | None:
    """An interpreter for ``version``: pyenv's, else ``pythonX.Y`` on PATH, else None."""
    if shutil.which("pyenv"):
        prefix = subprocess.run(
            ["pyenv", "prefix", version], capture_output=True, text=True, check=False
        )
        if prefix.returncode == 0:
            candidate = Path(prefix.stdout.strip().splitlines()[-1]) / "bin" / "python"
            if candidate.exists():
                return str(candidate)
    if sys.version.startswith(version + "."):
        return sys.executable
    return shutil.which(f"python{version}")


def ensure_venv(
    root: Path,
    python: str,
    extras: str,
    *,
    constraints: Path | None = None,
    quiet: bool = True,
) -> Path:
    """A venv at ``root`` with this checkout installed editable with ``extras`` (and pinned by
    the ``constraints`` file, if given).

    Rebuilt only when pyproject.toml or the constraints changed since it was made. Everything
    but the checkout comes from a copy of a venv kept in the tests' cache (:func:`_tools_venv`),
    so that a new clone does not install forty packages again (16 s of CPU a venv, and waits on
    the index): the copy and the editable install take about a second.
    """
    stamp = root / ".safepip-stamp"
    pins = constraints.read_bytes() if constraints else b""
    wanted = hashlib.sha256(
        (ROOT / "pyproject.toml").read_bytes() + pins + f"{python}|{extras}".encode()
    ).hexdigest()
    if stamp.exists() and stamp.read_text() == wanted and venv_python(root).exists():
        return venv_python(root)
    if root.exists():
        shutil.rmtree(root)
    flags = ["-q"] if quiet else []
    with _tools_venv(python, extras, wanted, pins, flags) as tools:
        target = copy_venv(tools, root)
    # The checkout itself, without its dependencies (the copy has them) and with the copy's
    # flit_core as the backend: no index, no build environment.
    editable = ["--no-deps", "--no-build-isolation", "-e", str(ROOT)]
    subprocess.run(
        [str(target), "-m", "pip", "install", *flags, *editable], check=True, env=clean_environ()
    )
    stamp.write_text(wanted)
    return target


@contextlib.contextmanager
def _tools_venv(
    python: str, extras: str, wanted: str, pins: bytes, flags: list[str]
) -> Iterator[Path]:
    """The venv in the tests' cache with what this checkout installed with ``extras`` needs
    (its dependencies, ``extras``' tools, its build backend) but not the checkout itself: made
    once per interpreter, pyproject.toml, extras and constraints, and held under a lock while it
    is copied. Older ones for the same interpreter and extras are removed when a new one is made.
    """
    identity = hashlib.sha256(f"{os.path.realpath(python)}|{extras}".encode()).hexdigest()[:12]
    folder = CACHE / "test-venvs"
    made = folder / f"{identity}-{wanted[:12]}"
    with file_lock(folder / f"{identity}.lock"):
        if not venv_python(made).exists():
            for stale in folder.glob(f"{identity}-*"):
                shutil.rmtree(stale, ignore_errors=True)
            building = Path(tempfile.mkdtemp(prefix=f"{identity}.", dir=folder))
            try:
                _install_tools(building / "venv", python, extras, pins, flags)
                copy_venv(building / "venv", made)
            finally:
                shutil.rmtree(building, ignore_errors=True)
        yield made


def _install_tools(venv: Path, python: str, extras: str, pins: bytes, flags: list[str]) -> None:
    target = make_venv(venv, python)
    environ = clean_environ()
    if _bundled_pip(venv) < (21, 3):  # before PEP 660: no editable install of this checkout
        subprocess.run(
            [str(target), "-m", "pip", "install", *flags, "--upgrade", "pip"],
            check=True,
            env=environ,
        )
    pinned: list[str] = []
    if pins:
        (venv.parent / "constraints.txt").write_bytes(pins)
        pinned = ["--constraint", str(venv.parent / "constraints.txt")]
    # [build-system] requires, the one line that starts with "requires = [" (flit_core's range).
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    declared = re.search(r"^requires = \[(.*)\]", pyproject, re.MULTILINE)
    backend = re.findall(r'"([^"]+)"', declared[1]) if declared else ["flit_core"]
    subprocess.run(
        [str(target), "-m", "pip", "install", *flags, *pinned, f"{ROOT}[{extras}]", *backend],
        check=True,
        env=environ,
    )
    subprocess.run(
        [str(target), "-m", "pip", "uninstall", *flags, "--yes", "safepip"],
        check=True,
        env=environ,
    )


def _bundled_pip(root: Path) -> tuple[int, ...]:
    """The version of the pip that ensurepip put in the venv at ``root``, from its dist-info
    folder's name (no process); (0,) when it cannot be read. Python 3.9.18 bundles pip 23.0.1,
    3.13 pip 24.2: new enough, and upgrading them would cost a download and 3 s of CPU."""
    for info in root.glob("lib/python*/site-packages/pip-*.dist-info"):
        release = info.name[len("pip-") : -len(".dist-info")].split(".")
        if all(part.isdigit() for part in release[:2]):
            return tuple(int(part) for part in release[:2])
    return (0,)
