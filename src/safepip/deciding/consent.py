"""Asking the user before anything changes: a terminal gets a [y/N] question, CI gets the command.

Nothing happens without an explicit yes: an empty answer or end of input mean no, and Ctrl-C ends
safepip (exit status 130) with nothing changed.
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Sequence

#: How safepip may act on a proposed fix.
ASK = "ask"  # a terminal: ask [y/N]
APPLY = "apply"  # --yes or SAFEPIP_YES=1
EXPLAIN = "explain"  # no terminal, or --no-fix: change nothing, print the command that would


def consent_mode(*, yes: bool, no_fix: bool) -> str:
    """Which of ASK, APPLY, EXPLAIN applies to this run."""
    if no_fix:
        return EXPLAIN
    if yes:
        return APPLY
    try:
        interactive = os.isatty(0) and (os.isatty(2) or os.isatty(1))
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
