"""From diagnosed build failures to the fixes safepip may propose, best first: a pure function.

``decide()`` reads no file and runs nothing: what it needs to know about the file system and the
target environment comes in a :class:`~safepip.deciding.facts.Facts`, gathered beforehand
(``deciding/gather.py``). Every fix names a distribution from the curated table (or one the user
named): a module name that is not in the table never becomes something to install. The known
dead ends (removing pyproject.toml, installing a backend outside the target environment,
upgrading everything) are never proposed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence, Set
from dataclasses import dataclass

from safepip import knowledge
from safepip.changes import AddRequirement, CapRequirement, Change, SetBackend
from safepip.deciding.actions import (
    BuildConstraint,
    InstallInto,
    InstallWithoutIsolation,
    PatchedSdist,
    PatchPyproject,
    UpgradePip,
)
from safepip.deciding.facts import Facts, PackageFacts
from safepip.deciding.gather import date_fallback
from safepip.deciding.remedies import Remedy
from safepip.names import canonical_name, requirement_name
from safepip.reading.findings import (
    BACKEND_UNAVAILABLE,
    BUILD_DEPENDENCY_MISSING,
    BUILD_DEPENDENCY_TOO_NEW,
    BUILD_REQUIREMENT_UNAVAILABLE,
    PIP_TOO_OLD,
    UNIDENTIFIED_IMPORT,
    BuildFailure,
)

#: Distributions a build must compile against as installed at run time: building them in an
#: isolated environment gets a different copy, so installing them in the target comes first.
MATCH_RUNTIME = frozenset({"torch", "tensorflow", "jax", "jaxlib", "paddlepaddle"})

_LOCAL_SOURCES = frozenset({"local", "editable"})
#: The kinds answered by a change to the build requirements: one to declare, or one to cap.
_REQUIREMENT_KINDS = frozenset(
    {BACKEND_UNAVAILABLE, BUILD_DEPENDENCY_MISSING, BUILD_DEPENDENCY_TOO_NEW}
)


@dataclass(frozen=True)
class Decision:
    """One failure and the fixes for it not yet tried, best first (none: nothing to propose)."""

    failure: BuildFailure
    remedies: tuple[Remedy, ...]

    @property
    def best(self) -> Remedy | None:
        return self.remedies[0] if self.remedies else None

    @property
    def fix(self) -> str | None:
        """The fix in one line: the best proposal's summary, or else the generic advice."""
        return self.best.summary if self.best is not None else advice(self.failure)


def decide(
    failures: Sequence[BuildFailure],
    facts: Facts,
    *,
    tried: Set[str] = frozenset(),
    from_patched: bool = False,
) -> list[Decision]:
    """The fixes for each failure, best first, leaving out the ones in ``tried`` (made, declined
    or failed). ``from_patched``: the failures come from safepip's own build of a patched copy,
    whose fix belongs in the copy, never in a build constraint (the user's command would still
    build the unpatched sdist)."""
    decisions = []
    for found in failures:
        failure = _on_this_python(_dated(found, facts), facts)
        options = [
            remedy
            for remedy in _remedies(failure, facts)
            if remedy.key not in tried
            and not (from_patched and isinstance(remedy.action, BuildConstraint))
        ]
        decisions.append(Decision(failure, tuple(options)))
    return decisions


def _remedies(failure: BuildFailure, facts: Facts) -> list[Remedy]:
    """Every fix for ``failure``: the user's configured one alone when there is one."""
    configured = _configured_remedy(failure, facts)
    if configured is not None:
        return [configured]
    if failure.kind == PIP_TOO_OLD and failure.requirement:
        return [Remedy(failure, UpgradePip(failure.requirement, _target(facts)))]
    return _requirement_remedies(failure, facts)


def _requirement_remedies(failure: BuildFailure, facts: Facts) -> list[Remedy]:
    """For a build requirement missing from [build-system]: declare it where safepip may,
    or build the package another way."""
    change = pyproject_change(failure)
    if failure.kind not in _REQUIREMENT_KINDS or change is None:
        return []
    requirement = failure.requirement
    if failure.kind == BUILD_DEPENDENCY_TOO_NEW and _no_release_builds(requirement, facts):
        return []  # a cap whose releases do not build on the target's Python is no fix
    isolated = failure.isolated if failure.isolated is not None else not facts.no_build_isolation
    if not isolated and requirement and not isinstance(change, SetBackend):
        # --no-build-isolation: the build uses the target environment, so that is where the
        # missing distribution belongs.
        return [Remedy(failure, InstallInto(requirement, _target(facts)))]
    known = facts.about(failure.package)
    # A cap is merged into a [build-system] that exists. A setup.py-only project has none: it
    # gets the build constraint below, which writes nothing (a new pyproject.toml is made only
    # to declare a requirement).
    capless = isinstance(change, CapRequirement) and not known.named_pyproject_exists
    if known.named_pyproject is not None and not capless:
        return [Remedy(failure, PatchPyproject(known.named_pyproject, change))]
    constraint = _constraint_remedy(failure, change)
    if failure.source in _LOCAL_SOURCES:
        # A path the command does not name: never written to; a build constraint writes nothing.
        return [constraint] if constraint is not None else []
    remedies = _remote_remedies(failure, change, known, facts)
    return [constraint, *remedies] if constraint is not None else remedies


def _dated(failure: BuildFailure, facts: Facts) -> BuildFailure:
    """The date fallback: Cython's compiler rejected the code with no message a table lists,
    and the index says the sdist was uploaded before Cython 3.0: cap Cython<3.0."""
    uploaded = facts.about(failure.package).uploaded
    if not uploaded or not date_fallback(failure) or "no fix here" in failure.explanation:
        return failure
    day = uploaded[:10]
    if day >= knowledge.CYTHON_3_RELEASED:
        return dataclasses.replace(
            failure,
            explanation=(
                f"{failure.explanation} The index says the sdist was uploaded on {day}, after "
                "Cython 3.0: an older Cython is no fix."
            ),
        )
    requirement = "Cython<3.0"
    return dataclasses.replace(
        failure,
        requirement=requirement,
        explanation=(
            f"{failure.explanation} The index says the sdist was uploaded on {day}, before "
            f"Cython 3.0. With {requirement} the build gets the Cython it was written for."
        ),
    )


def _on_this_python(failure: BuildFailure, facts: Facts) -> BuildFailure:
    """A too-new build tool whose cap no release of which builds on the target's Python: the
    finding says so and names no requirement, so that nothing (not even advice) proposes it."""
    if failure.kind != BUILD_DEPENDENCY_TOO_NEW or not _no_release_builds(
        failure.requirement, facts
    ):
        return failure
    cause, _, _ = failure.explanation.rpartition(f" With {failure.requirement} ")
    return dataclasses.replace(
        failure,
        requirement=None,
        explanation=(
            f"{cause or failure.explanation} No release with {failure.requirement} runs on "
            f"Python {facts.python_version}, the target's, so capping it is no fix here: a "
            "newer release of the package, or an older Python, is the way out."
        ),
    )


def _no_release_builds(requirement: str | None, facts: Facts) -> bool:
    """No release under the curated cap ``requirement`` builds on the target's Python."""
    below = knowledge.cap_python_below(requirement or "")
    if not below or not facts.python_version:
        return False
    return _version(facts.python_version)[:2] >= _version(below)[:2]


def _version(text: str) -> tuple[int, ...]:
    parts = []
    for part in text.split("."):
        digits = "".join(c for c in part if c.isdigit()) if part[:1].isdigit() else ""
        if not digits:
            break
        parts.append(int(digits))
    return tuple(parts)


def pyproject_change(failure: BuildFailure) -> Change | None:
    """How the project's [build-system] should change to answer ``failure``."""
    if failure.kind == BACKEND_UNAVAILABLE and failure.suggestion:
        # The declared path names no module of any backend: most likely a typo of a known one.
        return SetBackend(failure.suggestion)
    if not failure.requirement or not failure.distribution:
        return None
    if any(mark in failure.requirement for mark in ("@", "://", ";")):
        return None  # a direct URL or a marker is never proposed, whoever wrote it
    name = requirement_name(failure.requirement)
    if name is None or not failure.requirement.startswith(name):
        return AddRequirement(failure.requirement)
    specifier = failure.requirement[len(name) :]
    if specifier.startswith("<"):
        # A cap (setuptools<82 for pkg_resources) is merged into an existing declaration.
        return CapRequirement(name, specifier)
    return AddRequirement(failure.requirement)


def _target(facts: Facts) -> str:
    if facts.target_python is None:
        return "the target environment"
    return f"the target environment ({facts.target_python})"


def _constraint_remedy(failure: BuildFailure, change: Change) -> Remedy | None:
    """A cap (``setuptools<82``) as a build constraint: it reaches every isolated build of the
    command, the named package's and any dependency's, with isolation kept and nothing patched."""
    if not isinstance(change, CapRequirement):
        return None
    return Remedy(failure, BuildConstraint(change))


def _fetched_sdist(failure: BuildFailure, facts: Facts) -> str | None:
    """The sdist pip fetched from an index for the failed package (a file name or URL)."""
    if not failure.package:
        return None
    name = requirement_name(failure.package)
    return facts.fetched.get(canonical_name(name)) if name else None


def _remote_remedies(
    failure: BuildFailure, change: Change, known: PackageFacts, facts: Facts
) -> list[Remedy]:
    """For a package whose source is not the user's: a patched copy, or building unisolated."""
    requirement = failure.requirement
    install_remedy = (
        Remedy(failure, InstallWithoutIsolation(requirement, _target(facts)))
        if requirement and not isinstance(change, SetBackend)
        else None
    )
    sdist = known.local_sdist
    remote = _fetched_sdist(failure, facts) if sdist is None and failure.source == "index" else None
    sdist_remedy = (
        Remedy(
            failure,
            PatchedSdist(sdist, remote, change, package=failure.package, source=failure.source),
        )
        if sdist or remote
        else None
    )
    runtime_bound = (failure.distribution or "").lower() in MATCH_RUNTIME
    ordered = [install_remedy, sdist_remedy] if runtime_bound else [sdist_remedy, install_remedy]
    return [remedy for remedy in ordered if remedy is not None]


def _configured_remedy(failure: BuildFailure, facts: Facts) -> Remedy | None:
    """The user's [extra-build-dependencies] for the failed package, as a patched-sdist build.

    Only for packages that are not the user's own (those get their pyproject.toml fixed), and
    only when the sdist is at hand.
    """
    known = facts.about(failure.package)
    if not failure.package or not known.extras or failure.source in _LOCAL_SOURCES:
        return None
    requirements = [
        runtime_pin(extra.requirement, extra.match_runtime, facts) for extra in known.extras
    ]
    sdist = known.local_sdist
    remote = _fetched_sdist(failure, facts) if sdist is None else None
    if sdist is None and remote is None:
        return None
    action = PatchedSdist(
        sdist,
        remote,
        AddRequirement(requirements[0]),
        extra_requirements=tuple(requirements[1:]),
        configured_in=known.extras_origin,
        package=failure.package,
        source=failure.source,
    )
    return Remedy(failure, action, preapproved=True)


def runtime_pin(requirement: str, match_runtime: bool, facts: Facts) -> str:
    """``torch`` -> ``torch==2.3.1``: match-runtime builds against the installed version (any
    version when the target has none)."""
    if not match_runtime:
        return requirement
    name = requirement_name(requirement) or requirement
    version = facts.installed.get(name)
    return f"{name}=={version}" if version is not None else requirement


def attributable_module(failure: BuildFailure) -> str | None:
    """The module to ask the target environment about: an unidentified top-level import that is
    neither a Python 2 module nor one the standard library dropped."""
    module = failure.module
    if failure.kind != UNIDENTIFIED_IMPORT or not module or "." in module:
        return None
    if module in knowledge.PYTHON2_MODULES or module in knowledge.REMOVED_STDLIB:
        return None
    return module


def attribute(failure: BuildFailure, providers: Sequence[str], target: str) -> BuildFailure:
    """An import the curated table does not know, given what the target environment says
    provides it: exactly one installed distribution is named in the explanation, as a hint; none,
    several, or the package itself say nothing.

    The import stays unidentified and gets no fix: a name that merely happens to be installed
    is not one to write into ``requires`` or install (security.md, "Names and versions"); the
    user's ``[mapping]`` is how they make it one.
    """
    module = attributable_module(failure)
    if module is None or len(providers) != 1:
        return failure
    (name,) = providers
    package = requirement_name((failure.package or "").rstrip("/").rsplit("/", 1)[-1])
    if package is not None and canonical_name(name) == canonical_name(package):
        return failure  # the package's own module, installed from an earlier release
    return dataclasses.replace(
        failure,
        distribution=name,
        requirement=None,
        explanation=(
            f"The build imported {module!r}, which the build environment does not have. The "
            f"curated table does not list it, but the target environment ({target}) does: "
            f"{name} is the one installed distribution that provides {module!r} "
            "(importlib.metadata.packages_distributions()). safepip proposes only "
            "distributions of its curated tables, its sourced lists of import names or your "
            "[mapping]: if the build needs "
            f'{name}, add {module} = "{name}" to [mapping] in your configuration file, or '
            "declare it in [build-system] requires yourself."
        ),
    )


def advice(failure: BuildFailure) -> str | None:  # noqa: PLR0911 - one exit per kind
    """What a person can do when safepip has no fix of its own to propose (or it was tried)."""
    requires = (
        f"[build-system] requires in {failure.pyproject}"
        if failure.pyproject
        else "[build-system] requires in the project's pyproject.toml"
    )
    if failure.kind == BACKEND_UNAVAILABLE and failure.suggestion:
        where = f" of {failure.pyproject}" if failure.pyproject else ""
        return f'set build-backend = "{failure.suggestion}" in [build-system]{where}.'
    if failure.kind in {BACKEND_UNAVAILABLE, BUILD_DEPENDENCY_MISSING}:
        if failure.requirement is not None and failure.source in {None, *_LOCAL_SOURCES}:
            return f'add "{failure.requirement}" to {requires}.'
        if failure.requirement is not None:
            return (
                f"install {failure.requirement} and rerun with --no-build-isolation, or ask the "
                "package's maintainers to declare it in [build-system] requires."
            )
        if failure.kind == BUILD_DEPENDENCY_MISSING and failure.distribution:
            return (
                f"pin a version of {failure.distribution} that still has {failure.module!r} "
                f"in {requires}."
            )
    if failure.kind == BUILD_DEPENDENCY_TOO_NEW and failure.requirement is not None:
        if failure.source in {None, *_LOCAL_SOURCES}:
            return f'cap it: "{failure.requirement}" in {requires}.'
        return (
            f'run pip with the build constraint "{failure.requirement}" (--build-constraint '
            "FILE from pip 25.3, PIP_CONSTRAINT=FILE before), or ask the package's "
            "maintainers to cap it in [build-system] requires."
        )
    if failure.kind == BUILD_REQUIREMENT_UNAVAILABLE and not failure.evidence.startswith(
        ("Downloading ", "Using cached ")
    ):
        # (Built from its sdist and failed: the explanation says what to do.)
        return (
            f"check the spelling and version bounds of {failure.requirement} in {requires}, "
            "and that the index pip uses carries it."
        )
    return None
