"""What the static check of ``[build-system]`` finds (``deciding/static.py``): the kinds and the
finding record, which ``safepip doctor`` prints and the pre-flight turns into fixes.

Finding kinds (``StaticFinding.kind``), documented for users in docs/doctor.md:

``no-build-system``          no ``[build-system]`` and nothing pip's setuptools fallback can build
``build-system-not-a-table`` ``build-system`` is a value, not a table
``requires-missing``         ``[build-system]`` without ``requires`` (pip refuses the project)
``requires-not-a-list``      ``requires`` is not a list
``requirement-invalid``      an item of ``requires`` that is not a PEP 508 requirement string
``backend-invalid``          ``build-backend`` is not a string or not a ``module[:object]`` path
``backend-unknown``          ``build-backend`` is not a known backend but looks like a typo of one
``backend-path-invalid``     ``backend-path`` is not a list of relative folders inside the project
``backend-not-in-tree``      ``backend-path`` is set but the backend module is in none of those
                             folders
``backend-not-in-requires``  the backend's distribution is not in ``requires``
``requires-excludes-backend`` ``requires`` bounds the backend's distribution below every release
                             that provides the backend path
"""

from __future__ import annotations

import dataclasses
from typing import Literal

from safepip.changes import Change
from safepip.errors import SafepipError

__all__ = [
    "BACKEND_INVALID",
    "BACKEND_NOT_IN_REQUIRES",
    "BACKEND_NOT_IN_TREE",
    "BACKEND_PATH_INVALID",
    "BACKEND_UNKNOWN",
    "BUILD_SYSTEM_NOT_A_TABLE",
    "KINDS",
    "NO_BUILD_SYSTEM",
    "REQUIREMENT_INVALID",
    "REQUIRES_EXCLUDES_BACKEND",
    "REQUIRES_MISSING",
    "REQUIRES_NOT_A_LIST",
    "StaticCheckError",
    "StaticFinding",
    "StaticKind",
]

StaticKind = Literal[
    "no-build-system",
    "build-system-not-a-table",
    "requires-missing",
    "requires-not-a-list",
    "requirement-invalid",
    "backend-invalid",
    "backend-unknown",
    "backend-path-invalid",
    "backend-not-in-tree",
    "backend-not-in-requires",
    "requires-excludes-backend",
]

NO_BUILD_SYSTEM: StaticKind = "no-build-system"
BUILD_SYSTEM_NOT_A_TABLE: StaticKind = "build-system-not-a-table"
REQUIRES_MISSING: StaticKind = "requires-missing"
REQUIRES_NOT_A_LIST: StaticKind = "requires-not-a-list"
REQUIREMENT_INVALID: StaticKind = "requirement-invalid"
BACKEND_INVALID: StaticKind = "backend-invalid"
BACKEND_UNKNOWN: StaticKind = "backend-unknown"
BACKEND_PATH_INVALID: StaticKind = "backend-path-invalid"
BACKEND_NOT_IN_TREE: StaticKind = "backend-not-in-tree"
BACKEND_NOT_IN_REQUIRES: StaticKind = "backend-not-in-requires"
REQUIRES_EXCLUDES_BACKEND: StaticKind = "requires-excludes-backend"

KINDS: tuple[StaticKind, ...] = (
    NO_BUILD_SYSTEM,
    BUILD_SYSTEM_NOT_A_TABLE,
    REQUIRES_MISSING,
    REQUIRES_NOT_A_LIST,
    REQUIREMENT_INVALID,
    BACKEND_INVALID,
    BACKEND_UNKNOWN,
    BACKEND_PATH_INVALID,
    BACKEND_NOT_IN_TREE,
    BACKEND_NOT_IN_REQUIRES,
    REQUIRES_EXCLUDES_BACKEND,
)


class StaticCheckError(SafepipError):
    """A path that cannot be checked: unreadable, not a project, or not valid TOML."""


@dataclasses.dataclass(frozen=True)
class StaticFinding:
    """One problem in a pyproject.toml that would break (or mislead) pip's build."""

    path: str  # the pyproject.toml, as the caller named it
    line: int  # 1-based line of the offending key or value (the [build-system] header, or 1)
    kind: StaticKind
    message: str  # what is wrong and what pip will do about it, one sentence
    distribution: str | None = None  # the distribution concerned, from the curated table only
    fix: str | None = None  # what to do, for a person
    #: The same change as a value (safepip.changes); None when there is no safe automatic fix.
    change: Change | None = None

    def to_json(self) -> dict[str, str | int | None]:
        """The fields of ``safepip doctor --json`` (``change`` is internal)."""
        return {
            "path": self.path,
            "line": self.line,
            "kind": self.kind,
            "message": self.message,
            "distribution": self.distribution,
            "fix": self.fix,
        }

    def render(self) -> str:
        """``file:line: kind: message (fix: ...)``, the line ``safepip doctor`` prints."""
        fix = f" (fix: {self.fix})" if self.fix else ""
        return f"{self.path}:{self.line}: {self.kind}: {self.message}{fix}"
