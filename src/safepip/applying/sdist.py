"""Building a wheel from a patched copy of an sdist, for a package whose source is not local.

The user's sdist is never changed: it is unpacked in a temporary directory, its pyproject.toml is
patched there, and pip builds it with build isolation kept. A legacy sdist (a setup.py only, or a
pyproject.toml without ``[build-system]``) first gets the ``[build-system]`` pip would assume for
it (``setuptools>=40.8.0`` and the legacy setuptools backend), so that additions and caps work on
every sdist. The ``pip wheel`` of the copy is run and read by the session's one "run pip and read
it", like the user's command: a failure of the patched build is diagnosed, and the caller decides
what comes next.
"""

from __future__ import annotations

import os
import tarfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass

from safepip.applying.pyproject import apply_plan, plan_add_requirement, plan_change
from safepip.changes import AddRequirement, Change
from safepip.errors import SafepipError
from safepip.tomlfile import read_build_system

#: What pip assumes for a project that declares no ``[build-system]`` (PEP 517/518).
LEGACY_REQUIRES = "setuptools>=40.8.0"


def _safe_member(name: str) -> bool:
    """An archive member that stays inside the extraction directory."""
    normal = os.path.normpath(name)
    return not (os.path.isabs(normal) or normal == ".." or normal.startswith(".." + os.sep))


def unpack_sdist(sdist: str, destination: str) -> str:
    """Unpack ``sdist`` safely into ``destination``; return the project directory inside it."""
    try:
        if zipfile.is_zipfile(sdist):
            with zipfile.ZipFile(sdist) as archive:
                names = archive.namelist()
                if not all(_safe_member(name) for name in names):
                    raise SafepipError(f"{sdist} holds paths outside its own directory")
                archive.extractall(destination)  # noqa: S202 - every member was checked above
        else:
            with tarfile.open(sdist) as archive:
                members = archive.getmembers()
                for member in members:
                    unsafe_link = (member.issym() or member.islnk()) and not _safe_member(
                        os.path.join(os.path.dirname(member.name), member.linkname)
                    )
                    if not _safe_member(member.name) or unsafe_link or member.isdev():
                        raise SafepipError(f"{sdist} holds an unsafe member: {member.name}")
                if hasattr(tarfile, "data_filter"):
                    archive.extractall(destination, filter="data")
                else:  # Python without the extraction filters: the members were checked above
                    archive.extractall(destination)  # noqa: S202
    except (OSError, tarfile.TarError, zipfile.BadZipFile) as exc:
        raise SafepipError(f"cannot unpack {sdist}: {exc}") from exc
    entries = [entry for entry in os.listdir(destination) if not entry.startswith(".")]
    if len(entries) == 1 and os.path.isdir(os.path.join(destination, entries[0])):
        return os.path.join(destination, entries[0])
    return destination


def ensure_build_system(project: str) -> str:
    """Give a legacy project the ``[build-system]`` pip assumes for it; return the diff (or "").

    A setup.py-only project gets a new pyproject.toml naming ``setuptools>=40.8.0`` and the legacy
    backend ``setuptools.build_meta:__legacy__``; a pyproject.toml without ``[build-system]`` gets
    the table added (pip then uses the same legacy backend). What the build did before is kept.
    """

    pyproject = os.path.join(project, "pyproject.toml")
    if read_build_system(pyproject) is not None:
        return ""
    plan = plan_add_requirement(pyproject, LEGACY_REQUIRES, create_if_missing=True)
    if not plan.changed:
        return ""
    apply_plan(plan, backup=False)  # a throw-away copy: no backup needed
    return plan.diff()


def patch_project(project: str, change: Change) -> str:
    """Apply a [build-system] change to an unpacked project; return the diff."""
    pyproject = os.path.join(project, "pyproject.toml")
    ensure_build_system(project)
    plan = plan_change(pyproject, change, create_if_missing=True)
    if plan.changed:
        apply_plan(plan, backup=False)  # a throw-away copy: no backup needed
    return plan.diff()


@dataclass(frozen=True)
class PatchedCopy:
    """A patched copy of an sdist, unpacked, and the ``pip wheel`` arguments that build it."""

    #: The folder the wheel is built into.
    wheels: str
    #: pip's arguments (after ``python -m pip``): ``wheel --no-deps --wheel-dir ... project``.
    args: list[str]


def patched_copy(
    sdist: str,
    changes: Sequence[Change],
    *,
    workdir: str,
    index_options: Sequence[str] = (),
    extra_requirements: Sequence[str] = (),
    build_options: Sequence[str] = (),
) -> PatchedCopy:
    """Unpack ``sdist`` in ``workdir`` with every change in ``changes`` (and each of
    ``extra_requirements`` added) made to its copy; the build itself is the caller's."""
    project = unpack_sdist(sdist, os.path.join(workdir, "source"))
    ensure_build_system(project)
    for change in changes:
        patch_project(project, change)
    for requirement in extra_requirements:
        patch_project(project, AddRequirement(requirement))
    wheels = os.path.join(workdir, "wheels")
    os.makedirs(wheels, exist_ok=True)
    args = ["wheel", "--no-deps", "--wheel-dir", wheels, *index_options, *build_options, project]
    return PatchedCopy(wheels, args)
