"""Gathering the facts ``decide()`` needs: from the file system, the configuration and the target
environment. Everything here may read files or run the target's Python; ``decide()`` then does
neither.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterable, Mapping, Sequence

from safepip import knowledge
from safepip.config import Config
from safepip.deciding.facts import ExtraRequirement, Facts, PackageFacts
from safepip.names import canonical_name, is_sdist, requirement_name, sdist_project
from safepip.reading.command import PipCommand
from safepip.reading.findings import BuildFailure
from safepip.tomlfile import file_to_name

#: Prints the installed version of the distribution named by its argument (in the target).
_VERSION_PROBE = "import sys, importlib.metadata as m; print(m.version(sys.argv[1]))"

#: Prints the distributions the target environment says provide the top-level module given as
#: its argument, one a line (importlib.metadata.packages_distributions, Python 3.10+).
_PROVIDERS_PROBE = (
    "import sys, importlib.metadata as m\n"
    "find = getattr(m, 'packages_distributions', None)\n"
    "print('\\n'.join(sorted(set(find().get(sys.argv[1], [])))) if find else '')"
)

_LOCAL_SOURCES = frozenset({"local", "editable"})


def gather_facts(
    failures: Iterable[BuildFailure],
    command: PipCommand,
    *,
    target_python: str | None,
    config: Config | None = None,
    fetched: Mapping[str, str] | None = None,
    installed_version: Callable[[str], str | None] | None = None,
    logged_projects: bool = False,
    upload_time: Callable[[str, str], str | None] | None = None,
) -> Facts:
    """The facts about ``failures`` in the world ``command`` runs in.

    ``installed_version`` asks the target for a match-runtime extra's version (None: not asked).
    ``logged_projects``: the failures come from a saved log whose command is unknown (``safepip
    diagnose``): a local project pip built is taken as named by it. ``upload_time`` asks the
    index when a fetched sdist was uploaded (project, file name), for the date fallback only.
    """
    packages: dict[str, PackageFacts] = {}
    installed: dict[str, str] = {}
    for failure in failures:
        if not failure.package or failure.package in packages:
            continue
        extras: tuple[ExtraRequirement, ...] = ()
        origin = ""
        if config is not None:
            # Keyed by the distribution, however pip named the package (a file, a URL, a folder).
            entries = config.extra_requirements_for(failure.package, command.cwd)
            extras = tuple(ExtraRequirement(e.requirement, e.match_runtime) for e in entries)
            origin = str(entries[0].origin) if entries else ""
        for extra in extras:
            name = requirement_name(extra.requirement) or extra.requirement
            if extra.match_runtime and installed_version is not None and name not in installed:
                version = installed_version(name)
                if version is not None:
                    installed[name] = version
        named = _named_pyproject(failure, command, logged=logged_projects)
        packages[failure.package] = PackageFacts(
            uploaded=_uploaded(failure, fetched or {}, upload_time),
            local_sdist=local_sdist(failure, command),
            named_pyproject=named,
            named_pyproject_exists=named is None or os.path.exists(named),
            extras=extras,
            extras_origin=origin,
        )
    return Facts(
        target_python=target_python,
        no_build_isolation=command.no_build_isolation,
        fetched=dict(fetched or {}),
        installed=installed,
        packages=packages,
        python_version=_python_version(target_python),
    )


def _uploaded(
    failure: BuildFailure,
    fetched: Mapping[str, str],
    upload_time: Callable[[str, str], str | None] | None,
) -> str | None:
    """When the index uploaded the sdist of a Cython compile failure no table explains."""
    if upload_time is None or not date_fallback(failure):
        return None
    project = canonical_name(requirement_name(failure.package or "") or failure.package or "")
    filename = fetched.get(project)
    return upload_time(project, filename) if filename else None


def date_fallback(failure: BuildFailure) -> bool:
    """A Cython compile failure no table explains: its cap depends on the sdist's date."""
    return (
        failure.kind == "build-dependency-too-new"
        and failure.requirement is None
        and failure.evidence.startswith(knowledge.CYTHON_COMPILE_ERROR)
    )


def _python_version(python: str | None) -> str | None:
    """The version a virtual environment's pyvenv.cfg gives its Python (``version = 3.13.0``,
    or ``version_info`` from uv), read instead of starting the interpreter."""
    if not python:
        return None
    config = os.path.join(os.path.dirname(os.path.dirname(python)), "pyvenv.cfg")
    try:
        with open(config, encoding="utf-8") as handle:
            lines = handle.read(8192).splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    for line in lines:
        key, _, value = line.partition("=")
        if key.strip() in {"version", "version_info"} and value.strip()[:1].isdigit():
            return value.strip()
    return None


def _named_pyproject(failure: BuildFailure, command: PipCommand, *, logged: bool) -> str | None:
    """The pyproject.toml of the failed package when the command line names its project."""
    if logged and failure.source in _LOCAL_SOURCES and failure.pyproject:
        return failure.pyproject
    project = command.project_for(failure.pyproject)
    if project is None and failure.source in _LOCAL_SOURCES and failure.package:
        # pip named a local path; patch it only if the command line names that project too.
        project = command.project_for(os.path.join(command.cwd, failure.package, "pyproject.toml"))
    # A pyproject.toml linked to a file inside the project is named as that file, so that the
    # proposal, the diff and the question all name the file that changes (docs/security.md).
    return file_to_name(project.pyproject) if project is not None else None


def local_sdist(failure: BuildFailure, command: PipCommand) -> str | None:
    """A local sdist file for the failed package: as pip named it, or found where the command
    looks (sdists on the command line, --find-links folders). Never one from a remote index."""
    package = failure.package or ""
    if is_sdist(package):
        path = package[len("file://") :] if package.startswith("file://") else package
        path = os.path.join(command.cwd, path)
        return path if os.path.isfile(path) else None
    wanted = requirement_name(package)
    if not wanted:
        return None
    candidates = list(command.sdist_files)
    for folder in _find_links_dirs(command):
        candidates += [os.path.join(folder, entry) for entry in _listdir(folder)]
    for candidate in candidates:
        project = sdist_project(os.path.basename(candidate))
        if project is not None and canonical_name(project) == canonical_name(wanted):
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


# --- asking the target environment ------------------------------------------------------------


def installed_version(executable: str, name: str) -> str | None:
    """The version of ``name`` installed in the target environment; None when it has none."""
    probe = subprocess.run(
        [executable, "-c", _VERSION_PROBE, name],
        capture_output=True,
        text=True,
        check=False,
    )
    return probe.stdout.strip() if probe.returncode == 0 else None


def providers_in_target(executable: str, module: str) -> list[str]:
    """The distributions the target environment says provide top-level ``module``."""
    probe = subprocess.run(
        [executable, "-c", _PROVIDERS_PROBE, module],
        capture_output=True,
        text=True,
        check=False,
    )
    if probe.returncode != 0:
        return []
    return [line.strip() for line in probe.stdout.splitlines() if line.strip()]


def pip_version(pip_command: Sequence[str]) -> tuple[int, ...]:
    """The version of the pip that runs (``pip X.Y from ...``); (0,) when it does not say."""
    probe = subprocess.run(
        [*pip_command, "--version"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
    )
    words = probe.stdout.split()
    version: list[int] = []
    if len(words) > 1 and words[0] == "pip":
        for part in words[1].split(".")[:2]:
            if not part.isdigit():
                break
            version.append(int(part))
    return tuple(version) or (0,)
