"""Recognise the build failures pip only reports: which build failed, and why.

The reader is streaming and bounded: it keeps the package pip is working on, the build step it is
in and the clues seen since that step began, never the lines themselves. Each line is normalised
(ANSI escapes, CI timestamps, spinner backspaces and carriage returns removed), stripped of its
indentation, and then offered only to the rules whose prefix it starts with: a line of compiler
noise costs one ``lstrip``, one slice and one dictionary miss.

The rules are small, ordered and data-driven (:data:`RULES`): each names the prefixes it cares
about and carries a sample of the real pip line it reads in its docstring. A rule only records
facts (a package, a step, a clue, a failure signal); :meth:`Diagnosis.failures` turns the facts of
every failed step into findings. A step that did not fail yields nothing, and a failed step whose
clues do not prove one of the three kinds yields nothing either: a false alarm costs more than a
miss.
"""

from __future__ import annotations

import os
import re
import string
from collections.abc import Iterable
from typing import Any, Callable, ClassVar

from safepip import knowledge
from safepip.reading.findings import (
    BACKEND_UNAVAILABLE,
    BUILD_DEPENDENCY_MISSING,
    BUILD_REQUIREMENT_UNAVAILABLE,
    UNIDENTIFIED_IMPORT,
    BuildFailure,
)

# --------------------------------------------------------------------------------------------
# Line normalisation


#: CSI sequences (colours, cursor moves such as pip's spinner ``ESC[?25l``), OSC sequences
#: (terminal titles, hyperlinks) and the two-character escapes.
_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")

#: A timestamp that a CI service or a log file put before pip's own text: GitHub Actions and
#: Azure (``2024-05-01T12:34:56.1234567Z``), GitLab (the same, then ``00O``/``01E+``), Jenkins
#: timestamper (``[2024-05-01T12:34:56.789Z]``), pip's ``--log`` (``2024-05-01T12:34:56,123``),
#: and bare ``12:34:56``.
_TIMESTAMP = re.compile(
    r"\[?\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?\]?"
    r"(?: \d\d[OE]\+?)?[ \t]?"
    r"|\[?\d\d:\d\d:\d\d(?:[.,]\d+)?\]?[ \t]"
)


def _apply_backspaces(line: str) -> str:
    # pip's interactive spinner writes "- \b\\ \b| \bdone": replay it as a terminal would.
    out: list[str] = []
    for char in line:
        if char == "\b":
            if out:
                out.pop()
        else:
            out.append(char)
    return "".join(out)


def normalise(line: str) -> str:
    """The text a person would read: no ANSI escapes, CI timestamp, backspaces or ``\\r``."""
    if "\x1b" in line:
        line = _ANSI.sub("", line)
    if "\r" in line:
        # A carriage return redraws the line: what remains visible is what follows the last one.
        line = line.rstrip("\r")
        line = line[line.rfind("\r") + 1 :]
    if "\b" in line:
        line = _apply_backspaces(line)
    if line[:1].isdigit() or line[:1] == "[":
        match = _TIMESTAMP.match(line)
        if match:
            line = line[match.end() :]
            if "\x1b" in line:  # GitLab puts colour codes after its timestamp
                line = _ANSI.sub("", line)
    return line


# --------------------------------------------------------------------------------------------
# Facts


class _Package:
    """A requirement pip is preparing or building."""

    __slots__ = ("name", "source")

    def __init__(self, name: str, source: str | None) -> None:
        self.name = name
        self.source = source


#: Step names (what pip prints) -> the PEP 517 hook it calls; None for setup.py commands.
_STEP_HOOKS: dict[str, str | None] = {
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
_STEP_HOOKS_LOWER: dict[str, str] = {
    step.lower(): hook for step, hook in _STEP_HOOKS.items() if hook is not None
}
_STEP_HOOKS_LOWER.update(
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
_HOOK_ALIASES = {
    "_supports_build_editable": "_supported_features",
    "supports_feature": "_supported_features",
}


def _canonical_hook(hook: str | None) -> str | None:
    return _HOOK_ALIASES.get(hook, hook) if hook is not None else None


_HOOK_NAMES = frozenset(
    {
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
    }
)

BUILD_DEPS = "install build dependencies"
SETUP_PY = "setup.py"


class _Step:
    """One build step of one package, and what was seen while it ran."""

    __slots__ = (
        "also_modules",
        "announced",
        "backend",
        "backend_evidence",
        "backend_path_wrong",
        "backend_unavailable",
        "bdist_wheel",
        "evidence",
        "failed",
        "frame_file",
        "hook",
        "isolated",
        "kind",
        "module",
        "module_evidence",
        "module_file",
        "nested_collecting",
        "nested_sdist",
        "network",
        "package",
        "pip_crash",
        "requirement",
        "requirement_evidence",
        "setup_requirement",
    )

    def __init__(self, package: _Package | None, kind: str | None, hook: str | None) -> None:
        self.package = package
        self.kind = kind  # BUILD_DEPS, SETUP_PY, "pep517", or None when pip did not say
        self.hook = hook
        self.isolated: bool | None = None
        self.failed = False
        self.module: str | None = None
        self.module_evidence = ""
        #: The file of the last traceback frame, as a path inside pip's unpacked copy of the
        #: package (``web/__init__.py``), and the one that did the failed import.
        self.frame_file: str | None = None
        self.module_file: str | None = None
        self.also_modules: tuple[str, ...] = ()  # more modules the same words name
        #: Installing build dependencies: the requirement pip's subprocess is collecting, and
        #: the last one it had to build from an sdist (no wheel for this Python).
        self.nested_collecting: str | None = None
        self.nested_sdist: str | None = None
        self.backend_unavailable = False
        self.backend_evidence = ""
        self.backend: str | None = None
        self.backend_path_wrong = False
        self.bdist_wheel = False
        self.setup_requirement: str | None = None
        self.requirement: str | None = None
        self.requirement_evidence = ""
        self.network = False
        self.evidence = ""
        self.announced = False  # pip printed the step's progress line (not only a banner)
        self.pip_crash = False  # pip itself raised ("ERROR: Exception:")


# --------------------------------------------------------------------------------------------
# Rules


class Rule:
    """A rule reads the lines that start with one of its ``prefixes`` (after indentation)."""

    prefixes: ClassVar[tuple[str, ...]] = ()

    def apply(self, diagnosis: Diagnosis, text: str) -> None:
        raise NotImplementedError


_QUOTED = re.compile(r"'([^']+)'")
_STATUS = re.compile(r"^(?P<step>.+?)(?::| \.\.\.) ?(?P<rest>.*)$")


def _quoted(text: str) -> str | None:
    match = _QUOTED.search(text)
    return match.group(1) if match else None


class NewRequirement(Rule):
    """pip starts on a requirement.

    ``Processing ./flit-missing``, ``Obtaining file:///src/proj``,
    ``Collecting numpy==1.19.5``, ``Collecting pkg@ git+https://host/pkg.git``.
    """

    prefixes = ("Processing ", "Obtaining ", "Collecting ")

    def apply(self, diagnosis: Diagnosis, text: str) -> None:
        if diagnosis.inside_build_deps():
            return  # the pip subprocess that installs build dependencies says "Collecting" too
        word, _, rest = text.partition(" ")
        rest = rest.strip()
        if not rest:
            return
        if word == "Obtaining":
            diagnosis.start_package(rest, "editable")
            return
        if word == "Processing":
            diagnosis.start_package(rest, _source_of_location(rest, default="local"))
            return
        # Collecting NAME / Collecting NAME from URL / Collecting URL
        name, _, origin = rest.partition(" from ")
        name = name.strip()
        if "://" in name or name.startswith("git+"):
            diagnosis.start_package(name, _source_of_location(name, default="sdist"))
        elif origin:
            diagnosis.start_package(name, _source_of_location(origin.strip(), default="index"))
        else:
            diagnosis.start_package(_strip_specifier(name), "index")


#: A requirement with nothing but a name, extras and version bounds (no URL, no marker).
_PLAIN_REQUIREMENT = re.compile(
    r"[A-Za-z0-9][A-Za-z0-9._-]*(\[[A-Za-z0-9._,\s-]*\])?"
    r"\s*((~=|===?|!=|<=|>=|<|>)\s*[A-Za-z0-9.*+!_-]+\s*,?\s*)*"
)


def _strip_specifier(requirement: str) -> str:
    # "numpy==1.19.5" -> "numpy", "foo[bar]>=1" -> "foo"; pip's wording keeps the user's text.
    match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
    return match.group(0) if match else requirement


def _source_of_location(location: str, default: str) -> str:
    lowered = location.lower()
    if lowered.startswith(("git+", "hg+", "svn+", "bzr+")) or "+git" in lowered:
        return "vcs"
    if lowered.endswith((".tar.gz", ".zip", ".tar.bz2", ".tgz", ".tar.xz", ".tar")):
        return "sdist"
    if lowered.endswith(".whl"):
        return "wheel"
    if lowered.startswith(("http://", "https://")):
        return "sdist"
    if lowered.startswith("file://") or location.startswith(("/", ".", "~")) or default == "local":
        return "local"
    return default


class StepProgress(Rule):
    """A build step starts or ends: pip names it, the hook follows from the name.

    ``  Getting requirements to build wheel: started``,
    ``  Preparing metadata (pyproject.toml): finished with status 'error'``,
    ``  Installing build dependencies ... done`` (a terminal), and pip 21's
    ``  Preparing wheel metadata ... error``.
    """

    prefixes = (
        "Installing build dependencies",
        "Installing backend dependencies",
        "Getting requirements to build",
        "Preparing metadata",
        "Preparing wheel metadata",
        "Preparing editable metadata",
        "Checking if build backend supports",
    )

    def apply(self, diagnosis: Diagnosis, text: str) -> None:
        if text.endswith("did not run successfully."):
            return  # the failure banner, read by FailureBanner
        match = _STATUS.match(text)
        step = (match.group("step") if match else text).strip()
        rest = match.group("rest").strip() if match else ""
        if step.lower() in _BUILD_DEPS_STEPS:
            diagnosis.enter_step(BUILD_DEPS, None, rest)
            return
        if step in _STEP_HOOKS:
            hook = _STEP_HOOKS[step]
            kind = SETUP_PY if step.endswith("(setup.py)") else "pep517"
            diagnosis.enter_step(kind, hook, rest)


class BuildingWheel(Rule):
    """pip builds a wheel for a named package.

    ``  Building wheel for npsetup (pyproject.toml): started``,
    ``  Building editable for fm (pyproject.toml) ... error``,
    ``  Building wheel for legacy (setup.py) ... error``,
    ``  Running setup.py install for legacy ... error`` (pip 21).
    """

    prefixes = ("Building wheel for ", "Building editable for ", "Running setup.py install for ")

    _pattern = re.compile(
        r"^(?:Building (?P<what>wheel|editable) for|Running setup\.py install for) "
        r"(?P<name>[^\s:]+)"
        r"(?: \((?P<how>[^)]*)\))?(?::| \.\.\.)? ?(?P<rest>.*)$"
    )

    def apply(self, diagnosis: Diagnosis, text: str) -> None:
        if text.endswith("did not run successfully."):
            return
        match = self._pattern.match(text)
        if not match:
            return
        name = match.group("name")
        how = match.group("how") or ""
        if how in {"pyproject.toml", "PEP 517"}:
            hook = "build_editable" if match.group("what") == "editable" else "build_wheel"
            kind = "pep517"
        else:
            hook, kind = None, SETUP_PY
        package = diagnosis.package_named(name)
        rest = match.group("rest").strip()
        if not rest or rest == "started":
            diagnosis.switch_package(package)
        diagnosis.enter_step(kind, hook, rest)


class FailureBanner(Rule):
    """pip >= 22 names the step that failed.

    ``  × Getting requirements to build wheel did not run successfully.``,
    ``  × pip subprocess to install build dependencies did not run successfully.``,
    ``  × python setup.py egg_info did not run successfully.``, pip 26.3's
    ``  × installing build dependencies for pyEDFlib did not run successfully.`` (pyEDFlib
    0.1.22 on Python 3.13); consoles limited to ASCII
    print the same sentence without the ``×``.
    """

    prefixes = (
        "× ",
        "Getting requirements to build",
        "Preparing metadata",
        "Preparing editable metadata",
        "Building wheel for",
        "Building editable for",
        "Checking if build backend",
        "python setup.py",
        "pip subprocess to install build dependencies",
        "installing build dependencies",
        "installing backend dependencies",
        "Running setup.py install",
        "Encountered error while",
    )

    def apply(self, diagnosis: Diagnosis, text: str) -> None:
        if text.startswith("× "):
            text = text[2:].strip()
        if text.startswith("Encountered error while"):
            diagnosis.signal_failure(text)
            return
        if not text.endswith("did not run successfully."):
            return
        step = text[: -len(" did not run successfully.")]
        lowered = step.lower()
        if _is_build_deps_step(lowered):
            diagnosis.confirm_step(BUILD_DEPS, None)
        elif lowered in _STEP_HOOKS_LOWER:
            kind = SETUP_PY if "setup.py" in step else "pep517"
            diagnosis.confirm_step(kind, _STEP_HOOKS_LOWER[lowered])
        elif lowered.startswith(("building wheel for", "building editable for")):
            hook = "build_editable" if "editable" in lowered else "build_wheel"
            diagnosis.confirm_step("pep517" if "(pyproject.toml)" in step else SETUP_PY, hook)
        elif lowered.startswith("running setup.py install") or "setup.py" in lowered:
            diagnosis.confirm_step(SETUP_PY, None)
        diagnosis.signal_failure(text)


#: How pip words the installation of build requirements: ``requires`` (and, from pip 26.3,
#: what get_requires_for_build_* returned: "backend dependencies").
_BUILD_DEPS_STEPS = frozenset(
    {
        "installing build dependencies",
        "installing backend dependencies",
        "pip subprocess to install build dependencies",
        "pip subprocess to install backend dependencies",
    }
)


def _is_build_deps_step(lowered: str) -> bool:
    """``installing build dependencies``, or pip 26.3's ``... for pyEDFlib`` (lower-cased)."""
    return lowered in _BUILD_DEPS_STEPS or lowered.split(" for ", 1)[0] in _BUILD_DEPS_STEPS


class BackendUnavailableBlock(Rule):
    """pip 26.3 reports a missing backend in a block of its own.

    ``error: backend-unavailable`` then ``× Cannot import build backend 'flit_core.buildapi'.``
    """

    prefixes = ("Cannot import build backend ", "× Cannot import build backend ")

    def apply(self, diagnosis: Diagnosis, text: str) -> None:
        name = _quoted(text)
        diagnosis.clue_backend_unavailable(name, text)


class ErrorLine(Rule):
    """pip's ``error:`` lines and setuptools' own.

    ``error: subprocess-exited-with-error``, ``error: backend-unavailable``,
    ``error: metadata-generation-failed``, ``error: invalid command 'bdist_wheel'``,
    ``error: command '/usr/bin/gcc' failed with exit code 1`` (a compiler failed).
    """

    prefixes = ("error: ",)

    def apply(self, diagnosis: Diagnosis, text: str) -> None:
        what = text[7:].strip()
        if what == "backend-unavailable":
            diagnosis.clue_backend_unavailable(None, text)
            diagnosis.signal_failure(text)
        elif what in ("subprocess-exited-with-error", "metadata-generation-failed"):
            diagnosis.signal_failure(text)
        elif what.startswith("invalid command 'bdist_wheel'"):
            diagnosis.clue_bdist_wheel(text)
        elif what.startswith(("command '", 'command "')):
            diagnosis.clue_other_failure()


class PipError(Rule):
    """pip's ``ERROR:`` lines.

    ``ERROR: Failed building wheel for npsetup``,
    ``ERROR: Failed to build 'fm' when calling build backend hook get_requires_for_build_wheel``,
    ``ERROR: Command errored out with exit status 1:`` (pip 21), ``ERROR: Exception:``,
    ``ERROR: Could not find a version that satisfies the requirement x>=2 (from versions: none)``,
    ``ERROR: No matching distribution found for x>=2``.
    """

    prefixes = ("ERROR: ",)

    _failed_to_build = re.compile(
        r"^Failed to build (?:'(?P<quoted>[^']+)'|(?P<bare>\S+)) when (?P<when>.+?)\.?$"
    )

    def apply(self, diagnosis: Diagnosis, text: str) -> None:
        what = text[7:].strip()
        if what.startswith("Failed building wheel for "):
            diagnosis.signal_failure(text, name=what[len("Failed building wheel for ") :].strip())
        elif what.startswith("Failed to build "):
            # pip 26: "... when calling build backend hook get_requires_for_build_wheel" or
            # "... when getting requirements to build wheel".
            match = self._failed_to_build.match(what)
            if match:
                name = match.group("quoted") or match.group("bare")
                when = match.group("when")
                hook: str | None = None
                if when.startswith("calling build backend hook "):
                    hook = when.rsplit(" ", 1)[-1]
                else:
                    hook = _STEP_HOOKS_LOWER.get(when.lower())
                if _is_build_deps_step(when.lower()):
                    diagnosis.confirm_step(BUILD_DEPS, None)
                elif hook is not None:
                    diagnosis.confirm_step(None, hook)
                diagnosis.signal_failure(text, name=name)
        elif what.startswith("Command errored out"):
            diagnosis.signal_failure(text)
        elif what == "Exception:":
            diagnosis.signal_failure(text)
            diagnosis.clue_pip_crash()
        elif what.startswith("Could not find a version that satisfies the requirement "):
            requirement = what[len("Could not find a version that satisfies the requirement ") :]
            requirement = requirement.split(" (from ", 1)[0].strip()
            diagnosis.clue_requirement_unavailable(requirement, text)
        elif what.startswith("No matching distribution found for "):
            requirement = what[len("No matching distribution found for ") :].strip()
            diagnosis.clue_requirement_unavailable(requirement, text)
        elif _is_network_error(what):
            diagnosis.clue_network()


_NETWORK_WORDS = (
    "Retrying (Retry(",
    "NewConnectionError",
    "ConnectTimeout",
    "ReadTimeout",
    "SSLError",
    "ProxyError",
    "Max retries exceeded",
    "Temporary failure in name resolution",
    "Name or service not known",
    "Could not fetch URL",
    "connection broken",
    "Network is unreachable",
    "HTTPSConnectionPool",
)


def _is_network_error(text: str) -> bool:
    return any(word in text for word in _NETWORK_WORDS)


class NetworkWarning(Rule):
    """Network trouble: a later "no matching distribution" is the network's fault, not a finding.

    ``WARNING: Retrying (Retry(total=4, ...)) after connection broken by 'NewConnectionError(...)'``
    """

    prefixes = ("WARNING: Retrying", "WARNING: Could not fetch", "Could not fetch URL")

    def apply(self, diagnosis: Diagnosis, text: str) -> None:
        diagnosis.clue_network()


class Discarding(Rule):
    """pip 21 names the package whose build failed.

    ``WARNING: Discarding file:///src/numpy-setup. Command errored out with exit status 1: ...``
    """

    prefixes = ("WARNING: Discarding ",)

    def apply(self, diagnosis: Diagnosis, text: str) -> None:
        location = text[len("WARNING: Discarding ") :].split(" ", 1)[0].rstrip(".")
        if location:
            diagnosis.name_failed_package(location)


class Pip21Command(Rule):
    """pip 21's ``Command errored out`` block names the command, hence the step.

    ``   command: /venv/bin/python .../_in_process.py get_requires_for_build_wheel /tmp/tmpa4hi``,
    ``   command: /venv/bin/python /tmp/pip-standalone-pip-x/__env_pip__.zip/pip install
    --ignore-installed --no-user --prefix /tmp/pip-build-env-y/overlay ... -- 'setuptools>=61'``,
    ``   command: /venv/bin/python -c 'import io, os, sys, setuptools, tokenize; ...' egg_info``.
    """

    prefixes = ("command: ",)

    def apply(self, diagnosis: Diagnosis, text: str) -> None:
        command = text[len("command: ") :]
        if "_in_process" in command:
            words = command.split()
            hooks = [word for word in words if word in _HOOK_NAMES]
            diagnosis.confirm_step("pep517", hooks[0] if hooks else None)
        elif " install " in command and "pip-build-env-" in command:
            diagnosis.confirm_step(BUILD_DEPS, None)
        elif "setup.py" in command:
            diagnosis.confirm_step(SETUP_PY, None)


class BlockBoundary(Rule):
    """The output of a failed subprocess: inside it, pip's own wording is not pip's.

    ``╰─> [15 lines of output]`` ... ``[end of output]`` (pip >= 22);
    ``Complete output (15 lines):`` ... ``----------------------------------------`` (pip 21).
    Blocks nest: the output of pip's build-dependency subprocess can hold the block of a
    requirement it built from an sdist, and the outer block ends at the second
    ``[end of output]``.
    """

    prefixes = ("[end of output]", "Complete output (", *(f"[{digit}" for digit in "123456789"))

    def apply(self, diagnosis: Diagnosis, text: str) -> None:
        if text.startswith("Complete output (") or (
            text.startswith("[") and text.endswith(" lines of output]")
        ):
            diagnosis.open_block()
        elif text == "[end of output]":
            diagnosis.close_block()


class BlockEnd(Rule):
    """pip 21 closes a subprocess's output with a row of dashes.

    ``  ----------------------------------------``
    """

    prefixes = ("-----",)

    def apply(self, diagnosis: Diagnosis, text: str) -> None:
        if text.strip("-") == "":
            diagnosis.close_block()


class BackendUnavailableTraceback(Rule):
    """pip 21-25 crash on a missing backend with a traceback.

    ``pip._vendor.pep517.wrappers.BackendUnavailable: Traceback (most recent call last):``
    (pip <= 22.3), ``pip._vendor.pyproject_hooks._impl.BackendUnavailable: Traceback ...``
    (pip 23-24), ``pip._vendor.pyproject_hooks._impl.BackendUnavailable: Cannot import
    'setuptools.build_meta'`` (pip 25), ``... Cannot find module 'backend' in ['tools']``.
    """

    prefixes = ("pip._vendor.", "pyproject_hooks.", "pep517.", "BackendUnavailable")

    def apply(self, diagnosis: Diagnosis, text: str) -> None:
        head = text.split(":", 1)[0]
        if not (head.endswith(("BackendUnavailable", "BackendInvalid"))):
            return
        message = text[len(head) + 1 :].strip()
        if message.startswith("Cannot find module "):
            diagnosis.clue_backend_unavailable(_quoted(message), text, path_wrong=True)
        elif message.startswith("Cannot import "):
            diagnosis.clue_backend_unavailable(_quoted(message), text)
        else:
            diagnosis.clue_backend_unavailable(None, text)
        diagnosis.signal_failure(text)


class MissingModule(Rule):
    """An import failed inside a build.

    ``ModuleNotFoundError: No module named 'numpy'``, ``ImportError: No module named Cython.Build``
    (Python 2 style), pip 26's ``╰─> ModuleNotFoundError: No module named 'flit_core'``.
    """

    prefixes = ("ModuleNotFoundError: ", "ImportError: No module named ")

    def apply(self, diagnosis: Diagnosis, text: str) -> None:
        _, _, rest = text.partition("No module named ")
        rest = rest.strip()
        if not rest:
            return
        module = rest[1:].split(rest[0], 1)[0] if rest[0] in "'\"" else rest.split()[0]
        module = module.strip().rstrip(".;,")
        if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*", module):
            diagnosis.clue_module(module, text)


class OwnWords(Rule):
    """A setup.py caught the ImportError and said so in its own words (curated sentences only).

    ``Cython>=0.22 and NumPy are required.`` (pystan 2.19.1.1's setup.py, pip 24.2 on Python
    3.13: ``Preparing metadata (pyproject.toml): finished with status 'error'``, then in the
    output block a DeprecationWarning and that line); ``Failed to import the 'pkg_resources'
    Python module.`` (toprammer 0.19, pip 24.2 on Python 3.13, in the output of ``Getting
    requirements to build wheel``); ``ImportError: pip is not installed.`` (py_entitymatching
    0.4.0, pip 26.3 on Python 3.13: the last line of the output of ``Getting requirements to
    build wheel``, after the frame ``File "<string>", line 13, in <module>``).
    """

    prefixes = tuple(knowledge.OWN_WORDS)

    def apply(self, diagnosis: Diagnosis, text: str) -> None:
        modules = knowledge.OWN_WORDS.get(text.strip())
        if modules:
            diagnosis.clue_module(modules[0], text, also=modules[1:])


class SetupRequiresCommand(Rule):
    """setuptools' ``setup_requires`` / ``fetch_build_eggs`` ran pip, which the build env lacks.

    setuptools runs ``<python> -m pip wheel ... REQ``: in pip's isolated environment that prints
    ``/tmp/pip-build-env-x/.../python: No module named pip``, then
    ``distutils.errors.DistutilsError: Command '['/venv/bin/python', '-m', 'pip',
    '--disable-pip-version-check', 'wheel', '--no-deps', '-w', '/tmp/tmpnmaku6nf', '--quiet',
    'Cython']' returned non-zero exit status 1.`` (pip 24.2 on Python 3.13, setuptools 84, a
    setup.py calling ``dist.Distribution().fetch_build_eggs(["Cython"])``, the idiom of old
    sdists; tests/projects/setup-requires-cython reproduces it). The requirement is the
    command's last word.
    """

    prefixes = (
        "distutils.errors.DistutilsError: Command ",
        "setuptools._distutils.errors.DistutilsError: Command ",
    )

    def apply(self, diagnosis: Diagnosis, text: str) -> None:
        start, end = text.find("["), text.rfind("]")
        if start < 0 or end < start:
            return
        words = re.findall(r"'([^']*)'|\"([^\"]*)\"", text[start + 1 : end])
        items = [single or double for single, double in words]
        if "pip" not in items or "wheel" not in items or items.index("wheel") == len(items) - 1:
            return
        requirement = items[-1].strip()
        if requirement.startswith("-") or not _PLAIN_REQUIREMENT.fullmatch(requirement):
            return
        diagnosis.clue_setup_requirement(requirement, text)


class NestedSdist(Rule):
    """While installing build dependencies, pip's subprocess fetched a requirement as an sdist.

    ``Collecting numpy==1.17.3`` then ``Downloading numpy-1.17.3.zip (6.4 MB)``, inside the output
    of ``× pip subprocess to install build dependencies did not run successfully.`` (scipy 1.5.4,
    whose requires pins numpy==1.17.3: no wheel for Python 3.13, and its own build fails with
    ``NameError: name 'CCompiler' is not defined``; pip 24.2). The nested build's errors belong
    to that requirement: the finding is that it could not be installed. pyEDFlib 0.1.22 (pip
    26.3 on Python 3.13): ``Collecting numpy<=1.19.3`` / ``Downloading numpy-1.19.3.zip``, then
    the nested build's own ``Installing build dependencies: started``, ``error:
    backend-unavailable``, ``× Cannot import build backend 'setuptools.build_meta:__legacy__'.``,
    ``╰─> ModuleNotFoundError: No module named 'distutils'`` and ``ERROR: Failed to build 'numpy'
    when calling build backend hook get_requires_for_build_wheel``, all inside ``× installing
    build dependencies for pyEDFlib did not run successfully.``; pip 24.3.1 on 3.12 prints
    pip's own ``ERROR: Exception:`` traceback there, ending in the same import error. While
    that output is read (:meth:`Diagnosis._nested`), only these lines and pip's "no matching
    distribution" count.
    """

    prefixes = ("Collecting ", "Downloading ", "Using cached ")

    def apply(self, diagnosis: Diagnosis, text: str) -> None:
        diagnosis.clue_nested(text)


class DistributionNotFound(Rule):
    """setup.py asked pkg_resources (or easy_install) for a distribution the build lacks.

    ``pkg_resources.DistributionNotFound: The 'setuptools_scm' distribution was not found and
    is required by the application``, ``distutils.errors.DistutilsError: Could not find suitable
    distribution for Requirement.parse('numpy')``.
    """

    prefixes = ("pkg_resources.DistributionNotFound", "distutils.errors.DistutilsError: Could not")

    def apply(self, diagnosis: Diagnosis, text: str) -> None:
        if text.startswith("pkg_resources"):
            name = _quoted(text)
        else:
            match = re.search(r"Requirement\.parse\(['\"]([^'\"]+)['\"]\)", text)
            name = match.group(1) if match else None
        if name:
            diagnosis.clue_setup_requirement(name, text)


class TracebackFrame(Rule):
    """Traceback frames tell the hook, whether the build was isolated, and who imported what.

    ``  File ".../pyproject_hooks/_impl.py", line 174, in get_requires_for_build_wheel``,
    ``  File "/tmp/pip-build-env-kbvnczv_/overlay/lib/python3.9/site-packages/setuptools/...``,
    ``  File "/tmp/pip-install-7qljoggo/web-py_a8174113041d4d62abf41035e4875998/web/__init__.py",
    line 14, in <module>`` (web.py 0.37, pip 26.3 on Python 3.13: the package's own file, in
    pip's unpacked copy of the sdist, whose next line ``import utils, db, net, ...`` fails).
    """

    prefixes = ('File "',)

    _own_file = re.compile(r'File "[^"]*/pip-(?:install-[^/"]+/[^/"]+|req-build-[^/"]+)/([^"]+)"')

    def apply(self, diagnosis: Diagnosis, text: str) -> None:
        match = self._own_file.match(text)
        diagnosis.clue_frame(match.group(1) if match else None)
        if "pip-build-env-" in text:
            diagnosis.clue_isolated()
        if "pyproject_hooks" in text or "pep517" in text:
            function = text.rsplit(" in ", 1)[-1].strip()
            if function in _HOOK_NAMES:
                diagnosis.clue_hook(function)


class Glyph(Rule):
    """pip >= 22 draws an arrow before a subprocess's output or a backend's error.

    ``  ╰─> [15 lines of output]``, pip 26's ``  ╰─> ModuleNotFoundError: No module named 'x'``.
    """

    prefixes = ("╰─>",)

    def apply(self, diagnosis: Diagnosis, text: str) -> None:
        diagnosis.redispatch(text[3:].lstrip())


class CompilerFailure(Rule):
    """A failure that is not one of ours: a compiler or a linker gave up.

    ``error: command '/usr/bin/gcc' failed with exit code 1`` (read by ErrorLine),
    ``clang: error: linker command failed``, ``fatal error: foo.h: No such file or directory``.
    """

    prefixes = ("fatal error:", "clang: error:", "collect2: error:")

    def apply(self, diagnosis: Diagnosis, text: str) -> None:
        diagnosis.clue_other_failure()


#: Every rule, in the order they are tried on a line.
RULES: tuple[Rule, ...] = (
    Glyph(),
    BlockBoundary(),
    BlockEnd(),
    NewRequirement(),
    BuildingWheel(),
    FailureBanner(),
    StepProgress(),
    BackendUnavailableBlock(),
    BackendUnavailableTraceback(),
    MissingModule(),
    OwnWords(),
    SetupRequiresCommand(),
    NestedSdist(),
    DistributionNotFound(),
    ErrorLine(),
    PipError(),
    Discarding(),
    NetworkWarning(),
    Pip21Command(),
    TracebackFrame(),
    CompilerFailure(),
)

#: Rules still read inside a subprocess's output block: clues, never pip's own progress.
_BLOCK_RULES = (
    Glyph,
    BlockBoundary,
    BlockEnd,
    BackendUnavailableBlock,
    BackendUnavailableTraceback,
    MissingModule,
    OwnWords,
    SetupRequiresCommand,
    NestedSdist,
    DistributionNotFound,
    ErrorLine,
    PipError,
    NetworkWarning,
    TracebackFrame,
    CompilerFailure,
)

_KEY = 3  # lines are dispatched on their first three characters

#: What may follow a prefix shorter than the key ("× " then a word, "[1" then a digit).
_SLOW_STARTS = frozenset("\x1b0123456789")

_KEY_FILL = string.ascii_letters + string.digits + string.punctuation + " "

Dispatch = dict[str, tuple[tuple[str, Callable[["Diagnosis", str], None]], ...]]


def _dispatch(rules: Iterable[Rule]) -> Dispatch:
    table: dict[str, list[tuple[str, Callable[[Diagnosis, str], None]]]] = {}
    for rule in rules:
        for prefix in rule.prefixes:
            keys = [prefix[:_KEY]]
            while len(keys[0]) < _KEY:  # a short prefix owns every key it can begin
                keys = [key + fill for key in keys for fill in _KEY_FILL]
            for key in keys:
                table.setdefault(key, []).append((prefix, rule.apply))
    return {key: tuple(entries) for key, entries in table.items()}


_TABLE = _dispatch(RULES)

_BLOCK_TABLE = _dispatch(rule for rule in RULES if isinstance(rule, _BLOCK_RULES))


# --------------------------------------------------------------------------------------------
# The reader


class Diagnosis:
    """A :class:`~safepip.reading.consumer.LineConsumer` that finds build failures."""

    def __init__(self) -> None:
        self._package: _Package | None = None
        self._packages: dict[str, _Package] = {}  # normalised name -> package, bounded below
        self._step: _Step | None = None
        self._isolated_packages: set[str] = set()
        self._found: list[BuildFailure] = []
        self._seen: set[tuple[str | None, str, str | None]] = set()
        self._table: Dispatch = _TABLE
        self._block_depth = 0  # blocks of captured output nest (a build inside build deps)
        self._pip_args: list[str] | None = None
        self._cwd: str | None = None
        self._no_isolation = False
        self._step_open = False  # the current step announced "started" and has not ended yet
        self._saw_build_deps = False  # pip installed build dependencies: builds are isolated

    # -- the LineConsumer interface ----------------------------------------------------------

    def feed_line(self, stream: str, line: str) -> None:
        """Read one line of pip's output (``stream`` is "stdout", "stderr" or "terminal")."""
        if "\x1b" in line or "\r" in line or "\b" in line or line[:1].isdigit():
            line = normalise(line)
        text = line.lstrip()
        entries = self._table.get(text[:_KEY])
        if entries is not None:
            text = text.rstrip()
            for prefix, apply in entries:
                if text.startswith(prefix):
                    apply(self, text)

    def feed_lines(self, stream: str, lines: list[str]) -> None:
        """Read many lines: the same as :meth:`feed_line` for each, at a fraction of the cost.

        This is the path for long logs: a line that no rule can want costs one ``lstrip``, one
        slice, one dictionary miss and one set look-up. Lines are expected as LineDecoder gives
        them, already split at every ``\r``. (A regular expression over the whole batch was
        tried instead: Python's engine made it two to four times slower.)
        """
        table = self._table
        slow_starts = _SLOW_STARTS
        for line, text in zip(lines, map(str.lstrip, lines)):
            entries = table.get(text[:_KEY])
            if entries is None:
                if text[:1] in slow_starts:  # a colour code or a CI timestamp hides the text
                    self.feed_line(stream, line)
                    table = self._table
                continue
            if "\x1b" in text or "\b" in text or "\r" in text:
                self.feed_line(stream, line)
            else:
                for prefix, apply in entries:
                    if text.startswith(prefix):
                        apply(self, text.rstrip())
            table = self._table

    def redispatch(self, text: str) -> None:
        """Read ``text`` as a line of its own (what follows a glyph pip drew)."""
        entries = self._table.get(text[:_KEY])
        if entries is not None:
            for prefix, apply in entries:
                if text.startswith(prefix):
                    apply(self, text)

    @property
    def in_block(self) -> bool:
        """Inside a failed subprocess's output, where only clue rules apply."""
        return self._table is _BLOCK_TABLE

    @in_block.setter
    def in_block(self, value: bool) -> None:
        self._table = _BLOCK_TABLE if value else _TABLE
        self._block_depth = 1 if value else 0

    def open_block(self) -> None:
        """A subprocess's captured output begins (possibly inside another's)."""
        depth = self._block_depth + 1
        self.in_block = True
        self._block_depth = depth

    def close_block(self) -> None:
        """A subprocess's captured output ends: back to the enclosing block, or to pip's text."""
        depth = self._block_depth - 1
        self.in_block = depth > 0
        self._block_depth = max(depth, 0)

    def _nested(self) -> bool:
        """Reading the captured output of pip's build-dependency subprocess.

        What a requirement built there from its sdist prints (its steps, its backend or import
        errors, its hook, pip's crash in that subprocess) is that requirement's, never the
        package's: only the requirement's name and whether pip could find it are read.
        """
        step = self._step
        return step is not None and step.kind == BUILD_DEPS and self._table is _BLOCK_TABLE

    def set_context(self, pip_args: list[str], cwd: str) -> None:
        """The command line pip was given: lets a live run name the project pip did not name."""
        self._pip_args = list(pip_args)
        self._cwd = cwd
        self._no_isolation = "--no-build-isolation" in pip_args

    def failures(self) -> list[BuildFailure]:
        """Every build failure found so far, including one whose output is still being read."""
        found = list(self._found)
        seen = set(self._seen)
        if self._step is not None:
            found += [f for f in self._judge_all(self._step) if _key(f) not in seen]
        completed = [self._complete(failure) for failure in found]
        return [failure for failure in completed if failure is not None]

    # -- facts the rules record --------------------------------------------------------------

    def inside_build_deps(self) -> bool:
        step = self._step
        return step is not None and step.kind == BUILD_DEPS and not step.failed and self._step_open

    def start_package(self, name: str, source: str | None) -> None:
        package = _Package(name, source)
        self._remember(package)
        self.switch_package(package)

    def switch_package(self, package: _Package) -> None:
        self._close_step()
        self._package = package
        self.in_block = False

    def package_named(self, name: str) -> _Package:
        """The package pip now calls ``name`` (it names local projects by path, then by name)."""
        key = knowledge.normalise_name(name)
        known = self._packages.get(key)
        if known is not None:
            return known
        # A local project is "Processing ./proj" first and "Building wheel for name" later:
        # when the current package is a path whose folder bears the name, it is the same one.
        current = self._package
        if current is not None and current.source in ("local", "editable", "sdist", "vcs"):
            base = current.name.rstrip("/").rsplit("/", 1)[-1]
            if knowledge.normalise_name(base).startswith(key):
                return current
        package = _Package(name, None)
        self._remember(package)
        return package

    def _remember(self, package: _Package) -> None:
        if len(self._packages) > 10_000:  # a requirements file can be long; memory stays bounded
            self._packages.clear()
        self._packages[knowledge.normalise_name(_strip_specifier(package.name))] = package

    def enter_step(self, kind: str | None, hook: str | None, status: str) -> None:
        """A step's progress line: ``started``, ``finished with status 'error'``, ``... done``."""
        step = self._step
        same = step is not None and step.kind == kind and step.hook == hook
        if (not same or status in ("", "started")) and not (
            same and step is not None and not step.failed
        ):
            self._close_step()
            step = self._step = _Step(self._package, kind, hook)
            if kind == BUILD_DEPS:
                self._saw_build_deps = True
                if self._package is not None:
                    self._isolated_packages.add(self._package.name)
        if step is None:  # unreachable: a step was opened above; keeps the type checker honest
            return
        step.announced = True
        self._step_open = True
        if status.endswith(("'error'", " error")) or status == "error":
            step.failed = True
            self._step_open = False
        elif status.endswith(("'done'", "done")):
            self._step_open = False

    def confirm_step(self, kind: str | None, hook: str | None) -> None:
        """A failure banner names the step: start one if none was announced (``-q``)."""
        if self._nested():
            return  # a nested build's step, not the package's
        step = self._step
        if step is None or (kind is not None and step.kind not in (kind, None)):
            self._close_step()
            step = self._step = _Step(self._package, kind, hook)
            return
        if step.kind is None:
            step.kind = kind
        if hook is not None and (step.hook is None or kind is None):
            step.hook = hook

    def signal_failure(self, evidence: str, name: str | None = None) -> None:
        step = self._step
        if step is None:
            step = self._step = _Step(self._package, None, None)
        step.failed = True
        self._step_open = False
        if not step.evidence:
            step.evidence = evidence
        if name is not None:
            self.name_failed_package(name)

    def name_failed_package(self, name: str) -> None:
        step = self._step
        if step is None or self._nested():
            return
        if step.package is not None and step.package.name.rstrip("/").rsplit("/", 1)[-1] in (
            "",
            ".",
            "..",
        ):
            # "Processing ./." names no project; the failure line names its folder.
            step.package.name = name
            return
        if step.package is None:
            step.package = self.package_named(name) if "/" not in name else _Package(name, None)
            if step.package.source is None and "/" in name:
                step.package.source = _source_of_location(name, "local")

    def clue_module(self, module: str, evidence: str, also: tuple[str, ...] = ()) -> None:
        if self._nested():
            return
        step = self._ensure_step()
        step.module_file = step.frame_file
        step.module = module
        step.module_evidence = evidence
        step.also_modules = also

    def clue_backend_unavailable(
        self, backend: str | None, evidence: str, *, path_wrong: bool = False
    ) -> None:
        if self._nested():
            return
        step = self._ensure_step()
        step.backend_unavailable = True
        if backend or not step.backend_evidence:
            step.backend_evidence = evidence
        if backend:
            step.backend = backend
        if path_wrong:
            step.backend_path_wrong = True

    def clue_bdist_wheel(self, evidence: str) -> None:
        if self._nested():
            return
        step = self._ensure_step()
        step.bdist_wheel = True
        step.module_evidence = evidence

    def clue_setup_requirement(self, name: str, evidence: str) -> None:
        if self._nested():
            return
        step = self._ensure_step()
        step.setup_requirement = name
        step.module_evidence = evidence

    def clue_nested(self, text: str) -> None:
        """A line of pip's build-dependency subprocess: which requirement came as an sdist."""
        step = self._step
        if step is None or step.kind != BUILD_DEPS:
            return
        word, _, rest = text.partition(" ")
        if word == "Collecting":
            step.nested_collecting = rest.split(" (from ", 1)[0].strip() or None
            return
        location = rest[len("cached ") :] if word == "Using" else rest
        filename = location.split(" ", 1)[0].rsplit("/", 1)[-1]
        if step.nested_collecting and filename.endswith(
            (".tar.gz", ".zip", ".tar.bz2", ".tgz", ".tar")
        ):
            step.nested_sdist = step.nested_collecting
            if not step.requirement_evidence:
                step.requirement_evidence = text

    def clue_requirement_unavailable(self, requirement: str, evidence: str) -> None:
        step = self._step
        if step is None or step.kind != BUILD_DEPS:
            return  # a runtime dependency pip cannot find: not a build failure
        if step.requirement is None:
            step.requirement = requirement
            step.requirement_evidence = evidence

    def clue_network(self) -> None:
        if self._step is not None:
            self._step.network = True

    def clue_pip_crash(self) -> None:
        # pip's own traceback: an import error in it is pip's, unless it is BackendUnavailable.
        if self._nested():
            return  # the build-dependency subprocess crashed: its requirement failed
        self._ensure_step().pip_crash = True

    def clue_isolated(self) -> None:
        if self._step is not None:
            self._step.isolated = True

    def clue_frame(self, path: str | None) -> None:
        """A traceback frame: ``path`` inside pip's copy of the package, or None (elsewhere)."""
        step = self._step
        if step is not None and not self._nested():
            step.frame_file = path

    def clue_hook(self, hook: str) -> None:
        if self._nested():
            return
        step = self._step
        if step is not None and step.kind != BUILD_DEPS and step.hook is None:
            step.hook = hook
            if step.kind is None:
                step.kind = "pep517"

    def clue_other_failure(self) -> None:
        # A compiler or linker failed after the import error: the import was not what broke it.
        step = self._step
        if step is not None:
            step.module = None
            step.bdist_wheel = False

    # -- judging -----------------------------------------------------------------------------

    def _ensure_step(self) -> _Step:
        if self._step is None:
            self._step = _Step(self._package, None, None)
        return self._step

    def _close_step(self) -> None:
        step = self._step
        self._step = None
        self._step_open = False
        self.in_block = False
        if step is None:
            return
        for failure in self._judge_all(step):
            if _key(failure) not in self._seen:
                self._seen.add(_key(failure))
                self._found.append(failure)

    def _judge_all(self, step: _Step) -> list[BuildFailure]:
        """The step's finding, and one more for each other module the same words named."""
        failure = self._judge(step)
        if failure is None:
            return []
        found = [failure]
        if step.also_modules and failure.module == step.module:
            first = step.module
            for module in step.also_modules:
                step.module = module
                more = self._judge(step)
                if more is not None:
                    found.append(more)
            step.module = first
        return found

    def _judge(self, step: _Step) -> BuildFailure | None:  # noqa: PLR0911 - one exit per kind
        if not step.failed:
            return None
        package = step.package
        isolated = self._isolation_of(step)
        common: dict[str, Any] = {
            "package": package.name if package else None,
            "source": package.source if package else None,
            "hook": _canonical_hook(step.hook),
            "isolated": isolated,
        }
        if step.backend_unavailable:
            return self._backend_failure(step, common)
        if step.pip_crash:
            return None
        if step.kind == BUILD_DEPS:
            if step.requirement and not step.network:
                return BuildFailure(
                    kind=BUILD_REQUIREMENT_UNAVAILABLE,
                    # pip's own words name the distribution: nothing is guessed here.
                    distribution=_strip_specifier(step.requirement),
                    requirement=step.requirement,
                    explanation=(
                        f"pip could not install the build requirement {step.requirement}: "
                        "no release on the index matches it."
                    ),
                    evidence=step.requirement_evidence,
                    **common,
                )
            if step.nested_sdist and not step.network:
                name = _strip_specifier(step.nested_sdist)
                return BuildFailure(
                    kind=BUILD_REQUIREMENT_UNAVAILABLE,
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
                    **common,
                )
            return None
        if step.kind is None and step.hook is None and not step.module_evidence:
            return None
        if step.module:
            return self._module_failure(step, common)
        if step.bdist_wheel:
            return BuildFailure(
                kind=BUILD_DEPENDENCY_MISSING,
                module=None,
                distribution="wheel",
                requirement="wheel",
                explanation=(
                    "setuptools could not find the bdist_wheel command, which the 'wheel' "
                    "package provides (setuptools < 70.1 needs it to build wheels)."
                ),
                evidence=step.module_evidence,
                **common,
            )
        if step.setup_requirement:
            name = step.setup_requirement
            distribution = _strip_specifier(name)
            known = knowledge.normalise_name(distribution) in knowledge.KNOWN_DISTRIBUTIONS
            return BuildFailure(
                kind=BUILD_DEPENDENCY_MISSING,
                distribution=distribution if known else None,
                # The log's text is kept only as a plain name and version bounds: a URL or a
                # marker in it could come from a crafted log and must never be proposed.
                requirement=name if _PLAIN_REQUIREMENT.fullmatch(name) else distribution,
                explanation=(
                    f"setup.py requires the distribution {name!r} while it runs, and the build "
                    "environment does not have it."
                ),
                evidence=step.module_evidence,
                **common,
            )
        return None

    def _isolation_of(self, step: _Step) -> bool | None:
        if step.isolated is not None:
            return step.isolated
        if step.package is not None and step.package.name in self._isolated_packages:
            return True
        if self._pip_args is not None and self._no_isolation:
            return False
        if step.kind == SETUP_PY:
            return False
        if self._saw_build_deps:
            return True  # isolation is one switch for the whole command
        # Otherwise the text does not tell: an isolated build whose requires is empty installs
        # nothing and prints no "Installing build dependencies" either.
        return None

    def _backend_failure(self, step: _Step, common: dict[str, Any]) -> BuildFailure:
        module = step.module
        backend_path = step.backend
        if module is None and backend_path is not None:
            module = backend_path.split(":", 1)[
                0
            ]  # pip 25 names only the backend it could not import
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
            isolated = common.get("isolated")
            where = (
                "it is not listed in [build-system] requires"
                if isolated is not False
                else "it is not installed in this environment (the build is not isolated)"
            )
            why = f"{name!r} comes from {distribution}, and {where}"
        else:
            why = f"{name!r} could not be imported in the build environment"
        return BuildFailure(
            kind=BACKEND_UNAVAILABLE,
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
            **common,
        )

    def _module_failure(  # noqa: PLR0911 - one exit per kind of import
        self, step: _Step, common: dict[str, Any]
    ) -> BuildFailure | None:
        module = step.module
        if module is None:
            return None
        top = module.split(".", 1)[0]
        package = step.package
        entry = knowledge.provider(module)
        evidence = step.module_evidence
        if entry is None and top in knowledge.PYTHON2_MODULES:
            return _unidentified(
                module,
                f"The build imported {module!r}, a Python 2 standard-library module that "
                "Python 3 renamed or removed: this version of the package is Python 2 code, and "
                "no build requirement makes it build. A release that supports Python 3 is the "
                "way out.",
                evidence,
                common,
            )
        if entry is None and top in knowledge.REMOVED_STDLIB:
            return _unidentified(
                module,
                f"The build imported {top!r}, which Python {knowledge.REMOVED_STDLIB[top]} "
                "removed from the standard library: this version of the package cannot be "
                "built on this Python, and no build requirement changes that. A newer release "
                "of the package, or an older Python, is the way out.",
                evidence,
                common,
            )
        if entry is None and package is not None and _own_module(top, package.name):
            return None  # setup.py imported the project itself: not a missing distribution
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
                common,
            )
        if entry is None:
            return _unidentified(
                module,
                f"The build imported {module!r}, which the build environment does not have. "
                "safepip does not know which distribution provides it (it may be the "
                "package's own module, or Python 2 code): find out from the project's "
                "documentation before adding anything to the build requirements.",
                evidence,
                common,
            )
        if "." in module and top not in ("pkg_resources", "distutils"):
            if "'" in evidence or '"' in evidence:
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
                    common,
                )
            return BuildFailure(
                kind=BUILD_DEPENDENCY_MISSING,
                module=module,
                distribution=entry.distribution,
                explanation=(
                    f"The build imported {module!r}: {entry.distribution} is installed in the "
                    f"build environment but has no {module!r}, so the build needs another "
                    f"version of {entry.distribution}."
                ),
                evidence=evidence,
                **common,
            )
        note = f" {entry.note[0].upper()}{entry.note[1:]}." if entry.note else ""
        return BuildFailure(
            kind=BUILD_DEPENDENCY_MISSING,
            module=module,
            distribution=entry.distribution,
            requirement=entry.requirement,
            explanation=(
                f"The build imported {module!r}, provided by {entry.distribution}, which is "
                f"not in the build environment.{note}"
            ),
            evidence=evidence,
            **common,
        )

    # -- completing findings from the command line and the project ----------------------------

    def _complete(self, failure: BuildFailure) -> BuildFailure | None:
        if failure.package is None and self._pip_args is not None:
            local = _single_local_project(self._pip_args)
            if local is not None:
                failure.package, failure.source = local
        if failure.isolated is None and self._pip_args is not None:
            failure.isolated = not self._no_isolation
        if self._cwd is not None and failure.package and failure.source in ("local", "editable"):
            project = self._project_dir(failure.package)
            if project is not None:
                if _project_owns(project, failure.module):
                    return None  # setup.py imported the project itself: not a missing distribution
                self._read_project(failure, project)
        return failure

    def _project_dir(self, location: str) -> str | None:
        if self._cwd is None:
            return None
        if location.startswith("file://"):
            location = location[len("file://") :]
        path = os.path.join(self._cwd, os.path.expanduser(location))
        return path if os.path.isdir(path) else None

    def _read_project(self, failure: BuildFailure, path: str) -> None:
        pyproject = os.path.join(path, "pyproject.toml")
        if not os.path.isfile(pyproject):
            return
        failure.pyproject = os.path.normpath(pyproject)
        if failure.kind != BACKEND_UNAVAILABLE or failure.backend is not None:
            return
        declared = read_build_backend(failure.pyproject)
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


def _gone_from_python(module: str | None) -> bool:
    """A module this Python no longer has (distutils, removed or Python 2 standard library)."""
    top = (module or "").split(".", 1)[0]
    return top == "distutils" or top in knowledge.REMOVED_STDLIB or top in knowledge.PYTHON2_MODULES


def _unidentified(
    module: str, explanation: str, evidence: str, common: dict[str, Any]
) -> BuildFailure:
    return BuildFailure(
        kind=UNIDENTIFIED_IMPORT,
        module=module,
        explanation=explanation,
        evidence=evidence,
        **common,
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


def _key(failure: BuildFailure) -> tuple[str | None, str, str | None]:
    return (failure.package, failure.kind, failure.module or failure.requirement)


def _own_module(module: str, package: str) -> bool:
    name = knowledge.normalise_name(_strip_specifier(package.rstrip("/").rsplit("/", 1)[-1]))
    return knowledge.normalise_name(module) == name


def _project_owns(project: str, module: str | None) -> bool:
    """Whether ``module`` is the project's own code (its folder or file is in the source tree)."""
    if not module:
        return False
    top = module.split(".", 1)[0]
    for base in (project, os.path.join(project, "src")):
        if os.path.isdir(os.path.join(base, top)) or os.path.isfile(
            os.path.join(base, top + ".py")
        ):
            return True
    return False


def _single_local_project(args: list[str]) -> tuple[str, str] | None:
    """The one local project a command line names (``install ./proj``, ``-e .``), if just one.

    Read from the words alone, as written: a saved log's folders may be long gone.
    """
    from safepip.reading.command import iter_options

    found: list[tuple[str, str]] = []
    for name, value in iter_options(args, positionals=True):
        if name in ("-e", "--editable") and value:
            found.append((value, "editable"))
        elif (
            name == ""
            and value
            and value.startswith((".", "/", "~"))
            and not value.endswith((".whl", ".tar.gz", ".zip", ".txt"))
        ):
            found.append((value, "local"))
    return found[0] if len(found) == 1 else None


def _read_toml(pyproject: str) -> dict[str, Any] | None:
    """A pyproject.toml as plain data, or None (unreadable, malformed or absent)."""
    try:
        with open(pyproject, "rb") as handle:
            data = handle.read().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    try:
        import tomllib  # type: ignore[import-not-found,unused-ignore]

        parsed: dict[str, Any] = tomllib.loads(data)
    except ImportError:  # Python < 3.11
        import tomlkit

        try:
            parsed = tomlkit.parse(data).unwrap()
        except Exception:  # noqa: BLE001 - any malformed file means "unknown"
            return None
    except Exception:  # noqa: BLE001
        return None
    return parsed


def read_build_backend(pyproject: str) -> str | None:
    """``[build-system] build-backend`` of a pyproject.toml, or None (unreadable, or absent)."""
    parsed = _read_toml(pyproject)
    build_system = parsed.get("build-system") if parsed is not None else None
    if not isinstance(build_system, dict):
        return None
    backend = build_system.get("build-backend")
    return backend.strip() if isinstance(backend, str) else None


def read_build_system_present(pyproject: str) -> bool:
    """Whether a pyproject.toml exists and declares a ``[build-system]`` table."""
    parsed = _read_toml(pyproject)
    return parsed is not None and isinstance(parsed.get("build-system"), dict)
