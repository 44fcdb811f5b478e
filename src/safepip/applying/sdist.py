"""Building a wheel from a patched copy of an sdist, for a package whose source is not local.

The user's sdist is never changed: it is unpacked in a temporary directory, its pyproject.toml is
patched there, and pip builds it with build isolation kept. The retry then finds that wheel.
"""

from __future__ import annotations

import os
import tarfile
import zipfile
from collections.abc import Sequence

from safepip.errors import SafepipError


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


def patch_project(project: str, change: Sequence[str]) -> str:
    """Apply a [build-system] change to an unpacked project; return the diff."""
    from safepip.applying.pyproject import (
        apply_plan,
        plan_add_requirement,
        plan_constrain_requirement,
        plan_set_backend,
    )

    pyproject = os.path.join(project, "pyproject.toml")
    if change[0] == "backend":
        plan = plan_set_backend(pyproject, change[1])
    elif change[0] == "constrain":
        plan = plan_constrain_requirement(pyproject, change[1], change[2])
    else:
        plan = plan_add_requirement(pyproject, change[1], create_if_missing=True)
    if plan.changed:
        apply_plan(plan, backup=False)  # a throw-away copy: no backup needed
    return plan.diff()


def build_patched_wheel(
    sdist: str,
    change: Sequence[str],
    *,
    pip_prefix: Sequence[str],
    index_options: Sequence[str],
    workdir: str,
    extra_requirements: Sequence[str] = (),
) -> str:
    """Build a wheel from a patched copy of ``sdist``; return the directory holding it."""
    from safepip.reading.consumer import TailRecorder
    from safepip.running import run_command

    project = unpack_sdist(sdist, os.path.join(workdir, "source"))
    patch_project(project, change)
    for requirement in extra_requirements:
        patch_project(project, ("add", requirement))
    wheels = os.path.join(workdir, "wheels")
    os.makedirs(wheels, exist_ok=True)
    argv = [*pip_prefix, "wheel", "--no-deps", "--wheel-dir", wheels, *index_options, project]
    status = run_command(argv, TailRecorder(limit=5))
    if status != 0:
        raise SafepipError(
            f"building a wheel from the patched copy of {os.path.basename(sdist)} failed "
            f"(pip exited with status {status}); nothing of yours was changed"
        )
    return wheels
