"""Shared by the scripts: find the supported Pythons and make throw-away environments for them.

The environment scrubber and the venv maker are the tests' own (the top-level ``testing``
package): one of each for tests and scripts alike.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # a script's own folder is on sys.path, the checkout's is not
    sys.path.insert(0, str(ROOT))

from testing.environ import scrubbed_environ as clean_environ  # noqa: E402
from testing.venvs import make_venv, venv_python  # noqa: E402

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

    Rebuilt only when pyproject.toml or the constraints changed since it was made.
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
    target = make_venv(root, python)
    environ = clean_environ()
    flags = ["-q"] if quiet else []
    if _bundled_pip(root) < (21, 3):  # before PEP 660: no editable install of this checkout
        subprocess.run(
            [str(target), "-m", "pip", "install", *flags, "--upgrade", "pip"],
            check=True,
            env=environ,
        )
    pinned = ["--constraint", str(constraints)] if constraints else []
    subprocess.run(
        [str(target), "-m", "pip", "install", *flags, *pinned, "-e", f"{ROOT}[{extras}]"],
        check=True,
        env=environ,
    )
    stamp.write_text(wanted)
    return target


def _bundled_pip(root: Path) -> tuple[int, ...]:
    """The version of the pip that ensurepip put in the venv at ``root``, from its dist-info
    folder's name (no process); (0,) when it cannot be read. Python 3.9.18 bundles pip 23.0.1,
    3.13 pip 24.2: new enough, and upgrading them would cost a download and 3 s of CPU each."""
    for info in root.glob("lib/python*/site-packages/pip-*.dist-info"):
        release = info.name[len("pip-") : -len(".dist-info")].split(".")
        if all(part.isdigit() for part in release[:2]):
            return tuple(int(part) for part in release[:2])
    return (0,)
