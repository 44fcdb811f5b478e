"""The facts the rules record: the package pip is working on and the build step it is in.

A :class:`Step` is one build step of one package (installing its build dependencies, a PEP 517
hook, a ``setup.py`` command) and the clues seen while it ran; never the lines themselves. The
rules (:mod:`safepip.reading.rules`) fill it in through a
:class:`~safepip.reading.recorder.StepRecorder`; the judging (:mod:`safepip.reading.judging`)
turns a failed one into findings. Here also: the names pip gives steps and hooks, and how it
names the requirements it works on.
"""

from __future__ import annotations

import re
from typing import Literal, get_args

from safepip import knowledge
from safepip.names import is_sdist
from safepip.reading.findings import Hook, Source

#: What a step is: pip installing ``[build-system] requires`` (or what a hook asked for), a
#: ``setup.py`` command, or a PEP 517 hook.
StepKind = Literal["install build dependencies", "setup.py", "pep517"]
BUILD_DEPS: StepKind = "install build dependencies"
SETUP_PY: StepKind = "setup.py"
PEP517: StepKind = "pep517"

#: Every hook by its name: ``HOOKS.get(word)`` is the hook a word names, or None.
HOOKS: dict[str, Hook] = {hook: hook for hook in get_args(Hook)}


class Package:
    """A requirement pip is preparing or building."""

    __slots__ = ("name", "source")

    def __init__(self, name: str, source: Source | None) -> None:
        self.name = name
        self.source = source


class Step:
    """One build step of one package, and what was seen while it ran."""

    __slots__ = (
        "also_modules",
        "announced",
        "backend",
        "backend_evidence",
        "backend_path_wrong",
        "backend_unavailable",
        "bdist_wheel",
        "cython_failed",
        "dropped_api",
        "evidence",
        "failed",
        "frame_file",
        "hook",
        "isolated",
        "kind",
        "module",
        "module_evidence",
        "module_file",
        "module_handled",
        "nested_collecting",
        "nested_sdist",
        "network",
        "package",
        "pip_crash",
        "python",
        "requirement",
        "requirement_evidence",
        "setup_requirement",
        "words",
    )

    def __init__(self, package: Package | None, kind: StepKind | None, hook: Hook | None) -> None:
        self.package = package
        self.kind = kind  # None when pip did not say
        self.hook = hook
        self.isolated: bool | None = None
        self.failed = False
        self.module: str | None = None
        self.module_evidence = ""
        #: The file of the last traceback frame, as a path inside pip's unpacked copy of the
        #: package (``web/__init__.py``), and the one that did the failed import.
        self.frame_file: str | None = None
        self.module_file: str | None = None
        #: The build caught that import error and went on ("During handling of the above
        #: exception, another exception occurred"): it may not be what stopped the build.
        self.module_handled = False
        self.also_modules: tuple[str, ...] = ()  # more modules the same words name
        #: The build's own sentence that named the module (no import error was seen), if any.
        self.words: str | None = None
        #: Installing build dependencies: the requirement pip's subprocess is collecting, and
        #: the last one it had to build from an sdist (no wheel for this Python).
        self.nested_collecting: str | None = None
        self.nested_sdist: str | None = None
        self.backend_unavailable = False
        self.backend_evidence = ""
        self.backend: str | None = None
        self.backend_path_wrong = False
        self.bdist_wheel = False
        #: A build requirement's newer release removed what the build called (curated lines).
        self.dropped_api: knowledge.DroppedApi | None = None
        self.setup_requirement: str | None = None
        self.requirement: str | None = None
        self.requirement_evidence = ""
        self.network = False
        self.evidence = ""
        self.announced = False  # pip printed the step's progress line (not only a banner)
        self.pip_crash = False  # pip itself raised ("ERROR: Exception:")
        self.cython_failed = ""  # Cython's CompileError line, when its compiler gave up
        self.python: str | None = None  # the build environment's Python (``3.13``), from its paths


# --------------------------------------------------------------------------------------------
# How pip names steps and hooks

#: Step names (what pip prints) -> the PEP 517 hook it calls; None for setup.py commands.
STEP_HOOKS: dict[str, Hook | None] = {
    "Getting requirements to build wheel": "get_requires_for_build_wheel",
    "Getting requirements to build editable": "get_requires_for_build_editable",
    "Preparing metadata (pyproject.toml)": "prepare_metadata_for_build_wheel",
    "Preparing wheel metadata": "prepare_metadata_for_build_wheel",
    "Preparing editable metadata (pyproject.toml)": "prepare_metadata_for_build_editable",
    "Checking if build backend supports build_editable": "_supported_features",
    "Preparing metadata (setup.py)": None,
    "python setup.py egg_info": None,
    "python setup.py bdist_wheel": None,
    "python setup.py develop": None,
}

#: The same steps as pip 26 words them after "when": "getting requirements to build wheel".
STEP_HOOKS_LOWER: dict[str, Hook] = {
    step.lower(): hook for step, hook in STEP_HOOKS.items() if hook is not None
}
STEP_HOOKS_LOWER.update(
    {
        "preparing metadata": "prepare_metadata_for_build_wheel",
        "preparing editable metadata": "prepare_metadata_for_build_editable",
        "building wheel": "build_wheel",
        "building editable": "build_editable",
    }
)

#: pip and pyproject-hooks call the build_editable support check by three names across versions
#: (pyproject-hooks' ``_supported_features``, pip 26's ``supports_feature``, pip's own
#: ``_supports_build_editable``): findings use the first, the hook the backend really runs.
_HOOK_ALIASES: dict[Hook, Hook] = {
    "_supports_build_editable": "_supported_features",
    "supports_feature": "_supported_features",
}


def canonical_hook(hook: Hook | None) -> Hook | None:
    """The name findings give ``hook`` (one name for the build_editable support check)."""
    return _HOOK_ALIASES.get(hook, hook) if hook is not None else None


#: How pip words the installation of build requirements: ``requires`` (and, from pip 26.3,
#: what get_requires_for_build_* returned: "backend dependencies").
BUILD_DEPS_STEPS = frozenset(
    {
        "installing build dependencies",
        "installing backend dependencies",
        "pip subprocess to install build dependencies",
        "pip subprocess to install backend dependencies",
    }
)


def is_build_deps_step(lowered: str) -> bool:
    """``installing build dependencies``, or pip 26.3's ``... for pyEDFlib`` (lower-cased)."""
    return lowered in BUILD_DEPS_STEPS or lowered.split(" for ", 1)[0] in BUILD_DEPS_STEPS


# --------------------------------------------------------------------------------------------
# How pip names requirements

#: A requirement with nothing but a name, extras and version bounds (no URL, no marker).
PLAIN_REQUIREMENT = re.compile(
    r"[A-Za-z0-9][A-Za-z0-9._-]*(\[[A-Za-z0-9._,\s-]*\])?"
    r"\s*((~=|===?|!=|<=|>=|<|>)\s*[A-Za-z0-9.*+!_-]+\s*,?\s*)*"
)


def source_of_location(location: str, default: Source) -> Source:
    """Where a location pip printed points: a VCS, an sdist, a wheel, a folder, or ``default``."""
    lowered = location.lower()
    if lowered.startswith(("git+", "hg+", "svn+", "bzr+")) or "+git" in lowered:
        return "vcs"
    if is_sdist(lowered):
        return "sdist"
    if lowered.endswith(".whl"):
        return "wheel"
    if lowered.startswith(("http://", "https://")):
        return "sdist"
    if lowered.startswith("file://") or location.startswith(("/", ".", "~")) or default == "local":
        return "local"
    return default
