"""Wheels for the tests: tiny ones written by hand, and the wheelhouse downloaded once."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from testing.cache import CACHE, file_lock
from testing.environ import scrubbed_environ

#: What the fixture projects need to build once fixed, and safepip's own dependencies (the CI
#: recipes install safepip from its checkout), downloaded once per Python (with their
#: dependencies) so that the tests then run with --no-index.
WHEELHOUSE = (
    ["packaging>=22", "tomlkit>=0.11.1", "platformdirs>=3"],
    ["flit_core>=3.2,<4", "hatchling", "editables", "poetry-core>=1.0.0", "pdm-backend"],
    ["setuptools>=61", "wheel", "Cython>=0.29"],
    ["setuptools>=61,<82"],  # still ships pkg_resources
    ["setuptools>=61,<74"],  # still ships distutils.msvccompiler
    ["pip==21.2.4"],  # too old for PEP 660 editable installs
    ["pip>=21.3"],
)


class WheelhouseError(Exception):
    """The wheelhouse could not be downloaded (offline, say): pip's last words."""


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


def wheelhouse() -> Path:
    """A folder of wheels for the build backends, downloaded once per Python and wheel list into
    the tests' cache (not the index at test time): tests install from it with --no-index
    --find-links.

    Raises WheelhouseError when it cannot be downloaded."""
    wanted = json.dumps(WHEELHOUSE)
    listed = hashlib.sha256(wanted.encode()).hexdigest()[:12]
    tag = f"py{sys.version_info[0]}.{sys.version_info[1]}-{listed}"
    folder = CACHE / "wheelhouse" / tag
    stamp = folder / ".complete"
    if stamp.exists() and stamp.read_text() == wanted:
        return folder
    with file_lock(CACHE / "wheelhouse" / f"{tag}.lock"):
        if stamp.exists() and stamp.read_text() == wanted:  # another process got it meanwhile
            return folder
        download = Path(tempfile.mkdtemp(prefix=f"{tag}-", dir=folder.parent))
        try:
            for group in WHEELHOUSE:
                result = subprocess.run(
                    [
                        *(sys.executable, "-m", "pip", "download", "-q", "--only-binary", ":all:"),
                        *("--dest", str(download), *group),
                    ],
                    env=scrubbed_environ(),
                    capture_output=True,
                    text=True,
                    check=False,
                )
                if result.returncode != 0:
                    raise WheelhouseError(result.stderr.strip()[-300:])
            (download / ".complete").write_text(wanted)
            shutil.rmtree(folder, ignore_errors=True)
            download.rename(folder)
        finally:
            shutil.rmtree(download, ignore_errors=True)
    return folder
