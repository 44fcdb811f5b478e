"""The one venv maker, and seeded venvs: copies of one template venv per Python.

``python -m venv`` with pip takes 3 to 8 seconds (ensurepip installs pip from its wheel); a copy
of a finished venv takes a fraction of one. The template is made once per interpreter in the
tests' cache (testing.cache) and kept between runs; each test gets its own copy, with the
template's path rewritten in the launchers and activate scripts of bin/ (their shebangs and
VIRTUAL_ENV name the folder).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from testing.cache import CACHE, file_lock
from testing.environ import scrubbed_environ


def venv_python(root: Path) -> Path:
    """The interpreter of the venv at ``root``."""
    return root / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")


def make_venv(folder: Path, python: str = sys.executable, *, with_pip: bool = True) -> Path:
    """A new venv at ``folder`` made by ``python -m venv``; its interpreter.

    Prefer :func:`seeded_venv` in tests: the same venv, copied from a template in a fraction of
    the time. This is for the template itself, other interpreters, and venvs without pip."""
    argv = [python, "-m", "venv", *([] if with_pip else ["--without-pip"]), str(folder)]
    subprocess.run(argv, check=True, env=scrubbed_environ())
    return venv_python(folder)


def seeded_venv(folder: Path) -> Path:
    """A venv at ``folder`` for the interpreter the tests run in, with the pip that ships with
    it: a copy of the template (made once, kept in the tests' cache); its interpreter."""
    return copy_venv(template_venv(), folder)


def copy_venv(source: Path, folder: Path) -> Path:
    """A copy at ``folder`` of the finished venv at ``source``, its own paths rewritten (see
    :func:`_relocate`); its interpreter."""
    shutil.copytree(source, folder, symlinks=True)
    _relocate(folder, source)
    return venv_python(folder)


def template_venv() -> Path:
    """The template venv of the running interpreter, made once (under a lock) and kept."""
    identity = f"{os.path.realpath(sys.executable)}|{sys.version}".encode()
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    tag = f"py{version}-{hashlib.sha256(identity).hexdigest()[:12]}"
    template = CACHE / "venv-templates" / tag
    if venv_python(template).exists():
        return template
    template.parent.mkdir(parents=True, exist_ok=True)
    with file_lock(template.parent / f"{tag}.lock"):
        if not venv_python(template).exists():  # another test process may have made it
            building = Path(tempfile.mkdtemp(prefix=f"{tag}-", dir=template.parent))
            make_venv(building / "venv")
            # Made under another name and moved into place whole: a template that exists is
            # complete. Its own paths are rewritten to the final ones, as for any copy.
            _relocate(building / "venv", building / "venv", template)
            (building / "venv").rename(template)
            shutil.rmtree(building, ignore_errors=True)
    return template


def _relocate(folder: Path, old: Path, new: Path | None = None) -> None:
    """Rewrite ``old`` as ``new`` (default ``folder``) in the text files that name the venv's
    own path: the launchers' shebangs, the activate scripts, pyvenv.cfg."""
    before, after = os.fsencode(old), os.fsencode(new or folder)
    scripts = folder / ("Scripts" if sys.platform == "win32" else "bin")
    for path in [folder / "pyvenv.cfg", *scripts.iterdir()]:
        if path.is_symlink() or not path.is_file():
            continue
        data = path.read_bytes()
        if before in data:
            path.write_bytes(data.replace(before, after))
