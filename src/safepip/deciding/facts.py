"""What deciding needs to know about the world, as plain values.

``decide()`` reads nothing itself: the session (or ``safepip diagnose``) first gathers these facts
(``deciding/gather.py`` looks at the file system and asks the target environment) and hands them
over, so that every decision can be tested with values alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ExtraRequirement:
    """One of the user's ``[extra-build-dependencies]`` for a package."""

    requirement: str
    #: Build against the version installed in the target environment (``torch==2.3.1``).
    match_runtime: bool = False


@dataclass(frozen=True)
class PackageFacts:
    """What the file system and the configuration say about one failed package."""

    #: A local sdist of it: the file pip named, or one on the command line or in a
    #: ``--find-links`` folder. Never one from a remote index.
    local_sdist: str | None = None
    #: The pyproject.toml of the project the command line names for it (the only kind of file
    #: ever patched in place).
    named_pyproject: str | None = None
    #: Whether that pyproject.toml exists (a setup.py-only project has none yet).
    named_pyproject_exists: bool = True
    #: The user's ``[extra-build-dependencies]`` for it, and where they are configured.
    extras: tuple[ExtraRequirement, ...] = ()
    extras_origin: str = ""
    #: When the index says its sdist was uploaded (PEP 700 ``upload-time``), asked only for a
    #: Cython compile failure no table explains (the date fallback); None when not asked or
    #: not given.
    uploaded: str | None = None


@dataclass(frozen=True)
class Facts:
    """Everything ``decide()`` knows besides the failures."""

    #: How the target environment is named in a proposal; None when there is none to name
    #: (``safepip diagnose`` reads a log offline).
    target_python: str | None = None
    #: The command builds without isolation (``--no-build-isolation``).
    no_build_isolation: bool = False
    #: The sdists pip fetched from an index in this command, by normalised project name.
    fetched: Mapping[str, str] = field(default_factory=dict)
    #: Versions installed in the target of the match-runtime extras (by the name as written).
    installed: Mapping[str, str] = field(default_factory=dict)
    #: Per failed package, keyed by the package as pip named it (``BuildFailure.package``).
    packages: Mapping[str, PackageFacts] = field(default_factory=dict)
    #: The target environment's Python version (``3.13.0``), from its pyvenv.cfg; None when
    #: not known (a saved log, or not a virtual environment).
    python_version: str | None = None

    def about(self, package: str | None) -> PackageFacts:
        return self.packages.get(package or "", _NOTHING_KNOWN)


_NOTHING_KNOWN = PackageFacts()
