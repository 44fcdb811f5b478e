"""A local project's files, as the diagnosis needs them: its folder, pyproject.toml and backend.

:class:`DiskProjectFiles` is the real :class:`~safepip.reading.judging.ProjectFiles`: the one
place the diagnosis reads the disk, so that the judging itself stays free of I/O.
"""

from __future__ import annotations

import os
import re

from safepip.tomlfile import read_build_system

#: ``import pkg_resources`` / ``from pkg_resources import ...`` at the start of a setup.py line.
_IMPORTS_PKG_RESOURCES = re.compile(r"^[ \t]*(?:import|from)[ \t]+pkg_resources\b", re.MULTILINE)
#: Read at most this much of a setup.py: the imports are at the top.
_SETUP_PY_LIMIT = 1 << 20


class DiskProjectFiles:
    """Reads local projects from the disk, as they are now (a saved log's may be gone)."""

    def project_folder(self, cwd: str, location: str) -> str | None:
        """The folder ``location`` (as pip printed it) names from ``cwd``, if it is one."""
        if "\0" in location:  # no file has such a name: only a crafted log prints one
            return None
        if location.startswith("file://"):
            location = location[len("file://") :]
        path = os.path.join(cwd, os.path.expanduser(location))
        return path if os.path.isdir(path) else None

    def pyproject(self, project: str) -> str | None:
        """The project's ``pyproject.toml`` (a normalised path), if it has one."""
        pyproject = os.path.join(project, "pyproject.toml")
        return os.path.normpath(pyproject) if os.path.isfile(pyproject) else None

    def build_backend(self, pyproject: str) -> str | None:
        """``[build-system] build-backend``, or None (unreadable, or absent)."""
        return read_build_backend(pyproject)

    def build_system_present(self, pyproject: str) -> bool:
        """Whether the pyproject.toml exists and declares a ``[build-system]`` table."""
        return read_build_system_present(pyproject)

    def imports_pkg_resources(self, project: str) -> bool:
        """Whether the project's setup.py imports pkg_resources (which setuptools 82 removed)."""
        return setup_py_imports_pkg_resources(project)

    def owns(self, project: str, module: str) -> bool:
        """Whether ``module`` is the project's own code (its folder or file is in the tree)."""
        if not module:
            return False
        top = module.split(".", 1)[0]
        for base in (project, os.path.join(project, "src")):
            if os.path.isdir(os.path.join(base, top)) or os.path.isfile(
                os.path.join(base, top + ".py")
            ):
                return True
        return False


def setup_py_imports_pkg_resources(project: str) -> bool:
    """Whether ``project``'s setup.py imports pkg_resources (False when it has none)."""
    try:
        with open(os.path.join(project, "setup.py"), "rb") as handle:
            text = handle.read(_SETUP_PY_LIMIT).decode("utf-8", "replace")
    except OSError:
        return False
    return bool(_IMPORTS_PKG_RESOURCES.search(text))


def read_build_backend(pyproject: str) -> str | None:
    """``[build-system] build-backend`` of a pyproject.toml, or None (unreadable, or absent)."""
    build_system = read_build_system(pyproject)
    backend = build_system.get("build-backend") if build_system is not None else None
    return backend.strip() if isinstance(backend, str) else None


def read_build_system_present(pyproject: str) -> bool:
    """Whether a pyproject.toml exists and declares a ``[build-system]`` table."""
    return read_build_system(pyproject) is not None
