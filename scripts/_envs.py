"""Shared by the scripts: find the supported Pythons and make throw-away environments for them."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SUPPORTED = ("3.9", "3.10", "3.11", "3.12", "3.13")


def clean_environ() -> dict[str, str]:
    """This machine's pip configuration (config files, PIP_* variables) stays out of our pips."""
    environ = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PIP_", "SAFEPIP_"))
        and key not in {"VIRTUAL_ENV", "CONDA_PREFIX", "PYTHONPATH"}
    }
    environ["PIP_CONFIG_FILE"] = os.devnull
    environ["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return environ


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


def venv_python(root: Path) -> Path:
    return root / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")


def ensure_venv(root: Path, python: str, extras: str, *, quiet: bool = True) -> Path:
    """A venv at ``root`` with this checkout installed editable with ``extras``.

    Rebuilt only when pyproject.toml changed since it was made.
    """
    stamp = root / ".safepip-stamp"
    wanted = hashlib.sha256(
        (ROOT / "pyproject.toml").read_bytes() + f"{python}|{extras}".encode()
    ).hexdigest()
    if stamp.exists() and stamp.read_text() == wanted and venv_python(root).exists():
        return venv_python(root)
    if root.exists():
        shutil.rmtree(root)
    environ = clean_environ()
    subprocess.run([python, "-m", "venv", str(root)], check=True, env=environ)
    target = venv_python(root)
    flags = ["-q"] if quiet else []
    subprocess.run(
        [str(target), "-m", "pip", "install", *flags, "--upgrade", "pip"], check=True, env=environ
    )
    subprocess.run(
        [str(target), "-m", "pip", "install", *flags, "-e", f"{ROOT}[{extras}]"],
        check=True,
        env=environ,
    )
    stamp.write_text(wanted)
    return target
