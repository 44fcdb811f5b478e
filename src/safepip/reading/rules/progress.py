"""The rules that follow pip's own progress: which package, which step, whether it failed.

They read what pip itself prints (``Processing``, ``Getting requirements to build wheel:
started``, ``× ... did not run successfully.``, ``ERROR: Failed building wheel for``) and the
bounds of a failed subprocess's captured output.
"""

from __future__ import annotations

import re

from safepip.names import leading_name
from safepip.reading.findings import Hook
from safepip.reading.recorder import StepRecorder
from safepip.reading.rules.base import Rule
from safepip.reading.steps import (
    BUILD_DEPS,
    BUILD_DEPS_STEPS,
    HOOKS,
    PEP517,
    SETUP_PY,
    STEP_HOOKS,
    STEP_HOOKS_LOWER,
    StepKind,
    is_build_deps_step,
    source_of_location,
)

_STATUS = re.compile(r"^(?P<step>.+?)(?::| \.\.\.) ?(?P<rest>.*)$")


class NewRequirement(Rule):
    """pip starts on a requirement.

    ``Processing ./flit-missing``, ``Processing ./links/x-1.0.tar.gz (from -r requirements.txt
    (line 2))``, ``Obtaining file:///src/proj``,
    ``Collecting numpy==1.19.5``, ``Collecting pkg@ git+https://host/pkg.git``.
    """

    prefixes = ("Processing ", "Obtaining ", "Collecting ")

    def apply(self, recorder: StepRecorder, text: str) -> None:
        if recorder.inside_build_deps():
            return  # the pip subprocess that installs build dependencies says "Collecting" too
        word, _, rest = text.partition(" ")
        rest = rest.strip()
        if not rest:
            return
        if word == "Obtaining":
            recorder.start_package(rest, "editable")
            return
        if word == "Processing":
            # A requirements file's line is said after it (pip 24.2 and later, a find-links sdist):
            # "Processing ./links/flit_missing-1.0.tar.gz (from -r requirements.txt (line 2))".
            location = rest.split(" (from ", 1)[0].strip() or rest
            recorder.start_package(location, source_of_location(location, default="local"))
            return
        # Collecting NAME / Collecting NAME from URL / Collecting URL
        name, _, origin = rest.partition(" from ")
        name = name.strip()
        if "://" in name or name.startswith("git+"):
            recorder.start_package(name, source_of_location(name, default="sdist"))
        elif origin:
            recorder.start_package(name, source_of_location(origin.strip(), default="index"))
        else:
            recorder.start_package(leading_name(name) or name, "index")


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

    def apply(self, recorder: StepRecorder, text: str) -> None:
        if text.endswith("did not run successfully."):
            return  # the failure banner, read by FailureBanner
        match = _STATUS.match(text)
        step = (match.group("step") if match else text).strip()
        rest = match.group("rest").strip() if match else ""
        if step.lower() in BUILD_DEPS_STEPS:
            recorder.enter_step(BUILD_DEPS, None, rest)
            return
        if step in STEP_HOOKS:
            hook = STEP_HOOKS[step]
            kind = SETUP_PY if step.endswith("(setup.py)") else PEP517
            recorder.enter_step(kind, hook, rest)


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

    def apply(self, recorder: StepRecorder, text: str) -> None:
        if text.endswith("did not run successfully."):
            return
        match = self._pattern.match(text)
        if not match:
            return
        name = match.group("name")
        how = match.group("how") or ""
        hook: Hook | None
        kind: StepKind
        if how in {"pyproject.toml", "PEP 517"}:
            hook = "build_editable" if match.group("what") == "editable" else "build_wheel"
            kind = PEP517
        else:
            hook, kind = None, SETUP_PY
        package = recorder.package_named(name)
        rest = match.group("rest").strip()
        if not rest or rest == "started":
            recorder.switch_package(package)
        recorder.enter_step(kind, hook, rest)


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

    def apply(self, recorder: StepRecorder, text: str) -> None:
        if text.startswith("× "):
            text = text[2:].strip()
        if text.startswith("Encountered error while"):
            recorder.signal_failure(text)
            return
        if not text.endswith("did not run successfully."):
            return
        step = text[: -len(" did not run successfully.")]
        lowered = step.lower()
        if is_build_deps_step(lowered):
            recorder.confirm_step(BUILD_DEPS, None)
        elif lowered in STEP_HOOKS_LOWER:
            kind = SETUP_PY if "setup.py" in step else PEP517
            recorder.confirm_step(kind, STEP_HOOKS_LOWER[lowered])
        elif lowered.startswith(("building wheel for", "building editable for")):
            built: Hook = "build_editable" if "editable" in lowered else "build_wheel"
            recorder.confirm_step(PEP517 if "(pyproject.toml)" in step else SETUP_PY, built)
        elif lowered.startswith("running setup.py install") or "setup.py" in lowered:
            recorder.confirm_step(SETUP_PY, None)
        recorder.signal_failure(text)


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

    def apply(self, recorder: StepRecorder, text: str) -> None:
        what = text[7:].strip()
        if what.startswith("Failed building wheel for "):
            recorder.signal_failure(text, name=what[len("Failed building wheel for ") :].strip())
        elif what.startswith("Failed to build "):
            # pip 26: "... when calling build backend hook get_requires_for_build_wheel" or
            # "... when getting requirements to build wheel".
            match = self._failed_to_build.match(what)
            if match:
                name = match.group("quoted") or match.group("bare")
                when = match.group("when")
                hook: Hook | None = None
                if when.startswith("calling build backend hook "):
                    hook = HOOKS.get(when.rsplit(" ", 1)[-1])
                else:
                    hook = STEP_HOOKS_LOWER.get(when.lower())
                if is_build_deps_step(when.lower()):
                    recorder.confirm_step(BUILD_DEPS, None)
                elif hook is not None:
                    recorder.confirm_step(None, hook)
                recorder.signal_failure(text, name=name)
        elif what.startswith("Command errored out"):
            recorder.signal_failure(text)
        elif what == "Exception:":
            recorder.signal_failure(text)
            recorder.clue_pip_crash()
        elif what.startswith("Could not find a version that satisfies the requirement "):
            requirement = what[len("Could not find a version that satisfies the requirement ") :]
            requirement = requirement.split(" (from ", 1)[0].strip()
            recorder.clue_requirement_unavailable(requirement, text)
        elif what.startswith("No matching distribution found for "):
            requirement = what[len("No matching distribution found for ") :].strip()
            recorder.clue_requirement_unavailable(requirement, text)
        elif _is_network_error(what):
            recorder.clue_network()


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


class Discarding(Rule):
    """pip 21 names the package whose build failed.

    ``WARNING: Discarding file:///src/numpy-setup. Command errored out with exit status 1: ...``
    """

    prefixes = ("WARNING: Discarding ",)

    def apply(self, recorder: StepRecorder, text: str) -> None:
        location = text[len("WARNING: Discarding ") :].split(" ", 1)[0].rstrip(".")
        if location:
            recorder.name_failed_package(location)


class Pip21Command(Rule):
    """pip 21's ``Command errored out`` block names the command, hence the step.

    ``   command: /venv/bin/python .../_in_process.py get_requires_for_build_wheel /tmp/tmpa4hi``,
    ``   command: /venv/bin/python /tmp/pip-standalone-pip-x/__env_pip__.zip/pip install
    --ignore-installed --no-user --prefix /tmp/pip-build-env-y/overlay ... -- 'setuptools>=61'``,
    ``   command: /venv/bin/python -c 'import io, os, sys, setuptools, tokenize; ...' egg_info``.
    """

    prefixes = ("command: ",)

    def apply(self, recorder: StepRecorder, text: str) -> None:
        command = text[len("command: ") :]
        if "_in_process" in command:
            words = command.split()
            hooks = [HOOKS[word] for word in words if word in HOOKS]
            recorder.confirm_step(PEP517, hooks[0] if hooks else None)
        elif " install " in command and "pip-build-env-" in command:
            recorder.confirm_step(BUILD_DEPS, None)
        elif "setup.py" in command:
            recorder.confirm_step(SETUP_PY, None)


class BlockBoundary(Rule):
    """The output of a failed subprocess: inside it, pip's own wording is not pip's.

    ``╰─> [15 lines of output]`` ... ``[end of output]`` (pip >= 22);
    ``Complete output (15 lines):`` ... ``----------------------------------------`` (pip 21).
    Blocks nest: the output of pip's build-dependency subprocess can hold the block of a
    requirement it built from an sdist, and the outer block ends at the second
    ``[end of output]``.
    """

    prefixes = ("[end of output]", "Complete output (", *(f"[{digit}" for digit in "123456789"))

    def apply(self, recorder: StepRecorder, text: str) -> None:
        if text.startswith("Complete output (") or (
            text.startswith("[") and text.endswith(" lines of output]")
        ):
            recorder.open_block()
        elif text == "[end of output]":
            recorder.close_block()


class BlockEnd(Rule):
    """pip 21 closes a subprocess's output with a row of dashes.

    ``  ----------------------------------------``
    """

    prefixes = ("-----",)

    def apply(self, recorder: StepRecorder, text: str) -> None:
        if text.strip("-") == "":
            recorder.close_block()


class Glyph(Rule):
    """pip >= 22 draws an arrow before a subprocess's output or a backend's error.

    ``  ╰─> [15 lines of output]``, pip 26's ``  ╰─> ModuleNotFoundError: No module named 'x'``.
    """

    prefixes = ("╰─>",)

    def apply(self, recorder: StepRecorder, text: str) -> None:
        recorder.redispatch(text[3:].lstrip())
