"""A proposed fix, as ``decide()`` (deciding/decide.py) returns it and the session applies it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from safepip.changes import Change
from safepip.reading.findings import BuildFailure

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
