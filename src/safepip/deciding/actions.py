"""The fixes safepip can make, as typed values: what ``decide()`` proposes and the session applies.

Each action is a frozen dataclass that says, for itself, everything the rest of the code needs:
its summary for the user, its preview (the diff, what gets installed, the constraint and how pip
gets it), its key (the same fix is never applied twice), its fields in the ``--report`` JSON and
how it reached pip (``applied_as``); and it applies itself through a :class:`FixContext`. Nothing
switches on an action's kind: a new kind of fix is a new class here (with its method of the
context), its applier in ``applying/fixer.py``, and its place in ``decide()``.

The layering: actions are deciding's values and import no higher stage. What applying them takes
(the patcher, pip runs, the command's rerun) is the context's: ``applying/fixer.py``'s ``Fixer``
implements it, and the session hands it to :meth:`apply`. So deciding never imports applying,
and an install that needs no fix never loads the fixing machinery.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar, Literal, Protocol, Union

from safepip.changes import AddRequirement, CapRequirement, Change
from safepip.reading.findings import Source

#: The kinds of fix, as reports spell them (each action's ``kind``).
FixKind = Literal[
    "patch-pyproject",
    "build-patched-sdist",
    "build-constraint",
    "install-build-dependency",
    "install-and-build-without-isolation",
    "upgrade-pip",
]

Json = dict[str, object]


class FixContext(Protocol):
    """What an action needs of the stage that makes it: one applier per kind of action, and what a
    preview needs to know. ``applying/fixer.py``'s ``Fixer`` is the real one."""

    def constraint_option(self) -> bool:
        """Whether the pip that runs takes ``--build-constraint`` (else ``PIP_CONSTRAINT``)."""
        ...

    def pyproject_diff(self, action: PatchPyproject) -> str: ...
    def patch_pyproject(self, action: PatchPyproject) -> None: ...
    def note_patched_change(self, action: PatchedSdist) -> None: ...
    def build_patched_sdist(self, action: PatchedSdist) -> None: ...
    def add_build_constraint(self, action: BuildConstraint) -> None: ...
    def install_into_target(self, action: InstallInto) -> None: ...
    def build_without_isolation(self) -> None: ...


def _key(
    kind: FixKind,
    target: str = "",
    change: Change | None = None,
    *,
    install: Sequence[str] = (),
    extras: Sequence[str] = (),
) -> str:
    """``kind:target:change:install:extras``: the report's ``key`` (schema version 1)."""
    words = "|".join(change.words()) if change is not None else ""
    return f"{kind}:{target}:{words}:{'|'.join(install)}:{'|'.join(extras)}"


def _fields(
    *,
    pyproject: str | None = None,
    change: Change | None = None,
    install: list[str] | None = None,
    sdist: str | None = None,
) -> Json:
    """The action's own fields of a proposal in the report, in the report's order."""
    return {
        "pyproject": pyproject,
        "change": list(change.words()) if change is not None else [],
        "install": install or [],
        "sdist": sdist,
    }


class _Action:
    """What every action has unless it says otherwise."""

    #: The trade-off the user should weigh before agreeing, if any.
    caveat: ClassVar[str] = ""

    @property
    def changed_file(self) -> str | None:
        """The user's file this action changes (for the GitHub annotations)."""
        return None

    def prepare(self, context: FixContext) -> None:
        """Called for every action agreed to in a round, before any of them is applied."""
        del context


@dataclass(frozen=True)
class PatchPyproject(_Action):
    """Change the ``[build-system]`` of a pyproject.toml the command names."""

    kind: ClassVar[FixKind] = "patch-pyproject"
    pyproject: str
    change: Change

    @property
    def summary(self) -> str:
        return self.change.describe(self.pyproject)

    @property
    def key(self) -> str:
        return _key(self.kind, self.pyproject, self.change)

    @property
    def changed_file(self) -> str | None:
        return self.pyproject

    def preview(self, context: FixContext) -> str:
        """The diff (planned now, and made as shown)."""
        return context.pyproject_diff(self)

    def apply(self, context: FixContext) -> None:
        context.patch_pyproject(self)

    def applied_as(self, context: FixContext) -> str:
        del context
        return "patched pyproject.toml"

    def report_fields(self) -> Json:
        return _fields(pyproject=self.pyproject, change=self.change)


@dataclass(frozen=True)
class PatchedSdist(_Action):
    """Build a wheel from a patched copy of an sdist that is not the user's, and have the command
    install it. The sdist is a file (``sdist``) or one pip fetched from an index (``remote_sdist``,
    a file name or URL, fetched again unbuilt)."""

    kind: ClassVar[FixKind] = "build-patched-sdist"
    sdist: str | None
    remote_sdist: str | None
    change: Change
    #: Further requirements to add to the copy's requires (the user's [extra-build-dependencies]).
    extra_requirements: tuple[str, ...] = ()
    #: Where the user configured them (then ``change`` adds the first), or None.
    configured_in: str | None = None
    #: The failed package as pip printed it, and its source: what a failure of the patched
    #: copy's build is about.
    package: str | None = field(default=None, compare=False)
    source: Source | None = field(default=None, compare=False)

    @property
    def name(self) -> str:
        """The sdist's file name."""
        if self.sdist:
            return os.path.basename(self.sdist)
        return (self.remote_sdist or "").rsplit("/", 1)[-1]

    @property
    def summary(self) -> str:
        if self.configured_in is None or not isinstance(self.change, AddRequirement):
            return (
                f"build {self.name} from a patched copy "
                f"({self.change.describe('its pyproject.toml')}) and run the command again "
                "with that wheel available"
            )
        requirements = [self.change.requirement, *self.extra_requirements]
        listed = ", ".join(f'"{requirement}"' for requirement in requirements)
        return (
            f"build {self.name} from a copy with {listed} added to its build requirements "
            f"(your [extra-build-dependencies], {self.configured_in}) and run the command again"
        )

    @property
    def key(self) -> str:
        target = self.sdist or self.remote_sdist or ""
        return _key(self.kind, target, self.change, extras=self.extra_requirements)

    def preview(self, context: FixContext) -> str:
        del context  # the summary says it all: nothing of the user's changes
        return ""

    def prepare(self, context: FixContext) -> None:
        # Every change for this sdist in this round goes into one build.
        context.note_patched_change(self)

    def apply(self, context: FixContext) -> None:
        context.build_patched_sdist(self)

    def applied_as(self, context: FixContext) -> str:
        del context
        return "patched copy"

    def report_fields(self) -> Json:
        return _fields(change=self.change, sdist=self.sdist)


@dataclass(frozen=True)
class BuildConstraint(_Action):
    """A cap on a build requirement given to pip as a build constraint (isolation kept, nothing
    patched): ``--build-constraint FILE`` on pip >= 25.3, ``PIP_CONSTRAINT`` before."""

    kind: ClassVar[FixKind] = "build-constraint"
    cap: CapRequirement

    @property
    def constraint(self) -> str:
        """``setuptools<82``."""
        return self.cap.requirement

    @property
    def summary(self) -> str:
        return (
            f'run the command again with the build constraint "{self.constraint}" (pip applies '
            "it to every isolated build environment; nothing is patched)"
        )

    @property
    def key(self) -> str:
        return _key(self.kind, "", self.cap)

    def preview(self, context: FixContext) -> str:
        how = (
            "--build-constraint FILE"
            if context.constraint_option()
            else "PIP_CONSTRAINT=FILE (this pip has no --build-constraint; the constraint "
            "then applies to the command's own resolve too)"
        )
        return f"    build constraint: {self.constraint}, given to pip as {how}\n"

    def apply(self, context: FixContext) -> None:
        context.add_build_constraint(self)

    def applied_as(self, context: FixContext) -> str:
        if context.constraint_option():
            return "build constraint (--build-constraint)"
        return "build constraint (PIP_CONSTRAINT)"

    def report_fields(self) -> Json:
        return _fields(change=self.cap)


@dataclass(frozen=True)
class InstallInto(_Action):
    """Install a build requirement into the target environment, for a build without isolation
    (the user's command already says ``--no-build-isolation``)."""

    kind: ClassVar[FixKind] = "install-build-dependency"
    requirement: str
    #: The target environment as the summary names it.
    target: str

    @property
    def install(self) -> list[str]:
        """What ``pip install`` is given."""
        return [self.requirement]

    @property
    def summary(self) -> str:
        return f'install "{self.requirement}" into {self.target}, then run the command again'

    @property
    def key(self) -> str:
        return _key(self.kind, install=self.install)

    def preview(self, context: FixContext) -> str:
        del context
        return f"    pip install {' '.join(self.install)}\n"

    def apply(self, context: FixContext) -> None:
        context.install_into_target(self)

    def applied_as(self, context: FixContext) -> str:
        del context
        return "installed into the target environment"

    def report_fields(self) -> Json:
        return _fields(install=self.install)


@dataclass(frozen=True)
class InstallWithoutIsolation(InstallInto):
    """Install a build requirement into the target environment and run the command again with
    ``--no-build-isolation``."""

    kind: ClassVar[FixKind] = "install-and-build-without-isolation"
    caveat: ClassVar[str] = (
        "with --no-build-isolation no package of this command is built in isolation: each build "
        "uses what is installed in the target environment"
    )

    @property
    def summary(self) -> str:
        return (
            f'install "{self.requirement}" into {self.target} and run the command again with '
            "--no-build-isolation"
        )

    def apply(self, context: FixContext) -> None:
        context.install_into_target(self)
        context.build_without_isolation()

    def applied_as(self, context: FixContext) -> str:
        del context
        return "no build isolation"


@dataclass(frozen=True)
class UpgradePip(InstallInto):
    """Upgrade pip in the target environment (``requirement``: ``pip>=21.2``)."""

    kind: ClassVar[FixKind] = "upgrade-pip"

    @property
    def install(self) -> list[str]:
        return ["--upgrade", self.requirement]

    @property
    def summary(self) -> str:
        return f'upgrade pip in {self.target} to "{self.requirement}", then run the command again'

    def applied_as(self, context: FixContext) -> str:
        del context
        return "pip upgraded"


#: Every action (``InstallInto`` includes its two variants).
FixAction = Union[PatchPyproject, PatchedSdist, BuildConstraint, InstallInto]
