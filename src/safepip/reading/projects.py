"""A local project's files, as the diagnosis needs them: its folder, pyproject.toml and backend.

:class:`DiskProjectFiles` is the real :class:`~safepip.reading.judging.ProjectFiles`: the one
place the diagnosis reads the disk, so that the judging itself stays free of I/O.
"""

from __future__ import annotations

import os

from safepip.tomlfile import read_build_system


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


def read_build_backend(pyproject: str) -> str | None:
    """``[build-system] build-backend`` of a pyproject.toml, or None (unreadable, or absent)."""
    build_system = read_build_system(pyproject)
    backend = build_system.get("build-backend") if build_system is not None else None
    return backend.strip() if isinstance(backend, str) else None


def read_build_system_present(pyproject: str) -> bool:
    """Whether a pyproject.toml exists and declares a ``[build-system]`` table."""
    return read_build_system(pyproject) is not None
