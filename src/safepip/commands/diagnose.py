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
from collections.abc import Sequence
from typing import BinaryIO

from safepip.config import ConfigError, load_config
from safepip.deciding.decide import decide
from safepip.deciding.gather import gather_facts
from safepip.options import SafepipOptions
from safepip.reading.command import PipCommand
from safepip.reading.diagnosis import Diagnosis
from safepip.reading.findings import BuildFailure
from safepip.reading.lines import LineDecoder
from safepip.reporting import text

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
    try:  # the user's [mapping] names the distributions of their own modules, as in a live run
        providers = load_config(os.environ).providers()
    except ConfigError as exc:
        print(f"safepip diagnose: {exc}", file=sys.stderr)
        return 2
    diagnosis = Diagnosis(providers=providers)
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
        print(render_human(failures, pip_args, cwd))
    else:
        print(f"safepip found no build failure it recognises in this {what}.")
    return 1 if failures else 0


def render_human(
    failures: list[BuildFailure], pip_args: Sequence[str] = (), cwd: str | None = None
) -> str:
    """A short explanation for a person: what failed, why, and the fix ``decide()`` proposes
    with what can be known offline (the target environment is not asked), else the advice."""
    command = PipCommand(list(pip_args), cwd if cwd is not None else os.getcwd())
    facts = gather_facts(failures, command, target_python=None, logged_projects=True)
    return text.render_human(failures, [decision.fix for decision in decide(failures, facts)])
