"""Asking the user before anything changes: a person at a terminal gets a [y/N] question, CI
gets the command.

Whether to ask at all is the fix mode's to say (safepip.fixmode, resolved once per command by
safepip.config.resolve_fix: a person is asked only when one can see the question and answer it).
Nothing happens without an explicit yes: an empty answer or end of input mean no, and Ctrl-C ends
safepip (exit status 130) with nothing changed.
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Sequence


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
