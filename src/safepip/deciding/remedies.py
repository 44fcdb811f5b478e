"""From a diagnosed build failure to the fixes safepip may propose, best first.

Every fix names a distribution from the curated table (or one the user named): a module name that
is not in the table never becomes something to install. The known dead ends (removing
pyproject.toml, installing a backend outside the target environment, upgrading everything) are
never proposed.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from safepip.changes import AddRequirement, CapRequirement, Change, SetBackend
from safepip.reading.command import SDIST_SUFFIXES, PipCommand
from safepip.reading.findings import (
    BACKEND_UNAVAILABLE,
    BUILD_DEPENDENCY_MISSING,
    PIP_TOO_OLD,
    BuildFailure,
)

#: The kinds of fix, as reports spell them.
FixKind = Literal[
    "patch-pyproject",
    "build-patched-sdist",
    "build-constraint",
    "install-build-dependency",
    "install-and-build-without-isolation",
    "upgrade-pip",
]
PATCH_PYPROJECT: FixKind = "patch-pyproject"
PATCHED_SDIST: FixKind = "build-patched-sdist"
INSTALL_WITHOUT_ISOLATION: FixKind = "install-and-build-without-isolation"
INSTALL_BUILD_DEPENDENCY: FixKind = "install-build-dependency"
UPGRADE_PIP: FixKind = "upgrade-pip"
#: A cap on a build requirement given to pip as a build constraint (isolation kept, nothing
#: patched): ``--build-constraint FILE`` on pip >= 25.3, ``PIP_CONSTRAINT`` before.
BUILD_CONSTRAINT: FixKind = "build-constraint"

#: Distributions a build must compile against as installed at run time: building them in an
#: isolated environment gets a different copy, so installing them in the target comes first.
MATCH_RUNTIME = frozenset({"torch", "tensorflow", "jax", "jaxlib", "paddlepaddle"})


@dataclass
class Remedy:
    """One proposed fix, described for the user before anything happens."""

    kind: FixKind
    #: What it does, in one line.
    summary: str
    #: The failure it answers.
    failure: BuildFailure
    #: A pyproject.toml to change (or the sdist's copy of it), and how.
    pyproject: str | None = None
    change: Change | None = None
    #: Requirements to install into the target environment.
    install: list[str] = field(default_factory=list)
    #: An sdist (a file path) to rebuild with a patched pyproject.toml.
    sdist: str | None = None
    #: Or the sdist pip fetched from an index (a file name or URL), to fetch again unbuilt.
    remote_sdist: str | None = None
    #: The trade-off the user should weigh, if any.
    caveat: str = ""
    #: Further requirements to add to a patched sdist's requires (the user's
    #: [extra-build-dependencies]); with ``preapproved`` the user's configuration is the consent.
    extra_requirements: list[str] = field(default_factory=list)
    preapproved: bool = False
    #: A build constraint (``setuptools<82``) for BUILD_CONSTRAINT.
    constraint: str | None = None

    @property
    def key(self) -> str:
        """Identifies the fix, so the same one is never applied twice."""
        target = self.pyproject or self.sdist or self.remote_sdist or ""
        extras = "|".join(self.extra_requirements)
        change = "|".join(self.change.words()) if self.change is not None else ""
        return f"{self.kind}:{target}:{change}:{'|'.join(self.install)}:{extras}"


def _requirement_name(requirement: str) -> str:
    for index, char in enumerate(requirement):
        if char in "<>=!~;[ @":
            return requirement[:index]
    return requirement


def _pyproject_change(failure: BuildFailure) -> Change | None:
    """How the project's [build-system] should change to answer ``failure``."""
    if failure.kind == BACKEND_UNAVAILABLE and failure.suggestion:
        # The declared path names no module of any backend: most likely a typo of a known one.
        return SetBackend(failure.suggestion)
    if not failure.requirement or not failure.distribution:
        return None
    if any(mark in failure.requirement for mark in ("@", "://", ";")):
        return None  # a direct URL or a marker is never proposed, whoever wrote it
    name = _requirement_name(failure.requirement)
    specifier = failure.requirement[len(name) :]
    if specifier.startswith("<"):
        # A cap (setuptools<82 for pkg_resources) is merged into an existing declaration.
        return CapRequirement(name, specifier)
    return AddRequirement(failure.requirement)


def _sdist_of(failure: BuildFailure, command: PipCommand) -> str | None:
    """A local sdist file for the failed package: as pip named it, or found where the command
    looks (sdists on the command line, --find-links folders). Never one from a remote index."""
    from safepip.knowledge import normalise_name

    package = failure.package or ""
    if package.endswith(SDIST_SUFFIXES):
        path = package[len("file://") :] if package.startswith("file://") else package
        path = os.path.join(command.cwd, path)
        return path if os.path.isfile(path) else None
    wanted = normalise_name(_requirement_name(package))
    if not wanted:
        return None
    candidates = list(command.sdist_files)
    for folder in _find_links_dirs(command):
        candidates += [os.path.join(folder, entry) for entry in _listdir(folder)]
    for candidate in candidates:
        name = os.path.basename(candidate)
        if name.endswith(SDIST_SUFFIXES) and normalise_name(name.rsplit("-", 1)[0]) == wanted:
            return candidate
    return None


def _listdir(folder: str) -> list[str]:
    try:
        return sorted(os.listdir(folder))
    except OSError:
        return []  # a --find-links folder pip cannot read either


def _find_links_dirs(command: PipCommand) -> list[str]:
    options = command.index_options()
    dirs = []
    for index, value in enumerate(options[:-1]):
        if value in {"-f", "--find-links"}:
            target = options[index + 1]
            if target.startswith("file://"):
                target = target[len("file://") :]
            if "://" not in target:
                dirs.append(os.path.join(command.cwd, target))
    return dirs


def propose(
    failure: BuildFailure,
    command: PipCommand,
    *,
    target_python: str,
    fetched: Mapping[str, str] | None = None,
) -> list[Remedy]:
    """The fixes for ``failure``, best first; empty when safepip has none it can stand behind."""
    if failure.kind == PIP_TOO_OLD and failure.requirement:
        return [
            Remedy(
                UPGRADE_PIP,
                f'upgrade pip in the target environment ({target_python}) to "'
                f'{failure.requirement}", then run the command again',
                failure,
                install=["--upgrade", failure.requirement],
            )
        ]
    change = _pyproject_change(failure)
    if failure.kind not in {BACKEND_UNAVAILABLE, BUILD_DEPENDENCY_MISSING} or change is None:
        return []
    requirement = failure.requirement
    isolated = failure.isolated if failure.isolated is not None else not command.no_build_isolation
    if not isolated and requirement and not isinstance(change, SetBackend):
        # --no-build-isolation: the build uses the target environment, so that is where the
        # missing distribution belongs.
        return [
            Remedy(
                INSTALL_BUILD_DEPENDENCY,
                f'install "{requirement}" into the target environment ({target_python}), '
                "then run the command again",
                failure,
                install=[requirement],
            )
        ]
    project = command.project_for(failure.pyproject)
    if project is None and failure.source in {"local", "editable"} and failure.package:
        # pip named a local path; patch it only if the command line names that project too.
        project = command.project_for(os.path.join(command.cwd, failure.package, "pyproject.toml"))
    if project is not None:
        summary = change.describe(project.pyproject)
        return [
            Remedy(PATCH_PYPROJECT, summary, failure, pyproject=project.pyproject, change=change)
        ]
    constraint = _constraint_remedy(failure, change)
    if failure.source in {"local", "editable"}:
        # A path the command does not name: never written to; a build constraint writes nothing.
        return [constraint] if constraint is not None else []
    remedies = _remote_remedies(failure, command, change, target_python, fetched or {})
    return [constraint, *remedies] if constraint is not None else remedies


def _constraint_remedy(failure: BuildFailure, change: Change) -> Remedy | None:
    """A cap (``setuptools<82``) as a build constraint: it reaches every isolated build of the
    command, the named package's and any dependency's, with isolation kept and nothing patched."""
    if not isinstance(change, CapRequirement):
        return None
    constraint = change.requirement
    return Remedy(
        BUILD_CONSTRAINT,
        f'run the command again with the build constraint "{constraint}" (pip applies it to '
        "every isolated build environment; nothing is patched)",
        failure,
        change=change,
        constraint=constraint,
    )


def _remote_remedies(
    failure: BuildFailure,
    command: PipCommand,
    change: Change,
    target_python: str,
    fetched: Mapping[str, str],
) -> list[Remedy]:
    """For a package whose source is not the user's: a patched copy, or building unisolated."""
    requirement = failure.requirement
    install_remedy = (
        Remedy(
            INSTALL_WITHOUT_ISOLATION,
            f'install "{requirement}" into the target environment ({target_python}) and run '
            "the command again with --no-build-isolation",
            failure,
            install=[requirement],
            caveat="with --no-build-isolation no package of this command is built in isolation: "
            "each build uses what is installed in the target environment",
        )
        if requirement and not isinstance(change, SetBackend)
        else None
    )
    sdist = _sdist_of(failure, command)
    remote = None
    if sdist is None and failure.source == "index" and failure.package:
        from safepip.knowledge import normalise_name

        remote = fetched.get(normalise_name(_requirement_name(failure.package)))
    name = os.path.basename(sdist) if sdist else (remote or "").rsplit("/", 1)[-1]
    sdist_remedy = (
        Remedy(
            PATCHED_SDIST,
            f"build {name} from a patched copy "
            f"({change.describe('its pyproject.toml')}) and run the command again "
            "with that wheel available",
            failure,
            sdist=sdist,
            remote_sdist=remote,
            change=change,
        )
        if sdist or remote
        else None
    )
    runtime_bound = (failure.distribution or "").lower() in MATCH_RUNTIME
    ordered = [install_remedy, sdist_remedy] if runtime_bound else [sdist_remedy, install_remedy]
    return [remedy for remedy in ordered if remedy is not None]


def propose_configured(
    failure: BuildFailure,
    command: PipCommand,
    requirements: Sequence[str],
    origin: str,
    *,
    fetched: Mapping[str, str] | None = None,
) -> Remedy | None:
    """The user's [extra-build-dependencies] for the failed package, as a patched-sdist build.

    Only for packages that are not the user's own (those get their pyproject.toml fixed), and
    only when the sdist is at hand.
    """
    if not requirements or failure.source in {"local", "editable"}:
        return None
    sdist = _sdist_of(failure, command)
    remote = None
    if sdist is None and failure.package:
        from safepip.knowledge import normalise_name

        remote = (fetched or {}).get(normalise_name(_requirement_name(failure.package)))
    if sdist is None and remote is None:
        return None
    name = os.path.basename(sdist) if sdist else (remote or "").rsplit("/", 1)[-1]
    listed = ", ".join(f'"{requirement}"' for requirement in requirements)
    return Remedy(
        PATCHED_SDIST,
        f"build {name} from a copy with {listed} added to its build requirements "
        f"(your [extra-build-dependencies], {origin}) and run the command again",
        failure,
        sdist=sdist,
        remote_sdist=remote,
        change=AddRequirement(requirements[0]),
        extra_requirements=list(requirements[1:]),
        preapproved=True,
    )
