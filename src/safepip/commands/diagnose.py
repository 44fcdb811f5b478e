"""``safepip diagnose [LOG|-] [--json]``: explain the build failures in a saved pip log.

Exit status: 0 when the log shows no build failure safepip recognises, 1 when it does, 2 when the
log cannot be read. The log is streamed in binary and decoded like live output, so ANSI colours,
CI timestamps, CRLF and invalid UTF-8 are all fine, and memory stays flat however long it is.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import BinaryIO

from safepip.options import SafepipOptions
from safepip.reading.diagnosis import Diagnosis
from safepip.reading.findings import (
    BACKEND_UNAVAILABLE,
    BUILD_DEPENDENCY_MISSING,
    BUILD_REQUIREMENT_UNAVAILABLE,
    PIP_TOO_OLD,
    UNIDENTIFIED_IMPORT,
    BuildFailure,
)
from safepip.reading.lines import LineDecoder

CHUNK = 256 * 1024


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="safepip diagnose",
        description="Explain the build failures recorded in a saved pip log.",
    )
    parser.add_argument(
        "log", nargs="?", default="-", help="the log file to read, or - for standard input"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    parser.add_argument(
        "--last",
        action="store_true",
        help="read the transcript of the latest run that ended in a diagnosis",
    )
    return parser


def diagnose_stream(stream: BinaryIO, diagnosis: Diagnosis | None = None) -> Diagnosis:
    """Feed a whole binary stream to a Diagnosis, chunk by chunk."""
    diagnosis = diagnosis if diagnosis is not None else Diagnosis()
    decoder = LineDecoder()
    read = stream.read
    feed = diagnosis.feed_lines
    while True:
        chunk = read(CHUNK)
        if not chunk:
            break
        feed("terminal", decoder.feed(chunk))
    feed("terminal", decoder.finish())
    return diagnosis


def run(args: list[str], own: SafepipOptions | None = None) -> int:
    """Entry point: ``args`` are the words after ``safepip diagnose``.

    ``own`` (safepip's own options, which main.py hands to every own command) changes nothing
    here.
    """
    options = _parser().parse_args(args)
    if options.last:
        from safepip.commands.diagnose_last import run_last

        return run_last(options.json)
    # The log's relative paths ("Processing ./proj") are read against the current directory, so
    # the explanation can name the project's pyproject.toml when the log was made here.
    return diagnose_log(options.log, [], os.getcwd(), as_json=options.json, what="log")


def diagnose_log(
    log: str,
    pip_args: list[str],
    cwd: str,
    *,
    as_json: bool,
    what: str,
    extra_json: dict[str, str] | None = None,
) -> int:
    """Read ``log`` (a path, or ``-`` for stdin), print the findings; the command's exit status."""
    diagnosis = Diagnosis()
    diagnosis.set_context(pip_args, cwd)
    try:
        if log == "-":
            diagnose_stream(sys.stdin.buffer, diagnosis)
        else:
            with open(log, "rb") as handle:
                diagnose_stream(handle, diagnosis)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        print(f"safepip diagnose: cannot read {log}: {reason}", file=sys.stderr)
        return 2
    failures = diagnosis.failures()
    if as_json:
        document = {"failures": [failure.to_json() for failure in failures], **(extra_json or {})}
        print(json.dumps(document, indent=2))
    elif failures:
        print(render_human(failures))
    else:
        print(f"safepip found no build failure it recognises in this {what}.")
    return 1 if failures else 0


def render_human(failures: list[BuildFailure], *, with_fix: bool = True) -> str:
    """A short explanation for a person: what failed, why, and the exact fix.

    ``with_fix=False`` leaves the fix out, for a live run that proposes its own next.
    """
    return "\n\n".join(_render_one(failure, with_fix=with_fix) for failure in failures)


def _where(failure: BuildFailure) -> str:
    if failure.package is None:
        return "A package"
    source = {
        "local": "local project",
        "editable": "editable project",
        "sdist": "source distribution",
        "index": "package",
        "vcs": "project from version control",
    }.get(failure.source or "", "package")
    return f"The {source} {failure.package}"


def _hook(failure: BuildFailure) -> str:
    return f" (build hook {failure.hook})" if failure.hook else ""


def _requires_target(failure: BuildFailure) -> str:
    if failure.pyproject:
        return f"[build-system] requires in {failure.pyproject}"
    return "[build-system] requires in the project's pyproject.toml"


def _render_one(failure: BuildFailure, *, with_fix: bool = True) -> str:
    lines: list[str] = []
    if failure.kind == BACKEND_UNAVAILABLE:
        lines.append(
            f"{_where(failure)} could not be built: its build backend is unavailable"
            f"{_hook(failure)}."
        )
    elif failure.kind == BUILD_DEPENDENCY_MISSING:
        what = repr(failure.module) if failure.module else (failure.requirement or "a module")
        lines.append(
            f"{_where(failure)} could not be built: the build needs {what}, which the "
            f"build environment lacks{_hook(failure)}."
        )
    elif failure.kind == UNIDENTIFIED_IMPORT:
        lines.append(
            f"{_where(failure)} could not be built: the build imported {failure.module!r}, "
            f"which no build requirement safepip can name provides{_hook(failure)}."
        )
    elif failure.kind == PIP_TOO_OLD:
        lines.append(f"{_where(failure)} could not be installed: this pip is too old for it.")
    elif failure.kind == BUILD_REQUIREMENT_UNAVAILABLE:
        lines.append(
            f"{_where(failure)} could not be built: pip could not install its build "
            f"requirement {failure.requirement}."
        )
    if failure.explanation:
        lines.append(f"Why: {failure.explanation}")
    fix = _fix(failure) if with_fix else None
    if fix:
        lines.append(f"Fix: {fix}")
    if failure.evidence:
        lines.append(f"pip said: {failure.evidence}")
    return "\n".join(lines)


def _fix(failure: BuildFailure) -> str | None:  # noqa: PLR0911 - one exit per remedy
    if failure.kind == BACKEND_UNAVAILABLE:
        if failure.suggestion:
            return (
                f'set build-backend = "{failure.suggestion}" in [build-system]'
                + (f" of {failure.pyproject}" if failure.pyproject else "")
                + "."
            )
        if failure.requirement is None:
            return None
        if failure.isolated is False:
            return (
                f"install {failure.requirement} into this environment first "
                f'(the build is not isolated), or add "{failure.requirement}" to '
                f"{_requires_target(failure)}."
            )
        if failure.source in ("local", "editable"):
            return f'add "{failure.requirement}" to {_requires_target(failure)}.'
        return (
            f'the package\'s own pyproject.toml is missing "{failure.requirement}": '
            f"install {failure.requirement} and rerun with --no-build-isolation, or report "
            "it to the package's maintainers."
        )
    if failure.kind == BUILD_DEPENDENCY_MISSING:
        if failure.requirement is None:
            if failure.distribution:
                return (
                    f"pin a version of {failure.distribution} that still has "
                    f"{failure.module!r} in {_requires_target(failure)}."
                )
            return None
        if failure.isolated is False:
            return (
                f"install {failure.requirement} into this environment, then rerun "
                "(the build is not isolated)."
            )
        if failure.source in ("local", "editable"):
            return f'add "{failure.requirement}" to {_requires_target(failure)}.'
        return (
            f"install {failure.requirement} and rerun with --no-build-isolation, or ask the "
            "package's maintainers to declare it in [build-system] requires."
        )
    if failure.kind == BUILD_REQUIREMENT_UNAVAILABLE:
        if failure.evidence.startswith(("Downloading ", "Using cached ")):
            return None  # built from its sdist and failed: the explanation says what to do
        return (
            f"check the spelling and version bounds of {failure.requirement} in "
            f"{_requires_target(failure)}, and that the index pip uses carries it."
        )
    return None
