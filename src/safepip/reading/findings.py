"""What the diagnosis found: one :class:`BuildFailure` per build that failed for a known reason."""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

FailureKind = Literal[
    "backend-unavailable",
    "build-dependency-missing",
    "build-dependency-too-new",
    "build-requirement-unavailable",
    "unidentified-import",
    "pip-too-old",
]

#: The build backend named by ``build-backend`` cannot be imported in the build environment.
BACKEND_UNAVAILABLE: FailureKind = "backend-unavailable"
#: A build hook ran but imported something the build environment lacks.
BUILD_DEPENDENCY_MISSING: FailureKind = "build-dependency-missing"
#: A build calls something the newest release of one of its build requirements removed
#: (curated in ``knowledge.DROPPED_APIS``): a cap on that requirement makes it build.
BUILD_DEPENDENCY_TOO_NEW: FailureKind = "build-dependency-too-new"
#: pip could not install one of the build requirements (``[build-system] requires``).
BUILD_REQUIREMENT_UNAVAILABLE: FailureKind = "build-requirement-unavailable"

#: A build imported a module that no build requirement can provide, or that nothing names the
#: provider of: a Python 2 module, a standard-library module this Python no longer has, a
#: submodule a newer release dropped, or a name neither the curated table nor the target
#: environment attributes. Explained; never a build dependency, never a fix.
UNIDENTIFIED_IMPORT: FailureKind = "unidentified-import"

#: The target's pip is too old for what the command asks (an editable install of a project that
#: has only a pyproject.toml needs pip 21.3, PEP 660).
PIP_TOO_OLD: FailureKind = "pip-too-old"

KINDS: tuple[FailureKind, ...] = (
    BACKEND_UNAVAILABLE,
    BUILD_DEPENDENCY_MISSING,
    BUILD_DEPENDENCY_TOO_NEW,
    BUILD_REQUIREMENT_UNAVAILABLE,
    UNIDENTIFIED_IMPORT,
    PIP_TOO_OLD,
)


#: A build backend hook, as pip and pyproject-hooks name it.
Hook = Literal[
    "get_requires_for_build_wheel",
    "get_requires_for_build_editable",
    "get_requires_for_build_sdist",
    "prepare_metadata_for_build_wheel",
    "prepare_metadata_for_build_editable",
    "build_wheel",
    "build_editable",
    "build_sdist",
    "_supported_features",
    "_supports_build_editable",
    "supports_feature",
]

#: Where pip took a package from.
Source = Literal["local", "editable", "sdist", "index", "vcs", "wheel"]


@dataclasses.dataclass
class BuildFailure:
    """One failed build and why. Field names are the JSON schema of ``safepip diagnose --json``."""

    kind: FailureKind
    #: The package as pip names it: a name (``numpy``), a path (``./proj``) or a URL.
    package: str | None = None
    #: ``local`` | ``editable`` | ``sdist`` | ``index`` | ``vcs``, or None when pip did not say.
    source: Source | None = None
    #: The PEP 517 hook that failed (``get_requires_for_build_wheel``...), None for setup.py.
    hook: Hook | None = None
    #: Whether pip built in an isolated environment; None when the output does not tell.
    isolated: bool | None = None
    #: The module that failed to import (``flit_core``, ``numpy``).
    module: str | None = None
    #: The distribution that provides it, from the curated table only (never guessed).
    distribution: str | None = None
    #: What to add to the build requirements, with a sensible bound (``flit_core>=3.2``).
    requirement: str | None = None
    #: The pyproject.toml that declares the build, for a local project.
    pyproject: str | None = None
    #: The backend path (``flit_core.buildapi``), from pip's text or the project's pyproject.toml.
    backend: str | None = None
    #: A known backend path the declared one most likely meant (a typo).
    suggestion: str | None = None
    #: One or two sentences for a person: what failed and why.
    explanation: str = ""
    #: The line of pip's output that proved it.
    evidence: str = ""

    def to_json(self) -> dict[str, Any]:
        """A plain dict for ``json.dumps``; every field is always present (null when unknown)."""
        return dataclasses.asdict(self)
