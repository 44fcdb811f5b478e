"""Judging: the facts of a failed step -> the :class:`BuildFailure` findings they prove, explained.

:func:`judge_step` reads only the :class:`~safepip.reading.steps.Step` the rules filled in and
the curated tables of :mod:`safepip.knowledge`. :func:`complete` adds what pip's command line
and the project tell (the project pip did not name, its ``pyproject.toml``, its declared
backend), through a :class:`ProjectFiles`: the judging itself opens no file, so it can be tried
with plain values. A failed step whose clues do not prove one of the kinds yields nothing: a
false alarm costs more than a miss.
"""

from __future__ import annotations

from typing import NamedTuple, Protocol

from safepip import importnames, knowledge
from safepip.names import canonical_name, is_sdist, leading_name
from safepip.reading.command import iter_options
from safepip.reading.findings import (
    BACKEND_UNAVAILABLE,
    BUILD_DEPENDENCY_MISSING,
    BUILD_DEPENDENCY_TOO_NEW,
    BUILD_REQUIREMENT_UNAVAILABLE,
    UNIDENTIFIED_IMPORT,
    BuildFailure,
    FailureKind,
    Hook,
    Source,
)
from safepip.reading.steps import (
    BUILD_DEPS,
    Step,
    canonical_hook,
)


class ProjectFiles(Protocol):
    """What the judging may learn about a local project's files (the deciding stage reads them).

    The real one is :class:`safepip.reading.projects.DiskProjectFiles`.
    """

    def project_folder(self, cwd: str, location: str) -> str | None:
        """The folder ``location`` (as pip printed it) names from ``cwd``, if it is one."""

    def pyproject(self, project: str) -> str | None:
        """The project's ``pyproject.toml`` (a normalised path), if it has one."""

    def build_backend(self, pyproject: str) -> str | None:
        """``[build-system] build-backend``, or None (unreadable, or absent)."""

    def owns(self, project: str, module: str) -> bool:
        """Whether ``module`` is the project's own code (its folder or file is in the tree)."""

    def imports_pkg_resources(self, project: str) -> bool:
        """Whether the project's setup.py imports pkg_resources."""


class CommandContext(NamedTuple):
    """pip's command line and the folder it ran in (what ``Diagnosis.set_context`` was told)."""

    pip_args: list[str]
    cwd: str

    @property
    def no_isolation(self) -> bool:
        return "--no-build-isolation" in self.pip_args


class _About(NamedTuple):
    """What every finding of one step says: which package, from where, which hook, isolated."""

    package: str | None
    source: Source | None
    hook: Hook | None
    isolated: bool | None


def _failure(
    about: _About,
    kind: FailureKind,
    *,
    explanation: str,
    evidence: str,
    module: str | None = None,
    distribution: str | None = None,
    requirement: str | None = None,
    backend: str | None = None,
    suggestion: str | None = None,
) -> BuildFailure:
    return BuildFailure(
        kind=kind,
        package=about.package,
        source=about.source,
        hook=about.hook,
        isolated=about.isolated,
        module=module,
        distribution=distribution,
        requirement=requirement,
        backend=backend,
        suggestion=suggestion,
        explanation=explanation,
        evidence=evidence,
    )


def judge_step(
    step: Step,
    isolated: bool | None,
    providers: knowledge.UserProviders = knowledge.NO_USER_PROVIDERS,
) -> list[BuildFailure]:
    """The step's finding, and one more for each other module the same words named.

    ``providers`` is the user's ``[mapping]``, consulted before the curated table.
    """
    failure = _judge(step, isolated, providers)
    if failure is None:
        return []
    found = [failure]
    if step.also_modules and failure.module == step.module:
        first = step.module
        for module in step.also_modules:
            step.module = module
            more = _judge(step, isolated, providers)
            if more is not None:
                found.append(more)
        step.module = first
    return found


def _judge(  # noqa: PLR0911 - one exit per kind
    step: Step, isolated: bool | None, providers: knowledge.UserProviders
) -> BuildFailure | None:
    if not step.failed:
        return None
    package = step.package
    about = _About(
        package.name if package else None,
        package.source if package else None,
        canonical_hook(step.hook),
        isolated,
    )
    if step.backend_unavailable:
        return _backend_failure(step, about)
    if step.pip_crash:
        return None
    if step.kind == BUILD_DEPS:
        if step.requirement and not step.network:
            return _failure(
                about,
                BUILD_REQUIREMENT_UNAVAILABLE,
                # pip's own words name the distribution: nothing is guessed here.
                distribution=leading_name(step.requirement) or step.requirement,
                requirement=step.requirement,
                explanation=(
                    f"pip could not install the build requirement {step.requirement}: "
                    "no release on the index matches it."
                ),
                evidence=step.requirement_evidence,
            )
        if step.nested_sdist and not step.network:
            name = leading_name(step.nested_sdist) or step.nested_sdist
            return _failure(
                about,
                BUILD_REQUIREMENT_UNAVAILABLE,
                distribution=name,
                requirement=step.nested_sdist,
                explanation=(
                    f"pip could not install the build requirement {step.nested_sdist}: it has "
                    "no wheel for this Python, so pip built it from its sdist, and that "
                    "build failed (its errors above are that requirement's, not the "
                    "package's). This version of the package cannot be built on this "
                    "Python: a newer release of the package is the way out. No change to "
                    "its build requirements is proposed."
                ),
                evidence=step.requirement_evidence,
            )
        return None
    if step.kind is None and step.hook is None and not step.module_evidence:
        return None
    if step.dropped_api:
        return _dropped_api_failure(step.dropped_api, step.module_evidence, about, step.python)
    if step.module:
        return _module_failure(step, about, providers)
    if step.bdist_wheel:
        return _failure(
            about,
            BUILD_DEPENDENCY_MISSING,
            module=None,
            distribution="wheel",
            requirement="wheel",
            explanation=(
                "setuptools could not find the bdist_wheel command, which the 'wheel' "
                "package provides (setuptools < 70.1 needs it to build wheels)."
            ),
            evidence=step.module_evidence,
        )
    if step.setup_requirement:
        name = step.setup_requirement
        distribution = leading_name(name) or name
        curated = knowledge.curated_requirement(distribution)
        return _failure(
            about,
            BUILD_DEPENDENCY_MISSING,
            distribution=distribution if curated is not None else None,
            # Only the name is taken from the log, and the curated table gives the rest (at
            # most a lower bound): a pin, cap, extra, URL or marker in a build's output is
            # anybody's text (issue 18) and must never reach requires or an install.
            requirement=curated or distribution,
            explanation=(
                f"setup.py requires the distribution {name!r} while it runs, and the build "
                "environment does not have it."
            ),
            evidence=step.module_evidence,
        )
    if step.cython_failed:
        return _cython_failure(step, about)
    return None


def _cython_failure(step: Step, about: _About) -> BuildFailure:
    """Cython's compiler rejected the sdist's code with no message a table lists: the date
    fallback is decided once the index says when the sdist was uploaded (``decide()``)."""
    explanation = (
        "Cython's compiler rejected the sdist's code, and none of its messages is a change "
        "safepip knows. Cython 3.0 (released "
        f"{knowledge.CYTHON_3_RELEASED}) changed the language: an sdist uploaded before it "
        "was written for Cython 0.29, and Cython<3.0 may build it."
    )
    if step.python and _version(step.python) >= (3, 13):
        explanation += (
            f" No release with Cython<3.0 builds on Python {step.python}, so capping it is no "
            "fix here."
        )
    return _failure(
        about,
        BUILD_DEPENDENCY_TOO_NEW,
        distribution="Cython",
        requirement=None,
        explanation=explanation,
        evidence=step.cython_failed,
    )


def _dropped_api_failure(
    entry: knowledge.DroppedApi, evidence: str, about: _About, python: str | None = None
) -> BuildFailure:
    requirement = f"{entry.distribution}{entry.cap}"
    if entry.how == "changed":
        cause = (
            f"The build's code fails with {entry.distribution} {entry.removed_in} and newer: "
            f"{entry.what}"
        )
    else:
        cause = (
            f"The build calls {entry.what}, which {entry.distribution} {entry.removed_in} removed"
        )
    cause += (
        f"; nothing caps {entry.distribution} in its build requirements, so the build "
        f"environment got {entry.removed_in} or newer."
    )
    if python and entry.python_below and _version(python) >= _version(entry.python_below):
        # Say so and propose nothing: a cap that gives a release this Python cannot build with
        # is no fix.
        return _failure(
            about,
            BUILD_DEPENDENCY_TOO_NEW,
            distribution=entry.distribution,
            requirement=None,
            explanation=(
                f"{cause} No release with {requirement} builds on Python {python}, so capping "
                "it is no fix here: a newer release of the package, or an older Python, is "
                "the way out."
            ),
            evidence=evidence,
        )
    return _failure(
        about,
        BUILD_DEPENDENCY_TOO_NEW,
        distribution=entry.distribution,
        requirement=requirement,
        explanation=(
            f"{cause} With {requirement} the build gets a release that "
            + ("predates that change." if entry.how == "changed" else "still has it.")
        ),
        evidence=evidence,
    )


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(".") if part.isdigit())


def _backend_failure(step: Step, about: _About) -> BuildFailure:
    module = step.module
    backend_path = step.backend
    if module is None and backend_path is not None:
        # pip 25 names only the backend it could not import
        module = backend_path.split(":", 1)[0]
    entry = knowledge.backend(backend_path)
    suggestion: str | None = None
    distribution: str | None = None
    requirement: str | None = None
    if entry is not None and backend_path is not None and _leads_to(module, backend_path):
        distribution, requirement = entry.distribution, entry.requirement
        module = entry.package(backend_path)
    elif backend_path is None and module is not None:
        guess = knowledge.backend_for_module(module)
        if guess is not None and _leads_to(module, guess[0]):
            distribution, requirement = guess[1].distribution, guess[1].requirement
            module = guess[1].package(guess[0])
        elif "." in module:
            # "No module named 'setuptools.build_mata'": the package is there, the path is not.
            suggestion = knowledge.closest_backend(module)
    if backend_path is not None and entry is None:
        suggestion = knowledge.closest_backend(backend_path)
    if step.backend_path_wrong or _gone_from_python(module):
        distribution = requirement = None
    name = backend_path or module or "the build backend"
    if _gone_from_python(module):
        # pip 24.2 on Python 3.13, [build-system] requires = ["setuptools<60"]: the traceback
        # of BackendUnavailable ends in ``import distutils.core`` /
        # ``ModuleNotFoundError: No module named 'distutils'``.
        why = (
            f"the backend imports {module!r}, which this Python no longer has: the backend "
            "version the project's build requirements allow is too old for this Python. "
            "This version of the package cannot be built on this Python; a newer release "
            "of the package is the way out, and no change to its build requirements is "
            "proposed"
        )
    elif step.backend_path_wrong:
        why = (
            f"the backend {name!r} was not found in the folders listed by backend-path "
            "in [build-system]"
        )
    elif suggestion is not None:
        why = f"no backend is called {name!r}: {suggestion!r} is the likely intent"
    elif distribution is not None:
        where = (
            "it is not listed in [build-system] requires"
            if about.isolated is not False
            else "it is not installed in this environment (the build is not isolated)"
        )
        why = f"{name!r} comes from {distribution}, and {where}"
    else:
        why = f"{name!r} could not be imported in the build environment"
    return _failure(
        about,
        BACKEND_UNAVAILABLE,
        module=module,
        distribution=distribution,
        requirement=requirement,
        backend=backend_path,
        suggestion=suggestion,
        explanation=f"pip could not load the build backend: {why}.",
        evidence=(
            step.backend_evidence
            if backend_path or not step.module_evidence
            else step.module_evidence
        ),
    )


def _module_failure(  # noqa: PLR0911 - one exit per kind of import
    step: Step, about: _About, providers: knowledge.UserProviders
) -> BuildFailure | None:
    module = step.module
    if module is None:
        return None
    top = module.split(".", 1)[0]
    package = step.package
    entry = knowledge.provider(module, providers)
    evidence = step.module_evidence
    if entry is None and top in knowledge.PYTHON2_MODULES:
        return _unidentified(
            module,
            f"The build imported {module!r}, a Python 2 standard-library module that "
            "Python 3 renamed or removed: this version of the package is Python 2 code, and "
            "no build requirement makes it build. A release that supports Python 3 is the "
            "way out.",
            evidence,
            about,
        )
    if entry is None and top in knowledge.REMOVED_STDLIB:
        return _unidentified(
            module,
            f"The build imported {top!r}, which Python {knowledge.REMOVED_STDLIB[top]} "
            "removed from the standard library: this version of the package cannot be "
            "built on this Python, and no build requirement changes that. A newer release "
            "of the package, or an older Python, is the way out.",
            evidence,
            about,
        )
    if entry is None and package is not None and _own_module(top, package.name):
        return None  # setup.py imported the project itself: not a missing distribution
    found = importnames.lookup(module) if entry is None and not step.module_handled else None
    if found is not None:
        return _failure(
            about,
            BUILD_DEPENDENCY_MISSING,
            module=module,
            distribution=found.distribution,
            requirement=found.distribution,
            explanation=(
                f"The build imported {module!r}, which the build environment does not have. "
                f"safepip's curated table does not list it, but {found.why(module)}."
            ),
            evidence=evidence,
        )
    folder = (step.module_file or "").rpartition("/")[0]
    if entry is None and folder and "." not in module:
        # web.py 0.37: web/__init__.py does "import utils, db, ...". The log shows who
        # imported the name, not whether web/utils.py exists: both readings are given.
        own = f"{folder.replace('/', '.')}.{module}"
        return _unidentified(
            module,
            f"The build imported {module!r} from {step.module_file}, the package's own "
            f"code, as a top-level module, and no build requirement is known to provide "
            f"it. If it is the package's own submodule ({own}), this is a Python 2 "
            "implicit relative import: this version of the package is Python 2 code, no "
            "build requirement makes it build, and a release that supports Python 3 is "
            "the way out. Otherwise, find out from the project's documentation which "
            "distribution provides it before adding anything to the build requirements.",
            evidence,
            about,
        )
    if entry is None:
        return _unidentified(
            module,
            f"The build imported {module!r}, which the build environment does not have. "
            "safepip does not know which distribution provides it (it may be the "
            "package's own module, or Python 2 code): find out from the project's "
            "documentation before adding anything to the build requirements.",
            evidence,
            about,
        )
    quoted = "'" in evidence or '"' in evidence
    if "." in module and top == "distutils" and quoted:
        # POT 0.8.2 (setuptools#4612, pip on Python 3.11, setuptools 74): numpy.distutils, in
        # the build env, does ``from distutils.msvccompiler import ...`` and the traceback
        # ends in ``ModuleNotFoundError: No module named 'distutils.msvccompiler'``. Python 3
        # names the first part that is missing: distutils is there (setuptools provides it),
        # and a newer setuptools dropped the submodule. Adding setuptools changes nothing.
        return _unidentified(
            module,
            f"The build imported {module!r}: the build environment has distutils (setuptools "
            f"provides it) but no {module!r}, which a newer setuptools removed, so this "
            "version of the package needs an older setuptools, which may not exist for this "
            "Python. A newer release of the package is the usual way out.",
            evidence,
            about,
        )
    if "." in module and top not in ("pkg_resources", "distutils"):
        if quoted:
            # Python 3 names the first part that is missing: the distribution is there,
            # and this release of it no longer has the submodule.
            return _unidentified(
                module,
                f"The build imported {module!r}: {entry.distribution} is in the build "
                f"environment but has no {module!r} (a newer release dropped it), so this "
                "version of the package needs an older "
                f"{entry.distribution}, which may not exist for this Python. A newer "
                "release of the package is the usual way out.",
                evidence,
                about,
            )
        return _failure(
            about,
            BUILD_DEPENDENCY_MISSING,
            module=module,
            distribution=entry.distribution,
            explanation=(
                f"The build imported {module!r}: {entry.distribution} is installed in the "
                f"build environment but has no {module!r}, so the build needs another "
                f"version of {entry.distribution}."
            ),
            evidence=evidence,
        )
    if entry.requirement.startswith(f"{entry.distribution}<"):
        # setuptools<82 for pkg_resources: the build environment may well have setuptools (84,
        # the newest), only not a release that still has the module.
        explanation = (
            f"{_what_the_build_did(step, module)}, and the build environment has no "
            f"{entry.distribution} release that provides it: {entry.note}. With "
            f"{entry.requirement} the build gets a release that still has it."
        )
    else:
        # A note starts with a name as spelled (torch, pip) or a capital: never re-cased.
        note = f" {entry.note}." if entry.note else ""
        explanation = (
            f"{_what_the_build_did(step, module)}, provided by {entry.distribution}, which "
            f"is not in the build environment.{note}"
        )
    return _failure(
        about,
        BUILD_DEPENDENCY_MISSING,
        module=module,
        distribution=entry.distribution,
        requirement=entry.requirement,
        explanation=explanation,
        evidence=evidence,
    )


def _what_the_build_did(step: Step, module: str) -> str:
    """How the finding begins: the import that failed, or the build's own sentence, quoted."""
    if step.words is not None:
        return f'The build said "{step.words}": it needs {module!r}'
    return f"The build imported {module!r}"


def _gone_from_python(module: str | None) -> bool:
    """A module this Python no longer has (distutils, removed or Python 2 standard library)."""
    top = (module or "").split(".", 1)[0]
    return top == "distutils" or top in knowledge.REMOVED_STDLIB or top in knowledge.PYTHON2_MODULES


def _unidentified(module: str, explanation: str, evidence: str, about: _About) -> BuildFailure:
    return _failure(
        about,
        UNIDENTIFIED_IMPORT,
        module=module,
        explanation=explanation,
        evidence=evidence,
    )


def _leads_to(module: str | None, backend_path: str) -> bool:
    """Whether a missing ``module`` explains why ``backend_path`` cannot be imported.

    ``poetry`` explains ``poetry.core.masonry.api``; ``flit_core.build_api`` does not explain
    ``flit_core.buildapi`` (that is a typo, not a missing distribution).
    """
    if module is None:
        return True
    target = backend_path.split(":", 1)[0]
    return target == module or target.startswith(module + ".")


def _own_module(module: str, package: str) -> bool:
    base = package.rstrip("/").rsplit("/", 1)[-1]
    return canonical_name(module) == canonical_name(leading_name(base) or base)


def _cap_setuptools_for_pkg_resources(
    failure: BuildFailure, project: str, files: ProjectFiles
) -> None:
    """setuptools is missing and the project's setup.py imports pkg_resources: one change,
    setuptools<82, instead of setuptools now and its cap after a second failed run (issue 19)."""
    if (
        failure.kind != BACKEND_UNAVAILABLE
        or failure.distribution != "setuptools"
        or not failure.requirement
        or "<" in failure.requirement
        or not files.imports_pkg_resources(project)
    ):
        return
    failure.requirement = knowledge.PROVIDERS["pkg_resources"].requirement
    failure.explanation += (
        f" Its setup.py imports pkg_resources, which setuptools 82 removed: "
        f"{failure.requirement} declares setuptools and keeps pkg_resources."
    )


def _single_local_project(args: list[str]) -> tuple[str, Source] | None:
    """The one local project a command line names (``install ./proj``, ``-e .``), if just one.

    Read from the words alone, as written: a saved log's folders may be long gone.
    """
    found: list[tuple[str, Source]] = []
    for name, value in iter_options(args, positionals=True):
        if name in ("-e", "--editable") and value:
            found.append((value, "editable"))
        elif (
            name == ""
            and value
            and value.startswith((".", "/", "~"))
            and not value.endswith((".whl", ".txt"))
            and not is_sdist(value)
        ):
            found.append((value, "local"))
    return found[0] if len(found) == 1 else None


# --------------------------------------------------------------------------------------------
# Completing findings from the command line and the project


def complete(
    failure: BuildFailure, context: CommandContext | None, files: ProjectFiles
) -> BuildFailure | None:
    """``failure`` with what the command line and the project add; None if it is no failure.

    Without a context (a saved log read alone) the finding stays as the log told it.
    """
    if context is None:
        return failure
    if failure.package is None:
        local = _single_local_project(context.pip_args)
        if local is not None:
            failure.package, failure.source = local
    if failure.isolated is None:
        failure.isolated = not context.no_isolation
    if failure.package and failure.source in ("local", "editable"):
        project = files.project_folder(context.cwd, failure.package)
        if project is not None:
            if failure.module and files.owns(project, failure.module):
                return None  # setup.py imported the project itself: not a missing distribution
            _read_project(failure, project, files)
            if failure.pyproject is not None:
                _cap_setuptools_for_pkg_resources(failure, project, files)
    return failure


def _read_project(failure: BuildFailure, project: str, files: ProjectFiles) -> None:
    pyproject = files.pyproject(project)
    if pyproject is None:
        return
    failure.pyproject = pyproject
    if failure.kind != BACKEND_UNAVAILABLE or failure.backend is not None:
        return
    declared = files.build_backend(pyproject)
    if declared is None:
        return
    failure.backend = declared
    entry = knowledge.backend(declared)
    if (
        entry is not None
        and failure.distribution is None
        and not failure.suggestion
        and not _gone_from_python(failure.module)
    ):
        failure.distribution, failure.requirement = entry.distribution, entry.requirement
    elif entry is None:
        failure.suggestion = knowledge.closest_backend(declared)
        failure.distribution = failure.requirement = None
