"""``safepip diagnose [LOG|-] [--json] [--last]``: explain the build failures in a saved pip log.

Exit status: 0 when the log shows no build failure safepip recognises, 1 when it does, 2 when the
log cannot be read or is not text (a binary file), and when no log is named while standard input
is a terminal (then the usage is printed rather than waiting for a log to be typed).

The log is streamed in binary and decoded like live output, so ANSI colours, CI timestamps, CRLF
and invalid UTF-8 are all fine, and memory stays flat however long it is; UTF-16 with a byte
order mark (Windows PowerShell 5's ``>``) is read too.

``--last`` reads the latest kept transcript (see safepip.transcripts) the same way, with one line
on stderr first naming the transcript and the run it records. The transcript's relative paths are
read against the directory that run was started in, so the explanation names the same
pyproject.toml it named then.
"""

from __future__ import annotations

import argparse
import codecs
import json
import os
import sys
from collections.abc import Sequence
from typing import BinaryIO

from safepip.config import ConfigError, load_config
from safepip.deciding.decide import decide
from safepip.deciding.gather import gather_facts
from safepip.errors import say
from safepip.options import SafepipOptions
from safepip.reading.command import PipCommand
from safepip.reading.diagnosis import Diagnosis
from safepip.reading.findings import BuildFailure
from safepip.reading.lines import LineDecoder
from safepip.reporting import text
from safepip.transcripts import latest_transcript, log_dir, read_metadata
from safepip.visible import shown

CHUNK = 256 * 1024


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="safepip diagnose",
        description="Explain the build failures recorded in a saved pip log.",
    )
    parser.add_argument(
        "log",
        nargs="?",
        help="the log file to read, or - for standard input (the default when it is not a "
        "terminal)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    parser.add_argument(
        "--last",
        action="store_true",
        help="read the transcript of the latest run that ended in a diagnosis",
    )
    return parser


class NotALogError(Exception):
    """The stream is not text: no pip log has NUL bytes (a UTF-16 one has a byte order mark)."""


#: How much of the start is looked at for NUL bytes, as git does: a compiler's binary noise later
#: in a real log does not make it binary.
_SNIFF = 8000
#: The byte order marks of UTF-16 text, as Windows PowerShell 5's ``>`` writes it.
_UTF16_MARKS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def diagnose_stream(stream: BinaryIO, diagnosis: Diagnosis | None = None) -> Diagnosis:
    """Feed a whole binary stream to a Diagnosis, chunk by chunk.

    Raises NotALogError when the first chunk is binary rather than text, before feeding it.
    """
    diagnosis = diagnosis if diagnosis is not None else Diagnosis()
    decoder = LineDecoder()
    read = stream.read
    feed = diagnosis.feed_lines
    utf16 = None
    first = True
    while True:
        chunk = read(CHUNK)
        if not chunk:
            break
        if first:
            first = False
            if chunk.startswith(_UTF16_MARKS):
                utf16 = codecs.getincrementaldecoder("utf-16")(errors="replace")
            elif b"\0" in chunk[:_SNIFF]:
                raise NotALogError
        if utf16 is not None:
            chunk = utf16.decode(chunk).encode("utf-8")
        feed("terminal", decoder.feed(chunk))
    feed("terminal", decoder.finish())
    return diagnosis


def run(args: list[str], own: SafepipOptions | None = None) -> int:
    """Entry point: ``args`` are the words after ``safepip diagnose``.

    ``own`` (safepip's own options, which main.py hands to every own command) changes nothing
    here.
    """
    parser = _parser()
    options = parser.parse_args(args)
    if options.last:
        return run_last(options.json)
    if options.log is None and sys.stdin.isatty():
        # Nothing piped in: waiting for a log to be typed would look like a hang.
        sys.stderr.write(parser.format_usage())
        print(
            "safepip diagnose: name a log file, - to read one typed or pasted here, or --last",
            file=sys.stderr,
        )
        return 2
    # The log's relative paths ("Processing ./proj") are read against the current directory, so
    # the explanation can name the project's pyproject.toml when the log was made here.
    log = "-" if options.log is None else options.log
    return diagnose_log(log, [], os.getcwd(), as_json=options.json, what="log")


def run_last(json: bool) -> int:
    """Diagnose the newest transcript; ``json`` prints one JSON object as ``--json`` does."""
    path = latest_transcript(os.environ)
    if path is None:
        print(
            f"safepip diagnose: no transcript kept yet in {log_dir(os.environ)} (safepip keeps "
            "one for each run that ends in a diagnosis)",
            file=sys.stderr,
        )
        return 2
    metadata = read_metadata(path)
    pip_args = metadata.get("pip_args")
    pip_args = [str(arg) for arg in pip_args] if isinstance(pip_args, list) else []
    cwd = metadata.get("cwd")
    cwd = cwd if isinstance(cwd, str) and os.path.isdir(cwd) else os.getcwd()
    when = metadata.get("time", "an unknown time")
    command = " ".join(["pip", *pip_args]) if pip_args else "a pip run"
    # The sidecar is a file anyone with the folder could have written: its words are shown safe.
    say(f"reading the transcript of `{command}` ({when}): {path}")

    return diagnose_log(
        path, pip_args, cwd, as_json=json, what="transcript", extra_json={"transcript": path}
    )


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
    except NotALogError:
        name = "standard input" if log == "-" else log
        print(
            f"safepip diagnose: {name} is not a pip log: it is a binary file, not text",
            file=sys.stderr,
        )
        return 2
    failures = diagnosis.failures()
    if as_json:
        document = {"failures": [failure.to_json() for failure in failures], **(extra_json or {})}
        print(json.dumps(document, indent=2))  # ensure_ascii: control characters as \u escapes
    elif failures:
        # The explanations quote the log, which may come from anyone: masked, made visible.
        print(shown(render_human(failures, pip_args, cwd), lines=True))
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
