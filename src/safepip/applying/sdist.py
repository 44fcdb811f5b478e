"""Building a wheel from a patched copy of an sdist, for a package whose source is not local.

The user's sdist is never changed: it is unpacked in a temporary directory, its pyproject.toml is
patched there, and pip builds it with build isolation kept. A legacy sdist (a setup.py only, or a
pyproject.toml without ``[build-system]``) first gets the ``[build-system]`` pip would assume for
it (``setuptools>=40.8.0`` and the legacy setuptools backend), so that additions and caps work on
every sdist. pip's output of that build is read like the user's command: a failure of the patched
build is diagnosed, and the caller decides what comes next.
"""

from __future__ import annotations

import os
import tarfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field

from safepip.applying.pyproject import apply_plan, plan_add_requirement
from safepip.changes import AddRequirement, Change
from safepip.deciding.projects import read_build_system_present
from safepip.errors import SafepipError
from safepip.knowledge import NO_USER_PROVIDERS, UserProviders
from safepip.reading.consumer import Fanout, TailRecorder
from safepip.reading.diagnosis import Diagnosis
from safepip.reading.findings import BuildFailure, Source
from safepip.running import run_command

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
    if read_build_system_present(pyproject):
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
    plan = change.plan(pyproject, create_if_missing=True)
    if plan.changed:
        apply_plan(plan, backup=False)  # a throw-away copy: no backup needed
    return plan.diff()


@dataclass
class PatchedBuild:
    """What safepip's own ``pip wheel`` of a patched copy did."""

    argv: list[str]
    exit_status: int
    #: The folder holding the wheel (when the build succeeded).
    wheels: str
    #: The failures diagnosed in its output (when it failed), attributed to the sdist's package.
    failures: list[BuildFailure] = field(default_factory=list)


def build_patched_wheel(
    sdist: str,
    changes: Sequence[Change],
    *,
    pip_prefix: Sequence[str],
    index_options: Sequence[str],
    workdir: str,
    extra_requirements: Sequence[str] = (),
    build_options: Sequence[str] = (),
    env: dict[str, str] | None = None,
    package: str | None = None,
    source: Source | None = None,
    providers: UserProviders = NO_USER_PROVIDERS,
) -> PatchedBuild:
    """Build a wheel from a copy of ``sdist`` with every change in ``changes`` made to it.

    pip's output is shown as it comes and read by the same diagnosis as the user's command; a
    failure is returned (as findings about ``package``), never raised: the caller goes on.
    """
    project = unpack_sdist(sdist, os.path.join(workdir, "source"))
    ensure_build_system(project)
    for change in changes:
        patch_project(project, change)
    for requirement in extra_requirements:
        patch_project(project, AddRequirement(requirement))
    wheels = os.path.join(workdir, "wheels")
    os.makedirs(wheels, exist_ok=True)
    args = ["wheel", "--no-deps", "--wheel-dir", wheels, *index_options, *build_options, project]
    argv = [*pip_prefix, *args]
    diagnosis = Diagnosis(providers=providers)  # the user's [mapping]
    diagnosis.set_context(args, workdir)
    status = run_command(argv, Fanout(TailRecorder(limit=5), diagnosis), env=env)
    found: list[BuildFailure] = []
    if status != 0:
        try:
            found = diagnosis.failures()
        except Exception:  # noqa: BLE001 - a reading bug must not hide the build's failure
            found = []
        for failure in found:
            # The build was of the patched copy: the finding is about the sdist's package.
            failure.package = package or failure.package
            failure.source = source or failure.source
            failure.pyproject = None
    return PatchedBuild(argv=args, exit_status=status, wheels=wheels, failures=found)
