"""Asking the user before anything changes: a person at a terminal gets a [y/N] question, CI
gets the command.

safepip asks only when a person can see the question and answer it (stdin and stderr are both
terminals), and never when pip itself would not prompt (``--no-input``, ``PIP_NO_INPUT``) or
``CI`` is set to a true value: a CI job with a terminal (``docker run -t``) must not wait.
Nothing happens without an explicit yes: an empty answer or end of input mean no, and Ctrl-C ends
safepip (exit status 130) with nothing changed.
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Mapping, Sequence

#: How safepip may act on a proposed fix.
ASK = "ask"  # a terminal: ask [y/N]
APPLY = "apply"  # --yes or SAFEPIP_YES=1
EXPLAIN = "explain"  # no terminal, or --no-fix: change nothing, print the command that would

#: pip's reading of a boolean variable such as PIP_NO_INPUT (pip._internal.utils.misc.strtobool).
_PIP_TRUE = frozenset({"y", "yes", "t", "true", "on", "1"})
#: A CI variable that says "this is CI" (CI=true on GitHub, GitLab, CircleCI, Travis...).
_CI_TRUE = frozenset({"y", "yes", "t", "true", "on", "1"})


def no_input(pip_args: Sequence[str], environ: Mapping[str, str]) -> str | None:
    """Why nobody may be asked although there is a terminal (None when someone may be)."""
    if "--no-input" in pip_args:
        return "--no-input"
    if environ.get("PIP_NO_INPUT", "").strip().lower() in _PIP_TRUE:
        return "PIP_NO_INPUT"
    if environ.get("CI", "").strip().lower() in _CI_TRUE:
        return "CI"
    return None


def consent_mode(
    *,
    yes: bool,
    no_fix: bool,
    pip_args: Sequence[str] = (),
    environ: Mapping[str, str] | None = None,
) -> str:
    """Which of ASK, APPLY, EXPLAIN applies to this run."""
    if no_fix:
        return EXPLAIN
    if yes:
        return APPLY
    if no_input(pip_args, os.environ if environ is None else environ) is not None:
        return EXPLAIN
    try:
        interactive = os.isatty(0) and os.isatty(2)  # the question goes to stderr
    except OSError:
        interactive = False
    return ASK if interactive else EXPLAIN


def ask(question: str) -> bool:
    """Ask on the terminal; only ``y`` or ``yes`` is consent."""
    sys.stderr.write(f"{question} [y/N] ")
    sys.stderr.flush()
    try:
        answer = sys.stdin.readline()
    except (OSError, ValueError):
        return False
    except KeyboardInterrupt:
        # The shell's next prompt starts on a line of its own; the interrupt ends safepip (130).
        sys.stderr.write("\n")
        sys.stderr.flush()
        raise
    return answer.strip().lower() in {"y", "yes"}


def fix_command(argv0: str, own_options: Sequence[str], pip_args: Sequence[str]) -> str:
    """The exact command that would apply the fix without asking."""
    return shlex.join([argv0, "--yes", *own_options, *pip_args])
